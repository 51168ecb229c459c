import { describe, expect, it } from 'vitest';
import { inputsToRecheck, newInputView, streamTimeOf, withLagging } from './clock.ts';

const LATENESS = 10;

describe('streamTimeOf', () => {
  it('is the newest event time minus the lateness when both topics are caught up', () => {
    expect(
      streamTimeOf(
        [
          { topic: 'visits', frontierMs: 1000, lagging: false },
          { topic: 'purchases', frontierMs: 400, lagging: false },
        ],
        null,
        LATENESS,
      ),
    ).toBe(990);
  });

  it('is held back by a topic that still has records to read', () => {
    // Visits raced ahead while purchases are still catching up: purchases must not become late.
    expect(
      streamTimeOf(
        [
          { topic: 'visits', frontierMs: 1000, lagging: true },
          { topic: 'purchases', frontierMs: 400, lagging: true },
        ],
        null,
        LATENESS,
      ),
    ).toBe(390);
    expect(
      streamTimeOf(
        [
          { topic: 'visits', frontierMs: 1000, lagging: false },
          { topic: 'purchases', frontierMs: undefined, lagging: true },
        ],
        200,
        LATENESS,
      ),
    ).toBe(200);
  });

  it('never goes backwards', () => {
    expect(
      streamTimeOf([{ topic: 'visits', frontierMs: 100, lagging: false }], 500, LATENESS),
    ).toBe(500);
    expect(streamTimeOf([], 500, LATENESS)).toBe(500);
  });
});

describe('inputsToRecheck', () => {
  const L = 40;
  const view = newInputView(['visits', 'purchases']);
  const frontiers = new Map([
    ['visits', 1000],
    ['purchases', 1000],
  ]);

  it('asks Kafka about a caught-up input once a chunk runs more than half a lateness past it', () => {
    expect(inputsToRecheck('visits', 1000 + L / 2, 0, frontiers, view, L)).toEqual([]);
    expect(inputsToRecheck('visits', 1000 + L / 2 + 1, 0, frontiers, view, L)).toEqual([
      'purchases',
    ]);
  });

  it('asks at most once per quarter lateness of event time', () => {
    expect(inputsToRecheck('visits', 1030, 1030 - L / 4 + 1, frontiers, view, L)).toEqual([]);
    expect(inputsToRecheck('visits', 1030, 1030 - L / 4, frontiers, view, L)).toEqual([
      'purchases',
    ]);
  });

  it('never asks about an input known to lag or paused', () => {
    expect(
      inputsToRecheck('visits', 2000, 0, frontiers, withLagging(view, 'purchases', true), L),
    ).toEqual([]);
    const paused = { ...view, paused: new Map([['purchases', 1000]]) };
    expect(inputsToRecheck('visits', 2000, 0, frontiers, paused, L)).toEqual([]);
  });

  it("keeps records a quarter lateness older than their own input's newest on time", () => {
    // Purchases believed caught up at 1000; visits run on, checked every quarter lateness.
    // The furthest visits get unchecked is past the last check (at most 1000 + L/2) plus a
    // quarter: the clock (newest − L) stays a quarter lateness behind purchases' frontier.
    let lastCheck = Number.NEGATIVE_INFINITY;
    let furthest = 1000;
    for (let visits = 1000; visits <= 1000 + 2 * L; visits += 1) {
      if (inputsToRecheck('visits', visits, lastCheck, frontiers, view, L).length > 0) {
        lastCheck = visits;
        break; // Kafka is asked: a purchase waiting there marks the input lagging.
      }
      furthest = visits;
    }
    expect(furthest - L).toBeLessThanOrEqual(1000 - L / 4);
  });
});
