// The profiler and the collector as the user would run them: `pulse run …` child processes,
// configured by environment variables, logging to files. They run in their own process group
// so that a Ctrl-C reaches the demo alone, which then stops them in order.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isAlive, stopPid } from '@pulse/local-stack';

const PULSE_BIN = fileURLToPath(new URL('../../../bin/pulse.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Why it exited, once it has. */
  exited(): string | undefined;
  /** SIGTERM, then SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
  /** The end of its log, for error messages. */
  logTail(lines?: number): string;
}

export function startService(options: {
  name: string;
  args: string[];
  /** Flags for node itself (the launcher's first line has them when run as `npx pulse`). */
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
}): ServiceProcess {
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), PULSE_BIN, ...options.args], {
    cwd: REPO_ROOT,
    env: options.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exitReason: string | undefined;
  child.on('exit', (code, signal) => {
    exitReason = `${options.name} exited (${signal ?? `code ${code}`}); log: ${options.logFile}`;
  });
  child.on('error', (error) => {
    exitReason = `${options.name} could not start: ${error.message}`;
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`${options.name} could not start`);
  const pid = child.pid;
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited: () => exitReason,
    stop: (graceMs = 25_000) => (isAlive(pid) ? stopPid(pid, graceMs) : Promise.resolve()),
    logTail(lines = 15) {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

/** Polls `url` until it answers 200; fails as soon as the service exits or the run is aborted. */
export async function waitUntilReady(
  service: ServiceProcess,
  url: string,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal.throwIfAborted();
    const exited = service.exited();
    if (exited) throw new Error(`${exited}\n${service.logTail()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${service.name} did not become ready within ${options.timeoutMs / 1000}s; log: ${service.logFile}\n${service.logTail()}`,
      );
    }
    await sleep(200);
  }
}
