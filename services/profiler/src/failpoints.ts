import { z } from 'zod';

/**
 * Failure injection for fault tests — a test-only hook, never set in a deployment. A crash at a
 * random moment rarely lands in the narrow windows where exactly-once could break (between two
 * writes that must agree), so the fault tests name the window instead: with
 * `PULSE_TEST_FAILPOINT=<name>[@<n>]` (read once at start) the process stops itself the n-th
 * time (default the first) it reaches that point, with a signal no handler can soften:
 *
 * - `kill-after-commit`: SIGKILL after a batch's Redis commit, before its Kafka position hint;
 * - `kill-after-relay-produce`: SIGKILL after the relay's produce was acknowledged, before the
 *   outbox entries are trimmed;
 * - `stop-before-commit`: SIGSTOP just before a batch's compare-and-set commit; the test resumes
 *   it with SIGCONT (after the session timeout, it is a zombie holding a batch);
 * - `stop-before-outbox-commit`: the same, counting only commits that write outbox entries.
 *
 * Unset (always, outside tests), every check is one comparison.
 */
export const FAILPOINTS = [
  'kill-after-commit',
  'kill-after-relay-produce',
  'stop-before-commit',
  'stop-before-outbox-commit',
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

const failpointSetting = z
  .string()
  .regex(/^[a-z-]+(@[1-9][0-9]*)?$/, 'use <name> or <name>@<n>')
  .transform((text) => {
    const [name, count] = text.split('@') as [string, string | undefined];
    return { name, hitNumber: count === undefined ? 1 : Number(count) };
  })
  .pipe(z.object({ name: z.enum(FAILPOINTS), hitNumber: z.number().int().min(1) }));

export interface Failpoints {
  /** Called at the named point; stops the process when it is the armed one's n-th hit. */
  reach(name: FailpointName): void;
}

export const noFailpoints: Failpoints = { reach: () => undefined };

/** Pure: the armed failpoint of a PULSE_TEST_FAILPOINT value (undefined: none). */
export function parseFailpoint(
  text: string | undefined,
): { name: FailpointName; hitNumber: number } | undefined {
  if (text === undefined || text === '') return undefined;
  const parsed = failpointSetting.safeParse(text);
  if (!parsed.success) {
    throw new Error(
      `invalid PULSE_TEST_FAILPOINT "${text}": ${parsed.error.issues.map((issue) => issue.message).join('; ')} (one of ${FAILPOINTS.join(', ')})`,
    );
  }
  return parsed.data;
}

export function failpointsFromEnv(
  env: NodeJS.ProcessEnv,
  onFire: (name: FailpointName) => void = () => undefined,
): Failpoints {
  const armed = parseFailpoint(env.PULSE_TEST_FAILPOINT);
  if (armed === undefined) return noFailpoints;
  let hits = 0;
  return {
    reach(name) {
      if (name !== armed.name) return;
      hits += 1;
      if (hits !== armed.hitNumber) return;
      onFire(name);
      process.kill(process.pid, name.startsWith('kill-') ? 'SIGKILL' : 'SIGSTOP');
    },
  };
}

/** The store with the commit failpoints in front of its commit (unchanged when none is armed). */
export function withCommitFailpoints<T extends { commit(batch: { outbox: string[] }): unknown }>(
  store: T,
  failpoints: Failpoints,
): T {
  if (failpoints === noFailpoints) return store;
  const commit = store.commit.bind(store);
  store.commit = ((batch: { outbox: string[] }) => {
    failpoints.reach('stop-before-commit');
    if (batch.outbox.length > 0) failpoints.reach('stop-before-outbox-commit');
    return commit(batch);
  }) as T['commit'];
  return store;
}
