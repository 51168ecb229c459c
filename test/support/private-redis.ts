import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, startRedis, stopPid, type RedisServer } from '@pulse/local-stack';
import { onCleanup } from './infra.ts';
import { waitFor } from './wait.ts';

export interface PrivateRedis {
  current: () => RedisServer;
  /** SIGTERM (Redis writes its AOF on the way down), then start again: same port and folder. */
  restart: () => Promise<void>;
  /** SIGKILL: no shutdown of any kind; Redis keeps only what reached its AOF file. */
  kill9: () => Promise<void>;
  /** Start again after kill9: same port and folder, the AOF replayed. */
  start: () => Promise<void>;
}

/**
 * A redis-server of the test's own (AOF on, appendfsync everysec, as startRedis starts it), so
 * stopping, freezing or killing it disturbs no other test; stopped (and woken first, if frozen)
 * after the test file.
 */
export async function privateRedis(): Promise<PrivateRedis> {
  const workDir = mkdtempSync(join(tmpdir(), 'pulse-private-redis-'));
  let server = await startRedis({ workDir, detached: false });
  const port = server.port;
  onCleanup(async () => rmSync(workDir, { recursive: true, force: true }));
  onCleanup(async () => {
    try {
      process.kill(server.process.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    await stopPid(server.process.pid, 5_000);
  });
  const start = async () => {
    server = await startRedis({ workDir, detached: false, port });
  };
  return {
    current: () => server,
    async restart() {
      await stopPid(server.process.pid, 10_000);
      await start();
    },
    async kill9() {
      const pid = server.process.pid;
      process.kill(pid, 'SIGKILL');
      await waitFor(`redis-server ${pid} to die`, () => (isAlive(pid) ? undefined : true), {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
    },
    start,
  };
}
