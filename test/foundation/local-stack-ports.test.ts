import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, nodeCommand, startClusterNode, stopPid } from '@pulse/local-stack';

// The local stack picks free ports with freePort() and hands them to servers that bind them a
// moment later; on a busy machine another program can take one in between. A Redis Cluster node
// that cannot bind its port exits: the stack must start it again elsewhere, not fail the run.
describe('the local stack’s Redis Cluster nodes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('start again on other ports when the port they were given is taken before they bind it', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'pulse-ports-'));
    // A program that accepts connections on the port and never answers them.
    const accepted: Socket[] = [];
    const squatter: Server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((listening) => squatter.listen(0, '127.0.0.1', listening));
    const takenPort = (squatter.address() as { port: number }).port;
    cleanups.push(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((closed) => squatter.close(() => closed()));
      rmSync(workDir, { recursive: true, force: true });
    });
    let handedOut = 0;
    // The first port handed out is one a program already listens on.
    const choosePort = async (): Promise<number> =>
      (handedOut += 1) === 1 ? takenPort : freePort();

    const node = await startClusterNode(workDir, false, choosePort);
    cleanups.unshift(() => stopPid(node.process.pid));

    expect(handedOut).toBeGreaterThanOrEqual(4);
    expect(node.port).not.toBe(takenPort);
    expect(await nodeCommand(`${node.host}:${node.port}`, ['PING'])).toBe('PONG');
    expect(await nodeCommand(`${node.host}:${node.port}`, ['CLUSTER', 'INFO'])).toMatch(
      /cluster_enabled:1|cluster_state/,
    );
  });
});
