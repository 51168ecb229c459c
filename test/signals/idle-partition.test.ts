/*
 * Absence is detected by timers that run on stream time. A partition whose only customer went
 * silent gets no more events, so its own clock stops; the guard here is that it follows the
 * group (the low watermark of the active partitions, or the group's frontier once all are
 * quiet), so the lonely customer still lapses — late by a bounded delay, never never.
 * Without the idle rule this test fails: partition 1's clock would stay at its last event.
 */
import { describe, expect, it } from 'vitest';
import { customerEventList } from '@pulse/test-kit';
import type { CustomerEvent } from '@pulse/core';
import { connectedProducer } from '../support/infra.ts';
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
    const config = testProfilerConfig(topics, { idleAfterMs: 1_000, outageGapMs: 20 * 3_600_000 });
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
});
