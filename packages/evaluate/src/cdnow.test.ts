// The fit against the published figures. Fader, Hardie & Lee (2005), "Counting your customers the
// easy way", report for the CDNOW sample (2 357 customers, 39-week calibration ending 1997-09-30)
// the BG/NBD maximum-likelihood estimates r = 0.243, α = 4.414, a = 0.793, b = 2.426 and a
// log-likelihood of −9582.4. The sample is in fixtures/ (see its README for where it comes
// from); PULSE_CDNOW_PURCHASES may name another copy of its CSV form.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fitPurchaseModel, groupHistories, dayOf } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { parseLog } from './csv.ts';

const FILE =
  process.env.PULSE_CDNOW_PURCHASES ??
  fileURLToPath(new URL('../fixtures/cdnow-sample-purchases.csv', import.meta.url));
const PAPER = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 };

describe('BG/NBD on the CDNOW sample', () => {
  it('reproduces the published estimates within 1 %', () => {
    expect(existsSync(FILE), `the CDNOW sample as CSV at ${FILE}`).toBe(true);
    const events = parseLog(readFileSync(FILE, 'utf8'), 'purchase', FILE);
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
