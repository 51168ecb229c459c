import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@pulse/core';
import { parseTraitsWire } from '@pulse/contracts';
import { partitionForKey } from '@pulse/stream';
import {
  buildScenario,
  CLOCK_CUSTOMER_PREFIX,
  clockEventsFor,
  demoTraitsFor,
  FOUNDING_EXAMPLE_ID,
  foundingExamplePlan,
  RISKY_SOURCE,
  RISKY_SOURCE_SHARE,
} from './scenario.ts';

const options = { seed: 7, customers: 120, days: 160, collectorShare: 0.3, partitions: 6 };

describe('buildScenario', () => {
  it('gives the same events for the same seed and other events for another seed', () => {
    const a = buildScenario(options);
    const b = buildScenario(options);
    expect(b.playback).toEqual(a.playback);
    expect(b.customers).toEqual(a.customers);
    const c = buildScenario({ ...options, seed: 8 });
    expect(c.playback).not.toEqual(a.playback);
  });

  it('plays every event once, on its own day, in time order, split between the two doors', () => {
    const scenario = buildScenario(options);
    let previous = -Infinity;
    let count = 0;
    let viaCollector = 0;
    for (const day of scenario.playback) {
      for (const event of [...day.direct, ...day.viaCollector]) {
        expect(Math.floor(event.occurredAtMs / DAY_MS) * DAY_MS).toBe(day.dayMs);
      }
      for (const list of [day.direct, day.viaCollector]) {
        for (const event of list) {
          expect(event.occurredAtMs).toBeGreaterThanOrEqual(day.dayMs);
          expect(event.occurredAtMs).toBeLessThan(scenario.endMs);
        }
      }
      expect(day.dayMs).toBeGreaterThan(previous);
      previous = day.dayMs;
      count += day.direct.length + day.viaCollector.length;
      viaCollector += day.viaCollector.length;
    }
    expect(count).toBe(scenario.totals.events);
    expect(viaCollector).toBe(scenario.totals.viaCollector);
    // A customer always uses the same door.
    const doors = new Map<string, boolean>();
    for (const day of scenario.playback) {
      for (const event of day.direct) expect(doors.get(event.customerId) ?? false).toBe(false);
      for (const event of day.viaCollector) doors.set(event.customerId, true);
    }
    const share = scenario.totals.viaCollector / scenario.totals.events;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.6);
  });

  it('scripts the founding example: daily, then silent until the end', () => {
    const scenario = buildScenario(options);
    const plan = foundingExamplePlan(options.days);
    const active = scenario.foundingExampleActivity.filter((entry) => entry.visits > 0);
    expect(active).toHaveLength(plan.activeDays);
    expect(active[0]!.dayMs).toBe(scenario.startMs + plan.startDay * DAY_MS);
    expect(active.at(-1)!.dayMs).toBe(
      scenario.startMs + (plan.startDay + plan.activeDays - 1) * DAY_MS,
    );
    // Silent for more than two weeks plus the allowed lateness before the period ends.
    expect(scenario.finalStreamTimeMs - (active.at(-1)!.dayMs + DAY_MS)).toBeGreaterThan(
      14 * DAY_MS,
    );
    expect(scenario.customers.find((c) => c.customerId === FOUNDING_EXAMPLE_ID)?.kind).toBe(
      'founding-example',
    );
  });

  it('adds buyers with accelerating visits to runs long enough for a purchase history', () => {
    expect(
      buildScenario(options).customers.filter((c) => c.kind === 'accelerating-buyer'),
    ).toHaveLength(3);
    expect(
      buildScenario({ ...options, days: 90 }).customers.filter(
        (c) => c.kind === 'accelerating-buyer',
      ),
    ).toHaveLength(0);
  });

  it('carries bad records for the dead-letter topic and one event the collector must reject', () => {
    const scenario = buildScenario(options);
    const bad = scenario.playback.flatMap((day) => day.badRecords);
    expect(bad.map((record) => record.expectedKind).sort()).toEqual([
      'future-timestamp',
      'missing-id',
      'not-json',
      'schema-violation',
    ]);
    expect(scenario.playback.flatMap((day) => day.collectorRejects)).toHaveLength(1);
  });
});

describe('clockEventsFor', () => {
  it('puts one visit on every partition, all at the same instant', () => {
    const at = Date.UTC(2025, 6, 1);
    const events = clockEventsFor(12, at, 'close');
    expect(events).toHaveLength(12);
    expect(new Set(events.map((event) => partitionForKey(event.customerId, 12)))).toEqual(
      new Set(Array.from({ length: 12 }, (_, partition) => partition)),
    );
    for (const event of events) {
      expect(event.occurredAtMs).toBe(at);
      expect(event.customerId.startsWith(CLOCK_CUSTOMER_PREFIX)).toBe(true);
    }
  });

  it("states every customer's traits once, as of their first event, valid for pulse.traits", () => {
    const scenario = buildScenario(options);
    const stated = scenario.playback.flatMap((day) =>
      day.traits.map((record) => ({ record, dayMs: day.dayMs })),
    );
    const firstEvent = new Map<string, number>();
    for (const day of scenario.playback) {
      for (const event of [...day.direct, ...day.viaCollector]) {
        const known = firstEvent.get(event.customerId);
        if (known === undefined || event.occurredAtMs < known)
          firstEvent.set(event.customerId, event.occurredAtMs);
      }
    }
    expect(stated).toHaveLength(firstEvent.size);
    expect(scenario.totals.traits).toBe(firstEvent.size);
    for (const { record, dayMs } of stated) {
      expect(parseTraitsWire(record).success, record.customerId).toBe(true);
      expect(Date.parse(record.occurredAt)).toBe(firstEvent.get(record.customerId));
      expect(Math.floor(Date.parse(record.occurredAt) / DAY_MS) * DAY_MS).toBe(dayMs);
      const customer = scenario.customers.find((c) => c.customerId === record.customerId)!;
      expect(record).toMatchObject(customer.traits);
    }
  });
});

describe('demoTraitsFor', () => {
  it('gives the risky source its share of customers and twice the silent rate of the others', () => {
    const silentShare = 0.3;
    let risky = 0;
    const silent = { risky: 0, other: 0 };
    const customers = 40_000;
    for (let index = 0; index < customers; index += 1) {
      const goesSilent = index < customers * silentShare;
      const traits = demoTraitsFor(`c${index}`, goesSilent, silentShare, 7);
      const isRisky = traits.acquisitionSource === RISKY_SOURCE;
      if (isRisky) risky += 1;
      if (goesSilent) silent[isRisky ? 'risky' : 'other'] += 1;
    }
    expect(risky / customers).toBeCloseTo(RISKY_SOURCE_SHARE, 1);
    const ratio = silent.risky / risky / (silent.other / (customers - risky));
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });
});
