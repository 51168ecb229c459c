// Runs a whole log through the core the way one partition of the profiler would: events in
// event-time order, each applied at the partition's stream time (newest event time minus the
// allowed lateness), due timers fired from a due index as the stream time passes them, and the
// population's latency statistics accumulated from the gaps the timelines consume, frozen into a
// hurdle table at every week of stream time (after the timers due before that instant fired).
//
// This is deliberately one small function with a narrow interface: when the core's partition
// step (the function the live profiler runs per batch) exists, `pulse evaluate` runs the log
// through that instead, and only this file changes.
import {
  addGaps,
  advance,
  applyEvent,
  consumedGaps,
  dueTimeMs,
  emptyPopulationLatency,
  populationHurdles,
  streamTimeFor,
  DAY_MS,
  type CustomerEvent,
  type DecisionContext,
  type FittedModel,
  type PopulationLatency,
  type Profile,
  type RulesConfig,
  type Signal,
} from '@pulse/core';
import { MinHeap } from '@pulse/test-kit';

/** How often (stream time) the population's hurdle table is refreshed. */
export const POPULATION_REFRESH_MS = 7 * DAY_MS;

export interface LogRunOptions {
  config: RulesConfig;
  /** The purchase model decisions use (α in days); null: none. */
  model: FittedModel | null;
  /** Judge customers against the population's latency by step (else personal rhythms only). */
  usePopulation: boolean;
  /** Events at or after this instant are not applied; the clock is run up to it at the end. */
  untilMs: number;
}

export interface EmittedSignal {
  signal: Signal;
  /** Stream time at which the run emitted it. */
  emittedAtMs: number;
}

export interface LogRunResult {
  profiles: Map<string, Profile>;
  signals: EmittedSignal[];
  population: PopulationLatency;
  /** What decisions read at the end of the run. */
  context: DecisionContext;
  streamTimeMs: number;
}

export function runLog(events: readonly CustomerEvent[], options: LogRunOptions): LogRunResult {
  const { config, untilMs } = options;
  const ordered = events
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => event.occurredAtMs < untilMs)
    .sort((x, y) => x.event.occurredAtMs - y.event.occurredAtMs || x.index - y.index)
    .map(({ event }) => event);

  const profiles = new Map<string, Profile>();
  const signals: EmittedSignal[] = [];
  const due = new MinHeap<{ atMs: number; customerId: string }>((x, y) => x.atMs < y.atMs);
  const scheduled = new Map<string, number>();
  let population = emptyPopulationLatency();
  let context: DecisionContext = { population: null, model: options.model };
  let streamTimeMs = Number.NEGATIVE_INFINITY;
  let nextRefreshMs = Number.NEGATIVE_INFINITY;

  const schedule = (profile: Profile) => {
    const atMs = dueTimeMs(profile, config, context);
    if (atMs === null) scheduled.delete(profile.customerId);
    else {
      scheduled.set(profile.customerId, atMs);
      due.push({ atMs, customerId: profile.customerId });
    }
  };
  const record = (before: Profile | undefined, after: Profile, emitted: readonly Signal[]) => {
    if (options.usePopulation && before !== undefined) {
      population = addGaps(population, consumedGaps(before, after));
    }
    profiles.set(after.customerId, after);
    for (const signal of emitted) signals.push({ signal, emittedAtMs: streamTimeMs });
    schedule(after);
  };
  const sweep = (toMs: number) => {
    streamTimeMs = Math.max(streamTimeMs, toMs);
    while (due.size > 0 && due.peek()!.atMs <= streamTimeMs) {
      const { atMs, customerId } = due.pop()!;
      if (scheduled.get(customerId) !== atMs) continue; // superseded
      const before = profiles.get(customerId)!;
      const result = advance(before, streamTimeMs, config, context);
      record(before, result.profile, result.signals);
    }
  };
  const refresh = () => {
    if (!options.usePopulation) return;
    context = { ...context, population: populationHurdles(population, config) };
    // The table changed: every customer's due time may have (a customer with no hurdle yet may
    // have one now). The profiler's step must re-derive them too when it refreshes its table.
    for (const profile of profiles.values()) schedule(profile);
  };
  const moveClockTo = (toMs: number) => {
    if (nextRefreshMs === Number.NEGATIVE_INFINITY) {
      nextRefreshMs = Math.floor(toMs / POPULATION_REFRESH_MS + 1) * POPULATION_REFRESH_MS;
    }
    while (nextRefreshMs <= toMs) {
      sweep(nextRefreshMs);
      refresh();
      nextRefreshMs += POPULATION_REFRESH_MS;
    }
    sweep(toMs);
  };

  for (const event of ordered) {
    moveClockTo(Math.max(streamTimeMs, streamTimeFor(event.occurredAtMs, config)));
    const before = profiles.get(event.customerId);
    const result = applyEvent(before, event, streamTimeMs, config, context);
    record(before, result.profile, result.signals);
  }
  moveClockTo(untilMs);
  return { profiles, signals, population, context, streamTimeMs };
}
