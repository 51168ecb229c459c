import fc from 'fast-check';
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

/** The first implementation (a regular expression and a Date, fields checked against it). */
function referenceParse(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction] = match.map(Number);
  const milliseconds = match[7] === undefined ? 0 : Number(match[7].slice(0, 3).padEnd(3, '0'));
  void fraction;
  const epochMs = Date.UTC(year!, month! - 1, day, hour, minute, second, milliseconds);
  const check = new Date(epochMs);
  const same =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month! - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second;
  return same ? epochMs : undefined;
}

describe('parseUtcTimestampMs agrees with the Date-based reference', () => {
  const digitsOf = (count: number) =>
    fc
      .array(fc.constantFrom(...'0123456789'), { minLength: count, maxLength: count })
      .map((d) => d.join(''));
  const nearFormat = fc
    .tuple(
      fc.oneof(digitsOf(4), fc.constantFrom('0000', '0099', '0100', '1970', '2024', '9999')),
      fc.oneof(digitsOf(2), fc.constantFrom('00', '01', '02', '12', '13')),
      fc.oneof(digitsOf(2), fc.constantFrom('00', '28', '29', '30', '31', '32')),
      fc.oneof(digitsOf(2), fc.constantFrom('00', '23', '24')),
      fc.oneof(digitsOf(2), fc.constantFrom('59', '60')),
      fc.oneof(digitsOf(2), fc.constantFrom('59', '60')),
      fc.oneof(
        fc.constant(''),
        fc.integer({ min: 0, max: 10 }).chain((n) => digitsOf(n).map((d) => `.${d}`)),
      ),
      fc.constantFrom('Z', 'Z', 'Z', 'z', '+01:00', ''),
    )
    .map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`);

  it('on strings near the format and on any string', () => {
    fc.assert(
      fc.property(fc.oneof(nearFormat, fc.string({ maxLength: 32 })), (text) => {
        expect(parseUtcTimestampMs(text)).toBe(referenceParse(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('on every instant JavaScript can format', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(100, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        }),
        (date) => {
          const text = date.toISOString();
          expect(parseUtcTimestampMs(text)).toBe(date.getTime());
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
