import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildDeadLetter,
  deadLetterHeaders,
  DLQ_HEADERS,
  isDlqErrorKind,
  MAX_DLQ_MESSAGE_LENGTH,
  type DeadLetterReason,
} from './dead-letter.ts';
import { DLQ_MAX_KEY_BYTES, DLQ_MAX_VALUE_BYTES, MAX_EVENT_PAYLOAD_BYTES } from './limits.ts';

describe('deadLetterHeaders', () => {
  it('names the reason and the source position with the documented header names', () => {
    expect(
      deadLetterHeaders({
        kind: 'not-json',
        message: 'message value (3 bytes) is neither JSON nor Avro',
        sourceTopic: 'pulse.visits',
        sourcePartition: 7,
        sourceOffset: '9007199254740993',
      }),
    ).toStrictEqual({
      'pulse-error-kind': 'not-json',
      'pulse-error-message': 'message value (3 bytes) is neither JSON nor Avro',
      'pulse-source-topic': 'pulse.visits',
      'pulse-source-partition': '7',
      'pulse-source-offset': '9007199254740993',
    });
  });

  it('caps the message length', () => {
    const headers = deadLetterHeaders({
      kind: 'schema-violation',
      message: 'x'.repeat(10_000),
      sourceTopic: 't',
      sourcePartition: 0,
      sourceOffset: '0',
    });
    expect(headers['pulse-error-message']).toHaveLength(MAX_DLQ_MESSAGE_LENGTH);
  });

  it('recognises the closed list of kinds', () => {
    expect(isDlqErrorKind('avro-decode')).toBe(true);
    expect(isDlqErrorKind('whatever')).toBe(false);
  });
});

describe('buildDeadLetter', () => {
  const reason: DeadLetterReason = {
    kind: 'oversized',
    message: 'message value is 2097152 bytes; the limit is 32768',
    sourceTopic: 'pulse.visits',
    sourcePartition: 6,
    sourceOffset: '41',
  };
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('copies a key and value within the limits unchanged, with only the reason headers', () => {
    const value = Buffer.alloc(MAX_EVENT_PAYLOAD_BYTES + 1, 0x7b);
    const record = buildDeadLetter(reason, { key: Buffer.from('customer-42'), value });
    expect(record.key).toEqual(Buffer.from('customer-42'));
    expect(record.value?.equals(value)).toBe(true);
    expect(record.headers).toStrictEqual(deadLetterHeaders(reason));
  });

  it('keeps a null key and a null value null', () => {
    const record = buildDeadLetter(
      { ...reason, kind: 'empty-payload' },
      { key: null, value: null },
    );
    expect(record.key).toBeNull();
    expect(record.value).toBeNull();
  });

  it('cuts a 2 MB value to a prefix and names its size and SHA-256', () => {
    const value = Buffer.alloc(2 * 1024 * 1024);
    for (let index = 0; index < value.length; index += 1) value[index] = index % 251;
    const record = buildDeadLetter(reason, { key: Buffer.from('customer-42'), value });
    expect(record.value?.equals(value.subarray(0, DLQ_MAX_VALUE_BYTES))).toBe(true);
    expect(record.headers[DLQ_HEADERS.originalValueBytes]).toBe(String(value.length));
    expect(record.headers[DLQ_HEADERS.originalValueSha256]).toBe(sha256(value));
    expect(record.headers[DLQ_HEADERS.originalKeyBytes]).toBeUndefined();
    expect(record.headers[DLQ_HEADERS.errorKind]).toBe('oversized');
    expect(record.headers[DLQ_HEADERS.sourceOffset]).toBe('41');
  });

  it('cuts a 10 KB key to a prefix and names its size and SHA-256', () => {
    const key = Buffer.alloc(10_240, 0x6b);
    const record = buildDeadLetter(
      { ...reason, kind: 'key-mismatch' },
      { key, value: Buffer.from('{}') },
    );
    expect(record.key).toEqual(key.subarray(0, DLQ_MAX_KEY_BYTES));
    expect(record.headers[DLQ_HEADERS.originalKeyBytes]).toBe('10240');
    expect(record.headers[DLQ_HEADERS.originalKeySha256]).toBe(sha256(key));
    expect(record.value).toEqual(Buffer.from('{}'));
  });

  it('stays within the limits plus a few KiB of headers whatever the input', () => {
    const record = buildDeadLetter(
      { ...reason, message: 'x'.repeat(100_000) },
      { key: Buffer.alloc(3_000_000), value: Buffer.alloc(5_000_000) },
      { maxKeyBytes: 100, maxValueBytes: 1_000 },
    );
    const headerBytes = Object.entries(record.headers).reduce(
      (sum, [name, text]) => sum + Buffer.byteLength(name) + Buffer.byteLength(text),
      0,
    );
    expect(record.key?.length).toBe(100);
    expect(record.value?.length).toBe(1_000);
    expect(headerBytes).toBeLessThan(2_048);
  });
});
