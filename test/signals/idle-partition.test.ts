/*
 * Absence is detected by timers that run on stream time. A partition whose only customer went
 * silent gets no more events, so its own clock stops; the guard here is that it follows the
 * group (the low watermark of the active partitions, or the group's frontier once all are
 * quiet), so the lonely customer still lapses — late by a bounded delay, never never.
 * Without the idle rule this test fails: partition 1's clock would stay at its last event.
 */
import { describe, expect, it } from 'vitest';
import { META_FIELDS, partitionKeys } from '@pulse/store';
import { customerEventList } from '@pulse/test-kit';
import type { CustomerEvent } from '@pulse/core';
import { connectedProducer, testRedisClient } from '../support/infra.ts';
import { toWire } from '../support/events.ts';
import {
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
} from '../support/profiler.ts';
import { collectSignals } from '../support/signal-oracle.ts';
import { waitFor } from '../support/wait.ts';

const START_MS = Date.UTC(2026, 1, 1);
const DAY_MS = 86_400_000;

describe('idle partitions', () => {
  it('fire the timers of a customer alone on a quiet partition once the others move on', async () => {
    const topics = await createProfilerTopics(2);
    const lonely = customerEventList({
      customerId: 'lonely',
      startMs: START_MS,
      seed: 3,
      segments: [{ days: 30, visitEveryDays: 1 }],
    });
    const busy = Array.from({ length: 15 }, (_, index) =>
      customerEventList({
        customerId: `busy-${index}`,
        startMs: START_MS,
        seed: 50 + index,
        segments: [{ days: 70, visitEveryDays: 1 }],
      }),
    ).flat();
    // Explicit partitions: the lonely customer alone on partition 1, everyone else on 0.
    const producer = await connectedProducer();
    const send = async (events: CustomerEvent[], partition: number) => {
      for (let i = 0; i < events.length; i += 1_000) {
        await producer.send({
          topic: topics.visits,
          acks: -1,
          messages: events.slice(i, i + 1_000).map((event) => ({
            key: event.customerId,
            partition,
            value: JSON.stringify(toWire(event)),
          })),
        });
      }
    };
    await send(lonely, 1);
    await send(busy, 0);

    const received = await collectSignals([topics.lapse]);
    const config = testProfilerConfig(topics, { idleAfterMs: 1_000 });
    await startTestProfiler(config);

    const lapse = await waitFor(
      "the lonely customer's lapse",
      () => received.find((signal) => signal.customerId === 'lonely' && signal.kind === 'lapsed'),
      { timeoutMs: 60_000 },
    );
    const lastActiveDayEndMs = (Math.floor(lonely.at(-1)!.occurredAtMs / DAY_MS) + 1) * DAY_MS;
    const silentDays = (Date.parse(lapse.detectedAt) - lastActiveDayEndMs) / DAY_MS;
    expect(silentDays).toBeGreaterThanOrEqual(lapse.evidence.hurdleDays as number);
    expect(silentDays).toBeLessThan(14);

    // The quiet partition's clock followed the busy one, and never ran past it.
    const state = await readStoredState(config, 2);
    const quiet = state.get(1)?.streamTimeMs ?? 0;
    const busyClock = state.get(0)?.streamTimeMs ?? 0;
    expect(quiet).toBeGreaterThan(lonely.at(-1)!.occurredAtMs);
    expect(quiet).toBeLessThanOrEqual(busyClock);
    expect(received.filter((signal) => signal.customerId.startsWith('busy-'))).toEqual([]);
  });

  it('leave a partition that has applied nothing where it is, so its first events are on time', async () => {
    // A live stream that reaches one partition later than the others (found by the demo): the
    // empty partition holds no customer and no timer, so it has no reason to follow the group;
    // had its clock followed, the newcomer's first days would all be applied late.
    const topics = await createProfilerTopics(2);
    const busy = Array.from({ length: 5 }, (_, index) =>
      customerEventList({
        customerId: `busy-${index}`,
        startMs: START_MS,
        seed: 70 + index,
        segments: [{ days: 40, visitEveryDays: 1 }],
      }),
    ).flat();
    const newcomer = customerEventList({
      customerId: 'newcomer',
      startMs: START_MS + 20 * DAY_MS,
      seed: 9,
      segments: [{ days: 5, visitEveryDays: 1 }],
    });
    const producer = await connectedProducer();
    const send = async (events: CustomerEvent[], partition: number) => {
      await producer.send({
        topic: topics.visits,
        acks: -1,
        messages: events.map((event) => ({
          key: event.customerId,
          partition,
          value: JSON.stringify(toWire(event)),
        })),
      });
    };
    await send(busy, 0);
    const idleAfterMs = 500;
    const config = testProfilerConfig(topics, { idleAfterMs });
    await startTestProfiler(config);

    // Partition 0 drained and quiet for longer than idleAfterMs plus a few ticks: every tick
    // since start-up has asked whether partition 1 is idle.
    const redis = testRedisClient();
    try {
      const meta0 = partitionKeys(config.namespace, 0, config.keyPrefix).meta;
      await waitFor(
        'partition 0 drained and quiet',
        async () => {
          const state = await readStoredState(config, 2);
          if (state.get(0)?.offsets.get(topics.visits) !== String(busy.length)) return undefined;
          const lastWall = Number(await redis.hget(meta0, META_FIELDS.lastEventWallMs));
          return Date.now() - lastWall > idleAfterMs + 5 * config.tickIntervalMs ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );
    } finally {
      redis.disconnect();
    }
    expect((await readStoredState(config, 2)).get(1)?.streamTimeMs ?? null).toBeNull();

    await send(newcomer, 1);
    const profile = await waitFor(
      "the newcomer's events applied",
      async () => {
        const state = await readStoredState(config, 2);
        return state.get(1)?.offsets.get(topics.visits) === String(newcomer.length)
          ? state.get(1)?.profiles.get('newcomer')
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(profile.lateEvents).toBe(0);
    expect(profile.lastVisitMs).toBe(newcomer.at(-1)!.occurredAtMs);
  });
});
