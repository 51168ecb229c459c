// The fit against the published figures. Fader, Hardie & Lee (2005), "Counting your customers the
// easy way", report for the CDNOW sample (2 357 customers, 39-week calibration ending 1997-09-30)
// the BG/NBD maximum-likelihood estimates r = 0.243, α = 4.414, a = 0.793, b = 2.426 and a
// log-likelihood of −9582.4. The sample is not in this repository (its licence is not ours to
// grant): PULSE_CDNOW_PURCHASES names its CSV form (customerId, occurredAt, amount), converted
// from the CDNOW_sample.txt the authors publish and the `lifetimes` Python library distributes.
// Without it this test fails, saying so — it is never skipped.
import { existsSync, readFileSync } from 'node:fs';
import { fitPurchaseModel, groupHistories, dayOf } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { parseLog } from './csv.ts';

const FILE = process.env.PULSE_CDNOW_PURCHASES;
const PAPER = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 };

describe('BG/NBD on the CDNOW sample', () => {
  it('reproduces the published estimates within 1 %', () => {
    expect(
      FILE !== undefined && existsSync(FILE),
      'set PULSE_CDNOW_PURCHASES to the CDNOW sample as CSV (customerId,occurredAt,amount)',
    ).toBe(true);
    const events = parseLog(readFileSync(FILE!, 'utf8'), 'purchase', FILE!);
    const cutoffDay = dayOf(Date.parse('1997-09-30T00:00:00Z'));
    const days = new Map<string, Set<number>>();
    for (const event of events) {
      const day = dayOf(event.occurredAtMs);
      if (day > cutoffDay) continue;
      if (!days.has(event.customerId)) days.set(event.customerId, new Set());
      days.get(event.customerId)!.add(day);
    }
    const histories = [...days.values()].map((set) => {
      const sorted = [...set].sort((a, b) => a - b);
      return {
        x: sorted.length - 1,
        tx: (sorted.at(-1)! - sorted[0]!) / 7,
        T: (cutoffDay - sorted[0]!) / 7,
      };
    });
    expect(histories).toHaveLength(2357);
    const fit = fitPurchaseModel('bgnbd', groupHistories(histories));
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(fit.parameters[name] / PAPER[name] - 1)).toBeLessThan(0.01);
    }
    expect(Math.abs(fit.logLikelihood / PAPER.logLikelihood - 1)).toBeLessThan(0.01);
    expect(fit.logLikelihood).toBeCloseTo(PAPER.logLikelihood, 0);
  }, 60_000);
});
