// The partition step: everything one Kafka partition decides for one chunk of records (or for a
// timer tick), as one pure, deterministic function. The profiler's task only does I/O around it
// — load, step, one compare-and-set commit, seek / pause / resume — and replay and the offline
// backtest call the same function, so live, replay and backtest cannot disagree.
//
// In one step, in this order:
//   1. records the store already has are skipped (a consumer ahead of the store is sent back);
//   2. each record, in log order: bad verdicts and impossible timestamps become dead letters;
//      a record running more than half the lateness ahead of the other input cuts the chunk
//      there; the input's traffic baseline learns it (remembering improbable silences); the
//      stream clock moves; the core applies the event to the customer's profile;
//   3. an idle partition's clock follows the group's (the task says how far);
//   4. the customers whose due time came are advanced to the stream time;
//   5. every signal is routed in the order it was decided, per customer: lapses explained by
//      an outage or part of a storm are held; a return while held discards (or, after the
//      deadline, releases) the hold; held lapses whose deadline came are released or discarded;
//   6. the new state, due times and outbox entries — in the order they must be published.
//
// Every decision reads a context: the purchase model the caller passes in (a fitted, versioned
// snapshot) and the partition's population latency table. The statistics behind the table are
// part of the partition's state: the step adds the gaps its customers' timelines consume, and
// freezes them into the table each time the stream time crosses a multiple of
// POPULATION_REFRESH_MS — after advancing the customers it knows to be due (the due list and the
// chunk's customers) to just before that instant, so a decision reads the table of the week it is
// taken in, whatever the batch boundaries. A replay from the log start rebuilds both.
//
// Traits (`settings.traitsTopic`, pulse.traits) are a third input outside the clock: a traits
// statement is merged into the customer's profile by its own event time (last value wins,
// traits.ts), which is order-independent, so it needs no place in the event-time order of the
// behavioural inputs. It never moves, holds or cuts the stream time, is not learnt as traffic
// (the outage guard watches the behavioural inputs) and is never late; it is dead-lettered by
// the same rules as the others (bad bytes, key mismatch, far-future time). Every signal carries
// the customer's traits and behavioural segment at its decision (decision-segment.ts).
import type { RulesConfig } from '../config.ts';
import type { DecisionContext, FittedModel } from '../context.ts';
import type { CustomerEvent, Signal, SignalKind } from '../events.ts';
import {
  addGaps,
  consumedGaps,
  emptyPopulationLatency,
  frozenPopulationHurdles,
  type GapObservation,
  type PopulationHurdles,
  type PopulationLatency,
} from '../population.ts';
import { copyProfile, newProfile, type Profile } from '../profile.ts';
import { earliestLapseDueDay } from '../rules.ts';
import {
  customerKeyOf,
  emptyFigureTable,
  FigureTableDraft,
  keepsKeyOf,
  nextSegmentChangeMs,
  sameKeyAfterClockMove,
  signalKeyOf,
  type SegmentFigureTable,
} from '../segment-figures.ts';
import { checkEventTime, DAY_MS } from '../time.ts';
import {
  advance,
  applyEvent,
  dueFromDecision,
  dueTimeMs,
  lapseAnchorOf,
  nextDecisionMs,
  nextUnconsumedDay,
  type ApplyOutcome,
} from '../timeline.ts';
import { applyTraitsStatement, type TraitsEvent } from '../traits.ts';
import { startOfLocalDayMs } from '../zone.ts';
import {
  aheadBoundOf,
  clockOf,
  isCaughtUp,
  withLagging,
  withResumed,
  type InputView,
} from './clock.ts';
import {
  holdDeadlineMs,
  silenceExplains,
  type GuardSettings,
  type HeldSignal,
  type HoldReason,
} from './guard.ts';
import { cloneTraffic, emptyTraffic, observeRecord, type InputTraffic } from './traffic.ts';

/** What the contracts made of a record's bytes. */
export type RecordVerdict =
  /** A visit or purchase; on the traits topic, a traits record. */
  | { ok: true; event: CustomerEvent | TraitsEvent }
  /** `customerId`: set when the record names a customer although it is rejected. */
  | { ok: false; kind: string; message: string; customerId?: string };

export interface StepRecord {
  /** Kafka offset (64-bit, as a decimal string). */
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  verdict: RecordVerdict;
}

/** Consecutive records of one input topic, in log order. */
export interface StepChunk {
  topic: string;
  records: readonly StepRecord[];
  /** True when the chunk's last record is the newest the broker has: the topic caught up. */
  reachesLogEnd: boolean;
}

/** What the store keeps of a partition besides its customers. */
export interface PartitionState {
  /** Next offset to read, per input topic (absent: nothing committed yet). */
  offsets: ReadonlyMap<string, string>;
  /** Newest event time applied, per input topic. */
  newestAppliedMs: ReadonlyMap<string, number>;
  streamTimeMs: number | null;
  /** Wall clock of the last step that applied records (idle detection). */
  lastEventWallMs: number | null;
  /** Learnt traffic and improbable silences, per input topic. */
  traffic: ReadonlyMap<string, InputTraffic>;
  /** The partition's population latency statistics (gaps its customers' timelines consumed). */
  population: PopulationLatency;
  /** The hurdle table decisions read, frozen at the last refresh instant (null: none yet). */
  populationHurdles: PopulationHurdles | null;
  /** Live segment figures of the partition's customers and signals (segment-figures.ts). */
  segmentFigures: SegmentFigureTable;
}

/**
 * Stream time between two refreshes of the population's hurdle table: often enough to follow a
 * young namespace, rarely enough that its statistics barely move between two (and the sweep
 * before a refresh costs nothing that matters).
 */
export const POPULATION_REFRESH_MS = 7 * DAY_MS;

/** The first refresh instant after `streamTimeMs`. */
export function nextPopulationRefreshMs(streamTimeMs: number): number {
  return (Math.floor(streamTimeMs / POPULATION_REFRESH_MS) + 1) * POPULATION_REFRESH_MS;
}

export function emptyPartitionState(): PartitionState {
  return {
    offsets: new Map(),
    newestAppliedMs: new Map(),
    streamTimeMs: null,
    lastEventWallMs: null,
    traffic: new Map(),
    population: emptyPopulationLatency(),
    populationHurdles: null,
    segmentFigures: emptyFigureTable(),
  };
}

export interface ProfileLookup {
  /** The stored profile of a customer of the chunk or of the due list; undefined: none yet. */
  get(customerId: string): Profile | undefined;
}

export interface StepInput {
  state: PartitionState;
  view: InputView;
  /** Absent for a tick (timers, holds and the idle clock only). */
  chunk?: StepChunk;
  profiles: ProfileLookup;
  /** Customers whose due time has come, in the due index's order. */
  due: readonly string[];
  /** Held lapses of the chunk's and the due customers. */
  held: ReadonlyMap<string, HeldSignal>;
  /** Customers with a timer: the base the storm guard measures a sweep against. */
  timedCustomers: number;
  /** Stream time an idle partition may move up to (the group's clock). */
  idleStreamTimeMs?: number;
  /** Reference wall clock: far-future timestamps are judged against it. */
  nowMs: number;
  /** Customers forgotten on request: their events move the clock but are never applied. */
  isForgotten?(customerId: string): boolean;
  /** The purchase model decisions read (α in days); absent or null: none. */
  model?: FittedModel | null;
  /**
   * False when the load returned as many due customers as it may (there may be more before the
   * horizon): the step then makes no refresh of the population table. Default true.
   */
  dueListComplete?: boolean;
  /**
   * How far the due list was loaded (the load's horizon): when it stops short of just before the
   * next refresh — a load from a stale view of the state — the step makes no refresh either.
   * Absent: as far as `dueHorizonMs` of this state says.
   */
  dueLoadedUpToMs?: number | null;
}

/** Where signals and dead letters go. */
export interface Routing {
  /** `outbox`: the live topics; `suppress`: nowhere (counted); `redirect`: `redirectTopic`. */
  signalMode: 'outbox' | 'suppress' | 'redirect';
  lapseTopic: string;
  readyToBuyTopic: string;
  deadLetterTopic: string;
  redirectTopic?: string | undefined;
}

export interface StepSettings {
  partition: number;
  routing: Routing;
  guard: GuardSettings;
  /**
   * The traits input (pulse.traits): outside the clock (never one of the InputView's topics),
   * its records merged into the profiles' traits. Absent: no traits input.
   */
  traitsTopic?: string | undefined;
}

export interface DeadLetterReason {
  kind: string;
  message: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
}

/** One entry to publish, in publish order. */
export type OutboxItem =
  | { type: 'signal'; topic: string; signal: Signal; decidedAtWallMs: number }
  | {
      type: 'dead-letter';
      topic: string;
      key: Uint8Array | null;
      value: Uint8Array | null;
      reason: DeadLetterReason;
    };

export interface StepCounts {
  outcomes: Record<ApplyOutcome, number>;
  /** Traits records merged (a repeated or older statement included: it changes nothing). */
  traits: number;
  forgotten: number;
  deadLetters: Map<string, number>;
  /** Signals decided and routed (suppressed ones included), by kind. */
  signals: Map<SignalKind, number>;
  held: Map<HoldReason, number>;
  released: number;
  discarded: number;
  /**
   * Customers the timers looked at (advanced at a refresh of the population table, or swept as
   * due), and how many of those looks only moved the customer's clock: nothing was decided.
   * Most of those are the weekly looks before and after a refresh (see `dueOf`).
   */
  timerLooks: { total: number; clockOnly: number };
}

export interface StepOutcome {
  kind: 'step';
  /** False when nothing changed: there is nothing to commit. */
  changed: boolean;
  state: PartitionState;
  /** Topics whose traffic baseline changed (their meta field must be written). */
  trafficChanged: ReadonlySet<string>;
  /** The population statistics or their frozen table changed (both must be written). */
  populationChanged: boolean;
  /** The segment figures changed (they must be written). */
  figuresChanged: boolean;
  /** Positions to store: the chunk's topic, next offset. */
  offsets: ReadonlyMap<string, string>;
  view: InputView;
  /** Profiles that changed. */
  profiles: ReadonlyMap<string, Profile>;
  /** Due index updates: a due time, or null to take the customer out. */
  due: ReadonlyMap<string, number | null>;
  /** Held lapses: set, or null to remove. */
  held: ReadonlyMap<string, HeldSignal | null>;
  outbox: readonly OutboxItem[];
  /** The chunk was cut at this record: seek the topic back to it and pause the topic. */
  cut?: { topic: string; offset: string; eventMs: number };
  /**
   * The chunk stopped at this record, which would move the clock past a refresh of the
   * population table this step may not make (see `dueHorizonMs`): seek the topic back to it and
   * go on reading (nothing is paused).
   */
  stopped?: { topic: string; offset: string };
  /** Paused topics the consumer must resume. */
  resume: readonly string[];
  counts: StepCounts;
  /** Set when a sweep was held as a lapse storm. */
  storm?: { lapses: number; timedCustomers: number };
}

/** The consumer is past the position the store holds: seek back, apply nothing. */
export interface StepReposition {
  kind: 'reposition';
  topic: string;
  offset: string;
}

export type StepResult = StepOutcome | StepReposition;

/** The newest event time of a chunk that the time check accepts (−∞ when none). */
export function newestAcceptedMs(
  chunk: StepChunk | undefined,
  nowMs: number,
  rules: RulesConfig,
): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const { verdict } of chunk?.records ?? []) {
    if (verdict.ok && verdict.event.occurredAtMs > newest) {
      if (checkEventTime(verdict.event.occurredAtMs, nowMs, rules).ok)
        newest = verdict.event.occurredAtMs;
    }
  }
  return newest;
}

/**
 * How many of a chunk's records a step from this state and view can take: up to and including
 * the first one it would cut the topic at (an accepted event more than half the lateness ahead
 * of another input, the step's rule 2), else all of them. A caller that hands the step only
 * these loads only their customers and looks in the due index only as far as they reach; the
 * rest go to a later step. Any shorter or longer chunk gives the same result over the whole
 * log (the step may still cut or stop earlier): this only spares the work a cut throws away.
 */
export function chunkReach(
  chunk: StepChunk,
  state: PartitionState,
  view: InputView,
  nowMs: number,
  rules: RulesConfig,
): number {
  const { records } = chunk;
  if (!view.topics.includes(chunk.topic)) return records.length;
  const aheadBound = aheadBoundOf(
    chunk.topic,
    state.newestAppliedMs,
    view,
    rules.allowedLatenessMs,
  );
  if (aheadBound === Number.POSITIVE_INFINITY) return records.length;
  for (let index = 0; index < records.length; index += 1) {
    const { verdict } = records[index]!;
    if (
      verdict.ok &&
      verdict.event.kind !== 'traits' &&
      verdict.event.occurredAtMs > aheadBound &&
      checkEventTime(verdict.event.occurredAtMs, nowMs, rules).ok
    ) {
      return index + 1;
    }
  }
  return records.length;
}

/**
 * The highest stream time a step over this chunk could reach: how far to look in the due index
 * when loading. An idle partition may go up to `idleStreamTimeMs`.
 */
export function dueHorizonMs(
  state: PartitionState,
  view: InputView,
  chunk: StepChunk | undefined,
  nowMs: number,
  rules: RulesConfig,
  idleStreamTimeMs?: number,
): number | null {
  const newest = new Map(state.newestAppliedMs);
  let lagging = view.lagging;
  // A traits chunk does not move the clock: only the idle clock and the stored one count.
  if (chunk !== undefined && view.topics.includes(chunk.topic)) {
    const accepted = newestAcceptedMs(chunk, nowMs, rules);
    if (accepted > Number.NEGATIVE_INFINITY) {
      newest.set(chunk.topic, Math.max(newest.get(chunk.topic) ?? accepted, accepted));
    }
    lagging = new Map(lagging).set(chunk.topic, !chunk.reachesLogEnd);
  }
  const clock = clockOf(view, newest, state.streamTimeMs, rules.allowedLatenessMs, lagging);
  const horizon =
    idleStreamTimeMs === undefined ? clock : Math.max(clock ?? idleStreamTimeMs, idleStreamTimeMs);
  // No further than just before the next refresh of the population table: the step must know
  // every customer due before it (those due after are swept by the next step, same table).
  if (horizon === null || state.streamTimeMs === null) return horizon;
  return Math.min(horizon, nextPopulationRefreshMs(state.streamTimeMs) - 1);
}

/** One step of a partition. Pure: the same input gives the same result. */
export function stepPartition(
  input: StepInput,
  rules: RulesConfig,
  settings: StepSettings,
): StepResult {
  const { chunk, state, nowMs } = input;
  const { routing, guard } = settings;
  /** A traits chunk: merged into profiles, outside the clock (see the header). */
  const traitsChunk = chunk !== undefined && chunk.topic === settings.traitsTopic;
  const topic = chunk?.topic;
  /** The chunk's topic when it is a clock input (visits, purchases). */
  const clockTopic = traitsChunk ? undefined : topic;

  // 1. Redis is the truth for positions: skip what it already has, reposition on a gap.
  let records: readonly StepRecord[] = chunk?.records ?? [];
  if (chunk !== undefined && records.length > 0) {
    const next = state.offsets.get(chunk.topic);
    if (next !== undefined) {
      const nextOffset = BigInt(next);
      if (BigInt(records[0]!.offset) > nextOffset) {
        return { kind: 'reposition', topic: chunk.topic, offset: next };
      }
      records = records.filter((record) => BigInt(record.offset) >= nextOffset);
    }
  }

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
  const outbox: OutboxItem[] = [];
  const profiles = new Map<string, Profile>();
  const touched = new Set<string>();
  const newestApplied = new Map(state.newestAppliedMs);
  const traffic = new Map(state.traffic);
  const trafficChanged = new Set<string>();
  const held = new Map(input.held);
  const heldChanges = new Map<string, HeldSignal | null>();
  let view = input.view;
  let streamTimeMs = state.streamTimeMs;
  let population = state.population;
  let populationHurdles = state.populationHurdles;
  let populationChanged = false;
  const model = input.model ?? null;
  let context: DecisionContext = { population: populationHurdles, model };

  /**
   * Every customer's newest profile of this step: those in `profiles` are written; the others
   * are customers a timer only moved the clock of (`AdvanceResult.clockOnly`) with their segment
   * key unchanged: the step goes on from the advanced profile, but it is not written — the
   * stored one is interchangeable with it. Most of them are the weekly looks before a refresh of
   * the population table (see `dueOf`), which would otherwise rewrite every timed customer's
   * profile each week of stream time. One map, so that finding a customer's profile costs one
   * lookup before the input's.
   */
  const latest = new Map<string, Profile>();
  const profileOf = (customerId: string): Profile | undefined =>
    latest.get(customerId) ?? input.profiles.get(customerId);
  const writeProfile = (customerId: string, profile: Profile): void => {
    profiles.set(customerId, profile);
    latest.set(customerId, profile);
  };

  // Segment figures: every signal the partition publishes (or would: suppressed ones count too,
  // so a replay's figures are the live run's; held lapses count once released) counted under
  // the customer's segment as of the signal's instant, read from their profile when it is
  // published, on the signal's event-time day.
  const figures = new FigureTableDraft(state.segmentFigures);
  const countSignal = (signal: Signal): void => {
    const profile = profileOf(signal.customerId);
    if (profile === undefined) return;
    const key = signalKeyOf(signal, profile, rules, figures.values);
    figures.countSignal(Math.floor(signal.detectedAtMs / DAY_MS), key, streamTimeMs);
  };

  // The gaps each change of a customer's timeline consumed, counted as it happens: a profile
  // keeps only its recent active days, so a step that moved a customer many days on could not
  // tell them from the stored profile and the final one.
  let uncounted: GapObservation[] = [];
  const setProfile = (customerId: string, profile: Profile): void => {
    const before = profileOf(customerId) ?? newProfile(customerId);
    if (profile.anchorDay !== before.anchorDay) uncounted.push(...consumedGaps(before, profile));
    writeProfile(customerId, profile);
  };
  /**
   * Customers a look left as they were, and the time it looked up to: nothing was to be decided
   * for them and their key stood, so only their clock would have moved. Their stored (or newest)
   * profile goes on with its clock behind, which nothing reads but their due time (see dueOf);
   * the next advance, from the earlier clock, decides what it would have decided from the later.
   */
  const lookedUpTo = new Map<string, IdleLook>();
  /**
   * Whether a look at an unwritten customer up to `toMs` could only move their clock, with their
   * segment key unchanged (the checks advance() and sameKeyAfterClockMove make, without the copy
   * of the profile and its memo they make to get there); if so, the look is kept in `lookedUpTo`.
   * Most looks around a refresh of the population table are such looks.
   */
  const onlyMovesClock = (customerId: string, profile: Profile, toMs: number): boolean => {
    if (profiles.has(customerId)) return false;
    const decisionMs = nextDecisionMs(profile, rules, context);
    if (decisionMs !== null && decisionMs <= toMs) return false;
    const changeMs = nextSegmentChangeMs(profile, rules);
    if (changeMs !== null && changeMs <= toMs) return false;
    const earlier = lookedUpTo.get(customerId)?.toMs ?? toMs;
    lookedUpTo.set(customerId, { toMs: Math.max(toMs, earlier), profile, context, decisionMs });
    return true;
  };
  /**
   * Advances a customer's timers to `toMs`; their signals, to be routed by the caller.
   * `mayBeIdle`: the look is likely to decide nothing (a weekly look); it is first checked for
   * that, and the customer left as they are if so.
   */
  const advanceCustomer = (
    customerId: string,
    profile: Profile,
    toMs: number,
    mayBeIdle = false,
  ): readonly Signal[] => {
    counts.timerLooks.total += 1;
    if (
      mayBeIdle &&
      profile.clockMs !== null &&
      profile.clockMs < toMs &&
      onlyMovesClock(customerId, profile, toMs)
    ) {
      counts.timerLooks.clockOnly += 1;
      return NO_LOOK_SIGNALS;
    }
    const advanced = advance(profile, toMs, rules, context);
    if (advanced.clockOnly) counts.timerLooks.clockOnly += 1;
    if (advanced.profile === profile) return advanced.signals;
    if (
      advanced.clockOnly &&
      !profiles.has(customerId) &&
      sameKeyAfterClockMove(profile, advanced.profile, rules, figures.values)
    ) {
      latest.set(customerId, advanced.profile);
    } else setProfile(customerId, advanced.profile);
    return advanced.signals;
  };
  const countGaps = (): void => {
    if (uncounted.length === 0) return;
    population = addGaps(population, uncounted);
    uncounted = [];
    populationChanged = true;
  };

  const trafficOf = (name: string): InputTraffic => {
    let entry = traffic.get(name);
    if (!trafficChanged.has(name)) {
      entry = entry ? cloneTraffic(entry) : emptyTraffic();
      traffic.set(name, entry);
      trafficChanged.add(name);
    }
    return entry!;
  };

  const deadLetter = (record: StepRecord, kind: string, message: string): void => {
    counts.deadLetters.set(kind, (counts.deadLetters.get(kind) ?? 0) + 1);
    const target = deadLetterTopicOf(routing);
    if (target === null) return;
    outbox.push({
      type: 'dead-letter',
      topic: target,
      key: record.key,
      value: record.value,
      reason: {
        kind,
        message,
        sourceTopic: topic ?? '',
        sourcePartition: settings.partition,
        sourceOffset: record.offset,
      },
    });
  };

  const publish = (signal: Signal): void => {
    counts.signals.set(signal.kind, (counts.signals.get(signal.kind) ?? 0) + 1);
    countSignal(signal);
    const target = signalTopicOf(routing, signal.kind);
    if (target !== null)
      outbox.push({ type: 'signal', topic: target, signal, decidedAtWallMs: nowMs });
  };

  const hold = (signal: Signal, reason: HoldReason): void => {
    const entry: HeldSignal = {
      signal,
      reason,
      heldAtStreamMs: streamTimeMs ?? signal.detectedAtMs,
    };
    held.set(signal.customerId, entry);
    heldChanges.set(signal.customerId, entry);
    counts.held.set(reason, (counts.held.get(reason) ?? 0) + 1);
  };

  const dropHold = (customerId: string): void => {
    held.delete(customerId);
    heldChanges.set(customerId, null);
  };

  const deadlineOf = (entry: HeldSignal): number | null =>
    holdDeadlineMs(entry, traffic.values(), guard);
  const ripe = (entry: HeldSignal): boolean => {
    const deadline = deadlineOf(entry);
    return deadline !== null && streamTimeMs !== null && streamTimeMs >= deadline;
  };

  const explainedBySilence = (signal: Signal): boolean =>
    traffic.size > 0 && silenceExplains(signal.detectedAtMs, traffic.values(), guard);

  /**
   * Routes one customer's signals in the order the core decided them. `storm`: this sweep is
   * held as a lapse storm. Keeping the order per customer is what lets a subscriber apply the
   * lapse topic in arrival order: lapsed → reactivated → lapsed … .
   */
  const route = (signals: readonly Signal[], storm: boolean): void => {
    // Signals carry who the customer was at their decision (core's atDecision): a held lapse
    // released later says so too.
    for (const signal of signals) {
      if (signal.kind === 'lapsed') {
        if (explainedBySilence(signal)) hold(signal, 'input-silence');
        else if (storm) hold(signal, 'storm');
        else publish(signal);
      } else if (signal.kind === 'reactivated' && held.has(signal.customerId)) {
        const entry = held.get(signal.customerId)!;
        dropHold(signal.customerId);
        const deadline = deadlineOf(entry);
        if (deadline === null || signal.detectedAtMs < deadline) {
          // Back before the hold was judged: the lapse was never sent, neither is its end.
          counts.discarded += 1;
        } else {
          // Back after it: the lapse stands, then its end.
          counts.released += 1;
          publish(entry.signal);
          publish(signal);
        }
      } else {
        publish(signal);
      }
    }
  };

  // A step refreshes the table at most once, and only when it knows every customer due before
  // the refresh (the load looks no further than just before it, see `dueHorizonMs`): its clock
  // stays before the refresh after that (or before this one, when the due list was cut short).
  const firstRefreshMs =
    state.streamTimeMs === null ? null : nextPopulationRefreshMs(state.streamTimeMs);
  const dueKnownBeforeRefresh =
    firstRefreshMs !== null &&
    input.dueListComplete !== false &&
    (input.dueLoadedUpToMs === undefined ||
      (input.dueLoadedUpToMs !== null && input.dueLoadedUpToMs >= firstRefreshMs - 1));
  const clockLimitMs =
    firstRefreshMs === null
      ? Number.POSITIVE_INFINITY
      : dueKnownBeforeRefresh
        ? firstRefreshMs + POPULATION_REFRESH_MS - 1
        : firstRefreshMs - 1;

  /** Customers a refresh of this step looked at: most have nothing due at the sweep after it. */
  const refreshed = new Set<string>();
  // The table is refreshed at every multiple of POPULATION_REFRESH_MS the clock crosses: the
  // customers known to be due, and those of the chunk, are first advanced to just before it
  // (decisions before the instant read the old table), then their gaps are counted and frozen.
  const refreshPopulationAt = (refreshMs: number): void => {
    for (const customerId of new Set([...input.due, ...touched])) {
      const profile = profileOf(customerId);
      if (!profile) continue;
      touched.add(customerId);
      refreshed.add(customerId);
      route(advanceCustomer(customerId, profile, refreshMs - 1, true), false);
    }
    countGaps();
    populationHurdles = frozenPopulationHurdles(population, rules);
    populationChanged = true;
    context = { population: populationHurdles, model };
  };
  const moveClockTo = (nextMs: number | null): void => {
    if (streamTimeMs !== null && nextMs !== null) {
      for (
        let refreshMs = nextPopulationRefreshMs(streamTimeMs);
        refreshMs <= nextMs;
        refreshMs += POPULATION_REFRESH_MS
      ) {
        refreshPopulationAt(refreshMs);
      }
    }
    streamTimeMs = nextMs;
  };

  // 2. The records, in log order.
  const aheadBound =
    clockTopic === undefined
      ? Number.POSITIVE_INFINITY
      : aheadBoundOf(clockTopic, newestApplied, view, rules.allowedLatenessMs);
  // While its records are applied, the chunk's topic has records to deliver by definition.
  if (clockTopic !== undefined) view = withLagging(view, clockTopic, true);
  let cut: StepOutcome['cut'];
  let stopped: StepOutcome['stopped'];
  /** A record before the stop moved the clock: the next step goes on from there. */
  let clockMoved = false;
  for (const record of records) {
    const { verdict } = record;
    if (!verdict.ok) {
      // A forgotten customer's rejected record is not dead-lettered: that would keep their data.
      if (verdict.customerId !== undefined && input.isForgotten?.(verdict.customerId)) {
        counts.forgotten += 1;
      } else deadLetter(record, verdict.kind, verdict.message);
      continue;
    }
    const event = verdict.event;
    // Each input carries its own kind of record (the decoder reads a topic by its contract).
    if ((event.kind === 'traits') !== traitsChunk) {
      deadLetter(record, 'schema-violation', `a ${event.kind} record on the ${topic} topic`);
      continue;
    }
    const timeCheck = checkEventTime(event.occurredAtMs, nowMs, rules);
    // Only an event the time check accepts may cut its topic: a far-future one (dead-lettered
    // below) would otherwise hold the topic until the other input caught up, while the clock
    // ran on and the events behind it became late.
    if (timeCheck.ok && event.occurredAtMs > aheadBound) {
      cut = { topic: topic!, offset: record.offset, eventMs: event.occurredAtMs };
      break;
    }
    const forgotten = input.isForgotten?.(event.customerId) ?? false;
    if (!timeCheck.ok) {
      // A forgotten customer's bad event is not dead-lettered: that would keep their data.
      if (forgotten) counts.forgotten += 1;
      else deadLetter(record, timeCheck.reason, timeCheck.message);
      continue;
    }
    if (event.kind === 'traits') {
      // Merged by its own event time; no clock, no traffic, never late (see the header).
      if (forgotten) {
        counts.forgotten += 1;
        continue;
      }
      counts.traits += 1;
      const current = profileOf(event.customerId) ?? newProfile(event.customerId);
      const traits = applyTraitsStatement(current.traits, event);
      // An older or repeated statement changes nothing: no write.
      if (traits !== current.traits) {
        const next = copyProfile(current);
        next.traits = traits;
        writeProfile(event.customerId, next);
      }
      continue;
    }
    if (topic !== undefined) {
      const frontier = newestApplied.get(topic);
      const advances = frontier === undefined || event.occurredAtMs > frontier;
      if (advances) {
        // The clock the record would make, probed on the step's own map (no copy per record):
        // the frontier goes back if the record has to wait.
        newestApplied.set(topic, event.occurredAtMs);
        const clock = clockOf(view, newestApplied, streamTimeMs, rules.allowedLatenessMs);
        // Past the refreshes this step may make: the record waits for the next step.
        if (clock !== null && clock > clockLimitMs) {
          if (frontier === undefined) newestApplied.delete(topic);
          else newestApplied.set(topic, frontier);
          stopped = { topic, offset: record.offset };
          break;
        }
        clockMoved = true;
      }
      observeRecord(
        trafficOf(topic),
        event.occurredAtMs,
        rules.allowedLatenessMs,
        guard.outageSilenceProbability,
      );
      moveClockTo(clockOf(view, newestApplied, streamTimeMs, rules.allowedLatenessMs));
    }
    // A forgotten customer's event still moves the clock (others' timers fire as in a run that
    // had it), but is never applied.
    if (forgotten) {
      counts.forgotten += 1;
      continue;
    }
    // No clock yet (a lagging topic has delivered nothing): nothing can be late or decided.
    const applied = applyEvent(
      profileOf(event.customerId),
      event,
      streamTimeMs ?? 0,
      rules,
      context,
    );
    setProfile(event.customerId, applied.profile);
    touched.add(event.customerId);
    counts.outcomes[applied.outcome] += 1;
    route(applied.signals, false);
  }

  // 3. An idle partition follows the group's clock (bounded delay for its timers).
  if (
    input.idleStreamTimeMs !== undefined &&
    (streamTimeMs === null || input.idleStreamTimeMs > streamTimeMs)
  ) {
    moveClockTo(Math.min(input.idleStreamTimeMs, clockLimitMs));
  }
  // The chunk is done. A cut topic waits, paused at the cut record (its frontier); otherwise
  // it caught up if the chunk reached the log end. (A traits chunk changes nothing of this.)
  if (chunk !== undefined && !traitsChunk) {
    view =
      cut === undefined
        ? withLagging(view, chunk.topic, stopped !== undefined || !chunk.reachesLogEnd)
        : {
            ...view,
            lagging: new Map(view.lagging).set(cut.topic, true),
            paused: new Map(view.paused).set(cut.topic, cut.eventMs),
          };
    const clock = clockOf(view, newestApplied, streamTimeMs, rules.allowedLatenessMs);
    moveClockTo(clock === null ? null : Math.min(clock, clockLimitMs));
  }
  // A chunk stopped at its first record, at a refresh it may not make yet: the clock goes up to
  // just before it (the record itself would take it further), so the due customers before it
  // are swept and the next step makes progress. After records that moved the clock it stays
  // where they put it: the next step goes on from there (and an input found lagging meanwhile
  // still holds the clock back).
  if (stopped !== undefined && !clockMoved && streamTimeMs !== null && clockLimitMs > streamTimeMs)
    moveClockTo(clockLimitMs);

  // 4 and 5. Timers: the due customers, advanced to the stream time; their signals routed per
  // customer in order, with the storm judged on the sweep as a whole.
  let storm: StepOutcome['storm'];
  if (streamTimeMs !== null) {
    const swept: (readonly Signal[])[] = [];
    let lapses = 0;
    // A held lapse is judged on the customer as of the stream time: their profile is advanced
    // first, so a return already recorded is seen (and discards the hold) before the deadline
    // rule runs, however late the customer's timer was swept.
    const sweep = new Set(input.due);
    for (const [customerId, entry] of held) if (ripe(entry)) sweep.add(customerId);
    for (const customerId of sweep) {
      touched.add(customerId);
      const profile = profileOf(customerId);
      if (!profile) continue;
      const signals = advanceCustomer(customerId, profile, streamTimeMs, refreshed.has(customerId));
      if (signals.length === 0) continue;
      swept.push(signals);
      for (const signal of signals) {
        if (signal.kind === 'lapsed' && !explainedBySilence(signal)) lapses += 1;
      }
    }
    // Judged only while the partition is caught up: a catch-up (restart, replay) sweeps history,
    // where many lapses at once are expected and batch sizes would decide.
    const isStorm =
      isCaughtUp(view) &&
      lapses >= guard.stormMinLapses &&
      lapses > guard.stormMaxLapseShare * Math.max(1, input.timedCustomers);
    if (isStorm) storm = { lapses, timedCustomers: input.timedCustomers };
    for (const signals of swept) route(signals, isStorm);

    // Held lapses whose deadline came: a customer still in the same lapse episode is alerted;
    // one who came back (or was forgotten) is not.
    for (const [customerId, entry] of [...held]) {
      if (!ripe(entry)) continue;
      const profile = profileOf(customerId);
      dropHold(customerId);
      touched.add(customerId);
      if (profile && profile.openEpisodeSinceMs === entry.signal.detectedAtMs) {
        counts.released += 1;
        publish(entry.signal);
      } else {
        counts.discarded += 1;
      }
    }
  }

  // 6. Positions, due times, state.
  const offsets = new Map<string, string>();
  if (topic !== undefined && cut !== undefined) offsets.set(topic, cut.offset);
  else if (topic !== undefined && stopped !== undefined) offsets.set(topic, stopped.offset);
  else if (topic !== undefined && records.length > 0) {
    offsets.set(topic, String(BigInt(records.at(-1)!.offset) + 1n));
  }
  countGaps();
  const due = new Map<string, number | null>();
  // Segment figures: each touched customer moves from the key of their stored profile to the
  // key of their new one (a key is a function of the profile alone: segment-figures.ts).
  // (Traits records change profiles without touching their timers: the changed profiles too.)
  const moveKey = (customerId: string): void => {
    const stored = input.profiles.get(customerId);
    const profile = profileOf(customerId);
    // An unwritten customer's key is their stored profile's (checked when it was advanced).
    if (stored === profile || (latest.has(customerId) && !profiles.has(customerId))) return;
    // Most events leave a customer's key as it was: known from the evaluations, no key spelled.
    if (
      stored !== undefined &&
      profile !== undefined &&
      keepsKeyOf(stored, profile, rules, figures.values)
    ) {
      return;
    }
    figures.moveCustomer(
      stored === undefined ? null : customerKeyOf(stored, rules, figures.values),
      profile === undefined ? null : customerKeyOf(profile, rules, figures.values, true),
    );
  };
  // The touched, then the other changed: the order a new trait value is first kept in.
  for (const customerId of touched) moveKey(customerId);
  for (const customerId of profiles.keys()) if (!touched.has(customerId)) moveKey(customerId);
  figures.retain(streamTimeMs);
  for (const customerId of touched) {
    const profile = profileOf(customerId);
    const entry = held.get(customerId);
    const timerDue = profile
      ? dueOf(profile, rules, context, streamTimeMs, lookedUpTo.get(customerId))
      : null;
    // Also when the customer's segment moves with time alone (segment-figures.ts).
    const segmentDue = profile ? nextSegmentChangeMs(profile, rules) : null;
    const profileDue =
      segmentDue === null
        ? timerDue
        : timerDue === null
          ? segmentDue
          : Math.min(timerDue, segmentDue);
    // A hold whose outage goes on is looked at again a day of stream time later.
    const holdDue =
      entry === undefined
        ? null
        : (deadlineOf(entry) ?? (Math.floor((streamTimeMs ?? 0) / DAY_MS) + 1) * DAY_MS);
    due.set(
      customerId,
      profileDue === null ? holdDue : holdDue === null ? profileDue : Math.min(profileDue, holdDue),
    );
  }

  // After progress on one topic, the topics that waited for it may go on (a tick resumes
  // nothing: the task first resumes the paused topics that no longer wait for anything).
  const resume =
    clockTopic === undefined
      ? []
      : [...view.paused.keys()].filter((paused) => paused !== clockTopic);
  view = withResumed(view, resume);

  const newState: PartitionState = {
    offsets: offsets.size === 0 ? state.offsets : new Map([...state.offsets, ...offsets]),
    newestAppliedMs: newestApplied,
    streamTimeMs,
    // Traits records are not traffic: a partition that only gets traits is idle all the same.
    lastEventWallMs: records.length > 0 && !traitsChunk ? nowMs : state.lastEventWallMs,
    traffic,
    population,
    populationHurdles,
    segmentFigures: figures.changed ? figures.freeze() : state.segmentFigures,
  };
  const changed =
    figures.changed ||
    populationChanged ||
    offsets.size > 0 ||
    profiles.size > 0 ||
    touched.size > 0 ||
    outbox.length > 0 ||
    heldChanges.size > 0 ||
    streamTimeMs !== state.streamTimeMs;
  return {
    kind: 'step',
    changed,
    state: newState,
    trafficChanged,
    populationChanged,
    figuresChanged: figures.changed,
    offsets,
    view,
    profiles,
    due,
    held: heldChanges,
    outbox,
    ...(cut !== undefined ? { cut } : {}),
    ...(stopped !== undefined ? { stopped } : {}),
    resume,
    counts,
    ...(storm !== undefined ? { storm } : {}),
  };
}

/**
 * A customer's due time in the partition's due index: the core's due time, capped at just before
 * the first refresh of the population table that could matter to them.
 *
 * - A customer with an active day not consumed yet (`nextUnconsumedDay`): before the next
 *   refresh. The core's due time never comes before their newest activity, so the day that
 *   sealed may wait for a later look; this one counts its gap in the table of the week it ended
 *   in, whatever the batching (the refresh also advances the chunk's customers, a set the
 *   batching chooses).
 * - A customer waiting for a lapse (also one nothing could judge yet): before the refresh opening
 *   the week their lapse can first come due in under any table (`earliestLapseDueDay`, the lowest
 *   the shrinkage rule can go), or the next one when that week has begun. They are advanced to
 *   just before it and re-planned with the new table, so every decision reads the table of the
 *   week it is taken in; and nobody is looked at weekly while no table could judge them yet.
 * - Anyone else: the core's due time (nothing else it waits for reads the table).
 *
 * A look that only moves a customer's clock writes nothing (see `latest` and `lookedUpTo`).
 */
function dueOf(
  profile: Profile,
  rules: RulesConfig,
  context: DecisionContext,
  streamTimeMs: number | null,
  look: IdleLook | undefined,
): number | null {
  // A look that left the profile as it was counts as an advance to the time it looked up to.
  const clockMs =
    look === undefined
      ? (profile.clockMs ?? streamTimeMs)
      : Math.max(look.toMs, profile.clockMs ?? look.toMs);
  // The next decision the look found stands while the profile and the table are the ones it saw.
  const dueMs =
    look !== undefined && look.profile === profile && look.context === context
      ? dueFromDecision(profile, look.decisionMs)
      : dueTimeMs(profile, rules, context);
  if (clockMs === null) return dueMs;
  // The customer was advanced to clockMs: the next refresh still ahead of them.
  const nextRefreshMs = nextPopulationRefreshMs(clockMs + 1);
  let capMs = nextRefreshMs - 1;
  if (nextUnconsumedDay(profile) === null) {
    const anchorDay = lapseAnchorOf(profile);
    const earliestDay =
      anchorDay === null
        ? null
        : earliestLapseDueDay(profile, anchorDay, rules, context.model ?? null);
    if (earliestDay === null) return dueMs;
    const earliestMs = startOfLocalDayMs(earliestDay, profile.timeZone);
    const weekStartMs = Math.floor(earliestMs / POPULATION_REFRESH_MS) * POPULATION_REFRESH_MS;
    capMs = Math.max(nextRefreshMs, weekStartMs) - 1;
  }
  return dueMs === null ? capMs : Math.min(dueMs, capMs);
}

const NO_LOOK_SIGNALS: readonly Signal[] = Object.freeze([]);

/** A look that left a customer's profile as it was (see `lookedUpTo` in stepPartition). */
interface IdleLook {
  toMs: number;
  profile: Profile;
  context: DecisionContext;
  decisionMs: number | null;
}

function signalTopicOf(routing: Routing, kind: SignalKind): string | null {
  if (routing.signalMode === 'suppress') return null;
  if (routing.signalMode === 'redirect') return routing.redirectTopic ?? null;
  return kind === 'ready_to_buy' ? routing.readyToBuyTopic : routing.lapseTopic;
}

/**
 * Where a run's dead letters go: where its signals go. The live run sends them to the
 * dead-letter topic; a replay never touches the live topics, so with signals suppressed its dead
 * letters are dropped too (counted: the live run already sent them), and with signals
 * redirected they go to the redirect topic beside the signals (told apart by their
 * `pulse-error-kind` header). null: not sent.
 */
export function deadLetterTopicOf(routing: Routing): string | null {
  if (routing.signalMode === 'suppress') return null;
  if (routing.signalMode === 'redirect') return routing.redirectTopic ?? null;
  return routing.deadLetterTopic;
}
