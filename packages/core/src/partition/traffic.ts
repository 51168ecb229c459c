// What an input topic's traffic normally looks like, learnt from the topic itself, so that the
// outage guard can tell a tracker outage from a night, a weekend or an order system that stamps
// every purchase with a date.
//
// Each record is counted in the hour it occurred in. An hour's count is final once the topic
// has moved more than the allowed lateness past it (no on-time record can land in it any more);
// then the hour is *folded*: into the baseline — the expected number of events for each of the
// 168 hours of the week, a decayed average over past weeks — and into the silence detector.
//
// A silence is a run of consecutive folded hours without any event. It becomes an *outage* from
// the hour at which seeing nothing at all in it became improbable under the baseline: with λ
// the events the baseline expected in the run so far, P(no event) = e^-λ under a Poisson model,
// below one threshold (`outageSilenceProbability`). A night expects next to nothing, and the
// hours between date-stamped records (all at 00:00 or 12:00) expect nothing either, so neither
// ever becomes an outage; a day of silence at hours that normally carry traffic does. The hours
// of an outage are not learnt as quiet (an outage is not the traffic's habit).
//
// Everything here changes per record in the topic's own log order, and is stored exactly
// (float32 values rounded after every update; the other numbers as their exact decimal form),
// so the same log gives the same state whatever the batch boundaries or the interleaving with
// the other topic.
export const HOUR_MS = 3_600_000;
export const HOURS_PER_WEEK = 168;
/**
 * Weight an hour of the week keeps of its past each week: 0.8 gives about five weeks of memory
 * — long enough to ride over one odd week (a holiday), short enough to follow a site that grows.
 */
export const WEEKLY_DECAY = 0.8;
/** An hour of the week seen less than this (decayed) often has no expectation yet. */
const MIN_WEIGHT = 1;
/** How many outages a topic remembers (oldest dropped first). */
export const MAX_SILENCES = 16;

/** An outage: a run of hours without events that the baseline made improbable. */
export interface Silence {
  /** Start of the first silent hour. */
  startMs: number;
  /** End of the hour at which the silence became improbable. */
  improbableFromMs: number;
  /** End of the last silent hour (the next hour had events). */
  endMs: number;
}

/** Per input topic: its learnt traffic and the outages seen in it. */
export interface InputTraffic {
  /** Decayed sum of the events counted in each hour of the week (float32 values). */
  sums: Float32Array;
  /** Decayed number of times each hour of the week was observed (float32 values). */
  weights: Float32Array;
  /** The newest hour (epoch hours) a record of the topic occurred in; null before any. */
  frontierHour: number | null;
  /** Every hour up to this one is folded. */
  foldedUntilHour: number;
  /** Events of the hours not folded yet (sparse: hours without events are absent). */
  recent: Map<number, number>;
  /** The run of silent hours ending at the last folded hour, if any. */
  quiet: { startHour: number; expected: number; improbableFromHour: number | null } | null;
  /** Outages, oldest first. */
  silences: Silence[];
}

export function emptyTraffic(): InputTraffic {
  return {
    sums: new Float32Array(HOURS_PER_WEEK),
    weights: new Float32Array(HOURS_PER_WEEK),
    frontierHour: null,
    foldedUntilHour: Number.NEGATIVE_INFINITY,
    recent: new Map(),
    quiet: null,
    silences: [],
  };
}

export function cloneTraffic(traffic: InputTraffic): InputTraffic {
  return {
    sums: traffic.sums.slice(),
    weights: traffic.weights.slice(),
    frontierHour: traffic.frontierHour,
    foldedUntilHour: traffic.foldedUntilHour,
    recent: new Map(traffic.recent),
    quiet: traffic.quiet === null ? null : { ...traffic.quiet },
    silences: traffic.silences.map((silence) => ({ ...silence })),
  };
}

function slotOf(hour: number): number {
  return ((hour % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
}

/** The events the baseline expects in epoch hour `hour` (0 where nothing was learnt yet). */
function expectedInHour(traffic: InputTraffic, hour: number): number {
  const slot = slotOf(hour);
  const weight = traffic.weights[slot]!;
  return weight >= MIN_WEIGHT ? traffic.sums[slot]! / weight : 0;
}

/** The events the baseline expects in the hours fromHour … toHour (inclusive). */
export function expectedInHours(traffic: InputTraffic, fromHour: number, toHour: number): number {
  if (toHour < fromHour) return 0;
  const hours = toHour - fromHour + 1;
  const fullWeeks = Math.floor(hours / HOURS_PER_WEEK);
  let expected = 0;
  if (fullWeeks > 0) {
    for (let slot = 0; slot < HOURS_PER_WEEK; slot += 1) expected += expectedInHour(traffic, slot);
    expected *= fullWeeks;
  }
  for (let hour = fromHour + fullWeeks * HOURS_PER_WEEK; hour <= toHour; hour += 1) {
    expected += expectedInHour(traffic, hour);
  }
  return expected;
}

/** The λ from which a silence counts as an outage: P(no event) = e^-λ below the probability. */
export function outageThreshold(outageSilenceProbability: number): number {
  return -Math.log(outageSilenceProbability);
}

/** How many hours a topic keeps unfolded: the allowed lateness, plus the hour in progress. */
export function openHoursFor(allowedLatenessMs: number): number {
  return Math.ceil(allowedLatenessMs / HOUR_MS) + 1;
}

/** One hour of the week observed `times` times in a row with `count` events each time. */
function learn(traffic: InputTraffic, hour: number, count: number, times = 1): void {
  const slot = slotOf(hour);
  let sum = traffic.sums[slot]!;
  let weight = traffic.weights[slot]!;
  for (let time = 0; time < times; time += 1) {
    sum = Math.fround(sum * WEEKLY_DECAY + count);
    weight = Math.fround(weight * WEEKLY_DECAY + 1);
  }
  traffic.sums[slot] = sum;
  traffic.weights[slot] = weight;
}

/** Learns the hours fromHour … toHour as hours without events. */
function learnQuiet(traffic: InputTraffic, fromHour: number, toHour: number): void {
  const hours = toHour - fromHour + 1;
  if (hours <= 0) return;
  // Beyond a year of silence, more weeks change nothing a float32 can hold.
  const fullWeeks = Math.min(52, Math.floor(hours / HOURS_PER_WEEK));
  const remainder = hours % HOURS_PER_WEEK;
  for (let offset = 0; offset < Math.min(hours, HOURS_PER_WEEK); offset += 1) {
    const times = fullWeeks + (offset < remainder ? 1 : 0);
    if (times > 0) learn(traffic, fromHour + offset, 0, times);
  }
}

/** Folds one hour whose count is final. */
function foldHour(traffic: InputTraffic, hour: number, count: number, threshold: number): void {
  if (count === 0) {
    const quiet = (traffic.quiet ??= { startHour: hour, expected: 0, improbableFromHour: null });
    quiet.expected += expectedInHour(traffic, hour);
    if (quiet.improbableFromHour === null && quiet.expected >= threshold) {
      quiet.improbableFromHour = hour + 1;
    }
    return;
  }
  const quiet = traffic.quiet;
  if (quiet !== null) {
    if (quiet.improbableFromHour !== null) {
      traffic.silences.push({
        startMs: quiet.startHour * HOUR_MS,
        improbableFromMs: quiet.improbableFromHour * HOUR_MS,
        endMs: hour * HOUR_MS,
      });
      if (traffic.silences.length > MAX_SILENCES) traffic.silences.shift();
    } else {
      learnQuiet(traffic, quiet.startHour, hour - 1);
    }
    traffic.quiet = null;
  }
  learn(traffic, hour, count);
}

/** Folds every hour up to `untilHour` (the hours without a record in bulk). */
function foldUntil(traffic: InputTraffic, untilHour: number, threshold: number): void {
  let hour = traffic.foldedUntilHour + 1;
  const withEvents = [...traffic.recent.keys()]
    .filter((each) => each <= untilHour)
    .sort((a, b) => a - b);
  for (const eventHour of withEvents) {
    foldQuietRun(traffic, hour, eventHour - 1, threshold);
    foldHour(traffic, eventHour, traffic.recent.get(eventHour)!, threshold);
    traffic.recent.delete(eventHour);
    hour = eventHour + 1;
  }
  foldQuietRun(traffic, hour, untilHour, threshold);
  traffic.foldedUntilHour = Math.max(traffic.foldedUntilHour, untilHour);
}

/** Folds hours fromHour … toHour, all without events: one run, however long. */
function foldQuietRun(
  traffic: InputTraffic,
  fromHour: number,
  toHour: number,
  threshold: number,
): void {
  if (toHour < fromHour) return;
  const quiet = (traffic.quiet ??= { startHour: fromHour, expected: 0, improbableFromHour: null });
  // Once improbable, the rest of the run only extends it.
  if (quiet.improbableFromHour !== null) return;
  let weekTotal: number | undefined;
  for (let hour = fromHour; hour <= toHour;) {
    if (toHour - hour + 1 >= HOURS_PER_WEEK) {
      weekTotal ??= expectedInHours(traffic, 0, HOURS_PER_WEEK - 1);
      if (quiet.expected + weekTotal < threshold) {
        // A whole week that cannot make the run improbable: in one go.
        quiet.expected += weekTotal;
        hour += HOURS_PER_WEEK;
        continue;
      }
    }
    quiet.expected += expectedInHour(traffic, hour);
    if (quiet.expected >= threshold) {
      quiet.improbableFromHour = hour + 1;
      return;
    }
    hour += 1;
  }
}

/**
 * Counts one record of the topic, in the topic's log order, at `occurredAtMs`. A record older
 * than the hours still open (beyond the lateness) is not counted: it is late for everything.
 */
export function observeRecord(
  traffic: InputTraffic,
  occurredAtMs: number,
  allowedLatenessMs: number,
  outageSilenceProbability: number,
): void {
  const hour = Math.floor(occurredAtMs / HOUR_MS);
  const openHours = openHoursFor(allowedLatenessMs);
  if (traffic.frontierHour === null) {
    // Nothing is known of the hours before the topic's first record: never fold them.
    traffic.frontierHour = hour;
    traffic.foldedUntilHour = hour - 1;
  }
  if (hour <= traffic.foldedUntilHour) return;
  traffic.recent.set(hour, (traffic.recent.get(hour) ?? 0) + 1);
  if (hour > traffic.frontierHour) {
    traffic.frontierHour = hour;
    foldUntil(traffic, hour - openHours, outageThreshold(outageSilenceProbability));
  }
}

/** The outage a topic was in at some instant; `endMs` null while it goes on. */
export interface OutageAt {
  endMs: number | null;
}

/**
 * Was the topic in an outage at `atMs` (a day-aligned due time)? Yes when a silence had become
 * improbable at or before `atMs` and lasted until `atMs`, or ended at most `graceMs` before it;
 * then `endMs` is when it ended (null: it goes on, as far as the topic has been read).
 *
 * The hours before `atMs` are final once the stream time reached `atMs` (no on-time record can
 * land in them), so the answer is the one folding them gives — computed on a copy when the
 * topic has not folded them yet (it has not moved far enough past them, or it is paused, or it
 * has nothing left to read: its hours after the newest record count as silent). So the answer
 * is the same whenever, after that, the question is asked.
 */
export function outageAt(
  traffic: InputTraffic,
  atMs: number,
  graceMs: number,
  outageSilenceProbability: number,
): OutageAt | null {
  if (traffic.frontierHour === null) return null;
  const lastHour = Math.ceil(atMs / HOUR_MS) - 1;
  let folded = traffic;
  if (traffic.foldedUntilHour < lastHour) {
    folded = cloneTraffic(traffic);
    foldUntil(folded, lastHour, outageThreshold(outageSilenceProbability));
  }
  for (const silence of folded.silences) {
    if (atMs >= silence.improbableFromMs && atMs <= silence.endMs + graceMs) {
      return { endMs: silence.endMs };
    }
  }
  const quiet = folded.quiet;
  if (quiet === null || quiet.improbableFromHour === null) return null;
  if (quiet.improbableFromHour * HOUR_MS > atMs) return null;
  // The silence reaches the fold edge, at or after atMs: it ends with the first later hour
  // that has events, if the topic has read one yet.
  const later = [...folded.recent.keys()].filter((hour) => hour > folded.foldedUntilHour);
  return { endMs: later.length === 0 ? null : Math.min(...later) * HOUR_MS };
}

// ── Encoding (a meta field per input topic) ────────────────────────────────────────────────
// `2;<frontierHour>;<foldedUntilHour>;<quiet start:expected:improbableFrom>;<recent h:c,…>;
//  <base64 of 336 float32: sums then weights>;<silences start-improbable-end,…>`
// About 2 KB per topic; every value round-trips exactly.

export function encodeTraffic(traffic: InputTraffic): string {
  const values = new Float32Array(2 * HOURS_PER_WEEK);
  values.set(traffic.sums, 0);
  values.set(traffic.weights, HOURS_PER_WEEK);
  const baseline = Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString(
    'base64',
  );
  const quiet =
    traffic.quiet === null
      ? ''
      : `${traffic.quiet.startHour}:${traffic.quiet.expected}:${traffic.quiet.improbableFromHour ?? ''}`;
  const recent = [...traffic.recent].map(([hour, count]) => `${hour}:${count}`).join(',');
  const silences = traffic.silences
    .map((silence) => `${silence.startMs}-${silence.improbableFromMs}-${silence.endMs}`)
    .join(',');
  return [
    '2',
    traffic.frontierHour ?? '',
    traffic.foldedUntilHour,
    quiet,
    recent,
    baseline,
    silences,
  ].join(';');
}

export function decodeTraffic(text: string): InputTraffic {
  const traffic = emptyTraffic();
  const [
    version,
    frontier = '',
    folded = '',
    quiet = '',
    recent = '',
    baseline = '',
    silences = '',
  ] = text.split(';');
  // Anything else (an older format) starts learning afresh.
  if (version !== '2') return traffic;
  traffic.frontierHour = frontier === '' ? null : Number(frontier);
  traffic.foldedUntilHour = Number(folded);
  if (quiet !== '') {
    const [startHour, expected, improbableFrom] = quiet.split(':');
    traffic.quiet = {
      startHour: Number(startHour),
      expected: Number(expected),
      improbableFromHour:
        improbableFrom === '' || improbableFrom === undefined ? null : Number(improbableFrom),
    };
  }
  for (const pair of recent === '' ? [] : recent.split(',')) {
    const [hour, count] = pair.split(':').map(Number);
    traffic.recent.set(hour!, count!);
  }
  const bytes = Buffer.from(baseline, 'base64');
  if (bytes.length === 8 * HOURS_PER_WEEK) {
    const values = new Float32Array(new Uint8Array(bytes).buffer);
    traffic.sums.set(values.subarray(0, HOURS_PER_WEEK));
    traffic.weights.set(values.subarray(HOURS_PER_WEEK));
  }
  traffic.silences = (silences === '' ? [] : silences.split(',')).map((entry) => {
    const [startMs, improbableFromMs, endMs] = entry.split('-').map(Number);
    return { startMs: startMs!, improbableFromMs: improbableFromMs!, endMs: endMs! };
  });
  return traffic;
}
