/*
 * Events produced to the real topics become, in Redis, exactly the profiles the core predicts
 * (the oracle recomputes them from the events alone). Guards the whole path: JSON decode,
 * co-partitioned assignment, per-batch load/apply/CAS commit, positions kept in Redis.
 */
import { describe, expect, it } from 'vitest';
import { generatePopulation } from '@pulse/test-kit';
import type { CustomerEvent } from '@pulse/core';
import { connectedProducer } from '../support/infra.ts';
import { toMessages } from '../support/events.ts';
import {
  committedTotal,
  createProfilerTopics,
  expectedProfiles,
  readStoredState,
  settled,
  startTestProfiler,
  testProfilerConfig,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;

describe('profiler end to end', () => {
  it('turns produced events into the profiles the core predicts', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const population = generatePopulation({
      customers: 150,
      startMs: Date.UTC(2026, 0, 1),
      durationDays: 120,
      seed: 11,
      shuffleWithinMs: 6 * 3_600_000,
    });
    const events: CustomerEvent[] = [...population.events()];
    const producer = await connectedProducer();
    for (const batch of toMessages(events, topics)) {
      for (let i = 0; i < batch.messages.length; i += 2_000) {
        await producer.send({
          topic: batch.topic,
          acks: -1,
          messages: batch.messages.slice(i, i + 2_000),
        });
      }
    }

    // Small batches and a cache kept only 300 records or more behind: the tasks start with it
    // and drop it once within 60 of the end, as a caught-up production task does.
    const config = testProfilerConfig(topics, { maxEventsPerCommit: 100, profileCacheMinLag: 300 });
    const profiler = await startTestProfiler(config);
    await waitFor(
      `all ${events.length} events committed`,
      async () => {
        const state = await readStoredState(config, PARTITIONS);
        return committedTotal(state) === BigInt(events.length) ? state : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const state = await readStoredState(config, PARTITIONS);
    const partitionOf = new Map<string, number>();
    for (const [partition, stored] of state) {
      for (const customerId of stored.profiles.keys()) {
        expect(partitionOf.has(customerId), `${customerId} stored in two partitions`).toBe(false);
        partitionOf.set(customerId, partition);
      }
    }
    const streamTimeOf = (customerId: string): number =>
      state.get(partitionOf.get(customerId) ?? -1)?.streamTimeMs ?? 0;
    const expected = expectedProfiles(
      events,
      (customerId) => partitionOf.get(customerId) ?? -1,
      (partition) => state.get(partition)?.streamTimeMs ?? 0,
    );

    expect(new Set(partitionOf.keys())).toEqual(new Set(expected.keys()));
    for (const [customerId, profile] of expected) {
      const stored = state.get(partitionOf.get(customerId) as number)?.profiles.get(customerId);
      expect(stored, customerId).toBeDefined();
      const table = state.get(partitionOf.get(customerId) as number)?.populationHurdles ?? null;
      expect(
        settled(stored!, streamTimeOf(customerId), undefined, { population: table }),
        customerId,
      ).toEqual(profile);
    }
    // Each record is fetched and decoded about once: where the merge of the two inputs cuts a
    // topic that runs ahead, the rest of its fetch waits in memory instead of being fetched
    // again (seeking back read this log ~17 times over). Only a fetch that raced the claim's
    // seek may be read twice.
    const read = await profiler.metrics.registry.getSingleMetric('pulse_records_read_total')!.get();
    const recordsRead = read.values.reduce((sum, { value }) => sum + value, 0);
    expect(recordsRead).toBeGreaterThanOrEqual(events.length);
    expect(recordsRead).toBeLessThan(2 * events.length);
  });
});
