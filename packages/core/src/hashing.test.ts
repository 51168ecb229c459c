import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventIdHash } from './hashing.ts';

/** The definition, spelled the slow way: the first 53 bits of the id's SHA-256 (UTF-8). */
function first53BitsOfSha256(eventId: string): number {
  const hex = createHash('sha256').update(eventId, 'utf8').digest('hex');
  return Number(BigInt(`0x${hex.slice(0, 14)}`) >> 3n);
}

describe('eventIdHash', () => {
  // Stored profiles remember these hashes: a redelivered event is recognised only while the
  // function stays the same, whatever the code that computes it.
  it('is the first 53 bits of the SHA-256 of the id, for any id', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.uuid()), (eventId) => {
        expect(eventIdHash(eventId)).toBe(first53BitsOfSha256(eventId));
      }),
      { numRuns: 2_000 },
    );
    for (const eventId of ['', 'e1', 'ünïcødé-事件', 'x'.repeat(500)]) {
      expect(eventIdHash(eventId)).toBe(first53BitsOfSha256(eventId));
    }
  });

  it('is a non-negative integer below 2^53 that uses the top bits too', () => {
    let top = 0;
    for (let index = 0; index < 1_000; index += 1) {
      const value = eventIdHash(`event-${index}`);
      expect(Number.isSafeInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      if (value >= 2 ** 52) top += 1;
    }
    // About half the hashes have the 53rd bit set.
    expect(top).toBeGreaterThan(400);
    expect(top).toBeLessThan(600);
  });
});
