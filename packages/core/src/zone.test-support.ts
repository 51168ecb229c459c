// Test support (not exported): the customer's calendar date of an instant, asked of Intl directly
// (no offsets, no caches), as an oracle for zone.ts.
import { DAY_MS, dayOf } from './time.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

/** Local day number of an instant: the zone's calendar date as days since 1970-01-01. */
export function oracleLocalDay(ms: number, timeZone: string | null | undefined): number {
  if (timeZone === null || timeZone === undefined) return dayOf(ms);
  let format = formats.get(timeZone);
  if (format === undefined) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formats.set(timeZone, format);
  }
  return Date.parse(`${format.format(ms)}T00:00:00Z`) / DAY_MS;
}
