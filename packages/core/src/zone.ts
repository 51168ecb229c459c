// A customer's day in their own time zone. Every day number in a profile is a LOCAL day number:
// the day count since 1970-01-01 of the customer's wall-clock date, floor((ms + offset) / DAY_MS)
// where offset is the zone's UTC offset at that instant (DST-correct, from Intl). With no zone
// (null) it is the UTC day: dayOf(ms), and nothing here is touched, so a UTC customer costs
// nothing extra. A local day number read as a UTC date (new Date(day * DAY_MS)) is the
// customer's calendar date, so labels like `lastActiveDay` stay right.
//
// Intl is slow (~15 µs a call), so offsets are cached per zone and UTC hour: an hour is looked up
// twice at most (its first and last millisecond); when the two differ the hour holds a
// transition, which is then found to the second by bisection and kept with the hour. The start
// of each local day (the instant a day is sealed by, in timeline.ts) is cached per zone and day.
import { DAY_MS, dayOf } from './time.ts';

const HOUR_MS = 3_600_000;

/** Longest accepted zone name; the longest IANA name today has 32 characters. */
export const MAX_TIME_ZONE_LENGTH = 64;
/** IANA names: letters, digits, `_ + - /` (no offsets like +05:45, no spaces). */
const TIME_ZONE_PATTERN = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
/** Cached entries per zone before a cache is dropped and rebuilt (bounded memory). */
const MAX_CACHED_ENTRIES = 200_000;

interface Transition {
  atMs: number;
  beforeMs: number;
  afterMs: number;
}

class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly hours = new Map<number, number | Transition>();
  private readonly dayStarts = new Map<number, number>();
  private lastHour = Number.NaN;
  private lastOffset = 0;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** UTC offset in ms at an instant (local wall time − UTC), to the second. */
  offsetMs(ms: number): number {
    const hour = Math.floor(ms / HOUR_MS);
    if (hour === this.lastHour) return this.lastOffset;
    let entry = this.hours.get(hour);
    if (entry === undefined) {
      if (this.hours.size >= MAX_CACHED_ENTRIES) this.hours.clear();
      entry = this.hourEntry(hour);
      this.hours.set(hour, entry);
    }
    if (typeof entry === 'number') {
      this.lastHour = hour;
      this.lastOffset = entry;
      return entry;
    }
    return ms < entry.atMs ? entry.beforeMs : entry.afterMs;
  }

  localDay(ms: number): number {
    return Math.floor((ms + this.offsetMs(ms)) / DAY_MS);
  }

  /**
   * The first instant of local day `day`: the earliest instant whose local day is >= day. When
   * midnight falls in a DST gap this is the transition; a day a zone skipped (Pacific/Apia,
   * 2011-12-30) has no length at all.
   */
  startOfDay(day: number): number {
    const cached = this.dayStarts.get(day);
    if (cached !== undefined) return cached;
    const midnight = day * DAY_MS;
    let guess = midnight - this.offsetMs(midnight);
    guess = midnight - this.offsetMs(guess);
    let start: number;
    if (this.localDay(guess) >= day && this.localDay(guess - 1) < day) start = guess;
    else {
      // Offsets are within ±26 h of UTC: bisect that range (local days increase with time).
      let low = midnight - 27 * HOUR_MS;
      let high = midnight + 27 * HOUR_MS;
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (this.localDay(middle) >= day) high = middle;
        else low = middle;
      }
      start = high;
    }
    if (this.dayStarts.size >= MAX_CACHED_ENTRIES) this.dayStarts.clear();
    this.dayStarts.set(day, start);
    return start;
  }

  private hourEntry(hour: number): number | Transition {
    const firstMs = hour * HOUR_MS;
    const beforeMs = this.rawOffsetMs(firstMs);
    const afterMs = this.rawOffsetMs(firstMs + HOUR_MS - 1);
    if (beforeMs === afterMs) return beforeMs;
    // tz data changes offsets on whole seconds: bisect the seconds of the hour.
    let low = 0; // a second with the old offset
    let high = HOUR_MS / 1000 - 1; // a second with the new offset
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.rawOffsetMs(firstMs + middle * 1000) === beforeMs) low = middle;
      else high = middle;
    }
    return { atMs: firstMs + high * 1000, beforeMs, afterMs };
  }

  private rawOffsetMs(ms: number): number {
    const fields: Record<string, number> = {};
    for (const part of this.format.formatToParts(ms)) {
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const wallMs = Date.UTC(
      fields['year']!,
      fields['month']! - 1,
      fields['day']!,
      fields['hour']!,
      fields['minute']!,
      fields['second']!,
    );
    return wallMs - (ms - (((ms % 1000) + 1000) % 1000));
  }
}

const clocks = new Map<string, ZoneClock>();
const verdicts = new Map<string, boolean>();
/** Refused names remembered at most (accepted ones are a bounded set: the tz database). */
const MAX_REFUSED_REMEMBERED = 10_000;
let refusedRemembered = 0;

function clockOf(timeZone: string): ZoneClock {
  let clock = clocks.get(timeZone);
  if (clock === undefined) {
    if (!isKnownTimeZone(timeZone)) throw new RangeError('unknown time zone');
    clock = new ZoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}

/**
 * Whether a name is an IANA time zone this runtime knows (case-insensitive, as Intl takes it):
 * at most MAX_TIME_ZONE_LENGTH characters of the IANA name alphabet, and accepted by Intl.
 * Verdicts are cached (an Intl formatter costs ~0.5 ms): every accepted name, and up to
 * MAX_REFUSED_REMEMBERED refused ones.
 */
export function isKnownTimeZone(name: string): boolean {
  const known = verdicts.get(name);
  if (known !== undefined) return known;
  if (name.length === 0 || name.length > MAX_TIME_ZONE_LENGTH) return false;
  if (!TIME_ZONE_PATTERN.test(name)) return false;
  let verdict: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    verdict = true;
  } catch {
    verdict = false;
  }
  if (!verdict) {
    if (refusedRemembered >= MAX_REFUSED_REMEMBERED) {
      for (const [cached, known] of verdicts) if (!known) verdicts.delete(cached);
      refusedRemembered = 0;
    }
    refusedRemembered += 1;
  }
  verdicts.set(name, verdict);
  return verdict;
}

/** Local day number of an instant in a zone; null = UTC (dayOf). */
export function localDayOf(ms: number, timeZone: string | null): number {
  return timeZone === null ? dayOf(ms) : clockOf(timeZone).localDay(ms);
}

/** First instant of a local day; null = UTC (day × DAY_MS). Day d is sealed at the start of d + 1. */
export function startOfLocalDayMs(day: number, timeZone: string | null): number {
  return timeZone === null ? day * DAY_MS : clockOf(timeZone).startOfDay(day);
}

/** UTC offset of a zone at an instant, in ms (0 for null). */
export function utcOffsetMs(ms: number, timeZone: string | null): number {
  return timeZone === null ? 0 : clockOf(timeZone).offsetMs(ms);
}
