import type { Signal } from '@pulse/core';
import type { OutputRecord } from '@pulse/stream';
import { encodeSignalJson } from '@pulse/contracts';

/**
 * What a commit puts in a partition's outbox: signals (sent to their signal topic by the relay)
 * and dead letters (bad input, sent to the DLQ with its reason). Both leave through the outbox
 * so they are written atomically with the offsets that consumed their input: a crash can
 * repeat a send, never lose one.
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
      key: string | null;
      valueBase64: string;
      headers: Record<string, string>;
    };

export function encodeOutboxEntry(entry: OutboxEntry): string {
  return JSON.stringify(entry);
}

export function decodeOutboxEntry(payload: string): OutboxEntry {
  return JSON.parse(payload) as OutboxEntry;
}

/** The Kafka record of an outbox entry. `emittedAtMs` is the wall clock of this send. */
export function toOutputRecord(entry: OutboxEntry, emittedAtMs: number): OutputRecord {
  if (entry.type === 'dead-letter') {
    return {
      topic: entry.topic,
      key: entry.key ?? '',
      value: Buffer.from(entry.valueBase64, 'base64'),
      headers: entry.headers,
    };
  }
  const { signal } = entry;
  return {
    topic: entry.topic,
    key: signal.customerId,
    value: encodeSignalJson({
      signalId: signal.signalId,
      kind: signal.kind,
      customerId: signal.customerId,
      detectedAt: new Date(signal.detectedAtMs).toISOString(),
      emittedAt: new Date(emittedAtMs).toISOString(),
      evidence: signal.evidence,
      rulesVersion: signal.rulesVersion,
    }),
    headers: { 'pulse-signal-id': signal.signalId, 'pulse-signal-kind': signal.kind },
  };
}
