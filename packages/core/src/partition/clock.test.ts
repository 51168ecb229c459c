import { describe, expect, it } from 'vitest';
import { streamTimeOf } from './clock.ts';

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
