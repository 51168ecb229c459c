// Classification figures of a predictor of "gone" against the truth: confusion matrix,
// precision, recall, F1, accuracy, and for a continuous score the ROC curve and its area.

export interface Confusion {
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

export interface Classification {
  confusion: Confusion;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

/** predicted[i] / actual[i]: "gone" (true) or not. */
export function classify(
  predicted: readonly boolean[],
  actual: readonly boolean[],
): Classification {
  const confusion: Confusion = {
    truePositives: 0,
    falsePositives: 0,
    trueNegatives: 0,
    falseNegatives: 0,
  };
  predicted.forEach((guess, index) => {
    const truth = actual[index]!;
    if (guess && truth) confusion.truePositives += 1;
    else if (guess) confusion.falsePositives += 1;
    else if (truth) confusion.falseNegatives += 1;
    else confusion.trueNegatives += 1;
  });
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = confusion;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const accuracy = predicted.length === 0 ? 0 : (tp + confusion.trueNegatives) / predicted.length;
  return { confusion, precision, recall, f1, accuracy };
}

/**
 * Area under the ROC curve of a score (higher = more likely "gone"): the probability that a
 * random gone customer scores above a random retained one, ties counting half (Mann–Whitney U
 * with average ranks). NaN when one class is empty.
 */
export function rocAuc(scores: readonly number[], actual: readonly boolean[]): number {
  const order = scores.map((score, index) => ({ score, gone: actual[index]! }));
  order.sort((x, y) => x.score - y.score);
  let rankSumGone = 0;
  let gone = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && order[end]!.score === order[start]!.score) end += 1;
    const averageRank = (start + 1 + end) / 2;
    for (let index = start; index < end; index += 1) {
      if (order[index]!.gone) {
        rankSumGone += averageRank;
        gone += 1;
      }
    }
    start = end;
  }
  const retained = order.length - gone;
  if (gone === 0 || retained === 0) return Number.NaN;
  return (rankSumGone - (gone * (gone + 1)) / 2) / (gone * retained);
}

export interface RocPoint {
  falsePositiveRate: number;
  truePositiveRate: number;
}

/** The ROC curve: one point per distinct threshold, from (0, 0) to (1, 1). */
export function rocCurve(scores: readonly number[], actual: readonly boolean[]): RocPoint[] {
  const order = scores.map((score, index) => ({ score, gone: actual[index]! }));
  order.sort((x, y) => y.score - x.score);
  const gone = order.filter((entry) => entry.gone).length;
  const retained = order.length - gone;
  const points: RocPoint[] = [{ falsePositiveRate: 0, truePositiveRate: 0 }];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && order[end]!.score === order[start]!.score) {
      if (order[end]!.gone) tp += 1;
      else fp += 1;
      end += 1;
    }
    points.push({
      falsePositiveRate: retained === 0 ? 0 : fp / retained,
      truePositiveRate: gone === 0 ? 0 : tp / gone,
    });
    start = end;
  }
  return points;
}

export interface CalibrationBin {
  /** Mean predicted probability of the bin. */
  predicted: number;
  /** Observed share in the bin. */
  observed: number;
  customers: number;
}

/** Predicted probabilities against observed shares, in `bins` equal-width bins of [0, 1]. */
export function calibration(
  probabilities: readonly number[],
  outcomes: readonly boolean[],
  bins = 10,
): CalibrationBin[] {
  const sums = Array.from({ length: bins }, () => ({ predicted: 0, observed: 0, customers: 0 }));
  probabilities.forEach((probability, index) => {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(probability * bins)));
    sums[bin]!.predicted += probability;
    sums[bin]!.observed += outcomes[index]! ? 1 : 0;
    sums[bin]!.customers += 1;
  });
  return sums
    .filter((sum) => sum.customers > 0)
    .map((sum) => ({
      predicted: sum.predicted / sum.customers,
      observed: sum.observed / sum.customers,
      customers: sum.customers,
    }));
}
