import { describe, expect, it } from 'vitest';
import type { SignalWire } from '@pulse/contracts';
import { DAY_MS } from '@pulse/core';
import type { DemoCustomer, DemoTraits } from './scenario.ts';
import { segmentReport } from './segments.ts';

const START = Date.UTC(2025, 0, 6);
const customer = (customerId: string, traits: DemoTraits, firstDay = 0): DemoCustomer => ({
  customerId,
  kind: 'daily',
  traits,
  firstSeenMs: START + firstDay * DAY_MS,
  viaCollector: false,
});
const lapse = (customerId: string, day: number, traits: DemoTraits | null): SignalWire => ({
  signalId: `${customerId}-${day}`,
  kind: 'lapsed',
  customerId,
  detectedAt: new Date(START + day * DAY_MS).toISOString(),
  emittedAt: new Date(START + day * DAY_MS).toISOString(),
  evidence: {},
  rulesVersion: 'r1',
  ...(traits ? { traits: { ...traits, region: null, plan: null, attributes: {} } } : {}),
});

describe('segmentReport', () => {
  const de = { country: 'DE', acquisitionSource: 'paid-social', customerType: 'consumer' };
  const fr = { country: 'FR', acquisitionSource: 'newsletter', customerType: 'business' };
  const customers = [
    customer('a', de),
    customer('b', de),
    customer('c', fr),
    customer('d', fr, 40),
  ];

  it("counts a customer's first lapse under the traits its signal carried", () => {
    const report = segmentReport(
      customers,
      [
        lapse('a', 10, de),
        lapse('a', 50, de),
        lapse('c', 60, fr),
        lapse('b', 70, null),
        lapse('stranger', 20, null),
      ],
      START,
      START + 84 * DAY_MS,
    );
    const row = (dimension: string, value: string) =>
      report.rows.find((r) => r.dimension === dimension && r.value === value);
    expect(row('acquisitionSource', 'paid-social')).toMatchObject({
      customers: 2,
      lapsedCustomers: 1,
      lapseRate: 0.5,
    });
    expect(row('country', 'FR')).toMatchObject({ customers: 2, lapsedCustomers: 1 });
    expect(row('customerType', 'business')).toMatchObject({ customers: 2, lapsedCustomers: 1 });
    expect(report.lapsesWithoutTraits).toBe(1);
    expect(report.sources).toEqual(['newsletter', 'paid-social']);
  });

  it('gives every 4 weeks the share lapsed so far among the customers seen so far', () => {
    const report = segmentReport(
      customers,
      [lapse('a', 10, de), lapse('c', 60, fr)],
      START,
      START + 84 * DAY_MS,
    );
    expect(report.bySourceOverTime.map((p) => p.rates)).toEqual([
      { newsletter: 0, 'paid-social': 0.5 }, // days 0–27: d not seen yet, a lapsed
      { newsletter: 0, 'paid-social': 0.5 }, // days 28–55: d seen (day 40)
      { newsletter: 0.5, 'paid-social': 0.5 }, // days 56–83: c lapsed
    ]);
  });
});
