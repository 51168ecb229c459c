// Live segment figures of one partition, kept incrementally by the partition step and committed
// with the profiles: customers per segment key, signals per kind per segment key per event-time
// day, and (through the latency bucket in the customer key) a mergeable sketch of usual latency.
//
// A segment key is the behavioural segment and the latency band (segments.ts) crossed with the
// five trait dimensions (traits.ts): country, region, acquisitionSource, customerType, plan. The
// figures count per full key tuple, so a reader can group by any subset of the dimensions and
// sum; partitions add up the same way (mergeFigureTables).
//
// What "customers by segment" means, exactly: every stored profile counted once under
// `customerKeyOf(profile)` — its segment as of the profile's own clock (the stream time it was
// last advanced to), read from the profile alone: the customer's own rhythm, with no population
// table and no purchase model (as segments.ts promises: a customer's segment does not move
// because other customers did; a lapse the timeline decided with them shows as the profile's
// open episode). The key being a function of the profile, the step keeps the invariant with no
// rescan: the customers it touches are taken out under their stored profile's key and put back
// under their new one; the others' profiles, hence keys, did not change.
//
// A profile's segment moves with time alone at known instants (`new` ends, `reactivated` ends,
// `at_risk` begins at its fraction of the hurdle, the lapse begins, a purchase leaves the 365-day
// window of a `high_value` customer): `nextSegmentChangeMs` gives the first of them, and the
// step makes it a due time, so the customer is advanced and re-keyed then. Hence, once the due
// customers of a stream time T are swept, every customer's key equals their segment as of T (the
// oracle: each final profile settled to T, keyed as of T).
//
// Bounds. Trait values: per dimension the first MAX_VALUES_PER_DIMENSION distinct values a
// partition sees are kept as themselves; later new values count as OTHER_VALUE (a value once
// kept stays kept; below the bound the figures do not depend on arrival order). Unknown traits
// count as UNKNOWN_VALUE. Signals: the SIGNAL_RETENTION_DAYS event-time days up to the
// partition's stream time; older days are dropped as the stream time moves. Customers: one
// entry per distinct (key, latency bucket) the partition holds, at most one per customer.
import type { RulesConfig } from './config.ts';
import { NO_CONTEXT, type DecisionContext } from './context.ts';
import { PulseCoreError } from './errors.ts';
import type { Signal, SignalKind } from './events.ts';
import type { Profile } from './profile.ts';
import { lapseDueDay, lapseSilentDaysAsOf } from './rules.ts';
import { latencyOf } from './latency.ts';
import { daysSilent, purchaseYearOf } from './windows.ts';
import {
  CUSTOMER_SEGMENTS,
  LATENCY_BANDS,
  returnDayOf,
  segmentOf,
  sketchBucketOf,
  sketchMedianDays,
  SKETCH_BUCKETS,
  type CustomerSegment,
  type LatencyBand,
  type SegmentViewInputs,
} from './segments.ts';
import { DAY_MS, dayOf } from './time.ts';
import { localDayOf, startOfLocalDayMs } from './zone.ts';
import {
  dimensionsOf,
  TRAIT_NAMES,
  TraitsMemo,
  type CustomerTraits,
  type TraitName,
  type TraitsView,
} from './traits.ts';

/** Every dimension a reader may group by, in key order. */
export const SEGMENT_DIMENSIONS = ['segment', 'band', ...TRAIT_NAMES] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

export const MAX_VALUES_PER_DIMENSION = 32;
export const SIGNAL_RETENTION_DAYS = 90;
export const UNKNOWN_VALUE = '(unknown)';
export const OTHER_VALUE = '(other)';
/** The band of a customer without enough gaps for one. */
export const NO_BAND = 'none';
/** The latency bucket of a customer without a band. */
export const NO_LATENCY_BUCKET = -1;

export const SIGNAL_KINDS: readonly SignalKind[] = ['lapsed', 'reactivated', 'ready_to_buy'];

/** One segment key: [segment, band, country, region, acquisitionSource, customerType, plan]. */
export type SegmentKey = readonly string[];

export interface SegmentFigureTable {
  /**
   * False when the partition had profiles before it kept figures (a namespace written by an
   * older version): its counts then miss those customers until a replay rebuilds the namespace.
   */
  complete: boolean;
  /** Kept values per trait dimension, in the order first seen (at most MAX_VALUES_PER_DIMENSION). */
  values: Record<TraitName, readonly string[]>;
  /** JSON of [...SegmentKey, latency bucket] → customers. */
  customers: ReadonlyMap<string, number>;
  /** Event-time day → (JSON of [kind, ...SegmentKey] → signals). */
  signals: ReadonlyMap<number, ReadonlyMap<string, number>>;
}

export function emptyFigureTable(): SegmentFigureTable {
  return {
    values: Object.fromEntries(TRAIT_NAMES.map((name) => [name, []])) as unknown as Record<
      TraitName,
      readonly string[]
    >,
    customers: new Map(),
    signals: new Map(),
    complete: true,
  };
}

/** What a segment reads besides the profile: nothing (see the header). */
const SEGMENT_CONTEXT: DecisionContext = NO_CONTEXT;

/** The instant a profile's segment is read as of: its clock. */
export function segmentAsOfMs(profile: Profile): number {
  return profile.clockMs ?? profile.firstSeenMs ?? 0;
}

/** Trait values as the key spells them; registers new values in `values` when `register`. */
function traitKey(
  traits: Pick<TraitsView, TraitName>,
  values: Record<TraitName, readonly string[]>,
  register: boolean,
): string[] {
  return TRAIT_NAMES.map((name) => {
    const value = traits[name];
    if (value === null) return UNKNOWN_VALUE;
    const kept = values[name];
    if (kept.includes(value)) return value;
    if (kept.length >= MAX_VALUES_PER_DIMENSION) return OTHER_VALUE;
    if (register) values[name] = [...kept, value];
    return value;
  });
}

/** A traits record's values as a customer key spells them (JSON, no brackets), and with what. */
interface TraitPart {
  json: string;
  /** The kept-value lists (TRAIT_NAMES order) after spelling: the same lists spell the same. */
  lists: readonly (readonly string[])[];
  registered: boolean;
}

/**
 * The trait part of the customer keys, per traits record: shared by every version of a
 * customer's profile, so a key spelled after each event reuses it instead of spelling the five
 * dimensions again.
 */
const traitParts = new TraitsMemo<TraitPart>('customer key trait part');

/**
 * The same parts by the five values they spell, per partition's kept-value lists (keyed by its
 * first list; a list is replaced, never changed, when a value is kept): a caught-up profiler
 * decodes its customers' traits afresh for every batch (a new record, no memo yet), and across a
 * population the records spell few distinct parts. Bounded: a map is emptied when it reaches
 * TRAIT_PARTS_BY_VALUES_MAX.
 */
const traitPartsByValues = new WeakMap<readonly string[], Map<string, TraitPart>>();
const TRAIT_PARTS_BY_VALUES_MAX = 4_096;

function traitPartOf(
  traits: CustomerTraits,
  values: Record<TraitName, readonly string[]>,
  register: boolean,
): TraitPart {
  const known = traitParts.get(traits);
  if (known !== undefined && partStands(known, values, register)) return known;
  const dimensions = dimensionsOf(traits);
  const spelling = valuesKey(dimensions);
  let part = traitPartsByValues.get(values[TRAIT_NAMES[0]])?.get(spelling);
  if (part === undefined || !partStands(part, values, register)) {
    const spelled = JSON.stringify(traitKey(dimensions, values, register));
    part = {
      json: spelled.slice(1, -1),
      lists: TRAIT_NAMES.map((name) => values[name]),
      registered: register,
    };
    // Under the lists it was spelled with (registering a value replaces its list).
    let spelledParts = traitPartsByValues.get(part.lists[0]!);
    if (spelledParts === undefined || spelledParts.size >= TRAIT_PARTS_BY_VALUES_MAX) {
      spelledParts = new Map();
      traitPartsByValues.set(part.lists[0]!, spelledParts);
    }
    spelledParts.set(spelling, part);
  }
  traitParts.set(traits, part);
  return part;
}

/** Whether a part spelled earlier is the one these kept-value lists spell (registered if asked). */
function partStands(
  part: TraitPart,
  values: Record<TraitName, readonly string[]>,
  register: boolean,
): boolean {
  return (part.registered || !register) && sameLists(part.lists, values);
}

/** The five values as one string that tells any two tuples apart (null is not a string). */
function valuesKey(dimensions: Pick<TraitsView, TraitName>): string {
  let key = '';
  for (const name of TRAIT_NAMES) {
    const value = dimensions[name];
    key += value === null ? '\u0001' : `\u0002${value.length}:${value}`;
  }
  return key;
}

/**
 * The part of a view segmentOf reads, and only it (deriveView computes much more: risk, due
 * time, purchase latency), with no context. Equal to deriveView's for those fields.
 */
export function segmentView(
  profile: Profile,
  asOfMs: number,
  rules: RulesConfig,
): SegmentViewInputs {
  const lastActiveDay = profile.activeDays[profile.activeDays.length - 1] ?? null;
  const latency = latencyOf(profile.activeDays, Number.POSITIVE_INFINITY, rules.activityGapsKept);
  const hurdleDays =
    lastActiveDay === null
      ? null
      : lapseSilentDaysAsOf(profile, lastActiveDay, rules, SEGMENT_CONTEXT);
  // The customer's own day (their time zone), as every other day of the profile.
  const asOfDay = localDayOf(asOfMs, profile.timeZone);
  let status: SegmentViewInputs['status'];
  if (profile.openEpisodeSinceMs !== null) status = 'lapsed';
  else if (hurdleDays === null || lastActiveDay === null) status = 'unknown';
  else status = asOfDay >= lapseDueDay(lastActiveDay, hurdleDays) ? 'lapsed' : 'active';
  return {
    customerId: profile.customerId,
    asOfMs,
    status,
    usualLatency:
      latency === null
        ? null
        : {
            centreDays: latency.centreDays,
            spreadDays: latency.spreadDays,
            gapsUsed: latency.gaps,
          },
    daysSilent: lastActiveDay === null ? null : daysSilent(lastActiveDay, asOfMs),
    hurdleDays,
    windows: purchaseYearOf(profile, asOfDay),
    lifetime: { firstSeenMs: profile.firstSeenMs, activeDays: profile.lifetimeActiveDays },
  };
}

/** A profile's segment as of its clock and when it next moves with time (memo: see below). */
interface Evaluated {
  segment: CustomerSegment;
  band: string;
  latencyBucket: number;
  nextChangeMs: number | null;
}

/**
 * Each profile object carries its evaluation, under a symbol that is not enumerable: the profile
 * still compares, copies (a spread leaves it behind, so a changed copy is evaluated afresh) and
 * encodes as its fields alone. A profile is immutable and its evaluation is a pure function of it
 * (and the rules, the same for a task's life), so the step's two looks at a customer — the key
 * of their stored profile, the key and next change of the new one — and the next step's look at
 * the same object (the profiler's cache hands it back) cost one evaluation. (A WeakMap did the
 * same, but with every profile version a drain makes as a key its `set` cost about 2.5 µs against
 * 0.3 µs for the property, and it was the largest single function of a drain's CPU profile.)
 */
const EVALUATION = Symbol('segment evaluation');

function memoOf(profile: Profile): EvaluationMemo | undefined {
  return (profile as Profile & { [EVALUATION]?: EvaluationMemo })[EVALUATION];
}

function keepMemo(profile: Profile, memo: EvaluationMemo): void {
  // A frozen profile (a caller may freeze what it hands the core) is evaluated on every look.
  if (!Object.isExtensible(profile)) return;
  Object.defineProperty(profile, EVALUATION, { value: memo, writable: true });
}

interface EvaluationMemo {
  rules: RulesConfig;
  evaluated: Evaluated;
  /**
   * The customer key, and the kept-value lists it was spelled with (per dimension, in
   * TRAIT_NAMES order). A list is never changed in place (registering a value makes a new one),
   * so the same lists spell the same key.
   */
  key?: string;
  keyValues?: readonly (readonly string[])[];
  /** Whether the key's values were registered (a key spelled without it may not stand for one). */
  keyRegistered?: boolean;
}

function evaluationOf(profile: Profile, rules: RulesConfig): EvaluationMemo {
  const memo = memoOf(profile);
  if (memo !== undefined && memo.rules === rules) return memo;
  const fresh: EvaluationMemo = { rules, evaluated: evaluateNow(profile, rules) };
  keepMemo(profile, fresh);
  return fresh;
}

function evaluate(profile: Profile, rules: RulesConfig): Evaluated {
  return evaluationOf(profile, rules).evaluated;
}

function evaluateNow(profile: Profile, rules: RulesConfig): Evaluated {
  const asOfMs = segmentAsOfMs(profile);
  const view = segmentView(profile, asOfMs, rules);
  const segment = segmentOf(profile, view, rules);
  const evaluated: Evaluated = {
    segment: segment.segment,
    band: segment.latencyBand ?? NO_BAND,
    latencyBucket:
      segment.usualLatencyDays === null
        ? NO_LATENCY_BUCKET
        : sketchBucketOf(segment.usualLatencyDays),
    nextChangeMs: nextChangeOf(profile, view, segment.segment, rules),
  };
  return evaluated;
}

function sameLists(
  kept: readonly (readonly string[])[],
  values: Record<TraitName, readonly string[]>,
): boolean {
  for (let index = 0; index < TRAIT_NAMES.length; index += 1) {
    if (kept[index] !== values[TRAIT_NAMES[index]!]) return false;
  }
  return true;
}

/**
 * The JSON text a customer is counted under: [...key, latency bucket]; null for a profile with
 * no on-time visit or purchase yet (traits alone, or late events only): not counted.
 */
export function customerKeyOf(
  profile: Profile,
  rules: RulesConfig,
  values: Record<TraitName, readonly string[]>,
  register = false,
): string | null {
  if (profile.firstSeenMs === null) return null;
  const memo = evaluationOf(profile, rules);
  if (keyStands(memo, values, register)) return memo.key!;
  const evaluated = memo.evaluated;
  const traits = traitPartOf(profile.traits, values, register);
  // JSON.stringify([segment, band, ...trait values, bucket]), spelled by hand: the segment and
  // band names need no escaping, the trait values come as JSON already.
  const key =
    '["' +
    evaluated.segment +
    '","' +
    evaluated.band +
    '",' +
    traits.json +
    ',' +
    String(evaluated.latencyBucket) +
    ']';
  memo.key = key;
  memo.keyValues = traits.lists;
  memo.keyRegistered = register;
  return key;
}

/** Whether the memo's key is the one the kept-value lists `values` spell (registered if asked). */
function keyStands(
  memo: EvaluationMemo,
  values: Record<TraitName, readonly string[]>,
  register: boolean,
): boolean {
  return (
    memo.key !== undefined &&
    (memo.keyRegistered === true || !register) &&
    sameLists(memo.keyValues!, values)
  );
}

/**
 * Whether `later` is counted under the key `earlier` is counted under, known without spelling
 * it: the same traits record, the same segment, band and latency bucket, and a key of `earlier`
 * spelled with registration under the kept-value lists of now (registering `later`'s values
 * again would keep nothing new: each is kept already or its list was full). `later` then takes
 * that key. False: compare the keys themselves.
 */
export function keepsKeyOf(
  earlier: Profile,
  later: Profile,
  rules: RulesConfig,
  values: Record<TraitName, readonly string[]>,
): boolean {
  if (earlier.traits !== later.traits) return false;
  if (earlier.firstSeenMs === null || later.firstSeenMs === null) return false;
  const kept = memoOf(earlier);
  if (kept === undefined || kept.rules !== rules || !keyStands(kept, values, true)) return false;
  const memo = evaluationOf(later, rules);
  if (memo === kept) return true;
  const before = kept.evaluated;
  const after = memo.evaluated;
  if (
    before.segment !== after.segment ||
    before.band !== after.band ||
    before.latencyBucket !== after.latencyBucket
  ) {
    return false;
  }
  memo.key = kept.key;
  memo.keyValues = kept.keyValues;
  memo.keyRegistered = true;
  return true;
}

/**
 * Whether `later` — `earlier` with its clock moved on and nothing else changed — is counted
 * under the same key. When no instant at which the segment can move lies up to the later clock
 * (`nextSegmentChangeMs`), it is, and `later` takes `earlier`'s evaluation as it stands;
 * otherwise both keys are compared.
 */
export function sameKeyAfterClockMove(
  earlier: Profile,
  later: Profile,
  rules: RulesConfig,
  values: Record<TraitName, readonly string[]>,
): boolean {
  const memo = evaluationOf(earlier, rules);
  const { nextChangeMs } = memo.evaluated;
  if (nextChangeMs === null || nextChangeMs > segmentAsOfMs(later)) {
    // The same evaluation, and the same key: `later` differs from `earlier` by its clock alone.
    keepMemo(later, memo);
    return true;
  }
  return customerKeyOf(later, rules, values) === customerKeyOf(earlier, rules, values);
}

/**
 * The first instant after the profile's clock at which its segment can change with time alone
 * (no event, no new table); null when none can. An instant where nothing changes after all
 * costs one more look at the customer, never a wrong figure.
 */
export function nextSegmentChangeMs(profile: Profile, rules: RulesConfig): number | null {
  return evaluate(profile, rules).nextChangeMs;
}

/** The earlier of next and instant, counting instant only when it is after asOfMs. */
function earliestAfter(asOfMs: number, next: number, instant: number): number {
  return instant > asOfMs && instant < next ? instant : next;
}

function nextChangeOf(
  profile: Profile,
  view: SegmentViewInputs,
  segment: CustomerSegment,
  rules: RulesConfig,
): number | null {
  const asOfMs = view.asOfMs;
  const settings = rules.segments;
  const zone = profile.timeZone;
  // The earliest candidate instant after asOfMs, kept as it goes (no list and no closure: this
  // runs per event).
  let next = Number.POSITIVE_INFINITY;
  const lastActiveDay = profile.activeDays.at(-1) ?? null;
  if (segment === 'lapsed' || view.status !== 'active') {
    // lapsed ends with an event; unknown → active takes a sealed day or a new table (a timer).
  } else if (lastActiveDay !== null && view.hurdleDays !== null) {
    next = earliestAfter(
      asOfMs,
      next,
      startOfLocalDayMs(lapseDueDay(lastActiveDay, view.hurdleDays), zone),
    );
    if (segment !== 'at_risk' && view.hurdleDays > 0) {
      next = earliestAfter(
        asOfMs,
        next,
        startOfLocalDayMs(
          lastActiveDay + 1 + Math.ceil(settings.atRiskHurdleFraction * view.hurdleDays),
          zone,
        ),
      );
    }
  }
  if (segment === 'new' && view.lifetime.firstSeenMs !== null) {
    next = earliestAfter(
      asOfMs,
      next,
      view.lifetime.firstSeenMs + settings.newCustomerDays * DAY_MS,
    );
  }
  if (segment === 'reactivated') {
    const returnDay = returnDayOf(profile, rules.activityGapsKept);
    if (returnDay !== null)
      next = earliestAfter(
        asOfMs,
        next,
        startOfLocalDayMs(returnDay + settings.reactivatedDays, zone),
      );
  }
  if (segment === 'high_value') {
    const asOfDay = localDayOf(asOfMs, zone);
    for (const bucket of profile.purchasesByDay) {
      if (bucket.day > asOfDay - 365 && bucket.day <= asOfDay) {
        next = earliestAfter(asOfMs, next, startOfLocalDayMs(bucket.day + 365, zone));
        break; // ascending: the first in the window leaves it first
      }
    }
  }
  return next === Number.POSITIVE_INFINITY ? null : next;
}

/**
 * The JSON text a signal is counted under: [kind, ...key] with the segment, band and traits the
 * signal carries (who the customer was at its decision: decision-segment.ts), so the figures
 * say what the subscribers were told. A signal without them (the core alone) is keyed from the
 * customer's profile as of its instant.
 */
export function signalKeyOf(
  signal: Signal,
  profile: Profile,
  rules: RulesConfig,
  values: Record<TraitName, readonly string[]>,
): string {
  if (signal.segment !== undefined && signal.traits !== undefined) {
    return JSON.stringify([
      signal.kind,
      signal.segment.segment,
      signal.segment.latencyBand ?? NO_BAND,
      ...traitKey(signal.traits, values, true),
    ]);
  }
  const segment = segmentOf(profile, segmentView(profile, signal.detectedAtMs, rules), rules);
  return JSON.stringify([
    signal.kind,
    segment.segment,
    segment.latencyBand ?? NO_BAND,
    ...traitKey(dimensionsOf(profile.traits), values, true),
  ]);
}

/**
 * A working copy of a table for one step: counts move in place, then `freeze` gives the table
 * to store. The input table is not changed: its maps are copied when the step first changes
 * them (a live step moves a few customers and counts a signal now and then, so most signal days
 * pass on as they were, and `encodeFigureTable` finds their text again).
 */
export class FigureTableDraft {
  readonly values: Record<TraitName, readonly string[]>;
  private customers: ReadonlyMap<string, number>;
  private signals: ReadonlyMap<number, ReadonlyMap<string, number>>;
  /** The maps this draft made (and may change), not the input table's. */
  private readonly owned = new Set<ReadonlyMap<unknown, unknown>>();
  private complete: boolean;
  changed = false;

  constructor(table: SegmentFigureTable) {
    this.complete = table.complete;
    this.values = { ...table.values };
    this.customers = table.customers;
    this.signals = table.signals;
  }

  /** `map` itself when this draft made it, else a copy it made (and now owns). */
  private own<K, V>(map: ReadonlyMap<K, V>): Map<K, V> {
    if (this.owned.has(map)) return map as Map<K, V>;
    const copy = new Map(map);
    this.owned.add(copy);
    return copy;
  }

  moveCustomer(from: string | null, to: string | null): void {
    if (from === to) return;
    const input = this.customers;
    const customers = this.own(input);
    if (customers !== input) {
      // Same keys as the input until one comes or goes: their order goes with them.
      const keys = sortedKeys.get(input);
      if (keys !== undefined) sortedKeys.set(customers, keys);
    }
    this.customers = customers;
    let keysMoved = false;
    if (from !== null) {
      const left = (customers.get(from) ?? 0) - 1;
      if (left < 0) {
        // A customer counted nowhere: one from before the partition kept figures (the table
        // says so already), else a fault — never a crash: the table says it is incomplete.
        this.complete = false;
      } else if (left === 0) {
        customers.delete(from);
        keysMoved = true;
      } else customers.set(from, left);
    }
    if (to !== null) {
      const count = customers.get(to);
      if (count === undefined) keysMoved = true;
      customers.set(to, (count ?? 0) + 1);
    }
    if (keysMoved) sortedKeys.delete(customers);
    this.changed = true;
  }

  countSignal(day: number, key: string, streamTimeMs: number | null): void {
    if (streamTimeMs !== null && day <= dayOf(streamTimeMs) - SIGNAL_RETENTION_DAYS) return;
    const signals = this.own(this.signals);
    this.signals = signals;
    const counts = this.own(signals.get(day) ?? EMPTY_COUNTS);
    signals.set(day, counts);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    this.changed = true;
  }

  /** Drops the signal days that left the retention as of the stream time. */
  retain(streamTimeMs: number | null): void {
    if (streamTimeMs === null) return;
    const oldestKept = dayOf(streamTimeMs) - SIGNAL_RETENTION_DAYS + 1;
    for (const day of this.signals.keys()) {
      if (day < oldestKept) {
        const signals = this.own(this.signals);
        this.signals = signals;
        signals.delete(day);
        this.changed = true;
      }
    }
  }

  /** The table as it stands; a change after this copies again (the table keeps its maps). */
  freeze(): SegmentFigureTable {
    this.owned.clear();
    return {
      values: this.values,
      customers: this.customers,
      signals: this.signals,
      complete: this.complete,
    };
  }
}

const EMPTY_COUNTS: ReadonlyMap<string, number> = new Map();

// ---------------------------------------------------------------------------------------------
// Encoding (one meta field per partition) and merging.
// ---------------------------------------------------------------------------------------------

const FORMAT = 'sf1:';

/**
 * The table as one meta field: `sf1:` and the JSON of {incomplete?, v, c, s}, keys sorted.
 * Written by every commit that changed the table (most live steps move a customer), so it is
 * built from pieces kept between calls rather than by JSON.stringify of the whole: each key's
 * JSON spelling, a signal day's whole text for as long as its map is the same (tables never
 * change a map they were given; a draft copies what it changes), and the sorted keys of a
 * customers map whose keys a draft left as they were (see `sortedKeysOf`). The text is byte for
 * byte what JSON.stringify of that object gives (a test holds the two together).
 */
export function encodeFigureTable(table: SegmentFigureTable): string {
  const parts: string[] = [FORMAT, table.complete ? '{' : '{"incomplete":true,', '"v":'];
  parts.push(JSON.stringify(table.values), ',"c":');
  countsJson(table.customers, sortedKeysOf(table.customers), parts);
  parts.push(',"s":[');
  const days = [...table.signals.keys()].sort((a, b) => a - b);
  for (let index = 0; index < days.length; index += 1) {
    const counts = table.signals.get(days[index]!)!;
    let day = dayTexts.get(counts);
    if (day === undefined) {
      // Kept whole (above), so its key order is not kept besides.
      const dayParts: string[] = [];
      countsJson(counts, [...counts.keys()].sort(byKey), dayParts);
      day = dayParts.join('');
      dayTexts.set(counts, day);
    }
    parts.push(index === 0 ? '[' : ',[', JSON.stringify(days[index]), ',', day, ']');
  }
  parts.push(']}');
  return parts.join('');
}

/** A signal day's counts as encodeFigureTable writes them, per map (see there). */
const dayTexts = new WeakMap<ReadonlyMap<string, number>, string>();

const byKey = (a: string, b: string): number => (a < b ? -1 : 1);

/**
 * The keys of a customers map in order, per map: a draft that moved customers between keys the
 * table had already hands the order of its input on (the long keys share their first characters,
 * and sorting them was most of an encoding).
 */
const sortedKeys = new WeakMap<ReadonlyMap<string, number>, readonly string[]>();

function sortedKeysOf(customers: ReadonlyMap<string, number>): readonly string[] {
  let keys = sortedKeys.get(customers);
  if (keys === undefined) {
    keys = [...customers.keys()].sort(byKey);
    sortedKeys.set(customers, keys);
  }
  return keys;
}

/** JSON spellings of count keys (the table's keys are few and come back every step). */
const keyTexts = new Map<string, string>();
const KEY_TEXTS_LIMIT = 4_096;

/** `[[key, count], …]` in the order of `keys` (sorted), as JSON.stringify spells it. */
function countsJson(
  counts: ReadonlyMap<string, number>,
  keys: readonly string[],
  parts: string[],
): void {
  parts.push('[');
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    let spelled = keyTexts.get(key);
    if (spelled === undefined) {
      if (keyTexts.size >= KEY_TEXTS_LIMIT) keyTexts.clear();
      spelled = JSON.stringify(key);
      keyTexts.set(key, spelled);
    }
    parts.push(index === 0 ? '[' : ',[', spelled, ',', JSON.stringify(counts.get(key)), ']');
  }
  parts.push(']');
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

export function decodeFigureTable(text: string): SegmentFigureTable {
  const corrupt = (why: string): never => {
    throw new PulseCoreError('CORRUPT_MODEL', `segment figures: ${why}`);
  };
  if (!text.startsWith(FORMAT)) corrupt('not an sf1 text');
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(FORMAT.length));
  } catch {
    return corrupt('not JSON');
  }
  const body = raw as { v?: unknown; c?: unknown; s?: unknown; incomplete?: unknown };
  const table = emptyFigureTable();
  const values = { ...table.values };
  if (typeof body.v !== 'object' || body.v === null) corrupt('no values');
  for (const name of TRAIT_NAMES) {
    const list = (body.v as Record<string, unknown>)[name];
    if (
      !Array.isArray(list) ||
      list.length > MAX_VALUES_PER_DIMENSION ||
      !list.every((value) => typeof value === 'string')
    )
      corrupt(`values of ${name}`);
    values[name] = list as string[];
  }
  const entries = (list: unknown): Map<string, number> => {
    if (!Array.isArray(list)) return corrupt('counts');
    const map = new Map<string, number>();
    for (const entry of list) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !isCount(entry[1]))
        corrupt('count entry');
      map.set(entry[0] as string, entry[1] as number);
    }
    return map;
  };
  const customers = entries(body.c);
  if (!Array.isArray(body.s)) corrupt('signals');
  const signals = new Map<number, Map<string, number>>();
  for (const entry of body.s as unknown[]) {
    if (!Array.isArray(entry) || !Number.isSafeInteger(entry[0])) corrupt('signal day');
    signals.set((entry as [number])[0], entries((entry as unknown[])[1]));
  }
  return { values, customers, signals, complete: body.incomplete !== true };
}

/** A customer key read back: the key and the latency bucket. */
export function parseCustomerKey(text: string): { key: SegmentKey; latencyBucket: number } {
  const parsed = JSON.parse(text) as unknown[];
  if (
    !Array.isArray(parsed) ||
    parsed.length !== SEGMENT_DIMENSIONS.length + 1 ||
    !Number.isInteger(parsed.at(-1))
  ) {
    throw new PulseCoreError('CORRUPT_MODEL', 'segment figures: a customer key');
  }
  return { key: parsed.slice(0, -1) as string[], latencyBucket: parsed.at(-1) as number };
}

export function parseSignalKey(text: string): { kind: SignalKind; key: SegmentKey } {
  const parsed = JSON.parse(text) as string[];
  if (!Array.isArray(parsed) || parsed.length !== SEGMENT_DIMENSIONS.length + 1) {
    throw new PulseCoreError('CORRUPT_MODEL', 'segment figures: a signal key');
  }
  return { kind: parsed[0] as SignalKind, key: parsed.slice(1) };
}

// ---------------------------------------------------------------------------------------------
// The read side: partitions merged, grouped by a subset of the dimensions.
// ---------------------------------------------------------------------------------------------

export interface SegmentGroupFigures {
  /** The group's value of each dimension grouped by. */
  group: Partial<Record<SegmentDimension, string>>;
  customers: number;
  bySegment: Record<CustomerSegment, number>;
  byBand: Record<LatencyBand | typeof NO_BAND, number>;
  /** Usual latencies of the group's customers with a band: bucket → customers. */
  latencyBuckets: number[];
  /** The median usual latency (days) of those, to SKETCH_MEDIAN_RELATIVE_ERROR; null: none. */
  medianUsualLatencyDays: number | null;
  /** Signals per kind with an event-time day in the range asked. */
  signals: Record<SignalKind, number>;
}

export interface SegmentReport {
  by: readonly SegmentDimension[];
  /** Inclusive event-time day range of the signal counts. */
  fromDay: number | null;
  toDay: number | null;
  /** False when a partition's figures miss customers from before it kept figures. */
  complete: boolean;
  groups: SegmentGroupFigures[];
}

export function parseDimensions(text: string | undefined): SegmentDimension[] {
  if (text === undefined || text.trim() === '') return [];
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SEGMENT_DIMENSIONS as readonly string[]).includes(name)) {
      throw new PulseCoreError(
        'INVALID_CONFIG',
        `unknown dimension "${name}": use ${SEGMENT_DIMENSIONS.join(', ')}`,
      );
    }
  }
  return [...new Set(names)] as SegmentDimension[];
}

/** Several partitions' tables as one report, grouped by `by`, signals of days in [from, to]. */
export function segmentReport(
  tables: Iterable<SegmentFigureTable>,
  by: readonly SegmentDimension[],
  fromDay: number | null = null,
  toDay: number | null = null,
): SegmentReport {
  const groups = new Map<string, SegmentGroupFigures>();
  const indexes = by.map((dimension) => SEGMENT_DIMENSIONS.indexOf(dimension));
  const groupOf = (key: SegmentKey): SegmentGroupFigures => {
    const values = indexes.map((index) => key[index]!);
    const id = JSON.stringify(values);
    let group = groups.get(id);
    if (group === undefined) {
      group = {
        group: Object.fromEntries(by.map((dimension, at) => [dimension, values[at]!])),
        customers: 0,
        bySegment: Object.fromEntries(CUSTOMER_SEGMENTS.map((name) => [name, 0])) as Record<
          CustomerSegment,
          number
        >,
        byBand: Object.fromEntries([...LATENCY_BANDS, NO_BAND].map((name) => [name, 0])) as Record<
          LatencyBand | typeof NO_BAND,
          number
        >,
        latencyBuckets: new Array<number>(SKETCH_BUCKETS).fill(0),
        medianUsualLatencyDays: null,
        signals: { lapsed: 0, reactivated: 0, ready_to_buy: 0 },
      };
      groups.set(id, group);
    }
    return group;
  };
  let complete = true;
  for (const table of tables) {
    complete &&= table.complete;
    for (const [text, count] of table.customers) {
      const { key, latencyBucket } = parseCustomerKey(text);
      const group = groupOf(key);
      group.customers += count;
      group.bySegment[key[0] as CustomerSegment] += count;
      group.byBand[key[1] as LatencyBand | typeof NO_BAND] += count;
      if (latencyBucket >= 0) group.latencyBuckets[latencyBucket]! += count;
    }
    for (const [day, counts] of table.signals) {
      if ((fromDay !== null && day < fromDay) || (toDay !== null && day > toDay)) continue;
      for (const [text, count] of counts) {
        const { kind, key } = parseSignalKey(text);
        groupOf(key).signals[kind] += count;
      }
    }
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, group] of sorted) {
    const total = group.latencyBuckets.reduce((sum, count) => sum + count, 0);
    group.medianUsualLatencyDays = sketchMedianDays({ counts: group.latencyBuckets, total });
  }
  return { by, fromDay, toDay, complete, groups: sorted.map(([, group]) => group) };
}

/** Partitions' tables summed into one (values: the union, in order of first appearance). */
export function mergeFigureTables(tables: Iterable<SegmentFigureTable>): SegmentFigureTable {
  const customers = new Map<string, number>();
  const signals = new Map<number, Map<string, number>>();
  const values = emptyFigureTable().values as Record<TraitName, string[]>;
  let complete = true;
  for (const table of tables) {
    complete &&= table.complete;
    for (const name of TRAIT_NAMES) {
      for (const value of table.values[name])
        if (!values[name].includes(value)) values[name].push(value);
    }
    for (const [key, count] of table.customers)
      customers.set(key, (customers.get(key) ?? 0) + count);
    for (const [day, counts] of table.signals) {
      const merged = signals.get(day) ?? new Map<string, number>();
      for (const [key, count] of counts) merged.set(key, (merged.get(key) ?? 0) + count);
      signals.set(day, merged);
    }
  }
  return { values, customers, signals, complete };
}
