// Wire timestamps are ISO-8601 in UTC with a literal Z, e.g. 2025-03-01T09:30:00.123Z.
// Date.parse alone is too lenient: it rolls 2024-02-30 over to March 1st and accepts hour 24,
// so the calendar fields are checked against the parsed instant.

const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Milliseconds since the epoch for a strict ISO-8601 UTC timestamp, or undefined when the text
 * is not one. Fractional seconds beyond milliseconds are truncated.
 */
export function parseUtcTimestampMs(text: string): number | undefined {
  const match = UTC_TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction] = match;
  const yearNumber = Number(year);
  const monthIndex = Number(month) - 1;
  const dayNumber = Number(day);
  const hourNumber = Number(hour);
  const minuteNumber = Number(minute);
  const secondNumber = Number(second);
  const milliseconds = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const epochMs = Date.UTC(
    yearNumber,
    monthIndex,
    dayNumber,
    hourNumber,
    minuteNumber,
    secondNumber,
    milliseconds,
  );
  const check = new Date(epochMs);
  if (
    check.getUTCFullYear() !== yearNumber ||
    check.getUTCMonth() !== monthIndex ||
    check.getUTCDate() !== dayNumber ||
    check.getUTCHours() !== hourNumber ||
    check.getUTCMinutes() !== minuteNumber ||
    check.getUTCSeconds() !== secondNumber
  ) {
    return undefined;
  }
  return epochMs;
}

/** The canonical wire form of an instant: always milliseconds, always Z. */
export function formatUtcTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
