/*
 * A tracker outage must not become a lapse storm. Steady daily visitors, then no events at
 * all for a while, then the same traffic again. One day of silence is below every hurdle:
 * nothing fires. Six days is beyond every daily visitor's hurdle, so without the outage guard
 * every one of them would lapse when traffic resumes (and reactivate right after): the guard
 * must hold those lapses as explained by the input's silence and drop them once the customers
 * are back — zero signals on the topic, and the hold visible in the metrics.
 */
import { describe, expect, it } from 'vitest';
import { customerEventList } from '@pulse/test-kit';
import type { CustomerEvent } from '@pulse/core';
import { connectedProducer } from '../support/infra.ts';
import { toMessages } from '../support/events.ts';
import {
  committedTotal,
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
} from '../support/profiler.ts';
import { collectSignals } from '../support/signal-oracle.ts';
import { waitFor } from '../support/wait.ts';

const START_MS = Date.UTC(2026, 2, 1);
const CUSTOMERS = 30;
const PARTITIONS = 2;

function trafficWithOutage(outageDays: number): CustomerEvent[] {
  return Array.from({ length: CUSTOMERS }, (_, index) =>
    customerEventList({
      customerId: `daily-${index}`,
      startMs: START_MS,
      seed: 200 + index,
      segments: [
        { days: 40, visitEveryDays: 1 },
        { days: outageDays },
        { days: 20, visitEveryDays: 1 },
      ],
    }),
  )
    .flat()
    .sort((a, b) => a.occurredAtMs - b.occurredAtMs);
}

async function runThroughProfiler(events: CustomerEvent[]) {
  const topics = await createProfilerTopics(PARTITIONS);
  const producer = await connectedProducer();
  for (const batch of toMessages(events, topics)) {
    await producer.send({ topic: batch.topic, acks: -1, messages: batch.messages });
  }
  const received = await collectSignals([topics.lapse, topics.readyToBuy]);
  const config = testProfilerConfig(topics);
  const profiler = await startTestProfiler(config);
  await waitFor(
    'all events committed',
    async () =>
      committedTotal(await readStoredState(config, PARTITIONS)) === BigInt(events.length)
        ? true
        : undefined,
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  const metric = async (name: string): Promise<number> => {
    const metrics = await profiler.metrics.registry.getMetricsAsJSON();
    return (metrics.find((entry) => entry.name === name)?.values ?? []).reduce(
      (sum, value) => sum + Number(value.value),
      0,
    );
  };
  return { received, metric };
}

describe('outage guard', () => {
  it('a one-day tracker outage produces no lapse at all', async () => {
    const { received, metric } = await runThroughProfiler(trafficWithOutage(1));
    // Let the relay drain whatever the commits put in the outbox before judging.
    await waitFor('relay idle', async () =>
      (await metric('pulse_events_applied_total')) > 0 ? true : undefined,
    );
    expect(received.filter((signal) => signal.kind === 'lapsed')).toEqual([]);
    expect(await metric('pulse_signals_total')).toBe(0);
  });

  it('holds the storm a six-day outage would cause, and drops it when the customers are back', async () => {
    const { received, metric } = await runThroughProfiler(trafficWithOutage(6));
    // Every daily visitor's lapse was decided (the profile keeps the episode) but held ...
    await waitFor('every lapse held', async () =>
      (await metric('pulse_signals_held_total')) >= CUSTOMERS ? true : undefined,
    );
    // ... and discarded with its reactivation, since every customer came back.
    await waitFor('every hold discarded', async () =>
      (await metric('pulse_signals_held_discarded_total')) >= CUSTOMERS ? true : undefined,
    );
    expect(await metric('pulse_signals_held_released_total')).toBe(0);
    // Nothing reached the outbox, so nothing can reach the topics.
    expect(await metric('pulse_signals_total')).toBe(0);
    expect(received).toEqual([]);
  });
});
