// A customer's traits (who they are: country, region, how they were acquired, type, plan, a few
// custom attributes) as of event time, and the merge of a traits statement into them.
//
// Every trait is a last-writer-wins register on event time: the value stated at the latest
// `asOfMs` wins, and at the same instant the greater value (code unit order; a clear, '', is the
// smallest). The merge is therefore a maximum over a total order: commutative, associative and
// idempotent, so statements arriving late, out of order or twice give the same traits, and a
// replay gives the same traits whatever its batches — the property the profile's other parts
// have (profile.ts). A clear is kept as a register holding '' (a tombstone): without it, an
// older value arriving after the clear would come back.
//
// Custom attributes are one register per name, and a customer keeps at most
// `maxTraitAttributes` of them: the newest by (asOfMs, then name). Keeping "the newest N of a
// set" is itself order-independent (an attribute pushed out can only come back with a newer
// statement, which outranks what pushed it out), so the bound costs no determinism.
//
// The record is plain data (compare with toEqual); `traits-codec.ts` is its binary form.

/** The fixed traits, in the order of the wire record (schemas/avro/traits.v1.avsc). */
export const TRAIT_NAMES = [
  'country',
  'region',
  'acquisitionSource',
  'customerType',
  'plan',
] as const;

export type TraitName = (typeof TRAIT_NAMES)[number];

/**
 * How many custom attributes a customer keeps (the wire allows as many per record: the two
 * limits are the contract's MAX_TRAIT_ATTRIBUTES, repeated here because core does not depend on
 * the wire).
 */
export const MAX_TRAIT_ATTRIBUTES_KEPT = 16;

/** One register: a value ('' = cleared) and the event time it was stated as of. */
export interface TraitValue {
  value: string;
  asOfMs: number;
}

export interface TraitAttribute extends TraitValue {
  name: string;
}

/**
 * A customer's traits: the fields of a TraitsRecord (below), whether built as one or as a plain
 * object.
 */
export type CustomerTraits = Pick<TraitsRecord, TraitName | 'attributes' | 'firstVisitSource'>;

/**
 * What one traits record states, as the edge validated it (contracts' TraitsEvent has this
 * shape): null = not stated, '' = cleared, else the value; `attributes` holds the stated ones.
 */
export interface TraitsStatement {
  occurredAtMs: number;
  country: string | null;
  region: string | null;
  acquisitionSource: string | null;
  customerType: string | null;
  plan: string | null;
  attributes: Readonly<Record<string, string>>;
}

/**
 * A pulse.traits record as the partition step takes it (contracts' TraitsEvent has this shape):
 * the statement, and whose it is.
 */
export interface TraitsEvent extends TraitsStatement {
  kind: 'traits';
  eventId: string;
  customerId: string;
}

/**
 * A traits record as the codec and the visit-source merge build it: the fields in one fixed
 * order (one object shape for every such record, whatever registers are set) and a private slot
 * per TraitsMemo. A memo fills its slot without adding a property to the record: defining one per
 * decoded record (every customer of a live batch is decoded afresh) turned each record into a
 * slow dictionary-mode object and was the largest single cost of decoding a live batch. The slots
 * are invisible to comparisons, copies (a spread makes a plain record) and the codec.
 */
export class TraitsRecord {
  country: TraitValue | null;
  region: TraitValue | null;
  acquisitionSource: TraitValue | null;
  customerType: TraitValue | null;
  plan: TraitValue | null;
  /** Ascending by name; at most MAX_TRAIT_ATTRIBUTES_KEPT, the newest by (asOfMs, name). */
  attributes: TraitAttribute[];
  /**
   * The `source` of the customer's first visit (the earliest by event time; at the same instant
   * the smaller value), which `acquisitionSource` falls back to when no statement set it.
   */
  firstVisitSource: TraitValue | null;
  readonly #memos: unknown[] = [];

  constructor(fields: CustomerTraits) {
    this.country = fields.country;
    this.region = fields.region;
    this.acquisitionSource = fields.acquisitionSource;
    this.customerType = fields.customerType;
    this.plan = fields.plan;
    this.attributes = fields.attributes;
    this.firstVisitSource = fields.firstVisitSource;
  }

  /** The memo slots of a record built here; undefined for any other object. */
  static memosOf(traits: CustomerTraits): unknown[] | undefined {
    return #memos in traits ? (traits as TraitsRecord).#memos : undefined;
  }
}

/**
 * A value derived from a traits record and kept with it (its encoded bytes, its part of a
 * customer key). A record is never changed in place (a change is a new record) and is shared by
 * every version of a customer's profile, so the value holds for the record's life. A TraitsRecord
 * keeps it in its own slot; any other record under a symbol that is not enumerable (the record
 * still compares, copies and encodes as its fields alone; a WeakMap lookup per event cost more);
 * a frozen record (the shared NO_TRAITS, or a caller's) keeps it in a WeakMap, the last one
 * looked up first.
 */
export class TraitsMemo<V> {
  private static slots = 0;
  private readonly slot = TraitsMemo.slots++;
  private readonly symbol: symbol;
  private readonly frozen = new WeakMap<CustomerTraits, V>();
  private last: { traits: CustomerTraits; value: V } | undefined;

  constructor(name: string) {
    this.symbol = Symbol(name);
  }

  get(traits: CustomerTraits): V | undefined {
    const memos = TraitsRecord.memosOf(traits);
    if (memos !== undefined) return memos[this.slot] as V | undefined;
    const own = (traits as unknown as Record<symbol, V | undefined>)[this.symbol];
    if (own !== undefined) return own;
    if (this.last?.traits === traits) return this.last.value;
    return this.frozen.get(traits);
  }

  set(traits: CustomerTraits, value: V): void {
    const memos = TraitsRecord.memosOf(traits);
    if (memos !== undefined) memos[this.slot] = value;
    else if (Object.isExtensible(traits)) {
      Object.defineProperty(traits, this.symbol, { value, writable: true });
    } else {
      this.frozen.set(traits, value);
      this.last = { traits, value };
    }
  }
}

export function emptyTraits(): CustomerTraits {
  return {
    country: null,
    region: null,
    acquisitionSource: null,
    customerType: null,
    plan: null,
    attributes: [],
    firstVisitSource: null,
  };
}

/** The later register wins; at the same instant the greater value (so ties are order-free). */
export function laterValue(current: TraitValue | null, candidate: TraitValue): TraitValue {
  if (current === null) return candidate;
  if (candidate.asOfMs !== current.asOfMs)
    return candidate.asOfMs > current.asOfMs ? candidate : current;
  return candidate.value > current.value ? candidate : current;
}

/** The earlier register wins; at the same instant the smaller value (the first visit's source). */
function earlierValue(current: TraitValue | null, candidate: TraitValue): TraitValue {
  if (current === null) return candidate;
  if (candidate.asOfMs !== current.asOfMs)
    return candidate.asOfMs < current.asOfMs ? candidate : current;
  return candidate.value < current.value ? candidate : current;
}

/** Which of two attributes a customer keeps first: the newer, then the smaller name. */
function outranks(a: TraitAttribute, b: TraitAttribute): boolean {
  return a.asOfMs > b.asOfMs || (a.asOfMs === b.asOfMs && a.name < b.name);
}

function sameValue(a: TraitValue | null, b: TraitValue | null): boolean {
  return a === b || (a !== null && b !== null && a.value === b.value && a.asOfMs === b.asOfMs);
}

/** Merge one attribute register into the list, keeping the newest `capacity` names. */
function mergeAttribute(
  attributes: readonly TraitAttribute[],
  candidate: TraitAttribute,
  capacity: number,
): readonly TraitAttribute[] {
  const index = attributes.findIndex((attribute) => attribute.name === candidate.name);
  if (index >= 0) {
    const current = attributes[index]!;
    const winner = laterValue(current, candidate);
    if (winner === current) return attributes;
    const next = [...attributes];
    next[index] = { name: candidate.name, value: winner.value, asOfMs: winner.asOfMs };
    return next;
  }
  if (attributes.length >= capacity) {
    // Full: the candidate enters only by outranking the lowest-ranked name, which it replaces.
    let lowest = 0;
    for (let at = 1; at < attributes.length; at += 1) {
      if (outranks(attributes[lowest]!, attributes[at]!)) lowest = at;
    }
    if (attributes.length > 0 && !outranks(candidate, attributes[lowest]!)) return attributes;
    const kept = attributes.filter((_, at) => at !== lowest);
    return insertByName(kept, candidate);
  }
  return insertByName(attributes, candidate);
}

function insertByName(
  attributes: readonly TraitAttribute[],
  attribute: TraitAttribute,
): TraitAttribute[] {
  const next = [...attributes, attribute];
  return next.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Merge what a traits record states into a customer's traits. Pure; returns the same object
 * when nothing changed (an older or repeated statement), so a caller can skip a write.
 */
export function applyTraitsStatement(
  traits: CustomerTraits,
  statement: TraitsStatement,
  maxAttributes: number = MAX_TRAIT_ATTRIBUTES_KEPT,
): CustomerTraits {
  const asOfMs = statement.occurredAtMs;
  let next: CustomerTraits = traits;
  for (const name of TRAIT_NAMES) {
    const stated = statement[name];
    if (stated === null) continue;
    const merged = laterValue(next[name], { value: stated, asOfMs });
    if (!sameValue(merged, next[name])) next = { ...next, [name]: merged };
  }
  let attributes: readonly TraitAttribute[] = next.attributes;
  for (const name of Object.keys(statement.attributes).sort()) {
    attributes = mergeAttribute(
      attributes,
      { name, value: statement.attributes[name]!, asOfMs },
      maxAttributes,
    );
  }
  if (attributes !== next.attributes) next = { ...next, attributes: [...attributes] };
  return next;
}

/**
 * Remember a visit's `source` as the first visit's when it is the earliest seen (the feed of
 * `acquisitionSource` for customers no statement names a source for). Empty or absent sources
 * are no source.
 */
export function observeVisitSource(
  traits: CustomerTraits,
  occurredAtMs: number,
  source: string | null | undefined,
): CustomerTraits {
  if (source === null || source === undefined || source === '') return traits;
  // The hot path (every visit naming a source): a later visit changes nothing, allocates nothing.
  const first = traits.firstVisitSource;
  if (
    first !== null &&
    (first.asOfMs < occurredAtMs || (first.asOfMs === occurredAtMs && first.value <= source))
  )
    return traits;
  const merged = earlierValue(first, { value: source, asOfMs: occurredAtMs });
  return sameValue(merged, traits.firstVisitSource)
    ? traits
    : new TraitsRecord({ ...traits, firstVisitSource: merged });
}

/** Several customers' (or one customer's partial) traits as one: the same registers' merge. */
export function mergeTraits(
  a: CustomerTraits,
  b: CustomerTraits,
  maxAttributes: number = MAX_TRAIT_ATTRIBUTES_KEPT,
): CustomerTraits {
  let merged: CustomerTraits = { ...a };
  for (const name of TRAIT_NAMES) {
    const other = b[name];
    if (other !== null) merged[name] = laterValue(merged[name], other);
  }
  if (b.firstVisitSource !== null)
    merged.firstVisitSource = earlierValue(merged.firstVisitSource, b.firstVisitSource);
  let attributes: readonly TraitAttribute[] = a.attributes;
  for (const attribute of b.attributes)
    attributes = mergeAttribute(attributes, attribute, maxAttributes);
  merged = { ...merged, attributes: [...attributes] };
  return merged;
}

/** The traits as a reader wants them: current values only, unknown as null. */
export interface TraitsView {
  country: string | null;
  region: string | null;
  /** Stated, else the first visit's source; null when neither is known. */
  acquisitionSource: string | null;
  /** Where acquisitionSource came from. */
  acquisitionSourceFrom: 'traits' | 'first-visit' | null;
  customerType: string | null;
  plan: string | null;
  /** Set attributes (cleared ones left out). */
  attributes: Record<string, string>;
}

const current = (register: TraitValue | null): string | null =>
  register === null || register.value === '' ? null : register.value;

/**
 * The five dimensions of a customer's traits as traitsView reads them, and nothing else: what a
 * segment key spells, several times per event, without building the attributes.
 */
export function dimensionsOf(traits: CustomerTraits): Pick<TraitsView, TraitName> {
  // A stated clear ('') is a statement too: the customer's source is unknown, not the visit's.
  const fallback = traits.acquisitionSource === null ? current(traits.firstVisitSource) : null;
  return {
    country: current(traits.country),
    region: current(traits.region),
    acquisitionSource: current(traits.acquisitionSource) ?? fallback,
    customerType: current(traits.customerType),
    plan: current(traits.plan),
  };
}

export function traitsView(traits: CustomerTraits): TraitsView {
  const dimensions = dimensionsOf(traits);
  const stated = current(traits.acquisitionSource);
  // fromEntries defines own properties, whatever the names (even one spelled __proto__).
  const attributes: Record<string, string> = Object.fromEntries(
    traits.attributes
      .filter((attribute) => attribute.value !== '')
      .map((attribute) => [attribute.name, attribute.value]),
  );
  return {
    country: dimensions.country,
    region: dimensions.region,
    acquisitionSource: dimensions.acquisitionSource,
    acquisitionSourceFrom:
      stated !== null ? 'traits' : dimensions.acquisitionSource !== null ? 'first-visit' : null,
    customerType: dimensions.customerType,
    plan: dimensions.plan,
    attributes,
  };
}
