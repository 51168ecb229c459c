// Event-time arithmetic. The rhythm's unit is the customer's day: the UTC day here, the local day
// of a customer with a time zone in zone.ts; "stream time" is the partition's clock (newest event
// time seen minus allowed lateness), computed by the caller and passed in.
import type { RulesConfig } from './config.ts';

export const DAY_MS = 86_400_000;

/** Largest instant a JavaScript Date can represent (±8.64e15 ms). */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** UTC day number of an instant: floor(ms / 86 400 000). */
export function dayOf(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

export function startOfDayMs(day: number): number {
  return day * DAY_MS;
}

/** The partition clock that drives timers: newest event time seen minus the allowed lateness. */
export function streamTimeFor(maxEventTimeMs: number, config: RulesConfig): number {
  return maxEventTimeMs - config.allowedLatenessMs;
}

export type EventTimeCheck =
  { ok: true } | { ok: false; reason: 'future-timestamp' | 'invalid-timestamp'; message: string };

/**
 * Edge check before an event is applied. Far-past events are not rejected here: they are "late"
 * and only update lifetime totals. Far-future ones would drag stream time forward and fire every
 * timer of the partition, so they go to the dead-letter topic instead.
 */
export function checkEventTime(
  occurredAtMs: number,
  referenceNowMs: number,
  config: RulesConfig,
): EventTimeCheck {
  if (!Number.isSafeInteger(occurredAtMs) || occurredAtMs < 0 || occurredAtMs > MAX_DATE_MS) {
    return {
      ok: false,
      reason: 'invalid-timestamp',
      message: `occurredAtMs ${String(occurredAtMs)} is not a whole number of ms between 1970 and year 275760`,
    };
  }
  const aheadMs = occurredAtMs - referenceNowMs;
  if (aheadMs > config.futureToleranceMs) {
    return {
      ok: false,
      reason: 'future-timestamp',
      message: `occurredAt ${new Date(occurredAtMs).toISOString()} is ${aheadMs} ms ahead of the reference clock (tolerance ${config.futureToleranceMs} ms)`,
    };
  }
  return { ok: true };
}
