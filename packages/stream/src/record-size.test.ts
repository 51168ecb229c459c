import { describe, expect, it } from 'vitest';
import {
  recordSizeUpperBound,
  isRecordTooLarge,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  produceBudgetBytes,
  splitBySize,
} from './record-size.ts';
import type { OutputRecord } from './producer.ts';

const record = (topic: string, valueBytes: number, key: string | null = 'c-1'): OutputRecord => ({
  topic,
  key,
  value: Buffer.alloc(valueBytes),
  headers: { 'pulse-error-kind': 'not-json' },
});

describe('recordSizeUpperBound', () => {
  it('counts key, value and headers with room for the varints', () => {
    const bytes = recordSizeUpperBound(record('t', 1_000));
    const payload = 3 + 1_000 + 'pulse-error-kind'.length + 'not-json'.length;
    expect(bytes).toBeGreaterThan(payload);
    expect(bytes).toBeLessThan(payload + 64);
  });

  it('counts a string value in UTF-8 bytes and a null key as nothing', () => {
    const text: OutputRecord = { topic: 't', key: null, value: 'ü'.repeat(100) };
    expect(recordSizeUpperBound(text)).toBe(recordSizeUpperBound({ ...text, value: '' }) + 200);
  });
});

describe('splitBySize', () => {
  it('keeps the order and cuts before a send would pass the limit', () => {
    const records = Array.from({ length: 100 }, () => record('dlq', 30_000));
    const sends = splitBySize(records, () => KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    expect(sends.flat()).toEqual(records);
    expect(sends.length).toBeGreaterThan(2);
    for (const send of sends) {
      const bytes = 61 + send.reduce((sum, each) => sum + recordSizeUpperBound(each), 0);
      expect(bytes).toBeLessThanOrEqual(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    }
    // Full sends: no send could have taken the next send's first record.
    for (let index = 0; index + 1 < sends.length; index += 1) {
      const send = sends[index] as OutputRecord[];
      const next = (sends[index + 1] as OutputRecord[])[0] as OutputRecord;
      const bytes = 61 + [...send, next].reduce((sum, each) => sum + recordSizeUpperBound(each), 0);
      expect(bytes).toBeGreaterThan(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    }
  });

  it('gives a record larger than the limit a send of its own, between its neighbours', () => {
    const small = record('dlq', 10);
    const huge = record('dlq', 2 * 1024 * 1024);
    const sends = splitBySize([small, small, huge, small], () => 1_048_588);
    expect(sends).toEqual([[small, small], [huge], [small]]);
  });

  it('bounds a send by the smallest limit among its topics', () => {
    const limits: Record<string, number> = { signals: 1_000_000, dlq: 50_000 };
    const limitOf = (topic: string) => limits[topic] as number;
    const big = record('signals', 30_000);
    expect(splitBySize([big, big, record('signals', 10)], limitOf)).toHaveLength(1);
    // 60 KB of signals would pass the dead-letter topic's 50 KB: the small dead letter waits.
    const sends = splitBySize([big, big, record('dlq', 10)], limitOf);
    expect(sends.map((send) => send.length)).toEqual([2, 1]);
    expect(splitBySize([record('dlq', 10), big, big], limitOf).map((send) => send.length)).toEqual([
      2, 1,
    ]);
  });

  it('returns no send for no record', () => {
    expect(splitBySize([], () => 1_000)).toEqual([]);
  });
});

describe('isRecordTooLarge', () => {
  it('finds the broker error under kafkajs wrappers', () => {
    const protocol = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
    const wrapped = Object.assign(new Error('non retriable'), {
      cause: Object.assign(new Error('retries'), { cause: protocol }),
    });
    expect(isRecordTooLarge(wrapped)).toBe(true);
    expect(isRecordTooLarge(Object.assign(new Error('x'), { type: 'RECORD_LIST_TOO_LARGE' }))).toBe(
      true,
    );
  });

  it('is false for an unreachable broker or a missing topic', () => {
    expect(isRecordTooLarge(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
    expect(
      isRecordTooLarge(Object.assign(new Error('unknown'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' })),
    ).toBe(false);
    expect(isRecordTooLarge(undefined)).toBe(false);
  });
});

describe('produceBudgetBytes', () => {
  it('leaves room for the batch header under max.message.bytes, as splitBySize does', () => {
    const budget = produceBudgetBytes(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    expect(budget).toBeLessThan(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    // Records that add up to exactly the budget fit in one send under the limit.
    const one = record('t', 1_000);
    const size = recordSizeUpperBound(one);
    const count = Math.floor(produceBudgetBytes(10 * size + 61) / size);
    expect(count).toBe(10);
    expect(
      splitBySize(
        Array.from({ length: 10 }, () => one),
        () => 10 * size + 61,
      ),
    ).toHaveLength(1);
  });
});
