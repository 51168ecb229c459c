import type { Signal } from '@pulse/core';

/**
 * The outage guard's vocabulary. A lapse is *held* (kept in the partition's `held` hash, not
 * sent) when silence of the input itself could explain it:
 *
 * - `input-silence`: its due time falls in a window where the partition's input was silent as
 *   a whole (a gap of at least `outageGapMs` of event time between consecutive events), or
 *   within `outageGraceMs` after it — a tracker outage, not the customer, went quiet;
 * - `storm`: one timer sweep would lapse more than `stormMaxLapseShare` of the customers with a
 *   rhythm (and at least `stormMinLapses`).
 *
 * The rule once traffic resumes: when the stream time has moved `holdConfirmMs` past the hold,
 * a customer still in the same lapse episode is alerted (released, `detectedAt` unchanged); a
 * customer who came back meanwhile is not alerted at all, and neither is their reactivation.
 */
export type HoldReason = 'input-silence' | 'storm';

export interface HeldSignal {
  signal: Signal;
  reason: HoldReason;
  heldAtStreamMs: number;
}

/** How many silent windows a partition remembers per input topic (oldest dropped first). */
export const MAX_SILENT_WINDOWS = 16;

export function encodeHeld(entry: HeldSignal): string {
  return JSON.stringify(entry);
}

export function decodeHeld(payload: string): HeldSignal {
  return JSON.parse(payload) as HeldSignal;
}

const DAY_MS = 86_400_000;

/**
 * When a held lapse is judged: the start of the day after (due time + confirmation time).
 * Event time, day-aligned: a return noticed before it (its reactivation is stamped with the
 * start of the return day) discards the hold; after it, the lapse is released first. The
 * outcome then depends on the events only, not on when a tick ran.
 */
export function holdDeadlineMs(entry: HeldSignal, holdConfirmMs: number): number {
  return (Math.floor((entry.signal.detectedAtMs + holdConfirmMs) / DAY_MS) + 1) * DAY_MS;
}

/**
 * Was the input silent as a whole at `timeMs`? Each input topic keeps the gaps of at least
 * `outageGapMs` between its consecutive events (in its own log order, so the answer does not
 * depend on how the two topics interleave), plus an open gap since its newest event. The
 * input was silent when every topic seen so far was in a gap at that time (closed gaps
 * extended by the grace) and at least one gap is closed — traffic came back after it.
 */
export function inSilentWindow(
  timeMs: number,
  windowsByTopic: Record<string, [number, number][]>,
  newestByTopic: Map<string, number>,
  graceMs: number,
): boolean {
  let closedHit = false;
  for (const [topic, newestMs] of newestByTopic) {
    const closed = (windowsByTopic[topic] ?? []).some(
      ([startMs, endMs]) => timeMs >= startMs && timeMs <= endMs + graceMs,
    );
    if (closed) {
      closedHit = true;
      continue;
    }
    if (timeMs < newestMs) return false;
  }
  return closedHit;
}
