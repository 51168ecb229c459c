/*
 * The outage guard, case by case, on whole partition logs run through the partition step.
 *
 * The guard must tell a tracker outage (silence at hours that normally carry traffic) from a
 * partition's normal quiet: nights, and order systems that stamp every purchase with a date.
 * It once used a fixed gap (2 hours of event time without an event): every night, and every day
 * boundary of date-stamped purchases, counted as an outage, and nearly every lapse was held for
 * about two days. Now each input learns its traffic per hour of the week, and only a silence
 * that traffic makes improbable counts.
 */
import { customerEventList, type RhythmSegment } from '@pulse/test-kit';
import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '../events.ts';
import { DAY_MS, dayOf } from '../time.ts';
import { published, runPartitionLog } from './test-support.ts';

const START_MS = Date.UTC(2025, 3, 7);

function customers(
  prefix: string,
  count: number,
  segments: (index: number) => RhythmSegment[],
): CustomerEvent[] {
  return Array.from({ length: count }, (_, index) =>
    customerEventList({
      customerId: `${prefix}${index}`,
      startMs: START_MS,
      seed: 100 + index,
      segments: segments(index),
    }),
  ).flat();
}

/** The same events, stamped with the start (or noon) of their UTC day, as date-only systems do. */
function dateOnly(events: CustomerEvent[], hourOfDay: number): CustomerEvent[] {
  return events.map((event) => ({
    ...event,
    occurredAtMs: dayOf(event.occurredAtMs) * DAY_MS + hourOfDay * 3_600_000,
  }));
}

const daily: RhythmSegment = { days: 0, visitEveryDays: 1, maxVisitsPerActiveDay: 2 };

// Each case simulates weeks of a partition's traffic: seconds on a loaded machine, not a timing.
describe('the outage guard', { timeout: 60_000 }, () => {
  it('never holds a lapse because of nights: visitors active 08:00–22:00, some leave for good', () => {
    const events = [
      ...customers('stays', 30, () => [{ ...daily, days: 90 }]),
      ...customers('leaves', 10, () => [{ ...daily, days: 45 }, { days: 45 }]),
    ];
    const result = runPartitionLog(events);
    expect(result.counts.held.size).toBe(0);
    expect(
      published(result, 'lapsed')
        .map((signal) => signal.customerId)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, index) => `leaves${index}`).sort());
  });

  for (const hourOfDay of [0, 12]) {
    it(`never holds a lapse because of date-only purchases stamped at ${hourOfDay}:00`, () => {
      const buying = (days: number): RhythmSegment => ({
        days,
        purchaseEveryDays: 3,
        purchaseJitterDays: 1,
      });
      const events = dateOnly(
        [
          ...customers('stays', 45, () => [buying(100)]),
          ...customers('leaves', 15, () => [buying(50), { days: 50 }]),
        ],
        hourOfDay,
      );
      const result = runPartitionLog(events);
      expect(result.counts.held.size).toBe(0);
      expect(
        published(result, 'lapsed')
          .map((signal) => signal.customerId)
          .sort(),
      ).toEqual(Array.from({ length: 15 }, (_, index) => `leaves${index}`).sort());
    });
  }

  it('holds what a six-day tracker outage would lapse, drops it for customers back, and alerts the rest late with the original time', () => {
    // Everyone visits daily for 50 days; the tracker is down for days 50–55; 30 customers are
    // seen again from day 56, 10 are not (they left during the outage).
    const back = customers('back', 30, () => [
      { ...daily, days: 50 },
      { days: 6 },
      { ...daily, days: 30 },
    ]);
    const gone = customers('gone', 10, () => [{ ...daily, days: 50 }]);
    const result = runPartitionLog([...back, ...gone]);

    // Nobody who came back is alerted, neither lapse nor reactivation.
    const alerted = published(result, 'lapsed').map((signal) => signal.customerId);
    expect(alerted.filter((id) => id.startsWith('back'))).toEqual([]);
    expect(published(result, 'reactivated')).toEqual([]);
    expect(result.counts.discarded).toBe(30);
    // The ones who left are alerted once each, after the hold, with the time their lapse was due.
    expect(alerted.sort()).toEqual(Array.from({ length: 10 }, (_, index) => `gone${index}`).sort());
    expect(result.counts.released).toBe(10);
    expect(result.counts.held.get('input-silence')).toBe(40);
    for (const signal of published(result, 'lapsed')) {
      const lastVisitDay = dayOf(
        Math.max(
          ...gone
            .filter((event) => event.customerId === signal.customerId)
            .map((event) => event.occurredAtMs),
        ),
      );
      expect(signal.detectedAtMs).toBe((lastVisitDay + 1 + 4) * DAY_MS);
    }
  });

  it('holds the lapses of buyers while the order system is silent and the tracker still sends', () => {
    // Buyers purchase every other day; visitors visit daily. Purchases stop for 8 days (days
    // 50–57: the order system is down), then resume for everyone; visits never stop.
    const buyers = customers('buyer', 30, (index) => [
      { days: 50, purchaseEveryDays: 2, purchasePhaseDays: index % 2 },
      { days: 8 },
      { days: 30, purchaseEveryDays: 2, purchasePhaseDays: index % 2 },
    ]);
    const visitors = customers('visitor', 30, () => [{ ...daily, days: 88 }]);
    const result = runPartitionLog([...buyers, ...visitors]);
    expect(published(result, 'lapsed')).toEqual([]);
    expect(published(result, 'reactivated')).toEqual([]);
    expect(result.counts.held.get('input-silence')).toBe(30);
    expect(result.counts.discarded).toBe(30);
  });

  it('holds nothing for a one-day outage: no daily visitor lapses after one silent day', () => {
    const events = customers('c', 30, () => [
      { ...daily, days: 40 },
      { days: 1 },
      { ...daily, days: 20 },
    ]);
    const result = runPartitionLog(events);
    expect(result.counts.held.size).toBe(0);
    expect(published(result, 'lapsed')).toEqual([]);
  });
});
