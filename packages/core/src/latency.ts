// The customer's usual latency: the typical gap, in days, between consecutive active days (or
// purchase days). Median and scaled MAD rather than mean and standard deviation, so one odd gap
// (a holiday) moves neither the centre nor the spread much.

/** 1.4826 × MAD estimates the standard deviation of normally distributed gaps. */
const MAD_TO_SIGMA = 1.4826;

export interface Latency {
  /** Median gap in days. */
  centreDays: number;
  /** Scaled median absolute deviation of the gaps, in days. */
  spreadDays: number;
  /** How many gaps the estimate rests on. */
  gaps: number;
}

export function median(sortedOrNot: readonly number[]): number {
  const length = sortedOrNot.length;
  if (length === 0) return Number.NaN;
  // A copy, sorted by insertion: the lists are a customer's few gaps, often sorted already.
  return medianInPlace(sortedOrNot.slice(), length);
}

/** Gaps between consecutive days of an ascending list of distinct day numbers. */
export function gapsBetween(ascendingDays: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let index = 1; index < ascendingDays.length; index += 1) {
    gaps.push(ascendingDays[index]! - ascendingDays[index - 1]!);
  }
  return gaps;
}

/**
 * Latency from the newest `maxGaps + 1` of the given ascending days that are <= asOfDay.
 * null when there is not a single gap.
 */
export function latencyOf(
  ascendingDays: readonly number[],
  asOfDay: number,
  maxGaps: number,
): Latency | null {
  // The days <= asOfDay are a prefix; the gaps are taken between its newest maxGaps + 1 days.
  // Worked in a scratch array, not in slices and copies: this runs several times per event.
  const end = countUpTo(ascendingDays, asOfDay);
  const start = keptStart(end, maxGaps);
  const count = end - start - 1;
  if (count <= 0) return null;
  if (scratch.length < count) scratch = new Float64Array(count * 2);
  const gaps = scratch;
  for (let index = 0; index < count; index += 1) {
    gaps[index] = ascendingDays[start + index + 1]! - ascendingDays[start + index]!;
  }
  const centreDays = medianInPlace(gaps, count);
  // The gaps are not read again: their absolute deviations from the centre overwrite them.
  for (let index = 0; index < count; index += 1) {
    gaps[index] = Math.abs(gaps[index]! - centreDays);
  }
  const spreadDays = MAD_TO_SIGMA * medianInPlace(gaps, count);
  return { centreDays, spreadDays, gaps: count };
}

/** The index of the first of the newest maxGaps + 1 days of a prefix of `end` days. */
function keptStart(end: number, maxGaps: number): number {
  return Math.max(0, end - (maxGaps + 1));
}

/** The gaps latencyOf measures (between the newest maxGaps + 1 days <= asOfDay), as a list. */
export function keptGaps(
  ascendingDays: readonly number[],
  asOfDay: number,
  maxGaps: number,
): number[] {
  const end = countUpTo(ascendingDays, asOfDay);
  const gaps: number[] = [];
  for (let index = keptStart(end, maxGaps) + 1; index < end; index += 1) {
    gaps.push(ascendingDays[index]! - ascendingDays[index - 1]!);
  }
  return gaps;
}

/** latencyOf's working space (one thread, no re-entry): grown when a list needs more. */
let scratch = new Float64Array(64);

/** The median of values[0..length), which it sorts in place (insertion: a few values). */
function medianInPlace(values: number[] | Float64Array, length: number): number {
  for (let index = 1; index < length; index += 1) {
    const value = values[index]!;
    let at = index;
    while (at > 0 && values[at - 1]! > value) {
      values[at] = values[at - 1]!;
      at -= 1;
    }
    values[at] = value;
  }
  const middle = length >> 1;
  return length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** The prefix of an ascending list holding the values <= limit. */
export function daysUpTo(ascendingDays: readonly number[], limit: number): readonly number[] {
  const end = countUpTo(ascendingDays, limit);
  return end === ascendingDays.length ? ascendingDays : ascendingDays.slice(0, end);
}

/** How many values of an ascending list are <= limit (the length of daysUpTo's prefix). */
function countUpTo(ascendingDays: readonly number[], limit: number): number {
  let end = ascendingDays.length;
  while (end > 0 && ascendingDays[end - 1]! > limit) end -= 1;
  return end;
}
