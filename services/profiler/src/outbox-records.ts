import type { OutboxItem } from '@pulse/core';
import { deadLetterHeaders, encodeSignalJson, type DlqErrorKind } from '@pulse/contracts';
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
  return {
    type: 'dead-letter',
    topic: item.topic,
    key: item.key ? Buffer.from(item.key).toString('utf8') : null,
    valueBase64: item.value ? Buffer.from(item.value).toString('base64') : '',
    // The kinds the step reports are the contracts' decode verdicts and the core's timestamp
    // checks: all of them dead-letter kinds of the contract.
    headers: deadLetterHeaders({ ...item.reason, kind: item.reason.kind as DlqErrorKind }),
  };
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
