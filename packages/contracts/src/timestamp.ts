// Wire timestamps are ISO-8601 in UTC with a literal Z, e.g. 2025-03-01T09:30:00.123Z.
// Date.parse alone is too lenient: it rolls 2024-02-30 over to March 1st and accepts hour 24,
// so every calendar field is checked.

const ZERO = 48; // '0'

/** The value of `count` ASCII digits of `text` from `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let index = at; index < at + count; index += 1) {
    const digit = text.charCodeAt(index) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const shifted = month <= 2 ? year - 1 : year;
  const era = Math.floor(shifted / 400);
  const yearOfEra = shifted - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Milliseconds since the epoch for a strict ISO-8601 UTC timestamp
 * (`YYYY-MM-DDTHH:mm:ss[.f{1,9}]Z`), or undefined when the text is not one: every calendar field
 * in range (no 2024-02-30, no hour 24, no second 60). Fractional seconds beyond milliseconds are
 * truncated. Years before 100 are refused (JavaScript dates map them to the 1900s). Written out
 * by hand rather than with a regular expression and a Date: it runs on every event.
 */
export function parseUtcTimestampMs(text: string): number | undefined {
  const length = text.length;
  if (length < 20 || length > 30 || text.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return undefined;
  let milliseconds = 0;
  if (length > 20) {
    // ".f…fZ": 1 to 9 digits after the dot.
    const fractionDigits = length - 21;
    if (text.charCodeAt(19) !== 46 /* . */ || fractionDigits < 1 || fractionDigits > 9)
      return undefined;
    const fraction = digits(text, 20, fractionDigits);
    if (fraction < 0) return undefined;
    const kept = digits(text, 20, Math.min(3, fractionDigits));
    milliseconds = kept * (fractionDigits === 1 ? 100 : fractionDigits === 2 ? 10 : 1);
  }
  return (
    daysFromCivil(year, month, day) * 86_400_000 +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1_000 +
    milliseconds
  );
}

/** The canonical wire form of an instant: always milliseconds, always Z. */
export function formatUtcTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
