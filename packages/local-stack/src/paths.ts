import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the folder holding the root package.json with the workspaces. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'infra', 'kafka', 'pom.xml'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the Pulse repository root (infra/kafka/pom.xml)');
    dir = parent;
  }
  return dir;
}

/** Git-ignored cache of downloaded jars and distributions; survives between runs. */
export function cacheDir(): string {
  return process.env.PULSE_CACHE_DIR
    ? resolve(process.env.PULSE_CACHE_DIR)
    : join(repoRoot(), '.cache');
}

/** Git-ignored working state of a stack started by `pulse infra up` (pids, logs, data). */
export function stateDir(): string {
  return process.env.PULSE_STATE_DIR
    ? resolve(process.env.PULSE_STATE_DIR)
    : join(repoRoot(), '.pulse');
}
