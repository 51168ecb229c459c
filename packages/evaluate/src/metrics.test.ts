import { describe, expect, it } from 'vitest';
import { calibration, classify, rocAuc, rocCurve } from './metrics.ts';

describe('metrics', () => {
  it('counts the confusion matrix and derives precision, recall, F1 and accuracy', () => {
    const result = classify([true, true, false, false, true], [true, false, false, true, true]);
    expect(result.confusion).toEqual({
      truePositives: 2,
      falsePositives: 1,
      trueNegatives: 1,
      falseNegatives: 1,
    });
    expect(result.precision).toBeCloseTo(2 / 3, 12);
    expect(result.recall).toBeCloseTo(2 / 3, 12);
    expect(result.f1).toBeCloseTo(2 / 3, 12);
    expect(result.accuracy).toBeCloseTo(3 / 5, 12);
  });

  it('computes the AUC as the share of correctly ordered pairs, ties counting half', () => {
    // Pairs (gone, retained): (0.9, 0.1) right, (0.9, 0.5) right, (0.5, 0.1) right,
    // (0.5, 0.5) tie → (3 + 0.5) / 4.
    expect(rocAuc([0.9, 0.5, 0.1, 0.5], [true, true, false, false])).toBeCloseTo(3.5 / 4, 12);
    expect(rocAuc([1, 2, 3], [true, true, true])).toBeNaN();
  });

  it('draws the ROC curve from (0, 0) to (1, 1), its area the AUC', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3];
    const actual = [true, false, true, true, false, false, true];
    const curve = rocCurve(scores, actual);
    expect(curve[0]).toEqual({ falsePositiveRate: 0, truePositiveRate: 0 });
    expect(curve.at(-1)).toEqual({ falsePositiveRate: 1, truePositiveRate: 1 });
    let area = 0;
    for (let index = 1; index < curve.length; index += 1) {
      const [a, b] = [curve[index - 1]!, curve[index]!];
      area +=
        ((b.falsePositiveRate - a.falsePositiveRate) * (a.truePositiveRate + b.truePositiveRate)) /
        2;
    }
    expect(area).toBeCloseTo(rocAuc(scores, actual), 12);
  });

  it('bins predicted probabilities against observed shares', () => {
    const bins = calibration([0.05, 0.15, 0.95, 0.91], [false, true, true, false], 10);
    expect(bins.map((bin) => [bin.observed, bin.customers])).toEqual([
      [0, 1],
      [1, 1],
      [0.5, 2],
    ]);
    expect(bins.map((bin) => bin.predicted)).toEqual([0.05, 0.15, (0.95 + 0.91) / 2]);
  });
});
