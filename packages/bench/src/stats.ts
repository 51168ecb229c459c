/** Pure statistics of the benchmark: medians of repeated runs and latency percentiles. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in run order. */
  runs: number[];
}

/** Median (mean of the two middle values for an even count), min and max of repeated runs. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: [...values] };
}

/** Nearest-rank percentile (p in (0, 100]) of an ascending array. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) throw new RangeError('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new RangeError('p must be in (0, 100]');
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, rank) - 1]!;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencySummary(valuesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(valuesMs).sort();
  const asArray = Array.from(sorted);
  return {
    samples: asArray.length,
    p50Ms: percentile(asArray, 50),
    p99Ms: percentile(asArray, 99),
    maxMs: asArray[asArray.length - 1]!,
  };
}
