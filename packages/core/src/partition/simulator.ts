// One partition run in memory through the partition step: the in-memory stand-ins for what the
// profiler keeps in Redis (profiles, due index, held lapses, outbox, state) and a consumer that
// reads each input topic's log in order, in chunks chosen by a plan. The property tests drive
// it with every kind of batching to show the step's result does not depend on it; the offline
// backtest runs a log through it, so it judges exactly what the live profiler would.
import { decodeFigureTable, encodeFigureTable } from '../segment-figures.ts';
import type { RulesConfig } from '../config.ts';
import type { FittedModel } from '../context.ts';
import { decodeProfile, encodeProfile } from '../codec.ts';
import {
  decodePopulationHurdles,
  decodePopulationLatency,
  encodePopulationHurdles,
  encodePopulationLatency,
} from '../population.ts';
import { MinHeap } from '../min-heap.ts';
import type { Profile } from '../profile.ts';
import { newInputView, pausedTopicsToResume, withLagging, withResumed } from './clock.ts';
import { defaultGuardSettings, type HeldSignal } from './guard.ts';
import {
  chunkReach,
  dueHorizonMs,
  emptyPartitionState,
  stepPartition,
  type OutboxItem,
  type PartitionState,
  type StepCounts,
  type StepRecord,
  type StepSettings,
} from './step.ts';
import { decodeTraffic, encodeTraffic } from './traffic.ts';

/** Chooses the next chunk: which of the readable topics, and how many records at most. */
export type ChunkPlan = (readable: readonly string[]) => { topic: string; records: number };

export interface SimulationOptions {
  rules: RulesConfig;
  settings: StepSettings;
  /** Each input topic's log for the partition, in log order (offsets are the positions). */
  logs: ReadonlyMap<string, readonly StepRecord[]>;
  plan: ChunkPlan;
  /** Reference wall clock for the far-future check. */
  nowMs: number;
  /** Most due customers one step sweeps (the profiler's maxDuePerSweep). */
  maxDuePerSweep?: number;
  isForgotten?(customerId: string): boolean;
  /**
   * Store profiles and state encoded, as Redis does (default true): every step then starts
   * from what a real load would give it.
   */
  roundTrip?: boolean;
  /**
   * After the log: move the clock up to here, as the group's clock moves an idle partition's
   * (default: it stays where the log left it). A customer's timer never comes due before their
   * newest event, so without it the decisions of the last days wait for more traffic.
   */
  finalStreamTimeMs?: number;
  /** The purchase model decisions read (α in days). */
  model?: FittedModel | null;
  /**
   * Hand each step only the records up to where it would cut the topic (`chunkReach`), as the
   * profiler does; default false: the plan's chunk as it is, the cut left to the step.
   */
  takeReach?: boolean;
  /** Called after every step with what it put in the outbox. */
  onStep?(outbox: readonly OutboxItem[], state: PartitionState): void;
}

export interface SimulationResult {
  /** Everything the partition published, in publish order. */
  outbox: OutboxItem[];
  profiles: Map<string, Profile>;
  /** The due index: customer → due time. */
  due: Map<string, number>;
  held: Map<string, HeldSignal>;
  state: PartitionState;
  steps: number;
  counts: StepCounts;
}

/**
 * Settings for a simulated partition that publishes nothing anywhere: signals go to the outbox
 * under placeholder topic names, with the default outage guard (the backtest and the bench's
 * step phase run logs through it this way).
 */
export function simulationSettings(partition = 0): StepSettings {
  return {
    partition,
    routing: {
      signalMode: 'outbox',
      lapseTopic: 'lapse',
      readyToBuyTopic: 'ready-to-buy',
      deadLetterTopic: 'dead-letter',
    },
    guard: defaultGuardSettings,
  };
}

/** One record per step, the topic picked by `random` (a function returning [0, 1)). */
export function oneRecordPlan(random: () => number): ChunkPlan {
  return (readable) => ({
    topic: readable[Math.floor(random() * readable.length)]!,
    records: 1,
  });
}

/** Chunks of up to `maxRecords`, topic and size picked by `random`. */
export function randomChunkPlan(random: () => number, maxRecords: number): ChunkPlan {
  return (readable) => ({
    topic: readable[Math.floor(random() * readable.length)]!,
    records: 1 + Math.floor(random() * maxRecords),
  });
}

/** Each topic in turn, `records` at a time. */
export function roundRobinPlan(records: number): ChunkPlan {
  let turn = 0;
  return (readable) => ({ topic: readable[turn++ % readable.length]!, records });
}

export function simulatePartition(options: SimulationOptions): SimulationResult {
  const { rules, settings, logs, plan, nowMs } = options;
  const roundTrip = options.roundTrip ?? true;
  const maxDue = options.maxDuePerSweep ?? Number.POSITIVE_INFINITY;
  const topics = [...logs.keys()];
  const positions = new Map(topics.map((topic) => [topic, 0]));
  const remaining = (topic: string) => positions.get(topic)! < logs.get(topic)!.length;

  const stored = new Map<string, Profile | Uint8Array>();
  const dueIndex = new Map<string, number>();
  // The due index in (due time, customer id) order, as the store's sorted set keeps it: an entry
  // whose time the index no longer holds is stale and skipped when it comes up. (A scan of the
  // whole index per step was a third of the benchmark's step figure at 83,000 customers a
  // partition.)
  const dueOrder = new MinHeap<{ dueMs: number; customerId: string }>(
    (a, b) => a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.customerId < b.customerId),
  );
  const setDue = (customerId: string, dueMs: number | null): void => {
    if (dueMs === null) {
      dueIndex.delete(customerId);
    } else if (dueIndex.get(customerId) !== dueMs) {
      dueIndex.set(customerId, dueMs);
      dueOrder.push({ dueMs, customerId });
    }
  };
  /** The first `limit` customers due by `horizonMs`, and whether that is all of them. */
  const dueBy = (horizonMs: number, limit: number): { due: string[]; complete: boolean } => {
    const taken: { dueMs: number; customerId: string }[] = [];
    const takenIds = new Set<string>();
    let complete = true;
    for (;;) {
      const top = dueOrder.peek();
      if (top === undefined || top.dueMs > horizonMs) break;
      // Stale, or a second entry of the same time (a due time set back to an earlier value).
      if (dueIndex.get(top.customerId) !== top.dueMs || takenIds.has(top.customerId)) {
        dueOrder.pop();
        continue;
      }
      if (taken.length >= limit) {
        complete = false;
        break;
      }
      taken.push(dueOrder.pop()!);
      takenIds.add(top.customerId);
    }
    // Listed, not consumed: the step sets the due time of every customer it sweeps.
    for (const entry of taken) dueOrder.push(entry);
    return { due: taken.map((entry) => entry.customerId), complete };
  };
  const held = new Map<string, HeldSignal>();
  const outbox: OutboxItem[] = [];
  let state = emptyPartitionState();
  // The traits topic is read like the others but is no input of the clock (step.ts).
  const clockTopics = topics.filter((topic) => topic !== settings.traitsTopic);
  let view = newInputView(clockTopics, clockTopics.filter(remaining));
  const counts: StepCounts = {
    outcomes: { applied: 0, late: 0, duplicate: 0 },
    traits: 0,
    forgotten: 0,
    deadLetters: new Map(),
    signals: new Map(),
    held: new Map(),
    released: 0,
    discarded: 0,
    timerLooks: { total: 0, clockOnly: 0 },
  };
  let steps = 0;

  const profileOf = (customerId: string): Profile | undefined => {
    const entry = stored.get(customerId);
    if (entry === undefined) return undefined;
    return entry instanceof Uint8Array ? decodeProfile(entry) : entry;
  };

  const step = (
    chunk?: { topic: string; records: readonly StepRecord[] },
    idleStreamTimeMs?: number,
  ): boolean => {
    // The consumer knows exactly which inputs still have records (a fixed log).
    for (const topic of clockTopics) {
      if (topic !== chunk?.topic) view = withLagging(view, topic, remaining(topic));
    }
    let records = chunk?.records ?? [];
    if (chunk !== undefined && options.takeReach === true) {
      const reach = chunkReach(
        { topic: chunk.topic, records, reachesLogEnd: false },
        state,
        view,
        nowMs,
        rules,
      );
      records = records.slice(0, reach);
    }
    const stepChunk =
      chunk === undefined
        ? undefined
        : {
            topic: chunk.topic,
            records,
            reachesLogEnd:
              positions.get(chunk.topic)! + records.length === logs.get(chunk.topic)!.length,
          };
    const horizon = dueHorizonMs(state, view, stepChunk, nowMs, rules, idleStreamTimeMs);
    const { due, complete } =
      horizon === null ? { due: [], complete: true } : dueBy(horizon, maxDue);
    const wanted = new Set(due);
    for (const record of stepChunk?.records ?? []) {
      if (record.verdict.ok) wanted.add(record.verdict.event.customerId);
    }
    const heldHere = new Map(
      [...wanted].flatMap((id) => (held.has(id) ? [[id, held.get(id)!]] : [])),
    );
    const result = stepPartition(
      {
        state,
        view,
        ...(stepChunk !== undefined ? { chunk: stepChunk } : {}),
        profiles: { get: profileOf },
        due,
        held: heldHere,
        timedCustomers: dueIndex.size,
        dueListComplete: complete,
        dueLoadedUpToMs: horizon,
        ...(options.model ? { model: options.model } : {}),
        ...(idleStreamTimeMs !== undefined ? { idleStreamTimeMs } : {}),
        nowMs,
        ...(options.isForgotten ? { isForgotten: options.isForgotten } : {}),
      },
      rules,
      settings,
    );
    steps += 1;
    if (result.kind === 'reposition') {
      positions.set(result.topic, Number(result.offset));
      return true;
    }
    for (const [customerId, profile] of result.profiles) {
      stored.set(customerId, roundTrip ? encodeProfile(profile) : profile);
    }
    for (const [customerId, dueMs] of result.due) setDue(customerId, dueMs);
    for (const [customerId, entry] of result.held) {
      if (entry === null) held.delete(customerId);
      else held.set(customerId, roundTrip ? JSON.parse(JSON.stringify(entry)) : entry);
    }
    outbox.push(...result.outbox);
    addCounts(counts, result.counts);
    state = roundTrip
      ? roundTripState(
          result.state,
          result.trafficChanged,
          result.populationChanged,
          result.figuresChanged,
        )
      : result.state;
    for (const [topic, offset] of result.offsets) positions.set(topic, Number(offset));
    view = result.view;
    options.onStep?.(result.outbox, state);
    return result.changed;
  };

  for (;;) {
    view = withResumed(view, pausedTopicsToResume(view));
    const readable = topics.filter((topic) => remaining(topic) && !view.paused.has(topic));
    if (readable.length === 0) break;
    const choice = plan(readable);
    const start = positions.get(choice.topic)!;
    const records = logs.get(choice.topic)!.slice(start, start + Math.max(1, choice.records));
    step({ topic: choice.topic, records });
  }
  // Caught up: ticks sweep what is due at the final stream time (several when the sweep is
  // bounded, or a refresh of the population table on the way).
  const dueRemains = () =>
    [...dueIndex.values()].some((dueMs) => dueMs <= (state.streamTimeMs ?? -Infinity));
  const clockBehind = () =>
    options.finalStreamTimeMs !== undefined &&
    state.streamTimeMs !== null &&
    state.streamTimeMs < options.finalStreamTimeMs;
  for (let tick = 0; tick < 100_000; tick += 1) {
    const changed = step(undefined, options.finalStreamTimeMs);
    if (!changed || (!dueRemains() && !clockBehind())) break;
  }

  const profiles = new Map<string, Profile>();
  for (const customerId of stored.keys()) profiles.set(customerId, profileOf(customerId)!);
  return { outbox, profiles, due: dueIndex, held, state, steps, counts };
}

/** The state as a load would give it: what changed goes through its encoding. */
function roundTripState(
  state: PartitionState,
  trafficChanged: ReadonlySet<string>,
  populationChanged: boolean,
  figuresChanged: boolean,
): PartitionState {
  let next = state;
  if (figuresChanged) {
    next = { ...next, segmentFigures: decodeFigureTable(encodeFigureTable(state.segmentFigures)) };
  }
  if (trafficChanged.size > 0) {
    const traffic = new Map(state.traffic);
    for (const topic of trafficChanged) {
      traffic.set(topic, decodeTraffic(encodeTraffic(traffic.get(topic)!)));
    }
    next = { ...next, traffic };
  }
  if (populationChanged) {
    next = {
      ...next,
      population: decodePopulationLatency(encodePopulationLatency(state.population)),
      populationHurdles:
        state.populationHurdles === null
          ? null
          : decodePopulationHurdles(encodePopulationHurdles(state.populationHurdles)),
    };
  }
  return next;
}

function addCounts(total: StepCounts, step: StepCounts): void {
  total.outcomes.applied += step.outcomes.applied;
  total.outcomes.late += step.outcomes.late;
  total.outcomes.duplicate += step.outcomes.duplicate;
  total.traits += step.traits;
  total.forgotten += step.forgotten;
  for (const [kind, count] of step.deadLetters)
    total.deadLetters.set(kind, (total.deadLetters.get(kind) ?? 0) + count);
  for (const [kind, count] of step.signals)
    total.signals.set(kind, (total.signals.get(kind) ?? 0) + count);
  for (const [reason, count] of step.held)
    total.held.set(reason, (total.held.get(reason) ?? 0) + count);
  total.released += step.released;
  total.discarded += step.discarded;
  total.timerLooks.total += step.timerLooks.total;
  total.timerLooks.clockOnly += step.timerLooks.clockOnly;
}
