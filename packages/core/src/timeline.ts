// The decision timeline: when events are recorded, when sealed days are consumed, when a lapse
// opens and closes, when ready-to-buy fires.
//
// Decisions are taken only on SEALED days: day d is sealed once stream time >= end of d, because
// an on-time event can no longer land on it. Days are the customer's local days (zone.ts): the
// end of d is the first instant of local day d + 1 in the profile's time zone (UTC without one). A decision therefore depends only on the set of
// on-time events, never on their arrival order or on when a timer happened to run, and every
// signal's detectedAtMs is a pure function of that set (the due instant, not the stream time at
// which the timer popped). That is what makes replays with other batch boundaries identical.
import { rulesVersion, type RulesConfig } from './config.ts';
import { NO_CONTEXT, type DecisionContext } from './context.ts';
import { atDecision } from './decision-segment.ts';
import { PulseCoreError } from './errors.ts';
import type { CustomerEvent, Signal, SignalKind } from './events.ts';
import { eventIdHash, signalIdFor } from './hashing.ts';
import {
  copyProfile,
  isRemembered,
  newProfile,
  recordLateEvent,
  recordOnTimeEvent,
  rememberEvent,
  stateTimeZone,
  type Profile,
} from './profile.ts';
import {
  contextEvidence,
  lapseDueDay,
  lapsePlanAsOf,
  lapseSilentDaysAsOf,
  readyToBuyEvidence,
  repurchaseWindowOpeningDay,
  type Evidence,
} from './rules.ts';
import { DAY_MS } from './time.ts';
import { observeVisitSource } from './traits.ts';
import { isKnownTimeZone, startOfLocalDayMs } from './zone.ts';

export type ApplyOutcome = 'applied' | 'duplicate' | 'late';

export interface ApplyResult {
  profile: Profile;
  outcome: ApplyOutcome;
  signals: readonly Signal[];
}

export interface AdvanceResult {
  profile: Profile;
  signals: readonly Signal[];
  /**
   * True when nothing was judged between the profile's clock and the stream time: no day
   * sealed, no lapse, return or window opening came due. The new profile then differs from the
   * old one by its clock alone, and the two are interchangeable for every later advance (no
   * decision reads the clock except a window opening's "judged already", and none lay between).
   */
  clockOnly: boolean;
}

/** The signals of a call that decided none: one shared list, never written to. */
const NO_SIGNALS: readonly Signal[] = Object.freeze([]);

/**
 * Apply one event at the partition's current stream time (newest event time seen on the
 * partition, this event included, minus allowed lateness). Timers are first advanced to
 * streamTimeMs, then the event is recorded: on time → every part of the profile (and it closes
 * an open lapse episode); late (occurredAtMs < stream time) → lifetime counters only.
 * A remembered event id → 'duplicate' and nothing changes at all.
 */
export function applyEvent(
  profile: Profile | undefined,
  event: CustomerEvent,
  streamTimeMs: number,
  config: RulesConfig,
  context: DecisionContext = NO_CONTEXT,
): ApplyResult {
  assertUsableEvent(event);
  const current = profile ?? newProfile(event.customerId);
  if (current.customerId !== event.customerId) {
    throw new PulseCoreError(
      'CUSTOMER_MISMATCH',
      `event ${event.eventId} of customer ${event.customerId} applied to the profile of ${current.customerId}`,
      {
        eventId: event.eventId,
        customerId: event.customerId,
        profileCustomerId: current.customerId,
      },
    );
  }
  const idHash = eventIdHash(event.eventId);
  if (isRemembered(current, idHash)) {
    return { profile: current, outcome: 'duplicate', signals: NO_SIGNALS };
  }

  const advanced = advance(current, streamTimeMs, config, context);
  // advance() made this list for this call: it is the event's own.
  const signals = advanced.signals;
  // Timers ran in the zone the profile had; the event's zone (if any) applies from here on.
  const timed = stateTimeZone(advanced.profile, event);
  // The event's own copy. advance() hands back the profile it was given or a copy of its own,
  // which carries no memo and nobody else holds (whatever it judged), and a stated zone makes a
  // copy too: the event is recorded into such a copy, into a new one only when neither made one.
  let next: Profile = timed !== current ? timed : copyProfile(timed);
  next.recentEvents = rememberEvent(
    timed.recentEvents,
    { occurredAtMs: event.occurredAtMs, idHash },
    config.dedupMemorySize,
  );
  // The first visit's source (traits): the earliest by event time, so late visits count too.
  if (event.kind === 'visit' && event.source !== undefined && event.source !== '') {
    next.traits = observeVisitSource(next.traits, event.occurredAtMs, event.source);
  }
  const clockMs = next.clockMs ?? streamTimeMs;
  // `next` is this event's own copy: the recording changes it in place.
  if (event.occurredAtMs < clockMs) {
    return { profile: recordLateEvent(next, event), outcome: 'late', signals };
  }

  // A return to an open lapse episode is recorded like any activity; advance() closes the
  // episode once the return day is final (see there).
  next = recordOnTimeEvent(next, event, config);
  return { profile: next, outcome: 'applied', signals };
}

/**
 * Bring the profile's decisions up to stream time: consume sealed active days (evaluating
 * ready-to-buy at the end of each) and open lapse episodes whose due time has passed. Pure,
 * idempotent, composable: advance(advance(p, t1), t2) equals advance(p, t2) for t1 <= t2.
 */
export function advance(
  profile: Profile,
  streamTimeMs: number,
  config: RulesConfig,
  context: DecisionContext = NO_CONTEXT,
): AdvanceResult {
  if (profile.clockMs !== null && streamTimeMs <= profile.clockMs)
    return { profile, signals: NO_SIGNALS, clockOnly: true };
  // advance's own copy, changed in place by every decision below: nothing it calls keeps a
  // reference to it or hangs a memo on it (the segment memo is hung by the partition step, on
  // the profile advance hands back), so one copy per call serves however many days it seals.
  const current = copyProfile(profile);
  current.clockMs = streamTimeMs;
  // Made at the first signal: most advances decide none.
  let signals: Signal[] | undefined;
  // Decisions are taken in event-time order; this is the instant of the last one (or the clock
  // the profile had): a repurchase window opening at or before it was judged already.
  let decidedUpToMs = profile.clockMs ?? Number.NEGATIVE_INFINITY;
  // No decision here changes the zone (only an event states one).
  const zone = profile.timeZone;
  let judged = false;

  for (;;) {
    const nextDay = nextUnconsumedDay(current);
    const lapseDay = pendingLapseDueDay(current, nextDay, config, context);
    // The repurchase window opening on a day without activity: judged at that day's end, before
    // a lapse due later (a lapse due first closes the question).
    const openingDay = windowOpeningDay(current, nextDay, config);
    const openingMs = openingDay === null ? null : startOfLocalDayMs(openingDay + 1, zone);
    const lapseDueMs = lapseDay === null ? null : startOfLocalDayMs(lapseDay, zone);
    if (
      openingMs !== null &&
      openingMs > decidedUpToMs &&
      openingMs <= streamTimeMs &&
      (lapseDueMs === null || openingMs < lapseDueMs)
    ) {
      decidedUpToMs = openingMs;
      const signal = readyToBuyAtEndOf(current, openingDay!, config, context);
      if (signal !== null) (signals ??= []).push(atDecision(signal, current, config, context));
      judged = true;
      continue;
    }
    if (lapseDueMs !== null && lapseDueMs <= streamTimeMs) {
      const anchorDay = current.anchorDay!;
      const dueMs = lapseDueMs;
      // The plan behind the due day, for its evidence (the same inputs, memoized).
      const lapse = lapsePlanAsOf(current, anchorDay, config, context)!;
      const episode = current.episodeCount + 1;
      const signal = makeSignal(current.customerId, 'lapsed', episode, dueMs, config, {
        episode,
        ...lapse.evidence,
        daysSilent: lapse.dueDay - anchorDay - 1,
        // A local day number read as a UTC date is the customer's calendar date.
        lastActiveDay: new Date(anchorDay * DAY_MS).toISOString().slice(0, 10),
        ...contextEvidence(current, lapse.dueDay - 1, anchorDay, dueMs),
      });
      current.episodeCount = episode;
      current.openEpisodeSinceMs = dueMs;
      current.lapsedAnchorDay = anchorDay;
      (signals ??= []).push(atDecision(signal, current, config, context));
      decidedUpToMs = Math.max(decidedUpToMs, dueMs);
      judged = true;
      continue;
    }

    // The end of an open episode: the first active day after the lapse. It is decided once the
    // stream time reaches the start of that day — from then on no on-time event can land on an
    // earlier day, so the return day (and the signal) is the same whatever order the events
    // arrived in, within the lateness. Waiting for the day's end instead would cost a day.
    if (nextDay !== null) {
      const nextDayMs = startOfLocalDayMs(nextDay, zone);
      if (current.openEpisodeSinceMs !== null && nextDayMs <= streamTimeMs) {
        const signal = reactivatedSignal(current, nextDay, nextDayMs, config, context);
        current.openEpisodeSinceMs = null;
        (signals ??= []).push(atDecision(signal, current, config, context));
        decidedUpToMs = Math.max(decidedUpToMs, nextDayMs);
        judged = true;
        continue;
      }

      // The next active day is sealed at its end (the start of the day after it).
      const sealedMs = startOfLocalDayMs(nextDay + 1, zone);
      if (sealedMs <= streamTimeMs) {
        current.anchorDay = nextDay;
        decidedUpToMs = Math.max(decidedUpToMs, sealedMs);
        const signal = readyToBuyAtEndOf(current, nextDay, config, context);
        if (signal !== null) (signals ??= []).push(atDecision(signal, current, config, context));
        judged = true;
        continue;
      }
    }
    return { profile: current, signals: signals ?? NO_SIGNALS, clockOnly: !judged };
  }
}

/**
 * When the owner must call advance() again if no event arrives for this customer; null = never.
 * Never earlier than the customer's last activity, and always later than the stream time the
 * profile was advanced to (so a due-index pop always makes progress).
 */
export function dueTimeMs(
  profile: Profile,
  config: RulesConfig,
  context: DecisionContext = NO_CONTEXT,
): number | null {
  return dueFromDecision(profile, nextDecisionMs(profile, config, context));
}

/** dueTimeMs from the profile's nextDecisionMs, when the caller has it already. */
export function dueFromDecision(profile: Profile, decisionMs: number | null): number | null {
  if (decisionMs === null) return null;
  const lastActivityMs = Math.max(
    profile.lastVisitMs ?? -Infinity,
    profile.lastPurchaseMs ?? -Infinity,
  );
  return Math.max(decisionMs, lastActivityMs);
}

/**
 * The first instant at which advance() decides something for this profile (seals a day, opens
 * or closes a lapse, judges a repurchase window); null: never, with no new event. advance() to
 * any time before it only moves the profile's clock. (dueTimeMs defers it to the customer's
 * last activity, so that a timer never comes before an event the stream has not reached.)
 */
export function nextDecisionMs(
  profile: Profile,
  config: RulesConfig,
  context: DecisionContext = NO_CONTEXT,
): number | null {
  const zone = profile.timeZone;
  const nextDay = nextUnconsumedDay(profile);
  let earliest = Number.POSITIVE_INFINITY;
  if (nextDay !== null) {
    earliest = startOfLocalDayMs(profile.openEpisodeSinceMs !== null ? nextDay : nextDay + 1, zone);
  }
  const lapseDay = pendingLapseDueDay(profile, nextDay, config, context);
  if (lapseDay !== null) earliest = Math.min(earliest, startOfLocalDayMs(lapseDay, zone));
  const openingDay = windowOpeningDay(profile, nextDay, config);
  if (openingDay !== null) {
    const openingMs = startOfLocalDayMs(openingDay + 1, zone);
    if (openingMs > (profile.clockMs ?? -Infinity)) earliest = Math.min(earliest, openingMs);
  }
  return earliest === Number.POSITIVE_INFINITY ? null : earliest;
}

/** The oldest recorded active day not yet consumed into the decision timeline. */
export function nextUnconsumedDay(profile: Profile): number | null {
  // This runs several times per event (advance, due times, segments). The days ascend and the
  // anchor is mostly the newest or the one before it: walked from the newest end, the loop reads
  // a day or two of the list instead of all of them.
  const days = profile.activeDays;
  const anchorDay = profile.anchorDay;
  if (anchorDay === null) return days.length > 0 ? days[0]! : null;
  let index = days.length;
  while (index > 0 && days[index - 1]! > anchorDay) index -= 1;
  return index < days.length ? days[index]! : null;
}

/**
 * The active day a lapse could still open from: the customer's last consumed one, unless a lapse
 * is open or was decided from it; null when none can.
 */
export function lapseAnchorOf(profile: Profile): number | null {
  const anchorDay = profile.anchorDay;
  if (anchorDay === null || profile.openEpisodeSinceMs !== null) return null;
  return profile.lapsedAnchorDay === anchorDay ? null : anchorDay;
}

/**
 * The due day of the lapse that will open if no activity lands before it; null if none can (no
 * plan made: advance makes one for the lapse it decides).
 */
function pendingLapseDueDay(
  profile: Profile,
  nextDay: number | null,
  config: RulesConfig,
  context: DecisionContext,
): number | null {
  const anchorDay = lapseAnchorOf(profile);
  if (anchorDay === null) return null;
  const silentDays = lapseSilentDaysAsOf(profile, anchorDay, config, context);
  if (silentDays === null) return null;
  const dueDay = lapseDueDay(anchorDay, silentDays);
  // Activity before the due day (all such days are sealed by then) means no lapse from this anchor.
  if (nextDay !== null && nextDay < dueDay) return null;
  return dueDay;
}

/**
 * The day the repurchase window opens after the customer's last consumed active day, when no
 * later active day is recorded up to it (an active day is judged at its own end); null if none.
 */
function windowOpeningDay(
  profile: Profile,
  nextDay: number | null,
  config: RulesConfig,
): number | null {
  const anchorDay = profile.anchorDay;
  if (anchorDay === null || profile.openEpisodeSinceMs !== null) return null;
  const openingDay = repurchaseWindowOpeningDay(profile, anchorDay, config);
  if (openingDay === null || openingDay <= anchorDay) return null;
  if (nextDay !== null && nextDay <= openingDay) return null;
  return openingDay;
}

/**
 * Ready to buy judged at the end of `day`: the signal, recorded into `profile` (the caller's own
 * copy: its count and last day change in place), or null when it does not fire.
 */
function readyToBuyAtEndOf(
  profile: Profile,
  day: number,
  config: RulesConfig,
  context: DecisionContext,
) {
  const last = profile.lastReadyToBuyDay;
  if (last !== null && day - last < config.readyToBuyCooldownDays) return null;
  const evidence = readyToBuyEvidence(profile, day, config, context);
  if (evidence === null) return null;
  const sequence = profile.readyToBuyCount + 1;
  const detectedAtMs = startOfLocalDayMs(day + 1, profile.timeZone);
  const signal = makeSignal(profile.customerId, 'ready_to_buy', sequence, detectedAtMs, config, {
    sequence,
    ...evidence,
    cooldownDays: config.readyToBuyCooldownDays,
    // Judged at the end of an active day, or of the (silent) day the repurchase window opened.
    trigger: day === profile.anchorDay ? 'activeDay' : 'windowOpening',
    ...contextEvidence(profile, day, profile.anchorDay ?? day, detectedAtMs),
  });
  profile.readyToBuyCount = sequence;
  profile.lastReadyToBuyDay = day;
  return signal;
}

function reactivatedSignal(
  profile: Profile,
  returnDay: number,
  detectedAtMs: number,
  config: RulesConfig,
  context: DecisionContext,
): Signal {
  const anchorDay = profile.anchorDay!;
  const plan = lapsePlanAsOf(profile, anchorDay, config, context);
  return makeSignal(profile.customerId, 'reactivated', profile.episodeCount, detectedAtMs, config, {
    episode: profile.episodeCount,
    lapsedAtMs: profile.openEpisodeSinceMs,
    daysSilent: returnDay - anchorDay - 1,
    usualLatencyDays: plan === null ? null : plan.evidence.usualLatencyDays!,
    hurdleDays: plan === null ? null : plan.evidence.hurdleDays!,
  });
}

function makeSignal(
  customerId: string,
  kind: SignalKind,
  sequence: number,
  detectedAtMs: number,
  config: RulesConfig,
  evidence: Evidence,
): Signal {
  return {
    signalId: signalIdFor(customerId, kind, sequence),
    kind,
    customerId,
    detectedAtMs,
    evidence,
    rulesVersion: rulesVersion(config),
  };
}

/** An event the timeline cannot take (a module function: a closure here would be made per event). */
function unusableEvent(event: CustomerEvent, message: string): never {
  throw new PulseCoreError('INVALID_EVENT', message, {
    eventId: event.eventId,
    customerId: event.customerId,
  });
}

function assertUsableEvent(event: CustomerEvent): void {
  if (!Number.isSafeInteger(event.occurredAtMs)) {
    unusableEvent(event, 'occurredAtMs must be a safe integer');
  }
  if (event.timeZone !== undefined && !isKnownTimeZone(event.timeZone)) {
    unusableEvent(event, 'timeZone must be an IANA time zone name this runtime knows');
  }
  if (event.kind === 'purchase') {
    if (!Number.isSafeInteger(event.amountMinor) || event.amountMinor < 0) {
      unusableEvent(event, 'amountMinor must be a non-negative safe integer');
    }
  } else if (event.kind !== 'visit') {
    unusableEvent(event, `unknown event kind ${String((event as { kind: unknown }).kind)}`);
  }
}
