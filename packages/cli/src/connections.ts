import { loadConnectionEnv, type ConnectionEnv } from '@pulse/config';
import { readStackState } from '@pulse/local-stack';

/**
 * Connection settings for a CLI command: the environment wins; a setting it lacks is taken
 * from the local stack that `pulse infra up` started, if one runs. So both
 * `eval "$(npx pulse infra up)"` (shell variables) and a plain `npx pulse infra up` work.
 */
export function resolveConnectionEnv(env: NodeJS.ProcessEnv = process.env): ConnectionEnv {
  const stack = readStackState();
  return loadConnectionEnv({ ...(stack?.settings ?? {}), ...env });
}
