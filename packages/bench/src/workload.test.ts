import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '@pulse/core';
import {
  buildWorkload,
  planMix,
  trackerWire,
  wireJson,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from './workload.ts';
import { describeLog } from './produce.ts';

const DAY_MS = 86_400_000;
const RATES: Record<WorkloadKind, number> = {
  daily: 80,
  weekly: 17,
  monthly: 3,
  irregular: 12,
  'accelerating-buyer': 30,
};

describe('planMix', () => {
  it('leans towards monthly visitors when few events per customer must span the days', () => {
    const plan = planMix(5, 60, RATES);
    const total = WORKLOAD_KINDS.reduce((sum, kind) => sum + plan.shares[kind], 0);
    expect(total).toBeCloseTo(1);
    expect(plan.shares.monthly).toBeGreaterThan(0.9);
    expect(plan.shares.daily).toBeGreaterThan(0);
    expect(plan.shares['accelerating-buyer']).toBe(plan.shares.daily);
    // The expected events over the span are a little under the events asked for.
    const expected = WORKLOAD_KINDS.reduce((sum, kind) => sum + plan.shares[kind] * RATES[kind], 0);
    expect(expected).toBeLessThan(5);
    expect(expected).toBeGreaterThan(4.5);
    expect(plan.generatedDays).toBeGreaterThan(60);
  });

  it('spans longer than asked when there are more events than the equal mix makes', () => {
    const plan = planMix(200, 60, RATES);
    expect(plan.shares.monthly).toBeCloseTo(0.2);
    expect(plan.expectedSpanDays).toBeGreaterThan(60 * 2);
  });

  it('spans longer than asked when even monthly visitors make too many', () => {
    const plan = planMix(1, 60, RATES);
    expect(plan.shares.monthly).toBe(1);
    expect(plan.expectedSpanDays).toBeGreaterThanOrEqual(60);
  });
});

describe('buildWorkload', () => {
  // The drain must exercise timers: the cut log spans the days asked for, in event-time order,
  // with accelerating buyers among the customers.
  it('cuts a log that spans at least the minimum days, in event-time order', () => {
    const workload = buildWorkload({ customers: 1_000, events: 5_000, seed: 7 });
    let count = 0;
    let previous = Number.NEGATIVE_INFINITY;
    let first = Number.POSITIVE_INFINITY;
    const buyers = new Set<string>();
    for (const record of workload.records()) {
      expect(record.occurredAtMs).toBeGreaterThanOrEqual(previous);
      previous = record.occurredAtMs;
      first = Math.min(first, record.occurredAtMs);
      if (record.key.startsWith('cb')) buyers.add(record.key);
      count += 1;
    }
    expect(count).toBe(5_000);
    expect((previous - first) / DAY_MS).toBeGreaterThanOrEqual(60);
    expect(buyers.size).toBe(workload.counts['accelerating-buyer']);
    expect(buyers.size).toBeGreaterThan(0);
    expect(Object.values(workload.counts).reduce((sum, count) => sum + count, 0)).toBe(1_000);
  });

  it('describes a log that is not produced as the pre-producer counts it: events, bytes, customers, event time', () => {
    const workload = buildWorkload({ customers: 300, events: 3_000, seed: 7 });
    const records = [...workload.records()];
    const described = describeLog(records);
    expect(described).toEqual({
      events: 3_000,
      bytes: records.reduce((sum, record) => sum + record.value.length, 0),
      seconds: 0,
      customers: new Set(records.map((record) => record.key)).size,
      firstEventMs: Math.min(...records.map((record) => record.occurredAtMs)),
      lastEventMs: Math.max(...records.map((record) => record.occurredAtMs)),
    });
  });

  // The smoke run's size: a few regular customers more or less once left the log short.
  it('holds the events asked for at a tiny size', () => {
    const workload = buildWorkload({ customers: 300, events: 3_000, seed: 7 });
    let count = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const record of workload.records()) {
      count += 1;
      first = Math.min(first, record.occurredAtMs);
      last = Math.max(last, record.occurredAtMs);
    }
    expect(count).toBe(3_000);
    expect((last - first) / DAY_MS).toBeGreaterThanOrEqual(60);
  });
});

describe('wireJson', () => {
  const text = fc.string({ minLength: 1, maxLength: 12, unit: 'binary' });
  const at = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
  const event: fc.Arbitrary<CustomerEvent> = fc.oneof(
    fc.record(
      {
        kind: fc.constant('visit' as const),
        eventId: text,
        customerId: text,
        occurredAtMs: at,
        timeZone: fc.constantFrom('Europe/Paris', 'America/New_York'),
        source: fc.constantFrom('web', 'newsletter'),
      },
      { requiredKeys: ['kind', 'eventId', 'customerId', 'occurredAtMs'] },
    ),
    fc.record(
      {
        kind: fc.constant('purchase' as const),
        eventId: text,
        customerId: text,
        occurredAtMs: at,
        orderId: text,
        amountMinor: fc.integer({ min: 0, max: 10_000_000 }),
        currency: fc.constantFrom('EUR', 'USD'),
        timeZone: fc.constantFrom('Asia/Tokyo'),
      },
      {
        requiredKeys: [
          'kind',
          'eventId',
          'customerId',
          'occurredAtMs',
          'orderId',
          'amountMinor',
          'currency',
        ],
      },
    ),
  );

  it('spells every event as domainToWire and JSON.stringify would, hand-spelt or not', () => {
    fc.assert(
      fc.property(event, (value) => {
        expect(wireJson(value).toString('utf8')).toBe(JSON.stringify(trackerWire(value)));
      }),
      { numRuns: 2_000 },
    );
  });
});
