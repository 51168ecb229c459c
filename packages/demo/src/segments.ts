// Pure: how lapses differ by segment in a demo run — the figures behind the report's segment
// chart and table. Lapses are counted from the signals as a retention system receives them: the
// segment is the one the signal itself carries (its `traits`, stamped by the profiler at the
// decision), never looked up afterwards. The customers of a segment come from the scenario
// (who was stated to Pulse with those traits), so a rate is lapse signals over customers.
import type { SignalWire } from '@pulse/contracts';
import { DAY_MS } from '@pulse/core';
import type { DemoCustomer, DemoTraits } from './scenario.ts';

export const SEGMENT_DIMENSIONS = ['acquisitionSource', 'country', 'customerType'] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

export interface SegmentRow {
  dimension: SegmentDimension;
  value: string;
  customers: number;
  /** Customers with at least one lapse signal carrying this segment. */
  lapsedCustomers: number;
  lapseRate: number;
}

export interface SegmentWeek {
  /** Start of the 4-week period (event time). */
  fromMs: number;
  /** Per acquisition source: customers seen by the end of the period who had lapsed by then. */
  rates: Record<string, number>;
}

export interface SegmentReport {
  rows: SegmentRow[];
  /** Lapse rate by acquisition source over event time, every 4 weeks. */
  bySourceOverTime: SegmentWeek[];
  sources: string[];
  /** Lapse signals that carried no traits (should be none in a demo run). */
  lapsesWithoutTraits: number;
}

const PERIOD_MS = 28 * DAY_MS;

export function segmentReport(
  customers: readonly DemoCustomer[],
  signals: readonly SignalWire[],
  startMs: number,
  endMs: number,
): SegmentReport {
  const counted = customers.filter((customer) => customer.firstSeenMs !== null);
  // The first lapse of each customer, with the traits it carried.
  const firstLapse = new Map<string, { atMs: number; traits: DemoTraits }>();
  let lapsesWithoutTraits = 0;
  const population = new Set(counted.map((customer) => customer.customerId));
  for (const signal of signals) {
    // Only the population's customers (not the demo's clock customers, which state no traits).
    if (signal.kind !== 'lapsed' || !population.has(signal.customerId)) continue;
    const traits = signal.traits;
    if (!traits) {
      lapsesWithoutTraits += 1;
      continue;
    }
    const atMs = Date.parse(signal.detectedAt);
    const known = firstLapse.get(signal.customerId);
    if (known && known.atMs <= atMs) continue;
    firstLapse.set(signal.customerId, {
      atMs,
      traits: {
        acquisitionSource: traits.acquisitionSource ?? 'unknown',
        country: traits.country ?? 'unknown',
        customerType: traits.customerType ?? 'unknown',
      },
    });
  }

  const rows: SegmentRow[] = [];
  for (const dimension of SEGMENT_DIMENSIONS) {
    const byValue = new Map<string, { customers: number; lapsed: number }>();
    for (const customer of counted) {
      const entry = byValue.get(customer.traits[dimension]) ?? { customers: 0, lapsed: 0 };
      entry.customers += 1;
      byValue.set(customer.traits[dimension], entry);
    }
    for (const { traits } of firstLapse.values()) {
      const entry = byValue.get(traits[dimension]) ?? { customers: 0, lapsed: 0 };
      entry.lapsed += 1;
      byValue.set(traits[dimension], entry);
    }
    for (const [value, entry] of [...byValue].sort(([a], [b]) => a.localeCompare(b))) {
      rows.push({
        dimension,
        value,
        customers: entry.customers,
        lapsedCustomers: entry.lapsed,
        lapseRate: entry.customers === 0 ? 0 : entry.lapsed / entry.customers,
      });
    }
  }

  const sources = [...new Set(counted.map((c) => c.traits.acquisitionSource))].sort();
  const bySourceOverTime: SegmentWeek[] = [];
  for (let fromMs = startMs; fromMs < endMs; fromMs += PERIOD_MS) {
    const untilMs = Math.min(endMs, fromMs + PERIOD_MS);
    const rates: Record<string, number> = {};
    for (const source of sources) {
      const seen = counted.filter(
        (c) => c.traits.acquisitionSource === source && c.firstSeenMs! < untilMs,
      ).length;
      let lapsed = 0;
      for (const { atMs, traits } of firstLapse.values()) {
        if (traits.acquisitionSource === source && atMs < untilMs) lapsed += 1;
      }
      rates[source] = seen === 0 ? 0 : lapsed / seen;
    }
    bySourceOverTime.push({ fromMs, rates });
  }
  return { rows, bySourceOverTime, sources, lapsesWithoutTraits };
}
