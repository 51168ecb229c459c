/*
 * a replay of the whole log into a new namespace, signals suppressed, rebuilds
 * exactly the live profiles and puts nothing on the live signal topics; then the CLI reads a
 * profile from either namespace, promotes the new one and drops the old one.
 *
 * The live run and the replay differ in what must not matter: the live profiler met the log
 * while it was being written... here it is preloaded, so they differ in the consumer group,
 * the batch boundaries and the run (two separate processes). idleAfterMs is long so neither
 * moves a quiet partition's clock by the wall clock; the outage guard runs with its defaults
 * (the generated log has no outage in it).
 */
import { describe, expect, it } from 'vitest';
import { namespaceKeyPattern } from '@pulse/store';
import { testRedisClient } from '../support/infra.ts';
import { runPulse } from '../support/cli.ts';
import { createProfilerTopics, readStoredState } from '../support/profiler.ts';
import {
  cliEnv,
  expectTwinNamespaces,
  inNamespace,
  recordsOn,
  replayPopulation,
  runLiveToEnd,
} from '../support/replay.ts';

const PARTITIONS = 4;

describe('pulse replay into a new namespace', () => {
  it('rebuilds every live profile with zero messages on the live signal topics; profile, promote, drop', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const events = replayPopulation({
      customers: 160,
      durationDays: 120,
      seed: 71,
      lapseShare: 0.5,
      returnShare: 0.5,
    });
    const { admin, live } = await runLiveToEnd(topics, events, PARTITIONS);
    const liveSignals =
      (await recordsOn(admin, topics.lapse)) + (await recordsOn(admin, topics.readyToBuy));
    // The log has lapses in it: a replay that leaked signals would have something to leak.
    expect(liveSignals, 'signals of the live run').toBeGreaterThan(20);

    const env = cliEnv(live);
    const replay = await runPulse(['replay', '--namespace', 'v2', '--signals', 'suppress'], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/replay v2 caught-up: \d+ events/);
    // Not a terminal: plain log lines with each partition's position against its end.
    expect(replay.stdout).toMatch(/p0=(\d+)\/\1 p1=(\d+)\/\2 p2=(\d+)\/\3 p3=(\d+)\/\4/);

    const v1 = await readStoredState(live, PARTITIONS);
    const v2Config = inNamespace(live, 'v2');
    const v2 = await readStoredState(v2Config, PARTITIONS);
    const customers = new Set(events.map((event) => event.customerId));
    expect(expectTwinNamespaces(v1, v2)).toBe(customers.size);
    expect(
      (await recordsOn(admin, topics.lapse)) + (await recordsOn(admin, topics.readyToBuy)),
      'messages on the live signal topics after the replay',
    ).toBe(liveSignals);

    // `pulse profile` finds the customer's partition with the producers' partitioner.
    const [partition, stored] = [...v2].find(([, state]) => state.profiles.size > 0)!;
    const customerId = [...stored.profiles.keys()][0]!;
    const shown = await runPulse(['profile', customerId, '--namespace', 'v2', '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    const view = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(view).toMatchObject({
      customerId,
      namespace: 'v2',
      partition,
      streamTimeMs: stored.streamTimeMs,
      asOfMs: stored.streamTimeMs,
      lifetime: { visits: stored.profiles.get(customerId)!.lifetimeVisits },
    });
    expect(['active', 'lapsed', 'unknown']).toContain(view.status);
    const human = await runPulse(['profile', customerId], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/namespace\s+v1 \(partition \d+\)/);
    expect(human.stdout).toMatch(/usual latency\s+/);
    const unknown = await runPulse(['profile', 'nobody-at-all'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no profile for customer nobody-at-all in namespace v1/);

    // Promote, then drop the old namespace (the live one is refused).
    const promoted = await runPulse(['promote', 'v2'], env);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/live namespace: v2 \(was v1\)/);
    const refused = await runPulse(['namespace', 'drop', 'v2'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/v2 is live/);
    const dropped = await runPulse(['namespace', 'drop', 'v1'], env);
    expect(dropped.code, dropped.stderr).toBe(0);
    const redis = testRedisClient();
    try {
      const [, left] = await redis.scan(
        '0',
        'MATCH',
        namespaceKeyPattern('v1', live.keyPrefix),
        'COUNT',
        10_000,
      );
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(expectTwinNamespaces(v2, await readStoredState(v2Config, PARTITIONS))).toBe(
      customers.size,
    );
  });
});
