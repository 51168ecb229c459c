/**
 * The partition's clock ("stream time"): newest event time seen minus the allowed lateness,
 * never going backwards (DESIGN.md decision 1).
 *
 * A task reads two topics (visits p and purchases p) that the client fetches independently.
 * When one of them is behind — catching up after a restart or in a replay — the other must
 * not drag the clock ahead, or the lagging topic's events would all arrive "late". So a topic
 * that still has records to read holds the clock to its own newest event time, the way Kafka
 * Streams picks the smallest timestamp across a task's buffered partitions; a topic that is
 * caught up does not hold it, so a quiet purchases partition never stalls the clock.
 */
export interface ClockInput {
  topic: string;
  /** Newest event time applied from this topic, if any. */
  maxEventMs: number | undefined;
  /** True when the topic has records beyond what was applied. */
  lagging: boolean;
}

export function streamTimeOf(
  inputs: ClockInput[],
  previousStreamTimeMs: number | null,
  allowedLatenessMs: number,
): number | null {
  let newest: number | undefined;
  let bound = Number.POSITIVE_INFINITY;
  for (const input of inputs) {
    if (input.maxEventMs !== undefined)
      newest = Math.max(newest ?? input.maxEventMs, input.maxEventMs);
    if (input.lagging) {
      // A lagging topic that has delivered nothing yet holds the clock where it is.
      if (input.maxEventMs === undefined) return previousStreamTimeMs;
      bound = Math.min(bound, input.maxEventMs);
    }
  }
  if (newest === undefined) return previousStreamTimeMs;
  const candidate = Math.min(newest, bound) - allowedLatenessMs;
  return previousStreamTimeMs === null ? candidate : Math.max(previousStreamTimeMs, candidate);
}
