// The partition's clock ("stream time") and the order in which its two inputs are applied.
//
// A partition task reads two topics (visits p and purchases p) that the Kafka client fetches
// independently. Stream time is the newest event time applied minus the allowed lateness, never
// going backwards; two refinements make it independent of how the client happens to fetch:
//
// - a topic that still has records to read holds the clock to its own *frontier* (its newest
//   applied time, or the record it is paused at), the way Kafka Streams picks the smallest
//   timestamp across a task's buffered partitions — so an input that is catching up never sees
//   its events turned late by the other one; a caught-up topic does not hold it, so a quiet
//   purchases partition never stalls the clock;
// - a topic that runs more than half the lateness ahead of the other's frontier is cut there:
//   the task seeks back to the cut record and pauses the topic until the other catches up. So
//   events are applied in event-time order across both inputs, within the lateness.
//
// What the consumer knows of each input (which ones still have records, which ones are paused)
// is the `InputView`: not stored, rebuilt on every claim from Kafka's log end offsets.

/** What the consumer knows of the partition's input topics; never stored. */
export interface InputView {
  /** The input topics in a fixed order (visits, purchases). */
  readonly topics: readonly string[];
  /** True for a topic with records beyond what was applied. */
  readonly lagging: ReadonlyMap<string, boolean>;
  /** Topics paused at a record because they ran ahead; the value is that record's event time. */
  readonly paused: ReadonlyMap<string, number>;
}

export function newInputView(topics: readonly string[], lagging: Iterable<string> = []): InputView {
  const laggingSet = new Set(lagging);
  return {
    topics: [...topics],
    lagging: new Map(topics.map((topic) => [topic, laggingSet.has(topic)])),
    paused: new Map(),
  };
}

export interface ClockInput {
  topic: string;
  /** How far the topic has got in event time, if it delivered anything. */
  frontierMs: number | undefined;
  /** True when the topic has records beyond what was applied. */
  lagging: boolean;
}

/** Stream time from each input's frontier and lag; never below `previousStreamTimeMs`. */
export function streamTimeOf(
  inputs: readonly ClockInput[],
  previousStreamTimeMs: number | null,
  allowedLatenessMs: number,
): number | null {
  // The same rule as clockOf, on a view made of the inputs (a frontier is an applied time).
  const newestAppliedMs = new Map<string, number>();
  for (const input of inputs) {
    if (input.frontierMs !== undefined) newestAppliedMs.set(input.topic, input.frontierMs);
  }
  const view: InputView = {
    topics: inputs.map((input) => input.topic),
    lagging: new Map(inputs.map((input) => [input.topic, input.lagging])),
    paused: new Map(),
  };
  return clockOf(view, newestAppliedMs, previousStreamTimeMs, allowedLatenessMs);
}

/**
 * How far a topic has got in event time: its newest applied event or — when paused — the
 * record it stopped at, since nothing it still holds is older than that (within the lateness).
 * Using the paused topic's own newest applied time instead would hold the clock far behind
 * the other input when one of them is sparse (purchases).
 */
export function frontierOf(
  topic: string,
  newestAppliedMs: ReadonlyMap<string, number>,
  view: InputView,
): number | undefined {
  const applied = newestAppliedMs.get(topic);
  const pausedAtMs = view.paused.get(topic);
  if (pausedAtMs === undefined) return applied;
  return applied === undefined ? pausedAtMs : Math.max(applied, pausedAtMs);
}

/** Stream time for the given newest applied times, with `lagging` overriding the view's. */
export function clockOf(
  view: InputView,
  newestAppliedMs: ReadonlyMap<string, number>,
  previousStreamTimeMs: number | null,
  allowedLatenessMs: number,
  lagging: ReadonlyMap<string, boolean> = view.lagging,
): number | null {
  // A loop over the view's topics, with nothing allocated: the step asks this twice per record.
  let newest: number | undefined;
  let bound = Number.POSITIVE_INFINITY;
  for (const topic of view.topics) {
    const frontierMs = frontierOf(topic, newestAppliedMs, view);
    if (frontierMs !== undefined) newest = Math.max(newest ?? frontierMs, frontierMs);
    if (lagging.get(topic) ?? false) {
      if (frontierMs === undefined) return previousStreamTimeMs;
      bound = Math.min(bound, frontierMs);
    }
  }
  if (newest === undefined) return previousStreamTimeMs;
  const candidate = Math.min(newest, bound) - allowedLatenessMs;
  return previousStreamTimeMs === null ? candidate : Math.max(previousStreamTimeMs, candidate);
}

/**
 * Newest event time `topic` may apply now: the other input's frontier plus half the allowed
 * lateness while that input still has records to read; unbounded once it caught up. Half the
 * lateness of slack keeps the applied events within the core's retention margin of the clock
 * (which follows the slower input), while the inputs take turns in steps of half a lateness
 * rather than one record at a time. Neither waits for the other forever.
 */
export function aheadBoundOf(
  topic: string,
  newestAppliedMs: ReadonlyMap<string, number>,
  view: InputView,
  allowedLatenessMs: number,
): number {
  const slack = allowedLatenessMs / 2;
  let bound = Number.POSITIVE_INFINITY;
  for (const other of view.topics) {
    if (other === topic) continue;
    // A paused input's frontier is the record it stopped at; a lagging one's is the newest
    // time it delivered (nothing delivered yet: wait for it).
    const pausedAtMs = view.paused.get(other);
    if (pausedAtMs !== undefined) bound = Math.min(bound, pausedAtMs + slack);
    else if (view.lagging.get(other)) {
      const newest = newestAppliedMs.get(other);
      bound = Math.min(bound, newest === undefined ? Number.NEGATIVE_INFINITY : newest + slack);
    }
  }
  return bound;
}

/** True when nothing is paused and no input has records left: the partition is caught up. */
export function isCaughtUp(view: InputView): boolean {
  return view.paused.size === 0 && view.topics.every((topic) => !view.lagging.get(topic));
}

/**
 * A caught-up partition whose input brought nothing for `idleAfterMs` of wall time. A partition
 * that has never applied an event is not idle: it holds no customer and no timer, and moving
 * its clock up to the group's would only turn its first events late.
 */
export function isIdle(
  view: InputView,
  lastEventWallMs: number | null,
  nowMs: number,
  idleAfterMs: number,
): boolean {
  if (!isCaughtUp(view)) return false;
  return lastEventWallMs !== null && nowMs - lastEventWallMs >= idleAfterMs;
}

/** Paused topics that no longer wait for anything: no other input still has records. */
export function pausedTopicsToResume(view: InputView): string[] {
  return [...view.paused.keys()].filter(
    (topic) => !view.topics.some((other) => other !== topic && view.lagging.get(other)),
  );
}

export function withResumed(view: InputView, topics: readonly string[]): InputView {
  if (topics.length === 0) return view;
  const paused = new Map(view.paused);
  for (const topic of topics) paused.delete(topic);
  return { ...view, paused };
}

export function withLagging(view: InputView, topic: string, lagging: boolean): InputView {
  if (view.lagging.get(topic) === lagging) return view;
  return { ...view, lagging: new Map(view.lagging).set(topic, lagging) };
}

/**
 * The lag of an input is learnt at claim time and from that input's own batches, so it goes
 * stale when the input was caught up (or empty) and records arrived since: a backlog on visits
 * would then move the clock past purchases still waiting in Kafka and make them late. Before a
 * chunk of `topic` runs more than half the allowed lateness past another input believed caught
 * up, the task asks Kafka again; these are the inputs to ask about (none when the chunk's newest
 * event is less than a quarter of the lateness past the last check, so a quiet purchases
 * partition costs one lookup per 12 h of event time, not one per batch).
 *
 * Why half: without a check, the clock (the newest event minus the lateness) stays at least
 * half a lateness behind the other input's frontier, and between two checks it moves at most a
 * quarter more, so records still waiting on that input are never late while they are less than
 * a quarter of the lateness older than its own newest event — the disorder a producer may have
 * within one input. With the whole lateness as the threshold the margin was zero: a purchase
 * written a few hours out of order became late while visits ran ahead (seen with two profiler
 * processes on a live stream).
 */
export function inputsToRecheck(
  topic: string,
  newestChunkEventMs: number,
  lastCheckAtEventMs: number,
  newestAppliedMs: ReadonlyMap<string, number>,
  view: InputView,
  allowedLatenessMs: number,
): string[] {
  if (newestChunkEventMs < lastCheckAtEventMs + allowedLatenessMs / 4) return [];
  return view.topics.filter(
    (other) =>
      other !== topic &&
      !view.lagging.get(other) &&
      !view.paused.has(other) &&
      (newestAppliedMs.get(other) ?? Number.NEGATIVE_INFINITY) + allowedLatenessMs / 2 <
        newestChunkEventMs,
  );
}
