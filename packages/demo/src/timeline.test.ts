import { describe, expect, it } from 'vitest';
import type { SignalWire } from '@pulse/contracts';
import { DAY_MS } from '@pulse/core';
import { signalsFingerprint, statusTimeline } from './timeline.ts';

const START = Date.UTC(2025, 0, 1);
const at = (day: number) => new Date(START + day * DAY_MS).toISOString();

function signal(
  kind: SignalWire['kind'],
  customerId: string,
  day: number,
  id = `${kind}-${customerId}-${day}`,
): SignalWire {
  return {
    signalId: id,
    kind,
    customerId,
    detectedAt: at(day),
    emittedAt: '2030-01-01T00:00:00.000Z',
    evidence: { daysSilent: 4 },
    rulesVersion: 'r000000000000',
  };
}

describe('statusTimeline', () => {
  it('counts customers from their first day and moves them with their lapse signals', () => {
    const customers = [
      { customerId: 'a', firstSeenMs: START },
      { customerId: 'b', firstSeenMs: START + 2 * DAY_MS },
      { customerId: 'c', firstSeenMs: null },
    ];
    const signals = [
      signal('lapsed', 'a', 3),
      signal('reactivated', 'a', 5),
      signal('ready_to_buy', 'b', 4),
      signal('lapsed', 'b', 6),
    ];
    const points = statusTimeline(customers, signals, START, START + 8 * DAY_MS);
    expect(points.map(({ active, lapsed, reactivated }) => [active, lapsed, reactivated])).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
      [1, 1, 0],
      [1, 1, 0],
      [1, 0, 1],
      [0, 1, 1],
      [0, 1, 1],
    ]);
    expect(points[0]!.dayMs).toBe(START);
  });

  it('applies a lapse and its reactivation on the same day in that order', () => {
    const points = statusTimeline(
      [{ customerId: 'a', firstSeenMs: START }],
      [signal('reactivated', 'a', 2), signal('lapsed', 'a', 2)],
      START,
      START + 3 * DAY_MS,
    );
    expect(points.at(-1)).toMatchObject({ active: 0, lapsed: 0, reactivated: 1 });
  });
});

describe('signalsFingerprint', () => {
  it('ignores order, repeats and emittedAt, and sees any change of a decision', () => {
    const signals = [signal('lapsed', 'a', 3), signal('reactivated', 'a', 5)];
    const base = signalsFingerprint(signals);
    expect(signalsFingerprint([...signals].reverse())).toBe(base);
    expect(signalsFingerprint([...signals, { ...signals[0]!, emittedAt: at(9) }])).toBe(base);
    expect(
      signalsFingerprint([{ ...signals[0]!, evidence: { daysSilent: 5 } }, signals[1]!]),
    ).not.toBe(base);
    expect(signalsFingerprint([signals[0]!])).not.toBe(base);
  });
});
