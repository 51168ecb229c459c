import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { startProcess, stopPid, type StartedProcess } from './process.ts';
import { waitUntil } from './wait.ts';

export interface RedisServer {
  url: string;
  port: number;
  process: StartedProcess;
}

/**
 * The settings every Redis Pulse starts shares: loopback only, its own data folder, an
 * append-only file (a restart keeps the data, no snapshots) and no eviction — Redis is Pulse's
 * state store. A profiles bucket or timers bucket of up to 512 customers stays in Redis's compact
 * listpack encoding (profiles are commonly 100–600 bytes, above the default 64-byte value limit; a
 * bucket holds ~130 customers at 100,000 customers over 12 partitions): ~180 bytes per customer
 * instead of ~290 (docs/operations.md). The `ziplist` spellings are the names Redis 6 knows and
 * Redis 7 keeps as aliases.
 */
export function redisServerArgs(port: number, dataDir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dataDir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--hash-max-ziplist-entries',
    '512',
    '--hash-max-ziplist-value',
    '1024',
    '--zset-max-ziplist-entries',
    '512',
    '--daemonize',
    'no',
  ];
}

/**
 * A private redis-server on a free loopback port with its own data folder, so Pulse never
 * touches a Redis the machine already runs. Redis is Pulse's state store: no eviction, and
 * an append-only file so a restart keeps the data.
 */
export function startRedis(options: {
  workDir: string;
  detached: boolean;
  port?: number;
  extraArgs?: string[];
}): Promise<RedisServer> {
  // A port of its own is not chosen again: one try.
  return startAnswering(
    async () => {
      const port = options.port ?? (await freePort());
      const dataDir = join(options.workDir, `redis-${port}`);
      mkdirSync(dataDir, { recursive: true });
      const server = startProcess(
        'redis',
        'redis-server',
        [...redisServerArgs(port, dataDir), ...(options.extraArgs ?? [])],
        { cwd: dataDir, logFile: join(dataDir, 'redis.log'), detached: options.detached },
      );
      const url = `redis://127.0.0.1:${port}`;
      return { server: { url, port, process: server }, url };
    },
    options.port === undefined ? 3 : 1,
  );
}

/**
 * Launches a redis-server (`launch` chooses its ports and spawns it) and waits until it answers
 * at the url it gives. A port from freePort() can be taken by another program before the server
 * binds it: the server then exits, or the probe meets that program. A server that does not answer
 * is stopped and launched again (on other ports) up to `attempts` times; the last failure names
 * the end of its log.
 */
export async function startAnswering<T extends { process: StartedProcess }>(
  launch: () => Promise<{ server: T; url: string }>,
  attempts: number,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const { server, url } = await launch();
    try {
      await waitForRedis(url, { timeoutMs: 20_000, abortIf: server.process.exited });
      return server;
    } catch (error) {
      // Not tracked by any caller yet: stop it here, or it outlives the failed start.
      await stopPid(server.process.pid);
      if (attempt >= attempts) {
        const log = logTail(server.process.logFile);
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}${log ? `; its log ends: ${log}` : ''}`,
        );
      }
    }
  }
}

/** The last lines of a server's log on one line, or '' when it wrote none. */
function logTail(logFile: string, lines = 3): string {
  return existsSync(logFile)
    ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ')
    : '';
}

export async function waitForRedis(
  url: string,
  options: { timeoutMs: number; abortIf?: () => string | undefined },
): Promise<void> {
  await waitUntil(
    `Redis at ${url}`,
    async () => {
      // A probe that meets another program on the port (it was taken before the server bound
      // it) may get no answer at all: each try gives up after a second, so the wait sees the
      // server exit and the caller starts it elsewhere.
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 1_000,
        commandTimeout: 1_000,
      });
      // The probe expects refusals while the server starts; the failed ping reports them.
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    },
    { timeoutMs: options.timeoutMs, abortIf: options.abortIf },
  );
}
