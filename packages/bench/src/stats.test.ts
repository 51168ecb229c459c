import { describe, expect, it } from 'vitest';
import { latencySummary, percentile, spread } from './stats.ts';

describe('spread', () => {
  it('takes the middle run as the median and keeps the run order', () => {
    expect(spread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
  });
  it('averages the two middle runs of an even count', () => {
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });
  it('refuses no runs', () => {
    expect(() => spread([])).toThrow(RangeError);
  });
});

describe('percentile', () => {
  const values = Array.from({ length: 100 }, (_, index) => index + 1);
  it('uses the nearest rank', () => {
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });
  it('summarises latencies whatever their order', () => {
    expect(latencySummary([5, 1, 3])).toEqual({ samples: 3, p50Ms: 3, p99Ms: 5, maxMs: 5 });
  });
});
