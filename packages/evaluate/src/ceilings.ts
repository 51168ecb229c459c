// What a log itself allows a predictor of "gone" to reach, so that a predictor's figures can be
// read against a ceiling instead of against a hoped-for number. Both figures are fitted on the
// very customers they are scored on, so they flatter themselves: a real predictor, which must
// decide before it sees the holdout, can only do worse.
//
// - The best N-day rule: "gone after N silent days" for every N the log offers, keeping the N
//   with the highest F1. No single silence threshold beats it on this log.
// - The lookup ceiling: customers grouped by what recency and frequency say (repeat active days,
//   capped, × recency in bins of a fixed number of days); each group's score is the share of its
//   members that really went. The AUC of that score bounds what any score built from those two
//   numbers — which is what a rhythm, an N-day rule and BG/NBD all read — can reach on this log
//   at this coarseness; finer groups only memorise the holdout.
import { classify, rocAuc } from './metrics.ts';

export interface Ceilings {
  bestRecencyRule: { days: number; f1: number; precision: number; recall: number };
  lookup: { auc: number; groups: number; maxRepeatDays: number; recencyBinDays: number };
}

export interface CeilingInput {
  /** Days from the last active day to the cut-off, per customer. */
  recencyDays: readonly number[];
  /** Active days after the first (the models' x), per customer. */
  repeatDays: readonly number[];
  gone: readonly boolean[];
}

export const LOOKUP_MAX_REPEAT_DAYS = 3;
export const LOOKUP_RECENCY_BIN_DAYS = 30;

export function ceilingsOf(input: CeilingInput): Ceilings {
  const { recencyDays, repeatDays, gone } = input;
  let best: Ceilings['bestRecencyRule'] = { days: 0, f1: -1, precision: 0, recall: 0 };
  for (const days of [...new Set(recencyDays)].sort((a, b) => a - b)) {
    const figures = classify(
      recencyDays.map((silent) => silent >= days),
      gone,
    );
    if (figures.f1 > best.f1) {
      best = { days, f1: figures.f1, precision: figures.precision, recall: figures.recall };
    }
  }

  const groupOf = (index: number) =>
    `${Math.min(repeatDays[index]!, LOOKUP_MAX_REPEAT_DAYS)}:${Math.floor(recencyDays[index]! / LOOKUP_RECENCY_BIN_DAYS)}`;
  const groups = new Map<string, { gone: number; customers: number }>();
  gone.forEach((isGone, index) => {
    const key = groupOf(index);
    const group = groups.get(key) ?? { gone: 0, customers: 0 };
    group.gone += isGone ? 1 : 0;
    group.customers += 1;
    groups.set(key, group);
  });
  const score = gone.map((_, index) => {
    const group = groups.get(groupOf(index))!;
    return group.gone / group.customers;
  });
  return {
    bestRecencyRule: best,
    lookup: {
      auc: rocAuc(score, gone),
      groups: groups.size,
      maxRepeatDays: LOOKUP_MAX_REPEAT_DAYS,
      recencyBinDays: LOOKUP_RECENCY_BIN_DAYS,
    },
  };
}
