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

/** How many silent windows a partition remembers (oldest dropped first). */
export const MAX_SILENT_WINDOWS = 8;

export function encodeHeld(entry: HeldSignal): string {
  return JSON.stringify(entry);
}

export function decodeHeld(payload: string): HeldSignal {
  return JSON.parse(payload) as HeldSignal;
}

export function inSilentWindow(
  timeMs: number,
  windows: [number, number][],
  graceMs: number,
): boolean {
  return windows.some(([startMs, endMs]) => timeMs >= startMs && timeMs <= endMs + graceMs);
}
