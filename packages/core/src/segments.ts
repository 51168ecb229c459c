// Behavioural segments: which kind of customer someone is *by what they do*, and how often they
// usually come (their latency band). Derived from a profile and its view as of an instant; they
// describe, they never decide (no signal reads them). Every rule is absolute or relative to the
// customer's own rhythm — no quintiles of the population — so a customer's segment does not move
// because other customers did, a replay gives the same segments, and per-partition figures add
// up to the namespace's. The thresholds are `RulesConfig.segments` (config.ts).
//
// The segment is the first of these that holds:
//
//   lapsed          the customer is lapsed (an open lapse episode, or past their hurdle)
//   reactivated     back from a lapse: the first active day after the lapse fewer than
//                   `reactivatedDays` ago
//   new             first seen fewer than `newCustomerDays` ago
//   at_risk         active, silent for at least `atRiskHurdleFraction` of their own hurdle
//   high_value      active, with at least `highValueMinPurchases365d` purchases in 365 days, or
//                   at least the spend `highValueMinSpend365dMinor` lists for their currency
//   active_regular  active (a rhythm, within it)
//   one_time        a single active day, long enough ago not to be new
//   forming         the rest: a few active days, not yet a rhythm
//
// The latency band reads the usual gap between active days when it rests on at least
// `minGapsForLatencyBand` gaps: daily (≤ 1.5 days), weekly (≤ 10), monthly (≤ 45), occasional
// (beyond); null without enough gaps.
//
// Segment figures: a mergeable summary of many customers' segments — customers per segment and
// per latency band, and per segment a sketch of the usual latencies from which the median is read
// within a documented error (LatencySketch below). Figures of two partitions add up, so the
// namespace's figures are the sum of its partitions'.
import type { RulesConfig, SegmentSettings } from './config.ts';
import { PulseCoreError } from './errors.ts';
import type { Profile } from './profile.ts';
import { DAY_MS } from './time.ts';
import { localDayOf } from './zone.ts';
import type { ProfileView } from './view.ts';

export const CUSTOMER_SEGMENTS = [
  'lapsed',
  'reactivated',
  'new',
  'at_risk',
  'high_value',
  'active_regular',
  'one_time',
  'forming',
] as const;

export type CustomerSegment = (typeof CUSTOMER_SEGMENTS)[number];

export const LATENCY_BANDS = ['daily', 'weekly', 'monthly', 'occasional'] as const;

export type LatencyBand = (typeof LATENCY_BANDS)[number];

export interface SegmentOfCustomer {
  segment: CustomerSegment;
  latencyBand: LatencyBand | null;
  /** The usual gap between active days the band was read from; null without a band. */
  usualLatencyDays: number | null;
}

/**
 * The day the customer came back from their latest lapse: the first active day after the day the
 * lapse was measured from. Null when no lapse has closed, or when the lapse's day is no longer
 * among the newest `activityGapsKept + 1` active days (a customer with that many active days
 * since their return has a rhythm again, and is not "reactivated" any more). Only those days
 * count, not every day the profile keeps: it keeps a few more (the retention margin, profile.ts),
 * and how many of them are left of a profile cut to a decision's days depends on how many later
 * days were recorded before it, that is on the batching; reading them made a ready-to-buy signal
 * "reactivated" in one batching and "active_regular" in another.
 */
export function returnDayOf(profile: Profile, activityGapsKept: number): number | null {
  if (profile.episodeCount === 0 || profile.openEpisodeSinceMs !== null) return null;
  const anchor = profile.lapsedAnchorDay;
  if (anchor === null) return null;
  const days = profile.activeDays;
  const oldestRead = Math.max(0, days.length - (activityGapsKept + 1));
  const oldest = days[oldestRead];
  if (oldest === undefined || oldest > anchor) return null;
  for (let index = oldestRead; index < days.length; index += 1) {
    if (days[index]! > anchor) return days[index]!;
  }
  return null;
}

export function latencyBandOf(
  view: Pick<ProfileView, 'usualLatency'>,
  settings: SegmentSettings,
): LatencyBand | null {
  const latency = view.usualLatency;
  if (latency === null || latency.gapsUsed < settings.minGapsForLatencyBand) return null;
  if (latency.centreDays <= settings.dailyMaxLatencyDays) return 'daily';
  if (latency.centreDays <= settings.weeklyMaxLatencyDays) return 'weekly';
  if (latency.centreDays <= settings.monthlyMaxLatencyDays) return 'monthly';
  return 'occasional';
}

function isHighValue(view: SegmentViewInputs, settings: SegmentSettings): boolean {
  if (view.windows.purchases365d >= settings.highValueMinPurchases365d) return true;
  const currency = view.windows.currency;
  const threshold = currency === null ? undefined : settings.highValueMinSpend365dMinor[currency];
  return threshold !== undefined && view.windows.spend365dMinor >= threshold;
}

/**
 * The segment and latency band of one customer as of `view.asOfMs`. `view` must be the profile's
 * own view (deriveView of the same profile); the profile adds what the view does not carry (the
 * return day of a closed lapse).
 */
/** What segmentOf reads of a view (a ProfileView has it; segment-figures.ts builds just this). */
export interface SegmentViewInputs extends Pick<
  ProfileView,
  'customerId' | 'asOfMs' | 'status' | 'usualLatency' | 'daysSilent' | 'hurdleDays'
> {
  windows: Pick<ProfileView['windows'], 'purchases365d' | 'spend365dMinor' | 'currency'>;
  lifetime: Pick<ProfileView['lifetime'], 'firstSeenMs' | 'activeDays'>;
}

export function segmentOf(
  profile: Profile,
  view: SegmentViewInputs,
  config: Pick<RulesConfig, 'segments' | 'activityGapsKept'>,
): SegmentOfCustomer {
  if (profile.customerId !== view.customerId) {
    throw new PulseCoreError('CUSTOMER_MISMATCH', 'segmentOf: the view is of another customer');
  }
  const settings = config.segments;
  const latencyBand = latencyBandOf(view, settings);
  const usualLatencyDays = latencyBand === null ? null : view.usualLatency!.centreDays;
  return {
    segment: segmentNameOf(profile, view, settings, config.activityGapsKept),
    latencyBand,
    usualLatencyDays,
  };
}

function segmentNameOf(
  profile: Profile,
  view: SegmentViewInputs,
  settings: SegmentSettings,
  activityGapsKept: number,
): CustomerSegment {
  if (view.status === 'lapsed') return 'lapsed';
  const asOfDay = localDayOf(view.asOfMs, profile.timeZone);
  const returnDay = returnDayOf(profile, activityGapsKept);
  if (returnDay !== null && asOfDay - returnDay < settings.reactivatedDays) return 'reactivated';
  const firstSeenMs = view.lifetime.firstSeenMs;
  if (firstSeenMs !== null && view.asOfMs - firstSeenMs < settings.newCustomerDays * DAY_MS)
    return 'new';
  if (view.status === 'active') {
    const { daysSilent, hurdleDays } = view;
    if (
      daysSilent !== null &&
      hurdleDays !== null &&
      hurdleDays > 0 &&
      daysSilent >= settings.atRiskHurdleFraction * hurdleDays
    )
      return 'at_risk';
    if (isHighValue(view, settings)) return 'high_value';
    return 'active_regular';
  }
  if (view.lifetime.activeDays <= 1) return 'one_time';
  return 'forming';
}

// ---------------------------------------------------------------------------------------------
// LatencySketch: a mergeable histogram of latencies (days) with a median read to a known error.
//
// Fixed logarithmic buckets, SKETCH_BUCKETS_PER_DOUBLING per doubling from 1 day: bucket i holds
// [2^(i/8), 2^((i+1)/8)) days, for 1 day up to 2^12 = 4 096 days (values below 1 day count in the
// first bucket, values from 4 096 days on in the last). The median is the lower median (the
// ⌈n/2⌉-th smallest value) and is reported as the geometric middle of its bucket, so for a median
// m in [1, 4 096) days the reported value r satisfies
//
//     m / 2^(1/16) <= r <= m × 2^(1/16),   i.e. within 4.4 % of m.
//
// Counts add bucket by bucket: sketches of two partitions merge exactly (the merged median is the
// median of the union, to the same error), in any order, and a replay rebuilds them.
// ---------------------------------------------------------------------------------------------

export const SKETCH_BUCKETS_PER_DOUBLING = 8;
const SKETCH_DOUBLINGS = 12;
export const SKETCH_BUCKETS = SKETCH_BUCKETS_PER_DOUBLING * SKETCH_DOUBLINGS;
/** Largest relative error of sketchMedianDays for a median in [1, 4 096) days: 2^(1/16) − 1. */
export const SKETCH_MEDIAN_RELATIVE_ERROR = 2 ** (1 / (2 * SKETCH_BUCKETS_PER_DOUBLING)) - 1;

export interface LatencySketch {
  /** counts[i]: latencies in bucket i. Always SKETCH_BUCKETS long. */
  counts: number[];
  total: number;
}

export function emptyLatencySketch(): LatencySketch {
  return { counts: new Array<number>(SKETCH_BUCKETS).fill(0), total: 0 };
}

export function sketchBucketOf(latencyDays: number): number {
  if (!(latencyDays > 1)) return 0;
  const bucket = Math.floor(Math.log2(latencyDays) * SKETCH_BUCKETS_PER_DOUBLING);
  return Math.min(SKETCH_BUCKETS - 1, bucket);
}

/** A new sketch with `count` latencies of `latencyDays` added (the input is not changed). */
export function addLatency(sketch: LatencySketch, latencyDays: number, count = 1): LatencySketch {
  if (!Number.isFinite(latencyDays) || !Number.isSafeInteger(count) || count < 0) {
    throw new PulseCoreError('MODEL_DOMAIN', 'addLatency: a finite latency and a count >= 0');
  }
  const counts = [...sketch.counts];
  counts[sketchBucketOf(latencyDays)]! += count;
  return { counts, total: sketch.total + count };
}

export function mergeLatencySketches(a: LatencySketch, b: LatencySketch): LatencySketch {
  return {
    counts: a.counts.map((count, bucket) => count + b.counts[bucket]!),
    total: a.total + b.total,
  };
}

/** The lower median, to SKETCH_MEDIAN_RELATIVE_ERROR; null for an empty sketch. */
export function sketchMedianDays(sketch: LatencySketch): number | null {
  if (sketch.total === 0) return null;
  const rank = Math.ceil(sketch.total / 2);
  let seen = 0;
  for (let bucket = 0; bucket < SKETCH_BUCKETS; bucket += 1) {
    seen += sketch.counts[bucket]!;
    if (seen >= rank) return 2 ** ((bucket + 0.5) / SKETCH_BUCKETS_PER_DOUBLING);
  }
  return null; // unreachable while total is the sum of counts
}

/** A short text form (`ls1:` then bucket:count of the non-empty buckets). */
export function encodeLatencySketch(sketch: LatencySketch): string {
  const entries: string[] = [];
  sketch.counts.forEach((count, bucket) => {
    if (count > 0) entries.push(`${bucket}:${count}`);
  });
  return `ls1:${entries.join(',')}`;
}

export function decodeLatencySketch(text: string): LatencySketch {
  const corrupt = (): never => {
    throw new PulseCoreError('CORRUPT_MODEL', 'latency sketch: not an ls1 text');
  };
  if (!text.startsWith('ls1:')) corrupt();
  const sketch = emptyLatencySketch();
  const body = text.slice(4);
  if (body === '') return sketch;
  for (const entry of body.split(',')) {
    const match = /^(\d{1,3}):([1-9]\d{0,15})$/.exec(entry);
    if (match === null) return corrupt();
    const bucket = Number(match[1]);
    const count = Number(match[2]);
    if (bucket >= SKETCH_BUCKETS || !Number.isSafeInteger(count) || sketch.counts[bucket] !== 0)
      corrupt();
    sketch.counts[bucket] = count;
    sketch.total += count;
  }
  return sketch;
}

// ---------------------------------------------------------------------------------------------
// Segment figures: customers per segment and per latency band, and per segment the sketch of
// their usual latencies. Pure and mergeable like the sketch.
// ---------------------------------------------------------------------------------------------

export interface SegmentFigures {
  customers: Record<CustomerSegment, number>;
  /** Customers per latency band; `none` for those without a band. */
  bands: Record<LatencyBand | 'none', number>;
  /** Per segment, the usual latencies of its customers that have a band. */
  latency: Record<CustomerSegment, LatencySketch>;
}

const perSegment = <T>(make: () => T): Record<CustomerSegment, T> =>
  Object.fromEntries(CUSTOMER_SEGMENTS.map((segment) => [segment, make()])) as Record<
    CustomerSegment,
    T
  >;

export function emptySegmentFigures(): SegmentFigures {
  return {
    customers: perSegment(() => 0),
    bands: { daily: 0, weekly: 0, monthly: 0, occasional: 0, none: 0 },
    latency: perSegment(emptyLatencySketch),
  };
}

/** A new summary with one customer's segment counted (the input is not changed). */
export function countSegment(figures: SegmentFigures, customer: SegmentOfCustomer): SegmentFigures {
  const { segment, latencyBand, usualLatencyDays } = customer;
  return {
    customers: { ...figures.customers, [segment]: figures.customers[segment] + 1 },
    bands: {
      ...figures.bands,
      [latencyBand ?? 'none']: figures.bands[latencyBand ?? 'none'] + 1,
    },
    latency:
      usualLatencyDays === null
        ? figures.latency
        : { ...figures.latency, [segment]: addLatency(figures.latency[segment], usualLatencyDays) },
  };
}

export function mergeSegmentFigures(a: SegmentFigures, b: SegmentFigures): SegmentFigures {
  const customers = perSegment(() => 0);
  const latency = perSegment(emptyLatencySketch);
  for (const segment of CUSTOMER_SEGMENTS) {
    customers[segment] = a.customers[segment] + b.customers[segment];
    latency[segment] = mergeLatencySketches(a.latency[segment], b.latency[segment]);
  }
  const bands = { ...a.bands };
  for (const band of [...LATENCY_BANDS, 'none'] as const) bands[band] += b.bands[band];
  return { customers, bands, latency };
}

/** Per segment: customers and the median usual latency (days, to the sketch's error; null: none). */
export function segmentMedians(
  figures: SegmentFigures,
): Record<CustomerSegment, { customers: number; medianUsualLatencyDays: number | null }> {
  const result = perSegment(() => ({
    customers: 0,
    medianUsualLatencyDays: null as number | null,
  }));
  for (const segment of CUSTOMER_SEGMENTS) {
    result[segment] = {
      customers: figures.customers[segment],
      medianUsualLatencyDays: sketchMedianDays(figures.latency[segment]),
    };
  }
  return result;
}
