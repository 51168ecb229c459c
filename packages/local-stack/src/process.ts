import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface StartedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Set when the process has exited (code or signal). */
  exited: () => string | undefined;
}

/**
 * Starts a long-running server process with its output in a log file. `detached` puts it in
 * its own process group, so `pulse infra up` can return while the server keeps running.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; logFile: string; detached: boolean; env?: NodeJS.ProcessEnv },
): StartedProcess {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: options.detached,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exitReason: string | undefined;
  child.on('exit', (code, signal) => {
    exitReason = `${name} exited (${signal ?? `code ${code}`}); see ${options.logFile}`;
  });
  child.on('error', (error) => {
    exitReason = `${name} could not start: ${error.message}`;
  });
  if (options.detached) child.unref();
  if (child.pid === undefined) throw new Error(`${name} could not start (${command})`);
  return { name, pid: child.pid, child, logFile: options.logFile, exited: () => exitReason };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if the process is still there. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
