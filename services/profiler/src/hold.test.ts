import { describe, expect, it } from 'vitest';
import { holdDeadlineMs, inSilentWindow } from './hold.ts';

const DAY_MS = 86_400_000;

describe('inSilentWindow', () => {
  const newest = new Map([
    ['visits', 1_000],
    ['purchases', 500],
  ]);

  it('needs every input in a gap, and one gap closed by returning traffic', () => {
    const windows = {
      visits: [[100, 200]] as [number, number][],
      purchases: [[50, 400]] as [number, number][],
    };
    expect(inSilentWindow(150, windows, newest, 50)).toBe(true);
    expect(inSilentWindow(250, windows, newest, 50)).toBe(true);
    expect(inSilentWindow(251, windows, newest, 50)).toBe(false);
    expect(inSilentWindow(99, windows, newest, 50)).toBe(false);
  });

  it('counts an input quiet since its newest event as silent, but not on its own', () => {
    // Purchases have been quiet since 500; visits had a closed gap 600-800.
    const windows = { visits: [[600, 800]] as [number, number][] };
    expect(inSilentWindow(700, windows, newest, 0)).toBe(true);
    expect(inSilentWindow(400, windows, newest, 0)).toBe(false);
    // Nothing closed: a quiet input is not an outage.
    expect(inSilentWindow(2_000, {}, newest, 0)).toBe(false);
  });
});

describe('holdDeadlineMs', () => {
  it('is day-aligned, after the due time plus the confirmation time', () => {
    const entry = {
      signal: {
        signalId: 's',
        kind: 'lapsed' as const,
        customerId: 'c',
        detectedAtMs: 10 * DAY_MS,
        evidence: {},
        rulesVersion: 'r',
      },
      reason: 'storm' as const,
      heldAtStreamMs: 0,
    };
    expect(holdDeadlineMs(entry, 2 * DAY_MS)).toBe(13 * DAY_MS);
    expect(holdDeadlineMs(entry, 2 * DAY_MS + 1)).toBe(13 * DAY_MS);
  });
});
