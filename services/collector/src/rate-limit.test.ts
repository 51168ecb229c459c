import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './rate-limit.ts';

describe('TokenBuckets', () => {
  it('allows the burst, then refuses with the seconds until the next token', () => {
    let nowMs = 0;
    const buckets = new TokenBuckets(2, 3, () => nowMs);
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, true]);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    nowMs = 500; // half a second at 2/s: one token back
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
  });

  it('keeps one bucket per key and never holds more than the burst', () => {
    let nowMs = 0;
    const buckets = new TokenBuckets(1, 2, () => nowMs);
    buckets.take('a');
    buckets.take('a');
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
    nowMs = 60_000;
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, false]);
  });

  it('rounds Retry-After up for slow rates', () => {
    const buckets = new TokenBuckets(0.1, 1, () => 0);
    buckets.take('a');
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });
});
