import type { Signal } from '@pulse/core';
import type { OutputRecord } from '@pulse/stream';
import { encodeSignalJson, type DeadLetterRecord } from '@pulse/contracts';

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
      /** The original key's bytes (null: the record had none). Entries written before keys were
       * kept as bytes carry `key` (UTF-8 text) instead. */
      keyBase64?: string | null;
      key?: string | null;
      valueBase64: string;
      headers: Record<string, string>;
    };

/** The outbox entry of a dead letter built by buildDeadLetter (bounded key and value). */
export function deadLetterEntry(topic: string, record: DeadLetterRecord): OutboxEntry {
  return {
    type: 'dead-letter',
    topic,
    keyBase64: record.key === null ? null : record.key.toString('base64'),
    valueBase64: record.value === null ? '' : record.value.toString('base64'),
    headers: record.headers,
  };
}

export function encodeOutboxEntry(entry: OutboxEntry): string {
  return JSON.stringify(entry);
}

export function decodeOutboxEntry(payload: string): OutboxEntry {
  return JSON.parse(payload) as OutboxEntry;
}

/** The Kafka record of an outbox entry. `emittedAtMs` is the wall clock of this send. */
export function toOutputRecord(entry: OutboxEntry, emittedAtMs: number): OutputRecord {
  if (entry.type === 'dead-letter') {
    const key =
      entry.keyBase64 === undefined
        ? (entry.key ?? '')
        : entry.keyBase64 === null
          ? null
          : Buffer.from(entry.keyBase64, 'base64');
    return {
      topic: entry.topic,
      key,
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
