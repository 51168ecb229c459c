import { describe, expect, it } from 'vitest';
import { formatUtcTimestamp, parseUtcTimestampMs } from './timestamp.ts';

describe('parseUtcTimestampMs', () => {
  it('parses UTC timestamps with and without fractions', () => {
    expect(parseUtcTimestampMs('2025-03-01T09:30:00Z')).toBe(Date.UTC(2025, 2, 1, 9, 30));
    expect(parseUtcTimestampMs('2025-03-01T09:30:00.5Z')).toBe(Date.UTC(2025, 2, 1, 9, 30, 0, 500));
    expect(parseUtcTimestampMs('2025-03-01T09:30:00.123456789Z')).toBe(
      Date.UTC(2025, 2, 1, 9, 30, 0, 123),
    );
  });

  it.each([
    ['offset instead of Z', '2025-03-01T09:30:00+01:00'],
    ['no zone', '2025-03-01T09:30:00'],
    ['date only', '2025-03-01'],
    ['rolled-over day (Date.parse accepts it)', '2024-02-30T00:00:00Z'],
    ['hour 24 (Date.parse accepts it)', '2024-01-01T24:00:00Z'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['lower-case z', '2025-03-01T09:30:00z'],
    ['epoch number as text', '1740821400000'],
    ['empty', ''],
  ])('rejects %s', (_label, text) => {
    expect(parseUtcTimestampMs(text)).toBeUndefined();
  });

  it('accepts a leap day only in a leap year', () => {
    expect(parseUtcTimestampMs('2024-02-29T00:00:00Z')).toBeDefined();
    expect(parseUtcTimestampMs('2025-02-29T00:00:00Z')).toBeUndefined();
  });

  it('round-trips through formatUtcTimestamp', () => {
    const epochMs = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
    expect(parseUtcTimestampMs(formatUtcTimestamp(epochMs))).toBe(epochMs);
  });
});
