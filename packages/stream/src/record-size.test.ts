import { describe, expect, it } from 'vitest';
import type { OutputRecord } from './producer.ts';
import { produceBudgetBytes, recordSizeUpperBound, splitBySize } from './record-size.ts';

const record = (valueBytes: number, key = 'customer-1'): OutputRecord => ({
  topic: 'pulse.visits',
  key,
  value: 'v'.repeat(valueBytes),
});

describe('recordSizeUpperBound', () => {
  it('counts key, value and headers in UTF-8 bytes plus the record overhead', () => {
    const plain = recordSizeUpperBound(record(100));
    expect(plain).toBeGreaterThan(100 + 'customer-1'.length);
    expect(recordSizeUpperBound({ ...record(100), key: 'é'.repeat(10) })).toBe(plain + 10);
    expect(
      recordSizeUpperBound({ ...record(100), headers: { 'pulse-error-kind': 'oversized' } }),
    ).toBeGreaterThan(plain + 'pulse-error-kind'.length + 'oversized'.length);
  });
});

describe('splitBySize', () => {
  it('keeps the order and puts as many records in a run as the budget holds', () => {
    const records = Array.from({ length: 10 }, (_, n) => record(1_000, `c-${n}`));
    const size = recordSizeUpperBound(records[0]!);
    const runs = splitBySize(records, 3 * size);
    expect(runs.map((run) => run.length)).toEqual([3, 3, 3, 1]);
    expect(runs.flat()).toEqual(records);
  });

  it('never makes a run over the budget, except a single record larger than it', () => {
    const runs = splitBySize([record(10), record(5_000), record(10)], 1_000);
    expect(runs.map((run) => run.length)).toEqual([1, 1, 1]);
    expect(splitBySize([], 1_000)).toEqual([]);
  });

  it('leaves room for the batch header under max.message.bytes', () => {
    expect(produceBudgetBytes(1_048_588)).toBeLessThan(1_048_588);
  });
});
