/*
 * `pulse forget <customerId>` deletes the customer's state in every namespace and
 * records the (hashed) id, so neither the live profiler (their events keep coming) nor a later
 * replay of the whole log (their past events are still in Kafka) brings them back. Everyone
 * else is untouched: the replay holds exactly the profiles of a clean pass over the log without
 * the forgotten customer, and the live namespace the same customers.
 *
 * Not "the replay equals the live namespace" any more: the live partition's population
 * statistics counted the forgotten customer's gaps while they were a customer (the aggregate
 * keeps no one's data, and cannot be unpicked), a replay never sees them, so a decision that
 * read the population's hurdle — a one-time visitor's lapse — may fall a day apart.
 */
import { describe, expect, it } from 'vitest';
import { forgottenKey, hashCustomerId } from '@pulse/store';
import { runPulse } from '../support/cli.ts';
import { connectedProducer, uniqueName, testRedisClient } from '../support/infra.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  readStoredState,
} from '../support/profiler.ts';
import {
  cliEnv,
  inNamespace,
  produceLog,
  replayInProcess,
  replayPopulation,
  runLiveToEnd,
  waitForNamespaceDone,
} from '../support/replay.ts';

const PARTITIONS = 2;

describe('pulse forget', () => {
  it('removes a customer everywhere; neither new events nor a replay resurrect them', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const events = replayPopulation({ customers: 60, durationDays: 60, seed: 17 });
    const { admin, live, profiler } = await runLiveToEnd(topics, events, PARTITIONS);
    const producer = await connectedProducer();

    const forgotten = events[0]!.customerId;
    const env = cliEnv(live);
    expect((await runPulse(['profile', forgotten, '--json'], env)).code).toBe(0);
    const result = await runPulse(['forget', forgotten], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`forgot ${forgotten} in 1 namespace\\(s\\): 1 profile`),
    );
    const gone = await runPulse(['profile', forgotten], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no profile for customer/);
    const redis = testRedisClient();
    try {
      // The record holds a hash, not the id.
      const members = await redis.smembers(forgottenKey(live.keyPrefix));
      expect(members).toEqual([hashCustomerId(forgotten)]);
    } finally {
      redis.disconnect();
    }

    // Their events keep arriving: the live profiler consumes them and applies none.
    const later = events
      .filter((event) => event.customerId === forgotten)
      .slice(-5)
      .map((event, index) => ({ ...event, eventId: `${event.eventId}-again-${index}` }));
    await produceLog(producer, later, topics);
    await waitForNamespaceDone(admin, live, PARTITIONS);
    const forgottenCount = async () =>
      (
        await profiler.metrics.registry.getSingleMetric('pulse_events_forgotten_total')?.get()
      )?.values.reduce((sum, sample) => sum + sample.value, 0) ?? 0;
    expect(await forgottenCount()).toBe(later.length);

    const replayed = await replayInProcess(
      inNamespace(live, 'v2', { groupId: uniqueName('replay'), signalMode: 'suppress' }),
    );
    expect(replayed.stoppedBecause).toBe('caught-up');
    const skipped = await replayed.metrics.registry
      .getSingleMetric('pulse_events_forgotten_total')
      ?.get();
    expect(skipped?.values.reduce((sum, sample) => sum + sample.value, 0)).toBe(
      events.filter((event) => event.customerId === forgotten).length + later.length,
    );

    const v1 = await readStoredState(live, PARTITIONS);
    const v2 = await readStoredState(inNamespace(live, 'v2'), PARTITIONS);
    for (const state of [v1, v2])
      for (const partition of state.values()) expect(partition.profiles.has(forgotten)).toBe(false);
    const others = new Set(events.map((event) => event.customerId));
    others.delete(forgotten);
    expectProfilesMatchOracle(
      events.filter((event) => event.customerId !== forgotten),
      v2,
    );
    const customersOf = (state: typeof v1) =>
      new Set([...state.values()].flatMap((partition) => [...partition.profiles.keys()]));
    expect(customersOf(v1)).toEqual(others);
    expect(customersOf(v2)).toEqual(others);
  });
});
