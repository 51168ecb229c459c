// Segments must follow the documented rules (segments.ts) on customers built by the real
// profile code, and the latency sketch must keep its promise: the median it reports is within
// 2^(1/16) of the true lower median, and merging sketches is the same as sketching the union.
import { customerEventList } from '@pulse/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRulesConfig, parseRulesConfig, type RulesConfig } from './config.ts';
import { replay, runClock } from './replay.test-support.ts';
import {
  addLatency,
  countSegment,
  CUSTOMER_SEGMENTS,
  decodeLatencySketch,
  emptyLatencySketch,
  emptySegmentFigures,
  encodeLatencySketch,
  latencyBandOf,
  mergeLatencySketches,
  mergeSegmentFigures,
  returnDayOf,
  segmentMedians,
  segmentOf,
  sketchMedianDays,
  SKETCH_MEDIAN_RELATIVE_ERROR,
  type SegmentOfCustomer,
} from './segments.ts';
import { DAY_MS } from './time.ts';
import { deriveView } from './view.ts';

const START_MS = Date.UTC(2024, 0, 1);
const config = defaultRulesConfig;

/** A customer from a rhythm script, replayed by the real profile code up to `asOfMs`, and their segment then. */
function customer(
  segments: Parameters<typeof customerEventList>[0]['segments'],
  asOfDaysAfterStart: number,
  rules: RulesConfig = config,
) {
  const asOfMs = START_MS + asOfDaysAfterStart * DAY_MS;
  const events = customerEventList({ customerId: 'c', startMs: START_MS, seed: 7, segments });
  const state = replay(
    events.filter((event) => event.occurredAtMs < asOfMs),
    rules,
  );
  runClock(state, asOfMs - rules.allowedLatenessMs, DAY_MS, rules);
  const profile = state.profiles.get('c')!;
  const view = deriveView(profile, asOfMs, rules);
  return { profile, view, result: segmentOf(profile, view, rules) };
}

describe('segmentOf', () => {
  it('a daily visitor in their rhythm is active_regular, in the daily band', () => {
    const { result } = customer([{ days: 90, visitEveryDays: 1 }], 90);
    expect(result).toEqual({
      segment: 'active_regular',
      latencyBand: 'daily',
      usualLatencyDays: 1,
    });
  });

  it('a weekly visitor is weekly; silent for 0.6 of their hurdle they are at_risk; past it lapsed', () => {
    // Weekly, regular: hurdle 17.5 days (2.5 × 7).
    const rhythm = [{ days: 84, visitEveryDays: 7 }];
    expect(customer(rhythm, 84).result).toMatchObject({
      segment: 'active_regular',
      latencyBand: 'weekly',
    });
    // Last visit on day 77; 0.6 × 17.5 = 10.5 silent days reached after day 88.
    expect(customer(rhythm, 89).result.segment).toBe('at_risk');
    expect(customer(rhythm, 120).result.segment).toBe('lapsed');
  });

  it('a lapsed customer who came back is reactivated for reactivatedDays, then active again', () => {
    const rhythm = [
      { days: 60, visitEveryDays: 1 },
      { days: 30, visitEveryDays: null },
      { days: 60, visitEveryDays: 1 },
    ];
    const back = customer(rhythm, 95);
    expect(back.profile.episodeCount).toBe(1);
    expect(back.result.segment).toBe('reactivated');
    expect(customer(rhythm, 140).result.segment).toBe('active_regular');
  });

  it('reads the return day from the newest activityGapsKept + 1 active days only', () => {
    // A profile keeps a few days more than the rules read (the retention margin), and how many of
    // them a profile cut to a decision's days still has depends on the batching: the day the
    // lapse was measured from counts only while it is among the days every batching keeps.
    const rhythm = [
      { days: 60, visitEveryDays: 1 },
      { days: 30, visitEveryDays: null },
      { days: 60, visitEveryDays: 1 },
    ];
    const { profile } = customer(rhythm, 95);
    const read = config.activityGapsKept + 1;
    const anchor = profile.lapsedAnchorDay!;
    const returnDay = returnDayOf(profile, config.activityGapsKept)!;
    expect(returnDay).toBeGreaterThan(anchor);
    // The days after the return, up to the last one with the lapse's day among the read ones.
    const after = (count: number) =>
      Array.from({ length: count }, (_, index) => returnDay + 1 + index);
    const heldAnchor = {
      ...profile,
      activeDays: [anchor - 2, anchor - 1, anchor, returnDay, ...after(read - 2)],
    };
    expect(heldAnchor.activeDays.length).toBeGreaterThan(read);
    expect(returnDayOf(heldAnchor, config.activityGapsKept)).toBe(returnDay);
    // One day more: the lapse's day is kept but not read, whatever the margin holds.
    const pastAnchor = { ...heldAnchor, activeDays: [...heldAnchor.activeDays, returnDay + read] };
    expect(pastAnchor.activeDays.includes(anchor)).toBe(true);
    expect(returnDayOf(pastAnchor, config.activityGapsKept)).toBeNull();
  });

  it('new for newCustomerDays after the first event, then one_time or forming without a rhythm', () => {
    expect(customer([{ days: 1, visitEveryDays: 1 }], 10).result).toEqual({
      segment: 'new',
      latencyBand: null,
      usualLatencyDays: null,
    });
    expect(customer([{ days: 1, visitEveryDays: 1 }], 40).result.segment).toBe('one_time');
    // Three active days 20 days apart: no rhythm yet (5 active days needed), not new.
    expect(customer([{ days: 41, visitEveryDays: 20 }], 45).result.segment).toBe('forming');
  });

  it('high_value by purchases in 365 days, or by spend where the currency has a threshold', () => {
    const buyer = [{ days: 120, visitEveryDays: 2, purchaseEveryDays: 30 }];
    expect(customer(buyer, 120).result.segment).toBe('active_regular');
    const byCount = parseRulesConfig({ segments: { highValueMinPurchases365d: 4 } });
    expect(customer(buyer, 120, byCount).result.segment).toBe('high_value');
    const bySpend = parseRulesConfig({ segments: { highValueMinSpend365dMinor: { EUR: 1 } } });
    const { view, result } = customer(buyer, 120, bySpend);
    expect(view.windows.currency).toBe('EUR');
    expect(result.segment).toBe('high_value');
  });

  it('reads latency bands at the configured edges, and none with too few gaps', () => {
    const settings = config.segments;
    const band = (centreDays: number, gapsUsed = 8) =>
      latencyBandOf({ usualLatency: { centreDays, spreadDays: 0, gapsUsed } }, settings);
    expect(band(1.5)).toBe('daily');
    expect(band(2)).toBe('weekly');
    expect(band(10)).toBe('weekly');
    expect(band(10.5)).toBe('monthly');
    expect(band(45)).toBe('monthly');
    expect(band(46)).toBe('occasional');
    expect(band(1, 3)).toBeNull();
    expect(latencyBandOf({ usualLatency: null }, settings)).toBeNull();
  });

  it('refuses a view of another customer', () => {
    const { profile, view } = customer([{ days: 10, visitEveryDays: 1 }], 10);
    expect(() => segmentOf(profile, { ...view, customerId: 'other' }, config)).toThrow(
      expect.objectContaining({ code: 'CUSTOMER_MISMATCH' }),
    );
  });
});

describe('segmentOf over generated customers', () => {
  it('gives every customer one segment that agrees with their view', () => {
    const rhythm = fc.record({
      days: fc.integer({ min: 1, max: 120 }),
      visitEveryDays: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }),
      visitJitterDays: fc.integer({ min: 0, max: 3 }),
      purchaseEveryDays: fc.option(fc.integer({ min: 5, max: 60 }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(rhythm, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 400 }),
        (segments, asOfDays) => {
          // A rhythm with neither visits nor purchases, or an as-of before its first event,
          // makes no customer.
          const events = customerEventList({
            customerId: 'c',
            startMs: START_MS,
            seed: 7,
            segments,
          });
          fc.pre(events.some((event) => event.occurredAtMs < START_MS + asOfDays * DAY_MS));
          const { view, result } = customer(segments, asOfDays);
          expect(CUSTOMER_SEGMENTS).toContain(result.segment);
          expect(result.segment === 'lapsed').toBe(view.status === 'lapsed');
          if (['at_risk', 'high_value', 'active_regular'].includes(result.segment))
            expect(view.status).toBe('active');
          if (result.segment === 'one_time')
            expect(view.lifetime.activeDays).toBeLessThanOrEqual(1);
          const hasBand =
            view.usualLatency !== null &&
            view.usualLatency.gapsUsed >= config.segments.minGapsForLatencyBand;
          expect(result.latencyBand !== null).toBe(hasBand);
          expect(result.usualLatencyDays).toBe(hasBand ? view.usualLatency!.centreDays : null);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('config', () => {
  it('fills the segments defaults, and names a bad setting by its path', () => {
    expect(parseRulesConfig({}).segments).toEqual(defaultRulesConfig.segments);
    expect(() => parseRulesConfig({ segments: { atRiskHurdleFraction: 1.5 } })).toThrow(
      /segments\.atRiskHurdleFraction/,
    );
    expect(() => parseRulesConfig({ segments: { weeklyMaxLatencyDays: 60 } })).toThrow(
      /segments\.weeklyMaxLatencyDays/,
    );
    expect(() => parseRulesConfig({ segments: { quintiles: 5 } })).toThrow(/quintiles/);
  });
});

/** The lower median: the ⌈n/2⌉-th smallest value. */
function lowerMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

const sketchOf = (values: readonly number[]) =>
  values.reduce((sketch, value) => addLatency(sketch, value), emptyLatencySketch());

// Latencies as the profile gives them: medians of whole-day gaps (halves included), 1 to 4 000.
const latency = fc.oneof(
  fc.integer({ min: 1, max: 4_000 }),
  fc.integer({ min: 2, max: 400 }).map((halves) => halves / 2 + 0.5),
  fc.double({ min: 1, max: 4_000, noNaN: true }),
);

describe('LatencySketch', () => {
  it('reports the median within its documented error', () => {
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 200 }), (values) => {
        const truth = lowerMedian(values);
        const reported = sketchMedianDays(sketchOf(values))!;
        expect(reported / truth).toBeLessThanOrEqual(1 + SKETCH_MEDIAN_RELATIVE_ERROR + 1e-12);
        expect(truth / reported).toBeLessThanOrEqual(1 + SKETCH_MEDIAN_RELATIVE_ERROR + 1e-12);
      }),
      { numRuns: 500 },
    );
    expect(SKETCH_MEDIAN_RELATIVE_ERROR).toBeCloseTo(0.0443, 4);
    expect(sketchMedianDays(emptyLatencySketch())).toBeNull();
  });

  it('merges exactly: the merge of two sketches is the sketch of the union, in any order', () => {
    fc.assert(
      fc.property(fc.array(latency), fc.array(latency), fc.array(latency), (a, b, c) => {
        const [sa, sb, sc] = [sketchOf(a), sketchOf(b), sketchOf(c)];
        const union = sketchOf([...a, ...b, ...c]);
        expect(mergeLatencySketches(mergeLatencySketches(sa, sb), sc)).toEqual(union);
        expect(mergeLatencySketches(sc, mergeLatencySketches(sb, sa))).toEqual(union);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips its text form and refuses a corrupt one', () => {
    fc.assert(
      fc.property(fc.array(latency), (values) => {
        const sketch = sketchOf(values);
        expect(decodeLatencySketch(encodeLatencySketch(sketch))).toEqual(sketch);
      }),
      { numRuns: 100 },
    );
    expect(encodeLatencySketch(sketchOf([1, 1, 7]))).toBe('ls1:0:2,22:1');
    for (const bad of ['ls2:', 'ls1:96:1', 'ls1:1:0', 'ls1:1:2,1:3', 'ls1:x', 'ls1:1:-1']) {
      expect(() => decodeLatencySketch(bad), bad).toThrow(
        expect.objectContaining({ code: 'CORRUPT_MODEL' }),
      );
    }
  });
});

describe('segment figures', () => {
  const arbitraryCustomer: fc.Arbitrary<SegmentOfCustomer> = fc
    .record({
      segment: fc.constantFrom(...CUSTOMER_SEGMENTS),
      band: fc.option(fc.constantFrom('daily', 'weekly', 'monthly', 'occasional')),
      latency,
    })
    .map(({ segment, band, latency: days }) => ({
      segment,
      latencyBand: band as SegmentOfCustomer['latencyBand'],
      usualLatencyDays: band === null ? null : days,
    }));

  const figuresOf = (customers: readonly SegmentOfCustomer[]) =>
    customers.reduce(countSegment, emptySegmentFigures());

  it('partitions add up to the whole, and the medians are per segment', () => {
    fc.assert(
      fc.property(fc.array(arbitraryCustomer), fc.array(arbitraryCustomer), (left, right) => {
        const whole = figuresOf([...left, ...right]);
        expect(mergeSegmentFigures(figuresOf(left), figuresOf(right))).toEqual(whole);
        const total = Object.values(whole.customers).reduce((sum, count) => sum + count, 0);
        expect(total).toBe(left.length + right.length);
        expect(Object.values(whole.bands).reduce((sum, count) => sum + count, 0)).toBe(total);
      }),
      { numRuns: 200 },
    );
    const medians = segmentMedians(
      figuresOf([
        { segment: 'lapsed', latencyBand: 'weekly', usualLatencyDays: 7 },
        { segment: 'lapsed', latencyBand: 'weekly', usualLatencyDays: 8 },
        { segment: 'lapsed', latencyBand: null, usualLatencyDays: null },
        { segment: 'new', latencyBand: null, usualLatencyDays: null },
      ]),
    );
    expect(medians.lapsed.customers).toBe(3);
    expect(medians.lapsed.medianUsualLatencyDays! / 7).toBeCloseTo(1, 1);
    expect(medians.new).toEqual({ customers: 1, medianUsualLatencyDays: null });
  });
});
