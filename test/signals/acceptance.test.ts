/*
 * The product's acceptance scenarios driven through the real broker and Redis, with background
 * traffic that keeps every partition's stream time moving: each expected signal appears on its
 * topic exactly once (counted by signalId), with its evidence, and nothing unexpected appears.
 * The expectation comes from the core alone (the signal oracle), and the scenarios are also
 * checked by hand (one lapse for the daily visitor, none for the weekly one silent 10 days …).
 */
import { describe, expect, it } from 'vitest';
import { customerEventList, type CustomerScript, type RhythmSegment } from '@pulse/test-kit';
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
import { collectSignals, expectedSignals } from '../support/signal-oracle.ts';
import { waitFor } from '../support/wait.ts';

const START_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const PARTITIONS = 3;
const TOTAL_DAYS = 220;

function customer(customerId: string, segments: RhythmSegment[], seed = 5): CustomerEvent[] {
  const script: CustomerScript = { customerId, startMs: START_MS, seed, segments };
  return customerEventList(script);
}

describe('signals through Kafka', () => {
  it('emits each expected signal exactly once, with its evidence, and nothing else', async () => {
    const scenario: CustomerEvent[] = [
      // Daily for 60 days, then silent: one lapse, within two weeks.
      ...customer('daily-lapser', [{ days: 60, visitEveryDays: 1, maxVisitsPerActiveDay: 2 }]),
      // Weekly, one 10-day gap, weekly again: no lapse.
      ...customer('weekly-gap10', [
        { days: 141, visitEveryDays: 7 },
        { days: 10 },
        { days: 60, visitEveryDays: 7 },
      ]),
      // Weekly, then silent for good: a lapse after about five weeks at most.
      ...customer('weekly-lapser', [{ days: 141, visitEveryDays: 7 }]),
      // Daily, silent 20 days, daily again, silent again: lapse, reactivation, a second lapse.
      ...customer('returner', [
        { days: 60, visitEveryDays: 1 },
        { days: 20 },
        { days: 40, visitEveryDays: 1 },
      ]),
      // Buys every 30 days, visits every 3; visits speed up 18 days after the last purchase.
      ...customer('buyer', [
        { days: 121, visitEveryDays: 3, purchaseEveryDays: 30 },
        { days: 17, visitEveryDays: 3 },
        { days: 20, visitEveryDays: 1 },
      ]),
    ];
    // Background: steady daily visitors to the end, so every partition's clock keeps moving.
    const background = Array.from({ length: 30 }, (_, index) =>
      customer(`steady-${index}`, [{ days: TOTAL_DAYS, visitEveryDays: 1 }], 100 + index),
    ).flat();
    const events = [...scenario, ...background].sort((a, b) => a.occurredAtMs - b.occurredAtMs);

    const topics = await createProfilerTopics(PARTITIONS);
    const received = await collectSignals([topics.lapse, topics.readyToBuy]);
    const config = testProfilerConfig(topics);
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
    const profiler = await startTestProfiler(config);
    const state = await waitFor(
      'all events committed',
      async () => {
        const stored = await readStoredState(config, PARTITIONS);
        return committedTotal(stored) === BigInt(events.length) ? stored : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );

    const partitionOf = new Map<string, number>();
    for (const [partition, stored] of state) {
      for (const customerId of stored.profiles.keys()) partitionOf.set(customerId, partition);
    }
    const expected = expectedSignals(
      events,
      (customerId) => partitionOf.get(customerId) ?? -1,
      (partition) => state.get(partition)?.streamTimeMs ?? 0,
    );
    await waitFor(
      `all ${expected.size} expected signals`,
      () =>
        new Set(received.map((signal) => signal.signalId)).size >= expected.size ? true : undefined,
      { timeoutMs: 30_000 },
    );

    // Exactly once each, nothing unexpected.
    const ids = received.map((signal) => signal.signalId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(expected.keys()));
    for (const signal of received) {
      const oracle = expected.get(signal.signalId)!;
      expect(signal.kind).toBe(oracle.kind);
      expect(signal.customerId).toBe(oracle.customerId);
      expect(signal.topic).toBe(signal.kind === 'ready_to_buy' ? topics.readyToBuy : topics.lapse);
      if (signal.kind !== 'reactivated') {
        expect(signal.detectedAt).toBe(new Date(oracle.detectedAtMs).toISOString());
        expect(signal.evidence).toEqual(oracle.evidence);
      }
    }

    // Measured, not asserted: stream time passing a due time → signal acknowledged on its topic.
    const delay = (await profiler.metrics.registry.getMetricsAsJSON()).find(
      (metric) => metric.name === 'pulse_signal_delay_seconds',
    );
    console.log('signal delay histogram (s):', JSON.stringify(delay?.values));

    // The scenarios, by hand.
    const kindsOf = (customerId: string) =>
      received
        .filter((signal) => signal.customerId === customerId)
        .sort((a, b) => a.detectedAt.localeCompare(b.detectedAt))
        .map((signal) => signal.kind);
    expect(kindsOf('daily-lapser')).toEqual(['lapsed']);
    const dailyLapse = received.find((signal) => signal.customerId === 'daily-lapser')!;
    expect(dailyLapse.evidence.usualLatencyDays).toBe(1);
    const silentDays = (Date.parse(dailyLapse.detectedAt) - (START_MS + 60 * DAY_MS)) / DAY_MS;
    expect(silentDays).toBeGreaterThanOrEqual(dailyLapse.evidence.hurdleDays as number);
    expect(silentDays).toBeLessThan(14);
    expect(kindsOf('weekly-gap10')).toEqual([]);
    expect(kindsOf('weekly-lapser')).toEqual(['lapsed']);
    expect(kindsOf('returner')).toEqual(['lapsed', 'reactivated', 'lapsed']);
    const returnerLapses = received.filter(
      (s) => s.customerId === 'returner' && s.kind === 'lapsed',
    );
    expect(returnerLapses[0]!.signalId).not.toBe(returnerLapses[1]!.signalId);
    // The buyer's script ends on day 158 while the background runs on: it lapses afterwards.
    expect(kindsOf('buyer')).toEqual(['ready_to_buy', 'lapsed']);
    const ready = received.find(
      (signal) => signal.customerId === 'buyer' && signal.kind === 'ready_to_buy',
    )!;
    expect(ready.evidence.reasons).toBe('visitAcceleration,repurchaseWindow');
    expect(received.filter((signal) => signal.customerId.startsWith('steady-'))).toEqual([]);
  });
});
