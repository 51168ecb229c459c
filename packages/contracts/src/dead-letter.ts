// The dead-letter contract: why an input message was rejected, and the headers that travel with
// it on pulse.dlq. The key and value are copied unchanged up to a bounded size (a prefix, its
// original size and SHA-256 beyond it), so a dead letter always fits on the topic; headers never
// contain payload values.
import { createHash } from 'node:crypto';
import { DLQ_MAX_KEY_BYTES, DLQ_MAX_VALUE_BYTES } from './limits.ts';

export const DLQ_ERROR_KINDS = [
  /** The message value is null or zero bytes. */
  'empty-payload',
  /** The value is larger than MAX_EVENT_PAYLOAD_BYTES. */
  'oversized',
  /** No Confluent magic byte, and the bytes are not a JSON document. */
  'not-json',
  /** Confluent framing, but the registry does not know the schema id, none is configured, or the
   * writer schema cannot be read as the topic's record. */
  'unknown-schema',
  /** Confluent framing with a known schema, but the Avro body does not decode. */
  'avro-decode',
  /** Decoded, but a field is missing, has the wrong type or breaks a limit. */
  'schema-violation',
  /** eventId, customerId or orderId is absent or empty. */
  'missing-id',
  /** An id (eventId, customerId, orderId, sessionId, source) breaks the id rule of
   * identifier.ts: too long, a control character, or not valid UTF-8 / Unicode. */
  'invalid-id',
  /** occurredAt is beyond the allowed clock skew ahead of stream time (assigned by the profiler). */
  'future-timestamp',
  /** occurredAt is not a strict ISO-8601 UTC timestamp (decoder), or too far in the past for the
   * profiler to place (profiler, using core). */
  'invalid-timestamp',
  /** A valid event whose message key is not its customerId byte for byte (null, empty, another
   * customer's id …): it sits in the partition of its key, where its customer's state is not. */
  'key-mismatch',
  /** An outbox entry (a signal or a dead letter) the broker refused to take, e.g. larger than the
   * topic's max.message.bytes: moved aside so it cannot block its partition's outbox. Its source
   * headers name the topic it was meant for, Pulse's partition and the outbox entry id. */
  'undeliverable',
] as const;

export type DlqErrorKind = (typeof DLQ_ERROR_KINDS)[number];

export function isDlqErrorKind(text: string): text is DlqErrorKind {
  return (DLQ_ERROR_KINDS as readonly string[]).includes(text);
}

export const DLQ_HEADERS = {
  errorKind: 'pulse-error-kind',
  errorMessage: 'pulse-error-message',
  sourceTopic: 'pulse-source-topic',
  sourcePartition: 'pulse-source-partition',
  sourceOffset: 'pulse-source-offset',
  /** Present only when the value was cut to a prefix: the original size in bytes … */
  originalValueBytes: 'pulse-original-value-bytes',
  /** … and the SHA-256 of the whole original value, lower-case hex. */
  originalValueSha256: 'pulse-original-value-sha256',
  /** The same two for a key cut to a prefix. */
  originalKeyBytes: 'pulse-original-key-bytes',
  originalKeySha256: 'pulse-original-key-sha256',
} as const;

export interface DeadLetterReason {
  kind: DlqErrorKind;
  message: string;
  sourceTopic: string;
  sourcePartition: number;
  /** Kafka offsets are 64-bit; kafkajs hands them over as strings. */
  sourceOffset: string;
}

/** Longest pulse-error-message header kept, so a pathological reason cannot bloat the DLQ. */
export const MAX_DLQ_MESSAGE_LENGTH = 512;

export function deadLetterHeaders(reason: DeadLetterReason): Record<string, string> {
  return {
    [DLQ_HEADERS.errorKind]: reason.kind,
    [DLQ_HEADERS.errorMessage]: reason.message.slice(0, MAX_DLQ_MESSAGE_LENGTH),
    [DLQ_HEADERS.sourceTopic]: reason.sourceTopic,
    [DLQ_HEADERS.sourcePartition]: String(reason.sourcePartition),
    [DLQ_HEADERS.sourceOffset]: reason.sourceOffset,
  };
}

/** The record as it goes to the dead-letter topic (null key and value stay null). */
export interface DeadLetterRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface DeadLetterSizeLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
}

export const DEAD_LETTER_SIZE_LIMITS: DeadLetterSizeLimits = {
  maxKeyBytes: DLQ_MAX_KEY_BYTES,
  maxValueBytes: DLQ_MAX_VALUE_BYTES,
};

function bounded(
  bytes: Buffer | null,
  maxBytes: number,
  names: { size: string; sha256: string },
  headers: Record<string, string>,
): Buffer | null {
  if (bytes === null || bytes.length <= maxBytes) return bytes;
  headers[names.size] = String(bytes.length);
  headers[names.sha256] = createHash('sha256').update(bytes).digest('hex');
  return bytes.subarray(0, Math.max(0, maxBytes));
}

/**
 * The dead letter of a rejected record: its key and value verbatim when they are within the
 * limits (every record within the event size limit is), otherwise a prefix of each plus the
 * original size and SHA-256 in headers, with the reason and origin headers. Its size is bounded
 * by the limits plus the headers (about 2 KiB), whatever the original was: a dead letter never
 * exceeds what the broker accepts (an oversized one would block the partition's outbox).
 */
export function buildDeadLetter(
  reason: DeadLetterReason,
  original: { key: Buffer | null; value: Buffer | null },
  limits: DeadLetterSizeLimits = DEAD_LETTER_SIZE_LIMITS,
): DeadLetterRecord {
  const headers = deadLetterHeaders(reason);
  const key = bounded(
    original.key,
    limits.maxKeyBytes,
    { size: DLQ_HEADERS.originalKeyBytes, sha256: DLQ_HEADERS.originalKeySha256 },
    headers,
  );
  const value = bounded(
    original.value,
    limits.maxValueBytes,
    { size: DLQ_HEADERS.originalValueBytes, sha256: DLQ_HEADERS.originalValueSha256 },
    headers,
  );
  return { key, value, headers };
}
