import { describe, expect, it } from 'vitest';
import { deadLetterHeaders, isDlqErrorKind, MAX_DLQ_MESSAGE_LENGTH } from './dead-letter.ts';

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
