// The behavioural profile of one customer and the order-independent part of its update.
//
// Everything here except the decision state is a set function of the on-time events applied:
// counters are sums, first/last seen are min/max, windows are sparse per-day buckets evicted
// relative to the customer's newest day, and the bounded lists keep "the newest N of a set".
// That is what makes out-of-order delivery within the allowed lateness give the same profile.
import type { RulesConfig } from './config.ts';
import type { CustomerEvent, PurchaseEvent } from './events.ts';
import { DAY_MS } from './time.ts';
import { emptyTraits, type CustomerTraits } from './traits.ts';
import { localDayOf } from './zone.ts';

/** Visit windows are 7 / 30 / 90 days; purchase windows 30 / 90 / 365 days. */
export const VISIT_WINDOW_DAYS = [7, 30, 90] as const;
export const PURCHASE_WINDOW_DAYS = [30, 90, 365] as const;
const LONGEST_VISIT_WINDOW_DAYS = 90;
const LONGEST_PURCHASE_WINDOW_DAYS = 365;

export interface DayVisits {
  day: number;
  visits: number;
}

export interface DayPurchases {
  day: number;
  currency: string;
  purchases: number;
  spendMinor: number;
}

export interface CurrencyTotal {
  currency: string;
  purchases: number;
  spendMinor: number;
}

export interface RememberedEvent {
  occurredAtMs: number;
  /** 53-bit hash of the event id (see hashing.ts). */
  idHash: number;
}

/** Plain data only, so two profiles compare with toEqual and encode to bytes field by field. */
export interface Profile {
  customerId: string;

  // Lifetime facts. Counters include late events; the instants only on-time ones.
  firstSeenMs: number | null;
  lastVisitMs: number | null;
  lastPurchaseMs: number | null;
  lifetimeVisits: number;
  lifetimePurchases: number;
  lifetimeActiveDays: number;
  /** Sorted by currency; one entry for almost every customer. */
  lifetimeSpend: CurrencyTotal[];
  lateEvents: number;

  // Rolling windows on event time: sparse, ascending by day.
  visitsByDay: DayVisits[];
  /** Ascending by (day, currency). */
  purchasesByDay: DayPurchases[];

  // Rhythm: the newest distinct days, ascending.
  activeDays: number[];
  purchaseDays: number[];

  /** Dedup memory: the newest (occurredAtMs, idHash) pairs, descending. */
  recentEvents: RememberedEvent[];

  // Time zone (zone.ts): the IANA zone the customer's days are counted in; null = UTC. The one
  // stated at the latest event time wins (ties: the greater name), late events included, so the
  // value is the same whatever the arrival order. Day numbers already recorded keep the zone
  // they were counted in; see stateTimeZone.
  timeZone: string | null;
  /** Event time of the statement timeZone comes from; null when none was made. */
  timeZoneSetAtMs: number | null;

  // Decision state: the only part that depends on when timers ran (and only through stream time).
  /** Newest stream time the profile was advanced to. */
  clockMs: number | null;
  /** Last active day consumed into the decision timeline (sealed, evaluated). */
  anchorDay: number | null;
  /** Lapse episodes opened so far; the open one, if any, is number `episodeCount`. */
  episodeCount: number;
  /** When the open episode was detected; null when none is open. */
  openEpisodeSinceMs: number | null;
  /** The anchor day the latest lapse was measured from: one lapse per silence. */
  lapsedAnchorDay: number | null;
  readyToBuyCount: number;
  lastReadyToBuyDay: number | null;

  /**
   * Who the customer is (traits.ts): last-writer-wins registers on event time, merged from
   * `pulse.traits` statements and the first visit's source. Not read by any decision; carried
   * into signals' evidence and segment figures. Never mutated in place: a change is a new object.
   */
  traits: CustomerTraits;
}

/**
 * The traits of a customer nothing was stated about, shared by every new profile (frozen: the
 * merge never mutates, it returns a new record), so a new customer costs no traits allocation.
 */
export const NO_TRAITS: CustomerTraits = Object.freeze({
  ...emptyTraits(),
  attributes: Object.freeze([]) as unknown as CustomerTraits['attributes'],
});

/**
 * A shallow copy of a profile, field by field: the same shape as every other copy whatever the
 * source's (a decoded profile, one a memo was attached to), where a spread of a profile of many
 * shapes takes V8's slow generic path. Hidden memos (non-enumerable) are not copied, as with a
 * spread. The caller may set fields on the copy before anyone else sees it.
 */
export function copyProfile(profile: Profile): Profile {
  return {
    customerId: profile.customerId,
    firstSeenMs: profile.firstSeenMs,
    lastVisitMs: profile.lastVisitMs,
    lastPurchaseMs: profile.lastPurchaseMs,
    lifetimeVisits: profile.lifetimeVisits,
    lifetimePurchases: profile.lifetimePurchases,
    lifetimeActiveDays: profile.lifetimeActiveDays,
    lifetimeSpend: profile.lifetimeSpend,
    lateEvents: profile.lateEvents,
    visitsByDay: profile.visitsByDay,
    purchasesByDay: profile.purchasesByDay,
    activeDays: profile.activeDays,
    purchaseDays: profile.purchaseDays,
    recentEvents: profile.recentEvents,
    timeZone: profile.timeZone,
    timeZoneSetAtMs: profile.timeZoneSetAtMs,
    clockMs: profile.clockMs,
    anchorDay: profile.anchorDay,
    episodeCount: profile.episodeCount,
    openEpisodeSinceMs: profile.openEpisodeSinceMs,
    lapsedAnchorDay: profile.lapsedAnchorDay,
    readyToBuyCount: profile.readyToBuyCount,
    lastReadyToBuyDay: profile.lastReadyToBuyDay,
    traits: profile.traits,
  };
}

export function newProfile(customerId: string): Profile {
  return {
    customerId,
    firstSeenMs: null,
    lastVisitMs: null,
    lastPurchaseMs: null,
    lifetimeVisits: 0,
    lifetimePurchases: 0,
    lifetimeActiveDays: 0,
    lifetimeSpend: [],
    lateEvents: 0,
    visitsByDay: [],
    purchasesByDay: [],
    activeDays: [],
    purchaseDays: [],
    recentEvents: [],
    timeZone: null,
    timeZoneSetAtMs: null,
    clockMs: null,
    anchorDay: null,
    episodeCount: 0,
    openEpisodeSinceMs: null,
    lapsedAnchorDay: null,
    readyToBuyCount: 0,
    lastReadyToBuyDay: null,
    traits: NO_TRAITS,
  };
}

/**
 * Extra days every bounded structure keeps beyond what the rules read. Decisions for a sealed day
 * d are taken while events up to about d + lateness may already be recorded; without this margin
 * those newer days would push out data the decision for d needs, and the outcome would depend on
 * arrival order.
 */
export function retentionMarginDays(config: RulesConfig): number {
  return Math.ceil(config.allowedLatenessMs / DAY_MS) + 2;
}

export function visitRetentionDays(config: RulesConfig): number {
  return LONGEST_VISIT_WINDOW_DAYS + retentionMarginDays(config);
}

export function purchaseRetentionDays(config: RulesConfig): number {
  return LONGEST_PURCHASE_WINDOW_DAYS + retentionMarginDays(config);
}

export function activeDaysKept(config: RulesConfig): number {
  return config.activityGapsKept + 1 + retentionMarginDays(config);
}

export function purchaseDaysKept(config: RulesConfig): number {
  return config.purchaseGapsKept + 1 + retentionMarginDays(config);
}

export function isRemembered(profile: Profile, idHash: number): boolean {
  const recent = profile.recentEvents;
  for (let index = 0; index < recent.length; index += 1) {
    if (recent[index]!.idHash === idHash) return true;
  }
  return false;
}

/** Remember an event id: keep the newest N by (occurredAtMs, idHash), whatever the arrival order. */
export function rememberEvent(
  recentEvents: readonly RememberedEvent[],
  entry: RememberedEvent,
  capacity: number,
): RememberedEvent[] {
  let position = 0;
  while (position < recentEvents.length && isNewerEvent(recentEvents[position]!, entry)) {
    position += 1;
  }
  if (position >= capacity) return recentEvents.slice();
  const length = Math.min(capacity, recentEvents.length + 1);
  const next = new Array<RememberedEvent>(length);
  for (let index = 0; index < position; index += 1) next[index] = recentEvents[index]!;
  next[position] = entry;
  for (let index = position + 1; index < length; index += 1) next[index] = recentEvents[index - 1]!;
  return next;
}

/** The dedup memory's order: newer event time first, ties by the greater id hash. */
function isNewerEvent(a: RememberedEvent, b: RememberedEvent): boolean {
  return (
    a.occurredAtMs > b.occurredAtMs || (a.occurredAtMs === b.occurredAtMs && a.idHash > b.idHash)
  );
}

/**
 * Take an event's time zone, if it states one and states it later than the profile's (last writer
 * by event time; ties: the greater name). Nothing else changes: buckets and days recorded so far
 * keep the day numbers of the zone they were counted in, and events from now on are counted in
 * the new zone (those that state a zone, in their own: see dayOfEvent).
 */
export function stateTimeZone(profile: Profile, event: CustomerEvent): Profile {
  const zone = event.timeZone;
  if (zone === undefined) return profile;
  const setAtMs = profile.timeZoneSetAtMs;
  const wins =
    setAtMs === null ||
    event.occurredAtMs > setAtMs ||
    (event.occurredAtMs === setAtMs && zone > (profile.timeZone ?? ''));
  if (!wins || (zone === profile.timeZone && event.occurredAtMs === setAtMs)) return profile;
  const next = copyProfile(profile);
  next.timeZone = zone;
  next.timeZoneSetAtMs = event.occurredAtMs;
  return next;
}

/**
 * The local day an event lands on: in the zone the event states, else in the profile's. An event
 * that states its zone is thus counted the same whatever arrived before it.
 */
export function dayOfEvent(profile: Profile, event: CustomerEvent): number {
  return localDayOf(event.occurredAtMs, event.timeZone ?? profile.timeZone);
}

/**
 * Late events: lifetime counters only (and the late counter). Changes `next` in place: the
 * caller passes the copy it made for this event, which nobody has seen yet (no memo rides on
 * it), so an event costs one profile copy.
 */
export function recordLateEvent(next: Profile, event: CustomerEvent): Profile {
  const profile = next;
  next.lateEvents += 1;
  if (event.kind === 'visit') {
    next.lifetimeVisits += 1;
  } else {
    next.lifetimePurchases += 1;
    next.lifetimeSpend = addToLifetimeSpend(profile.lifetimeSpend, event);
  }
  return next;
}

/**
 * On-time events: every commutative part of the profile. Changes `next` in place, the caller's
 * own copy (see recordLateEvent).
 */
export function recordOnTimeEvent(
  next: Profile,
  event: CustomerEvent,
  config: RulesConfig,
): Profile {
  // Every field below is read before it is replaced, so reading `profile` is reading the
  // values the event found.
  const profile = next;
  const day = dayOfEvent(profile, event);
  next.firstSeenMs = minOrSelf(profile.firstSeenMs, event.occurredAtMs);

  const activeDayLimit = activeDaysKept(config);
  const isNewActiveDay =
    !profile.activeDays.includes(day) &&
    (profile.activeDays.length < activeDayLimit || day > profile.activeDays[0]!);
  if (isNewActiveDay) {
    next.lifetimeActiveDays += 1;
    next.activeDays = insertNewestDays(profile.activeDays, day, activeDayLimit);
  }

  if (event.kind === 'visit') {
    next.lifetimeVisits += 1;
    next.lastVisitMs = maxOrSelf(profile.lastVisitMs, event.occurredAtMs);
    next.visitsByDay = addVisit(profile.visitsByDay, day);
  } else {
    next.lifetimePurchases += 1;
    next.lastPurchaseMs = maxOrSelf(profile.lastPurchaseMs, event.occurredAtMs);
    next.lifetimeSpend = addToLifetimeSpend(profile.lifetimeSpend, event);
    next.purchasesByDay = addPurchase(profile.purchasesByDay, day, event);
    if (!profile.purchaseDays.includes(day)) {
      next.purchaseDays = insertNewestDays(profile.purchaseDays, day, purchaseDaysKept(config));
    }
  }

  // Evict window buckets relative to the customer's newest day (a set function: see header).
  const newestDay = next.activeDays[next.activeDays.length - 1]!;
  const oldestVisitDay = newestDay - visitRetentionDays(config) + 1;
  if (next.visitsByDay.length > 0 && next.visitsByDay[0]!.day < oldestVisitDay) {
    next.visitsByDay = fromDay(next.visitsByDay, oldestVisitDay);
  }
  const oldestPurchaseDay = newestDay - purchaseRetentionDays(config) + 1;
  if (next.purchasesByDay.length > 0 && next.purchasesByDay[0]!.day < oldestPurchaseDay) {
    next.purchasesByDay = fromDay(next.purchasesByDay, oldestPurchaseDay);
  }
  return next;
}

function minOrSelf(current: number | null, candidate: number): number {
  return current === null ? candidate : Math.min(current, candidate);
}

function maxOrSelf(current: number | null, candidate: number): number {
  return current === null ? candidate : Math.max(current, candidate);
}

/*
 * The lists below are copied on write, and every copy is made at its exact length (slice, concat,
 * map): a list grown by push keeps room for about 16 more entries, and each version of a profile
 * the step makes lives on in the profiler's cache. A three-day list took 208 bytes of heap grown
 * and 71 exact; its copies are what the young generation's collector moves.
 */

/** Insert a day into an ascending list of distinct days, keeping only the newest `limit`. */
function insertNewestDays(days: readonly number[], day: number, limit: number): number[] {
  // Callers insert a day the list does not hold; it usually goes last.
  let at = days.length;
  while (at > 0 && days[at - 1]! > day) at -= 1;
  const next = insertedAt(days, at, day);
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** `items` with `item` inserted at `index`, at its exact length. */
function insertedAt<T>(items: readonly T[], index: number, item: T): T[] {
  return index === items.length
    ? items.concat(item)
    : items.slice(0, index).concat(item, items.slice(index));
}

/** An ascending-by-day list from its first bucket on `oldestDay` or later (exact length). */
function fromDay<T extends { day: number }>(buckets: T[], oldestDay: number): T[] {
  let first = 0;
  while (first < buckets.length && buckets[first]!.day < oldestDay) first += 1;
  return buckets.slice(first);
}

function addVisit(buckets: readonly DayVisits[], day: number): DayVisits[] {
  let index = 0;
  while (index < buckets.length && buckets[index]!.day < day) index += 1;
  if (index < buckets.length && buckets[index]!.day === day) {
    const next = buckets.slice();
    next[index] = { day, visits: buckets[index]!.visits + 1 };
    return next;
  }
  return insertedAt(buckets, index, { day, visits: 1 });
}

function addPurchase(
  buckets: readonly DayPurchases[],
  day: number,
  event: PurchaseEvent,
): DayPurchases[] {
  // The first bucket at or after (day, currency).
  let index = 0;
  while (index < buckets.length) {
    const bucket = buckets[index]!;
    if (bucket.day > day || (bucket.day === day && bucket.currency >= event.currency)) break;
    index += 1;
  }
  const existing = buckets[index];
  if (existing && existing.day === day && existing.currency === event.currency) {
    const next = buckets.slice();
    next[index] = {
      ...existing,
      purchases: existing.purchases + 1,
      spendMinor: existing.spendMinor + event.amountMinor,
    };
    return next;
  }
  return insertedAt(buckets, index, {
    day,
    currency: event.currency,
    purchases: 1,
    spendMinor: event.amountMinor,
  });
}

function addToLifetimeSpend(
  totals: readonly CurrencyTotal[],
  event: PurchaseEvent,
): CurrencyTotal[] {
  const existing = totals.find((total) => total.currency === event.currency);
  if (existing) {
    return totals.map((total) =>
      total === existing
        ? {
            ...total,
            purchases: total.purchases + 1,
            spendMinor: total.spendMinor + event.amountMinor,
          }
        : total,
    );
  }
  const next = totals.concat({
    currency: event.currency,
    purchases: 1,
    spendMinor: event.amountMinor,
  });
  return next.sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

/**
 * The currency the customer buys in most (ties: alphabetical); null before any purchase. With
 * `asOfDay`, as of the end of that day: without the purchases of the later days the profile
 * still holds (a decision taken after events of later days were applied must not see them, or
 * it would depend on where the batches were cut).
 */
export function primaryCurrency(
  profile: Profile,
  asOfDay: number = Number.POSITIVE_INFINITY,
): string | null {
  // Buckets are kept oldest first: usually none is later, and the totals are the answer.
  const anyLater = (profile.purchasesByDay.at(-1)?.day ?? Number.NEGATIVE_INFINITY) > asOfDay;
  let best: string | null = null;
  let bestPurchases = 0;
  for (const total of profile.lifetimeSpend) {
    let purchases = total.purchases;
    if (anyLater) {
      for (const bucket of profile.purchasesByDay)
        if (bucket.day > asOfDay && bucket.currency === total.currency)
          purchases -= bucket.purchases;
    }
    if (purchases > bestPurchases) {
      best = total.currency;
      bestPurchases = purchases;
    }
  }
  return best;
}
