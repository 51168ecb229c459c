// The outage guard: a tracker outage must not become a lapse storm. Decisions stay in the
// profiles (replays stay exact); only the *delivery* of lapses is guarded. A lapse is held —
// kept in the partition's held set, not sent — when
//
// - `input-silence`: its due time falls in a silence of an input topic that the topic's own
//   learnt traffic makes improbable (see traffic.ts), or up to `outageGraceMs` after it: an
//   outage, not the customer, went quiet; or
// - `storm`: one timer sweep of a caught-up partition would lapse more than
//   `stormMaxLapseShare` of the customers with a timer (and at least `stormMinLapses`).
//
// A held lapse is judged at a day-aligned deadline in event time (due time + `holdConfirmMs`):
// a customer back before it is never alerted (nor their reactivation); one still in the same
// lapse episode is alerted then, with the original `detectedAt`. The deadline is a due time in
// the partition's due index like any timer.
import { z } from 'zod';
import type { Signal } from '../events.ts';
import { DAY_MS } from '../time.ts';
import { outageAt, type InputTraffic } from './traffic.ts';

export const guardSettingsSchema = z
  .object({
    /** A silence of an input counts as an outage when seeing no event in it had a probability
     * below this under the input's learnt traffic (e^-λ, λ the expected events). */
    outageSilenceProbability: z.number().gt(0).lt(1).default(1e-6),
    /** Lapses due up to this long after an outage are held too. */
    outageGraceMs: z.number().int().min(0).default(DAY_MS),
    /** Event time a held lapse waits before it is released (still lapsed) or discarded (back). */
    holdConfirmMs: z
      .number()
      .int()
      .min(0)
      .default(2 * DAY_MS),
    /** A sweep lapsing more than this share of the customers with a timer is a storm ... */
    stormMaxLapseShare: z.number().gt(0).max(1).default(0.05),
    /** ... if it lapses at least this many. */
    stormMinLapses: z.number().int().min(1).default(20),
  })
  .strict();

export type GuardSettings = z.infer<typeof guardSettingsSchema>;

export const defaultGuardSettings: GuardSettings = Object.freeze(guardSettingsSchema.parse({}));

export type HoldReason = 'input-silence' | 'storm';

export interface HeldSignal {
  signal: Signal;
  reason: HoldReason;
  /** Stream time at which the lapse was held. */
  heldAtStreamMs: number;
}

export function encodeHeld(entry: HeldSignal): string {
  return JSON.stringify(entry);
}

export function decodeHeld(payload: string): HeldSignal {
  return JSON.parse(payload) as HeldSignal;
}

/**
 * When a held lapse is judged: the start of the day after (due time + confirmation time) — for
 * a lapse held because of an outage, counted from the end of the outage instead when it ended
 * later (a customer cannot be seen back while the tracker is down). Null while that outage goes
 * on. Event time, day-aligned: a return noticed before the deadline (a reactivation is stamped
 * with the start of the return day) discards the hold; after it, the lapse is released first.
 */
export function holdDeadlineMs(
  entry: HeldSignal,
  inputs: Iterable<InputTraffic>,
  settings: GuardSettings,
): number | null {
  let fromMs = entry.signal.detectedAtMs;
  if (entry.reason === 'input-silence') {
    for (const traffic of inputs) {
      const outage = outageAt(
        traffic,
        entry.signal.detectedAtMs,
        settings.outageGraceMs,
        settings.outageSilenceProbability,
      );
      if (outage === null) continue;
      if (outage.endMs === null) return null;
      fromMs = Math.max(fromMs, outage.endMs);
    }
  }
  return (Math.floor((fromMs + settings.holdConfirmMs) / DAY_MS) + 1) * DAY_MS;
}

/**
 * Does an outage of the input explain a lapse due at `dueMs`? True when some input topic was in
 * an outage then (see traffic.ts: a silence its own traffic made improbable, or up to the grace
 * after one). Only hours before the due time are read, and those are final once the stream time
 * reached it: the answer does not depend on when the lapse was decided.
 */
export function silenceExplains(
  dueMs: number,
  inputs: Iterable<InputTraffic>,
  settings: GuardSettings,
): boolean {
  for (const traffic of inputs) {
    if (outageAt(traffic, dueMs, settings.outageGraceMs, settings.outageSilenceProbability))
      return true;
  }
  return false;
}
