// Population latency by step (after Jim Novo's "latency" in "Drilling Down", 2004): how many days
// customers take from their n-th active day to the (n+1)-th, estimated from the namespace's own
// data. It is the prior every customer is judged against before (and, fading, while) they have a
// rhythm of their own, so a one-time buyer or a visitor of two days is judged too.
//
// The statistics are a pure, compact, mergeable data structure: per step (1 … STEPS, the last
// step pooling every later one) a histogram of gap lengths over fixed bins — one bin per day up
// to 32 days, then eight bins per doubling up to 1 024 days and beyond. Histograms of two
// partitions (or two replays) add bin by bin, so the namespace's statistics are the sum of its
// partitions' and a replay rebuilds them exactly; the size is bounded whatever the traffic
// (POPULATION_STEPS × POPULATION_BINS counts).
//
// Decisions never read the raw statistics: they read a frozen PopulationHurdles table derived
// from them (a quantile per step), which the owner refreshes at event-time boundaries only after
// every customer due before the boundary has been advanced — so a decision depends on event time,
// not on batch boundaries.
import type { RulesConfig } from './config.ts';
import { PulseCoreError } from './errors.ts';
import type { Profile } from './profile.ts';

/** Steps kept apart: gaps 1→2, 2→3, …, 7→8, and 8→9 together with every later one. */
export const POPULATION_STEPS = 8;
const EXACT_DAY_BINS = 32;
const BINS_PER_DOUBLING = 8;
const DOUBLINGS = 5;
/** 32 one-day bins, then 8 per doubling to 1 024 days, then one bin for anything longer. */
export const POPULATION_BINS = EXACT_DAY_BINS + BINS_PER_DOUBLING * DOUBLINGS + 1;

export interface PopulationLatency {
  /** activity[step − 1][bin]: gaps between consecutive active days, by step. */
  activity: number[][];
  /** Earliest and latest day a recorded gap ended on (null: none yet). */
  firstDay: number | null;
  lastDay: number | null;
}

export function emptyPopulationLatency(): PopulationLatency {
  return {
    activity: Array.from({ length: POPULATION_STEPS }, () =>
      new Array<number>(POPULATION_BINS).fill(0),
    ),
    firstDay: null,
    lastDay: null,
  };
}

const minOf = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b);
const maxOf = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** The bin of a gap of `gapDays` (>= 1) days. */
export function binOfGap(gapDays: number): number {
  if (gapDays <= EXACT_DAY_BINS) return Math.max(0, Math.ceil(gapDays) - 1);
  const doublings = Math.log2(gapDays / EXACT_DAY_BINS);
  return Math.min(POPULATION_BINS - 1, EXACT_DAY_BINS + Math.floor(doublings * BINS_PER_DOUBLING));
}

/** [lower, upper) gap length of a bin, in days (upper of the last bin: twice its lower). */
function binRange(bin: number): [number, number] {
  if (bin < EXACT_DAY_BINS) return [bin + 1, bin + 2];
  const offset = bin - EXACT_DAY_BINS;
  const lower = EXACT_DAY_BINS * 2 ** (offset / BINS_PER_DOUBLING);
  const upper =
    bin === POPULATION_BINS - 1
      ? lower * 2
      : EXACT_DAY_BINS * 2 ** ((offset + 1) / BINS_PER_DOUBLING);
  return [lower, upper];
}

export interface GapObservation {
  /** n for the gap from the n-th active day to the (n+1)-th. */
  step: number;
  gapDays: number;
  /** The day the gap ended on (the (n+1)-th active day). */
  endDay: number;
}

/** A new accumulator with the observations added (the input is not changed). */
export function addGaps(
  population: PopulationLatency,
  observations: readonly GapObservation[],
): PopulationLatency {
  if (observations.length === 0) return population;
  const next = { ...population, activity: population.activity.map((bins) => [...bins]) };
  for (const { step, gapDays, endDay } of observations) {
    if (!(step >= 1) || !(gapDays >= 1)) continue;
    next.activity[Math.min(step, POPULATION_STEPS) - 1]![binOfGap(gapDays)]! += 1;
    next.firstDay = minOf(next.firstDay, endDay);
    next.lastDay = maxOf(next.lastDay, endDay);
  }
  return next;
}

/** Bin-by-bin sum: the statistics of the union of two sets of customers (or partitions). */
export function mergePopulationLatency(
  left: PopulationLatency,
  right: PopulationLatency,
): PopulationLatency {
  return {
    activity: left.activity.map((bins, step) =>
      bins.map((count, bin) => count + (right.activity[step]?.[bin] ?? 0)),
    ),
    firstDay: minOf(left.firstDay, right.firstDay),
    lastDay: maxOf(left.lastDay, right.lastDay),
  };
}

/**
 * The gaps a profile's decision timeline consumed between two states of the same customer: each
 * active day that became the anchor after `before` closes the gap from the previous anchor. The
 * step of a gap ending on day d is the number of the customer's active days before d.
 */
export function consumedGaps(before: Profile, after: Profile): GapObservation[] {
  if (after.anchorDay === null || after.anchorDay === before.anchorDay) return [];
  const observations: GapObservation[] = [];
  let previous = before.anchorDay;
  const days = after.activeDays;
  for (let index = 0; index < days.length; index += 1) {
    const day = days[index]!;
    if ((before.anchorDay !== null && day <= before.anchorDay) || day > after.anchorDay) continue;
    if (previous !== null) {
      observations.push({
        step: activeDaysBefore(after, day),
        gapDays: day - previous,
        endDay: day,
      });
    }
    previous = day;
  }
  return observations;
}

/** Distinct active days before `day` in the customer's whole history. */
export function activeDaysBefore(profile: Profile, day: number): number {
  let newer = 0;
  // Indexed, as the hot path walks active-day lists (see nextUnconsumedDay in timeline.ts).
  const days = profile.activeDays;
  for (let index = 0; index < days.length; index += 1) if (days[index]! >= day) newer += 1;
  return profile.lifetimeActiveDays - newer;
}

/** What decisions read: per step, the population's hurdle (a quantile of its gaps). */
export interface PopulationHurdles {
  /** hurdleDays[step − 1]; null where the step has too few gaps (the pooled value stands in). */
  hurdleDays: (number | null)[];
  /** The quantile over all steps pooled; null when the population has too few gaps at all. */
  pooledHurdleDays: number | null;
  /** Gaps behind each step's value. */
  gaps: number[];
}

/** Gaps a step needs before its own quantile is used. */
export const MIN_GAPS_PER_STEP = 30;
/**
 * Only completed gaps are counted, so young statistics know only short gaps (the long ones have
 * not ended yet): a quantile is trusted only when the statistics span at least this many times
 * its length. Until then the step has no population hurdle (the purchase model, fitted with the
 * customers still silent, stands in).
 */
export const SPAN_PER_HURDLE = 6;

function quantileOf(bins: readonly number[], quantile: number): number | null {
  const total = bins.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const target = quantile * total;
  let cumulative = 0;
  for (let bin = 0; bin < bins.length; bin += 1) {
    const count = bins[bin]!;
    if (count === 0) continue;
    if (cumulative + count >= target) {
      const [lower, upper] = binRange(bin);
      if (bin < EXACT_DAY_BINS) return lower;
      // Geometric interpolation inside a logarithmic bin.
      const within = (target - cumulative) / count;
      return lower * (upper / lower) ** within;
    }
    cumulative += count;
  }
  return binRange(bins.length - 1)[1];
}

export function populationHurdles(
  population: PopulationLatency,
  config: RulesConfig,
): PopulationHurdles {
  const quantile = config.populationHurdleQuantile;
  const spanDays =
    population.firstDay === null || population.lastDay === null
      ? 0
      : population.lastDay - population.firstDay + 1;
  const trusted = (value: number | null) =>
    value !== null && value * SPAN_PER_HURDLE <= spanDays ? value : null;
  const pooled = new Array<number>(POPULATION_BINS).fill(0);
  const gaps = population.activity.map((bins) => {
    bins.forEach((count, bin) => (pooled[bin]! += count));
    return bins.reduce((sum, count) => sum + count, 0);
  });
  const pooledGaps = gaps.reduce((sum, count) => sum + count, 0);
  return {
    hurdleDays: population.activity.map((bins, step) =>
      gaps[step]! >= MIN_GAPS_PER_STEP ? trusted(quantileOf(bins, quantile)) : null,
    ),
    pooledHurdleDays:
      pooledGaps >= MIN_GAPS_PER_STEP ? trusted(quantileOf(pooled, quantile)) : null,
    gaps,
  };
}

/** The population's hurdle for a customer whose next gap is step `step`; null when none. */
export function populationHurdleFor(hurdles: PopulationHurdles, step: number): number | null {
  const index = Math.min(Math.max(step, 1), POPULATION_STEPS) - 1;
  return hurdles.hurdleDays[index] ?? hurdles.pooledHurdleDays;
}

// ── Storage: a compact, versioned text form (the store keeps one per partition) ─────────────
const POPULATION_FORMAT = 'pl1';

/**
 * `pl1;<firstDay>;<lastDay>;` then per step its non-zero bins as `bin:count` pairs joined by
 * `,`, steps by `;` (empty days: none yet).
 */
export function encodePopulationLatency(population: PopulationLatency): string {
  return [
    POPULATION_FORMAT,
    population.firstDay ?? '',
    population.lastDay ?? '',
    ...population.activity.map((bins) =>
      bins.flatMap((count, bin) => (count > 0 ? [`${bin}:${count}`] : [])).join(','),
    ),
  ].join(';');
}

export function decodePopulationLatency(text: string): PopulationLatency {
  const fail = (message: string): never => {
    throw new PulseCoreError('CORRUPT_MODEL', `corrupt population statistics: ${message}`, {});
  };
  const [format, firstDay, lastDay, ...steps] = text.split(';');
  if (format !== POPULATION_FORMAT) fail(`unknown format ${String(format)}`);
  if (steps.length !== POPULATION_STEPS) fail(`expected ${POPULATION_STEPS} steps`);
  const population = emptyPopulationLatency();
  const day = (value: string | undefined) => {
    if (value === undefined || value === '') return null;
    return Number.isSafeInteger(Number(value)) ? Number(value) : fail(`bad day ${value}`);
  };
  population.firstDay = day(firstDay);
  population.lastDay = day(lastDay);
  steps.forEach((step, index) => {
    if (step === '') return;
    for (const pair of step.split(',')) {
      const [bin, count] = pair.split(':').map(Number);
      if (!Number.isInteger(bin) || bin! < 0 || bin! >= POPULATION_BINS) fail(`bad bin in ${pair}`);
      if (!Number.isSafeInteger(count) || count! < 0) fail(`bad count in ${pair}`);
      population.activity[index]![bin!] = count!;
    }
  });
  return population;
}

const HURDLES_FORMAT = 'ph1';

/**
 * The frozen table as the store keeps it beside the statistics:
 * `ph1;<pooled>;<hurdle per step, ','-joined>;<gaps per step, ','-joined>` (empty: null).
 */
export function encodePopulationHurdles(hurdles: PopulationHurdles): string {
  const days = (value: number | null) => (value === null ? '' : String(round6(value)));
  return [
    HURDLES_FORMAT,
    days(hurdles.pooledHurdleDays),
    hurdles.hurdleDays.map(days).join(','),
    hurdles.gaps.join(','),
  ].join(';');
}

export function decodePopulationHurdles(text: string): PopulationHurdles {
  const fail = (message: string): never => {
    throw new PulseCoreError('CORRUPT_MODEL', `corrupt population hurdles: ${message}`, {});
  };
  const [format, pooled, steps, gaps] = text.split(';');
  if (format !== HURDLES_FORMAT) fail(`unknown format ${String(format)}`);
  const days = (value: string | undefined): number | null => {
    if (value === undefined || value === '') return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fail(`bad hurdle ${value}`);
  };
  const hurdleDays = (steps ?? '').split(',').map(days);
  const counts = (gaps ?? '').split(',').map((value) => {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : fail(`bad gap count ${value}`);
  });
  if (hurdleDays.length !== POPULATION_STEPS || counts.length !== POPULATION_STEPS)
    fail(`expected ${POPULATION_STEPS} steps`);
  return { hurdleDays, pooledHurdleDays: days(pooled), gaps: counts };
}

/** Six decimals: the stored table decodes to what decisions read when it is not re-read. */
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * The table a step freezes: `populationHurdles` with its days rounded as stored, so a partition
 * that keeps the table in memory and one that reads it back from the store decide alike.
 */
export function frozenPopulationHurdles(
  population: PopulationLatency,
  config: RulesConfig,
): PopulationHurdles {
  const hurdles = populationHurdles(population, config);
  const rounded = (value: number | null) => (value === null ? null : round6(value));
  return {
    hurdleDays: hurdles.hurdleDays.map(rounded),
    pooledHurdleDays: rounded(hurdles.pooledHurdleDays),
    gaps: hurdles.gaps,
  };
}
