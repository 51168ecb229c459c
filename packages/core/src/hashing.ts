// Deterministic hashes. Event ids are hashed to a 53-bit integer (exact in a JS number), so the
// dedup memory is "the N largest (occurredAtMs, hash) pairs", a set function independent of
// arrival order. Signal ids hash (customer, kind, sequence), so every replay names a decision alike.
import { hash } from 'node:crypto';
import type { SignalKind } from './events.ts';

/** 53-bit non-negative integer hash of an event id (first 53 bits of its SHA-256). */
export function eventIdHash(eventId: string): number {
  // crypto.hash: the one-shot form, several times cheaper than createHash for short inputs
  // (this runs once per event on the hot path); same digest. As a 'binary' (latin1) string, one
  // character per byte: about half the cost of the call with a Buffer to make and read.
  const digest = hash('sha256', eventId, 'binary');
  // The first 32 bits, then the top 21 of the next 32: 53 bits, exact as a double.
  return digestUInt32BE(digest, 0) * 0x200000 + (digestUInt32BE(digest, 4) >>> 11);
}

/**
 * The unsigned big-endian 32-bit integer at byte `offset` of a digest spelled as a 'binary'
 * (latin1) string, one character per byte (crypto.hash(…, 'binary')).
 */
export function digestUInt32BE(digest: string, offset: number): number {
  return (
    ((digest.charCodeAt(offset) << 24) |
      (digest.charCodeAt(offset + 1) << 16) |
      (digest.charCodeAt(offset + 2) << 8) |
      digest.charCodeAt(offset + 3)) >>>
    0
  );
}

/** Same customer + kind + sequence number → same id, whatever the replay or batch boundaries. */
export function signalIdFor(customerId: string, kind: SignalKind, sequence: number): string {
  const digest = hash('sha256', `pulse-signal\u0000${customerId}\u0000${kind}\u0000${sequence}`);
  return `${kind}-${digest.slice(0, 24)}`;
}
