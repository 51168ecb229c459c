// Deterministic hashes. Event ids are hashed to a 53-bit integer (exact in a JS number), so the
// dedup memory is "the N largest (occurredAtMs, hash) pairs", a set function independent of
// arrival order. Signal ids hash (customer, kind, sequence), so every replay names a decision alike.
import { hash } from 'node:crypto';
import type { SignalKind } from './events.ts';

/** 53-bit non-negative integer hash of an event id (first 53 bits of its SHA-256). */
export function eventIdHash(eventId: string): number {
  // crypto.hash: the one-shot form, several times cheaper than createHash for short inputs
  // (this runs once per event on the hot path); same digest.
  const digest = hash('sha256', eventId, 'buffer');
  // 6 whole bytes (48 bits) then the top 5 bits of the seventh: 53 bits, exact as a double.
  return digest.readUIntBE(0, 6) * 32 + (digest[6]! >>> 3);
}

/** Same customer + kind + sequence number → same id, whatever the replay or batch boundaries. */
export function signalIdFor(customerId: string, kind: SignalKind, sequence: number): string {
  const digest = hash('sha256', `pulse-signal\u0000${customerId}\u0000${kind}\u0000${sequence}`);
  return `${kind}-${digest.slice(0, 24)}`;
}
