import { describe, expect, it } from 'vitest';
import { ceilingsOf } from './ceilings.ts';

describe('ceilings of a log', () => {
  it('finds the N-day rule with the best F1', () => {
    // Gone exactly when silent for 50 days or more: N = 50 is perfect, N = 10 is not.
    const recencyDays = [0, 5, 10, 20, 49, 50, 60, 90, 120];
    const gone = recencyDays.map((days) => days >= 50);
    const { bestRecencyRule } = ceilingsOf({
      recencyDays,
      repeatDays: recencyDays.map(() => 1),
      gone,
    });
    expect(bestRecencyRule).toEqual({ days: 50, f1: 1, precision: 1, recall: 1 });
  });

  it('scores each recency × frequency group by the share of it that went', () => {
    // Within one group (same repeat days, same 30-day recency bin) the lookup cannot separate
    // customers: two groups, one all gone, one half gone.
    const recencyDays = [100, 101, 102, 103, 1, 2, 3, 4];
    const repeatDays = [0, 0, 0, 0, 5, 5, 5, 5];
    const gone = [true, true, true, true, true, false, true, false];
    const { lookup } = ceilingsOf({ recencyDays, repeatDays, gone });
    expect(lookup.groups).toBe(2);
    // 6 gone × 2 retained pairs: the 4 gone of the first group outrank both retained (8 pairs),
    // the 2 gone of the second tie with them (4 pairs at one half): (8 + 2) / 12.
    expect(lookup.auc).toBeCloseTo(10 / 12, 10);
  });
});
