import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { onCleanup, testProcessEnv } from './infra.ts';
import { waitFor } from './wait.ts';

/**
 * The collector as production runs it: `node bin/pulse.mjs run collector` in a child process,
 * configured by env, so a test can SIGKILL it and start it again on the same port while a
 * browser keeps talking to that port. Killed after the test file (and when the worker exits).
 */

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const PULSE_BIN = join(REPO_ROOT, 'bin/pulse.mjs');

export interface CollectorProcess {
  readonly pid: number;
  readonly url: string;
  /** Structured log lines so far (pino JSON on stdout). */
  readonly logs: Record<string, unknown>[];
  kill(signal: NodeJS.Signals): void;
  exited: Promise<void>;
  /** One Prometheus sample (sum over label sets) from /metrics. */
  metric(name: string): Promise<number>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts a collector on `port` and waits until it is connected to Kafka (/readyz 200). */
export async function spawnCollector(options: {
  port: number;
  env: Record<string, string>;
}): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    [PULSE_BIN, 'run', 'collector', '--port', String(options.port)],
    {
      cwd: REPO_ROOT,
      env: testProcessEnv({
        PULSE_COLLECTOR_HOST: '127.0.0.1',
        PULSE_LOG_LEVEL: 'info',
        ...options.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error('the collector could not start');
  live.add(child);
  let running = true;
  const exited = new Promise<void>((resolveExit) =>
    child.on('exit', () => {
      running = false;
      live.delete(child);
      resolveExit();
    }),
  );
  onCleanup(async () => {
    if (running) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-10_000);
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitFor(
    'the collector to be ready',
    async () => {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      return response.status === 200 ? true : undefined;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 100,
      failFast: () =>
        running ? undefined : new Error(`the collector exited before it was ready: ${stderr}`),
    },
  );
  return {
    pid: child.pid,
    url,
    logs,
    exited,
    kill(signal) {
      if (running) child.kill(signal);
    },
    async metric(name) {
      const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
      let total = 0;
      for (const line of (await response.text()).split('\n')) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (match?.[1] === name) total += Number(match[3]);
      }
      return total;
    },
  };
}
