import type { OutboxItem } from '@pulse/core';
import { buildDeadLetter, encodeSignalJson, type DlqErrorKind } from '@pulse/contracts';
import type { OutboxEntry } from '@pulse/store';
import type { OutputRecord } from '@pulse/stream';

/**
 * The outbox entry the store keeps for one item the partition step decided to publish: a
 * signal as the core made it, a dead letter with its reason turned into the DLQ headers.
 */
export function toOutboxEntry(item: OutboxItem): OutboxEntry {
  if (item.type === 'signal') {
    return {
      type: 'signal',
      topic: item.topic,
      signal: item.signal,
      decidedAtWallMs: item.decidedAtWallMs,
    };
  }
  // The kinds the step reports are the contracts' decode verdicts and the core's timestamp
  // checks: all of them dead-letter kinds of the contract. The record is bounded (a prefix of an
  // oversized original, with its size and SHA-256), so it always fits on the topic.
  const record = buildDeadLetter(
    { ...item.reason, kind: item.reason.kind as DlqErrorKind },
    {
      key: item.key === null ? null : Buffer.from(item.key),
      value: item.value === null ? null : Buffer.from(item.value),
    },
  );
  return {
    type: 'dead-letter',
    topic: item.topic,
    key: record.key === null ? null : record.key.toString('utf8'),
    keyBase64: record.key === null ? null : record.key.toString('base64'),
    valueBase64: record.value === null ? '' : record.value.toString('base64'),
    headers: record.headers,
  };
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
      // Signal version 2: who the customer was at the decision (null when it was not known,
      // as for a signal decided before traits existed and still in an outbox).
      traits: signal.traits ?? null,
      segment: signal.segment ?? null,
    }),
    headers: { 'pulse-signal-id': signal.signalId, 'pulse-signal-kind': signal.kind },
  };
}
