// The dead-letter contract: why an input message was rejected, and the headers that travel with
// it on pulse.dlq. The message value is copied unchanged; headers never contain payload values.

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
