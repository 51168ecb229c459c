import type { Signal } from '@pulse/core';

/**
 * What a commit puts in a partition's outbox stream, and how it is written there: signals (sent
 * to their topic by the relay) and dead letters (bad input, sent with its reason). Both leave
 * through the outbox, so they are written atomically with the positions that consumed their
 * input: a crash can repeat a send, never lose one. `forgetCustomer-5.lua` reads this format
 * (the customer of a signal, the key of a dead letter) to delete a customer's unsent entries.
 */
export type OutboxEntry =
  | {
      type: 'signal';
      topic: string;
      signal: Signal;
      /** Wall clock of the commit that decided it: the start of the signal-delay measure. */
      decidedAtWallMs?: number;
    }
  | {
      type: 'dead-letter';
      topic: string;
      /** The record's key as text (the customer id of a well-keyed record), or null: what
       * `forgetCustomer` matches on. */
      key: string | null;
      /** The key's exact bytes (bounded like the value). Entries written before keys were kept
       * as bytes have only `key`. */
      keyBase64?: string | null;
      valueBase64: string;
      headers: Record<string, string>;
    };

export function encodeOutboxEntry(entry: OutboxEntry): string {
  return JSON.stringify(entry);
}

export function decodeOutboxEntry(payload: string): OutboxEntry {
  return JSON.parse(payload) as OutboxEntry;
}
