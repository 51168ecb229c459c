/*
 * `pulse promote v2` while events keep arriving. A live profiler that follows the
 * live namespace runs in v1; a replay in --follow mode keeps v2 current; v2 is promoted in the
 * middle of the stream. The live profiler must drop its v1 tasks and re-open them in v2
 * (its claims fence the replay, it seeks to v2's stored positions): afterwards v2 must hold
 * every event exactly once — committed positions equal to the log ends and every profile
 * equal to the oracle's one clean pass (an event lost or applied twice changes its
 * customer's counters) — and v1 must have stopped short of the end (the switch happened
 * while events were still arriving, and the rest went to v2 only).
 */
import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '@pulse/core';
import { promoteNamespace, readNamespacePositions } from '@pulse/store';
import { generatePopulation } from '@pulse/test-kit';
import { produceStream } from '../support/events.ts';
import {
  connectedAdmin,
  connectedProducer,
  createTestTopics,
  uniqueName,
  testRedisClient,
} from '../support/infra.ts';
import {
  committedTotal,
  expectProfilesMatchOracle,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
  type ProfilerTopics,
} from '../support/profiler.ts';
import { inNamespace, replayInProcess, waitForNamespaceDone } from '../support/replay.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 3;
const HOUR_MS = 3_600_000;

describe('pulse promote while events keep arriving', () => {
  it('switches the live profiler to v2 with no event lost or counted twice', async () => {
    const [visits, purchases, traits, lapse, readyToBuy, deadLetter] = (await createTestTopics([
      { prefix: 'visits', partitions: PARTITIONS },
      { prefix: 'purchases', partitions: PARTITIONS },
      { prefix: 'traits', partitions: PARTITIONS },
      { prefix: 'lapse', partitions: 1 },
      { prefix: 'rtb', partitions: 1 },
      { prefix: 'dlq', partitions: 1 },
    ])) as [string, string, string, string, string, string];
    const topics: ProfilerTopics = { visits, purchases, traits, lapse, readyToBuy, deadLetter };
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 300,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 90,
        seed: 53,
        shuffleWithinMs: 6 * HOUR_MS,
      }).events(),
    ];
    const firstPart = events.slice(0, Math.floor(events.length * 0.4));
    const secondPart = events.slice(firstPart.length, Math.floor(events.length * 0.7));
    const lastPart = events.slice(firstPart.length + secondPart.length);
    // About half a day of event time per chunk: well inside the allowed lateness.
    const stream = { chunkEvents: 70, pauseMs: 20 };
    const producer = await connectedProducer();
    const admin = await connectedAdmin();

    const live = testProfilerConfig(topics, {
      followLiveNamespace: true,
      idleAfterMs: 600_000,
    });
    await startTestProfiler(live);
    await produceStream(producer, firstPart, topics, stream);

    const v2 = inNamespace(live, 'v2', { groupId: uniqueName('replay'), signalMode: 'suppress' });
    // It checks for the promotion once a second (as the CLI does): after the switch its tasks
    // and the live profiler's fence each other for a while, which must not lose anything.
    const replay = replayInProcess(v2, { follow: true, progressIntervalMs: 1_000 });
    let replayFailed: Error | undefined;
    replay.catch((error: unknown) => {
      replayFailed = error as Error;
    });
    // v2 is current with what was produced so far before it is promoted.
    const redis = testRedisClient();
    try {
      const ends = await Promise.all(
        [visits, purchases].map(
          async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const,
        ),
      );
      await waitFor(
        'the follow-mode replay to catch up with the first part',
        async () => {
          const stored = await readNamespacePositions(redis, 'v2', PARTITIONS, live.keyPrefix);
          for (const [topic, offsets] of ends)
            for (const { partition, high } of offsets)
              if (high !== '0' && stored.get(partition)?.get(topic) !== high) return undefined;
          return true;
        },
        { timeoutMs: 60_000, failFast: () => replayFailed },
      );

      let promotion: Promise<string> | undefined;
      await produceStream(producer, secondPart, topics, {
        ...stream,
        onChunk(sent) {
          if (!promotion && sent >= secondPart.length / 2)
            promotion = promoteNamespace(redis, 'v2', live.keyPrefix);
        },
      });
      expect(await promotion).toBe('v1');
      // The replay sees the promotion and stops; from now on only the live profiler writes v2.
      expect((await replay).stoppedBecause).toBe('promoted');
      await produceStream(producer, lastPart, topics, stream);
    } finally {
      redis.disconnect();
    }

    await waitForNamespaceDone(admin, v2, PARTITIONS, 90_000);
    const state = await readStoredState(v2, PARTITIONS);
    expect(committedTotal(state)).toBe(BigInt(events.length));
    expectProfilesMatchOracle(events, state);
    const v1Total = committedTotal(await readStoredState(live, PARTITIONS));
    expect(v1Total, 'v1 positions: the live profiler left v1 before the end').toBeLessThan(
      BigInt(events.length - lastPart.length),
    );
  });
});
