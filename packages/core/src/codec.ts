// Compact binary form of a profile, written by hand: it is stored once per customer, for millions
// of customers, and read and written on every event.
//
// Layout (format version 1), every integer a LEB128 varint; "signed" ones zigzag-encoded:
//   version byte (1)
//   customerId: length + UTF-8 bytes
//   presence bitmask of the nullable fields (NULLABLE_FIELDS order)
//   baseMs (signed): firstSeenMs, else clockMs, else 0. Other instants are signed deltas from it,
//   and day numbers signed deltas from dayOf(baseMs), so two years of history stay small.
//   the nullable fields that are present, the counters, the currency table (sorted), lifetime
//   spend, visit buckets, purchase buckets, active days, purchase days, recent events.
//   Ascending lists store their first element from the base and then the (unsigned) steps.
// All arithmetic is done on doubles, not 32-bit bit operations: instants need up to 53 bits.
//
// Format version 2 = the version 1 layout above, then zero or more *sections*, each
//   tag byte, varint length, that many bytes
// in ascending tag order, each at most once; an absent section is its field's default, so a
// profile with nothing beyond version 1's fields costs no byte more. Sections keep additions to
// the profile apart from each other and from the fixed layout (one tag each, see SECTION_*).
// Version 1 bytes (written by an older Pulse) still decode: they have no sections.
import { ProfileDecodeError } from './errors.ts';
import { NO_TRAITS, type Profile, type RememberedEvent } from './profile.ts';
import { dayOf } from './time.ts';
import { decodeTraits, encodeTraits, type TraitStringPool } from './traits-codec.ts';
import { TraitsMemo, type CustomerTraits } from './traits.ts';

/** Written by encodeProfile. */
const FORMAT_VERSION = 2;
/** Still read: the layout without sections. */
const FORMAT_VERSION_1 = 1;

// ---- Sections (format version 2) -------------------------------------------------------------
/** Section 1: the customer's traits (traits-codec.ts's bytes); absent = no traits. */
const SECTION_TRAITS = 1;
/**
 * Section 2: the customer's IANA time zone (zone.ts): the name (length + UTF-8), then
 * timeZoneSetAtMs (signed, from baseMs); absent = the customer's days are UTC days.
 */
const SECTION_TIME_ZONE = 2;
const LAST_SECTION = SECTION_TIME_ZONE;

/** True when no trait is known: the section is left out. */
function hasNoTraits(traits: CustomerTraits): boolean {
  return (
    traits === NO_TRAITS ||
    (traits.country === null &&
      traits.region === null &&
      traits.acquisitionSource === null &&
      traits.customerType === null &&
      traits.plan === null &&
      traits.firstVisitSource === null &&
      traits.attributes.length === 0)
  );
}

/**
 * The traits section's bytes by traits record. Traits change rarely and the record is never
 * mutated (a change is a new object), so a profile written again after a visit reuses the bytes
 * its traits were decoded from or last encoded to instead of encoding them per event.
 */
const traitsBytes = new TraitsMemo<Uint8Array>('encoded traits');

function encodedTraits(traits: CustomerTraits): Uint8Array {
  let bytes = traitsBytes.get(traits);
  if (bytes === undefined) {
    bytes = encodeTraits(traits);
    traitsBytes.set(traits, bytes);
  }
  return bytes;
}

/** Options of decodeProfile. */
export interface ProfileDecodeOptions {
  /**
   * Interns the decoded traits' strings: pass one pool per partition (or per reader) so that all
   * its customers share one string object per trait value (traits-codec.ts).
   */
  traitsPool?: TraitStringPool | undefined;
}
// -----------------------------------------------------------------------------------------------

const NULLABLE_FIELDS = [
  'firstSeenMs',
  'lastVisitMs',
  'lastPurchaseMs',
  'clockMs',
  'anchorDay',
  'openEpisodeSinceMs',
  'lapsedAnchorDay',
  'lastReadyToBuyDay',
] as const;
type NullableField = (typeof NULLABLE_FIELDS)[number];
const DAY_FIELDS = new Set<NullableField>(['anchorDay', 'lapsedAnchorDay', 'lastReadyToBuyDay']);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** True for the nullable fields stored as day numbers (NULLABLE_FIELDS order). */
const IS_DAY_FIELD = NULLABLE_FIELDS.map((field) => DAY_FIELDS.has(field));

/**
 * Appends varints and bytes to a buffer it grows by doubling. encodeProfile reuses one writer
 * (`reset`) and copies out only the bytes it wrote (`finish`): a profile is encoded for every
 * customer a commit writes, so the per-call allocation is the result alone.
 */
class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  unsigned(value: number): void {
    // Most values (counts, day steps, lengths) fit 32 bits: shifts instead of double division.
    if (value >>> 0 === value) {
      this.ensure(5);
      const buffer = this.buffer;
      let length = this.length;
      let rest = value;
      while (rest >= 0x80) {
        buffer[length++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      buffer[length++] = rest;
      this.length = length;
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`cannot encode ${value} as an unsigned varint`);
    }
    // Wider than 32 bits (a profile's base time): the low 28 bits as four 7-bit groups, then
    // the rest (under 2^25) as above, all in integer arithmetic (% on a double is a libm call).
    this.ensure(8);
    const high = Math.floor(value / 0x10000000);
    let low = value - high * 0x10000000;
    const buffer = this.buffer;
    let length = this.length;
    for (let group = 0; group < 4; group += 1) {
      buffer[length++] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    let rest = high;
    while (rest >= 0x80) {
      buffer[length++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[length++] = rest;
    this.length = length;
  }

  signed(value: number): void {
    if (!Number.isSafeInteger(value) || Math.abs(value) > 2 ** 51) {
      throw new RangeError(`cannot encode ${value} as a signed varint`);
    }
    this.unsigned(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** A 53-bit hash in 7 fixed bytes (varints would average 8). */
  hash53(value: number): void {
    this.ensure(7);
    // Big-endian: the top 21 bits in three bytes, the low 32 in four (integer shifts: % on a
    // double is a libm call, and a profile writes one hash per remembered event).
    const high = Math.floor(value / 0x100000000);
    const low = value - high * 0x100000000;
    const buffer = this.buffer;
    const at = this.length;
    buffer[at] = (high >>> 16) & 0xff;
    buffer[at + 1] = (high >>> 8) & 0xff;
    buffer[at + 2] = high & 0xff;
    buffer[at + 3] = (low >>> 24) & 0xff;
    buffer[at + 4] = (low >>> 16) & 0xff;
    buffer[at + 5] = (low >>> 8) & 0xff;
    buffer[at + 6] = low & 0xff;
    this.length = at + 7;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  text(value: string): void {
    // ASCII (ids, currency codes, most zone names) is its own UTF-8: written as it is read.
    const length = value.length;
    let ascii = length < 0x80;
    for (let index = 0; ascii && index < length; index += 1) {
      if (value.charCodeAt(index) >= 0x80) ascii = false;
    }
    if (ascii) {
      this.ensure(length + 1);
      this.buffer[this.length++] = length;
      for (let index = 0; index < length; index += 1) {
        this.buffer[this.length++] = value.charCodeAt(index);
      }
      return;
    }
    const bytes = encoder.encode(value);
    this.unsigned(bytes.length);
    this.raw(bytes);
  }

  /**
   * The bytes written, copied out into a Buffer: a small one comes from node's shared pool, where
   * a Uint8Array slice made a new backing store (allocated outside the heap) per profile.
   */
  finish(): Uint8Array {
    const bytes = Buffer.allocUnsafe(this.length);
    bytes.set(this.buffer.subarray(0, this.length));
    return bytes;
  }
}

class ByteReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  fail(message: string): never {
    throw new ProfileDecodeError(
      'CORRUPT_PROFILE',
      `corrupt profile bytes: ${message}`,
      this.offset,
    );
  }

  byte(): number {
    if (this.offset >= this.bytes.length) this.fail('unexpected end of data');
    return this.bytes[this.offset++]!;
  }

  unsigned(): number {
    let value = 0;
    let scale = 1;
    for (let count = 0; count < 8; count += 1) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail('varint out of range');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  signed(): number {
    const zigzag = this.unsigned();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  hash53(): number {
    if (this.offset + 7 > this.bytes.length) this.fail('unexpected end of data in an event hash');
    let value = 0;
    for (let index = 0; index < 7; index += 1) value = value * 256 + this.bytes[this.offset++]!;
    if (value >= 2 ** 53) this.fail('event hash wider than 53 bits');
    return value;
  }

  text(): string {
    const length = this.count(1);
    const start = this.offset;
    // Short ASCII (ids, currency codes): read char by char, no decoder call.
    if (length <= 64) {
      let text = '';
      let index = start;
      for (; index < start + length && this.bytes[index]! < 0x80; index += 1) {
        text += String.fromCharCode(this.bytes[index]!);
      }
      if (index === start + length) {
        this.offset += length;
        return text;
      }
    }
    const slice = this.bytes.subarray(start, start + length);
    this.offset += length;
    try {
      return decoder.decode(slice);
    } catch (cause) {
      return this.fail(`invalid UTF-8 (${String(cause)})`);
    }
  }

  /** A list length, checked against the bytes left so corrupt input cannot allocate gigabytes. */
  count(minimumBytesPerItem: number): number {
    const value = this.unsigned();
    if (value * minimumBytesPerItem > this.bytes.length - this.offset) {
      this.fail(`length ${value} exceeds the remaining data`);
    }
    return value;
  }

  get atEnd(): boolean {
    return this.offset === this.bytes.length;
  }

  /** The next `length` bytes (a view, no copy). */
  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) this.fail('unexpected end of data in a section');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  done(): void {
    if (this.offset !== this.bytes.length) this.fail('trailing bytes after the profile');
  }
}

const profileWriter = new ByteWriter();
const zoneWriter = new ByteWriter();

export function encodeProfile(profile: Profile): Uint8Array {
  const writer = profileWriter.reset();
  writer.byte(FORMAT_VERSION);
  writer.text(profile.customerId);

  // The nullable fields in NULLABLE_FIELDS order, read by name (a computed key is a slow read).
  const nullable = [
    profile.firstSeenMs,
    profile.lastVisitMs,
    profile.lastPurchaseMs,
    profile.clockMs,
    profile.anchorDay,
    profile.openEpisodeSinceMs,
    profile.lapsedAnchorDay,
    profile.lastReadyToBuyDay,
  ];
  let presence = 0;
  for (let index = 0; index < nullable.length; index += 1) {
    if (nullable[index] !== null) presence |= 1 << index;
  }
  writer.unsigned(presence);
  const baseMs = profile.firstSeenMs ?? profile.clockMs ?? 0;
  const baseDay = dayOf(baseMs);
  writer.signed(baseMs);
  // firstSeenMs (index 0) is the base itself.
  for (let index = 1; index < nullable.length; index += 1) {
    const value = nullable[index] ?? null;
    if (value !== null) writer.signed(IS_DAY_FIELD[index] ? value - baseDay : value - baseMs);
  }

  writer.unsigned(profile.lifetimeVisits);
  writer.unsigned(profile.lifetimePurchases);
  writer.unsigned(profile.lifetimeActiveDays);
  writer.unsigned(profile.lateEvents);
  writer.unsigned(profile.episodeCount);
  writer.unsigned(profile.readyToBuyCount);

  const currencies = currencyTable(profile);
  writer.unsigned(currencies.length);
  for (const currency of currencies) writer.text(currency);

  writer.unsigned(profile.lifetimeSpend.length);
  for (const total of profile.lifetimeSpend) {
    writer.unsigned(currencies.indexOf(total.currency));
    writer.unsigned(total.purchases);
    writer.unsigned(total.spendMinor);
  }

  const visits = profile.visitsByDay;
  writer.unsigned(visits.length);
  let previousDay = baseDay;
  for (let index = 0; index < visits.length; index += 1) {
    const bucket = visits[index]!;
    if (index === 0) writer.signed(bucket.day - baseDay);
    else writer.unsigned(bucket.day - previousDay);
    previousDay = bucket.day;
    writer.unsigned(bucket.visits);
  }

  const purchases = profile.purchasesByDay;
  writer.unsigned(purchases.length);
  for (let index = 0; index < purchases.length; index += 1) {
    const bucket = purchases[index]!;
    if (index === 0) writer.signed(bucket.day - baseDay);
    else writer.unsigned(bucket.day - previousDay);
    previousDay = bucket.day;
    writer.unsigned(currencies.indexOf(bucket.currency));
    writer.unsigned(bucket.purchases);
    writer.unsigned(bucket.spendMinor);
  }

  writeAscendingDays(writer, profile.activeDays, baseDay);
  writeAscendingDays(writer, profile.purchaseDays, baseDay);

  const recent = profile.recentEvents;
  writer.unsigned(recent.length);
  let previousMs = baseMs;
  for (let index = 0; index < recent.length; index += 1) {
    const entry = recent[index]!;
    // Descending by time: the first from the base, then the (non-negative) steps back.
    if (index === 0) writer.signed(entry.occurredAtMs - baseMs);
    else writer.unsigned(previousMs - entry.occurredAtMs);
    previousMs = entry.occurredAtMs;
    writer.hash53(entry.idHash);
  }

  // Sections (format version 2), ascending by tag.
  if (!hasNoTraits(profile.traits)) {
    const traits = encodedTraits(profile.traits);
    writer.byte(SECTION_TRAITS);
    writer.unsigned(traits.length);
    writer.raw(traits);
  }
  // The time zone: only for customers who stated one, so UTC customers' bytes do not grow.
  if (profile.timeZone !== null) {
    const zone = zoneWriter.reset();
    zone.text(profile.timeZone);
    zone.signed((profile.timeZoneSetAtMs ?? baseMs) - baseMs);
    const body = zone.finish();
    writer.byte(SECTION_TIME_ZONE);
    writer.unsigned(body.length);
    writer.raw(body);
  }
  return writer.finish();
}

/** The profile's currencies, sorted: its spend's and its purchase buckets' (mostly one). */
function currencyTable(profile: Profile): string[] {
  const spend = profile.lifetimeSpend;
  const buckets = profile.purchasesByDay;
  const only = spend[0]?.currency ?? buckets[0]?.currency;
  if (only === undefined) return [];
  let single = true;
  for (const total of spend) if (total.currency !== only) single = false;
  for (const bucket of buckets) if (bucket.currency !== only) single = false;
  if (single) return [only];
  return [
    ...new Set([
      ...spend.map((total) => total.currency),
      ...buckets.map((bucket) => bucket.currency),
    ]),
  ].sort();
}

function writeAscendingDays(writer: ByteWriter, days: readonly number[], baseDay: number): void {
  writer.unsigned(days.length);
  for (let index = 0; index < days.length; index += 1) {
    if (index === 0) writer.signed(days[0]! - baseDay);
    else writer.unsigned(days[index]! - days[index - 1]!);
  }
}

/**
 * Decode bytes written by encodeProfile (format version 2, or version 1 from an older Pulse).
 * Throws ProfileDecodeError on anything else.
 */
export function decodeProfile(bytes: Uint8Array, options?: ProfileDecodeOptions): Profile {
  const reader = new ByteReader(bytes);
  const version = reader.byte();
  if (version !== FORMAT_VERSION && version !== FORMAT_VERSION_1) {
    throw new ProfileDecodeError(
      'UNSUPPORTED_PROFILE_VERSION',
      `profile format version ${version} is not supported (expected ${FORMAT_VERSION_1} or ${FORMAT_VERSION})`,
      0,
      { version },
    );
  }
  const customerId = reader.text();
  const presence = reader.unsigned();
  if (presence >= 2 ** NULLABLE_FIELDS.length) reader.fail('unknown presence bits');
  const baseMs = reader.signed();
  const baseDay = dayOf(baseMs);
  // The nullable fields in NULLABLE_FIELDS order; firstSeenMs (index 0) is the base itself.
  // (presence has one bit per field, checked above: small enough for bit operations.)
  const nullable: (number | null)[] = [(presence & 1) === 1 ? baseMs : null];
  for (let index = 1; index < NULLABLE_FIELDS.length; index += 1) {
    nullable.push(
      ((presence >> index) & 1) === 1
        ? reader.signed() + (IS_DAY_FIELD[index] ? baseDay : baseMs)
        : null,
    );
  }

  const lifetimeVisits = reader.unsigned();
  const lifetimePurchases = reader.unsigned();
  const lifetimeActiveDays = reader.unsigned();
  const lateEvents = reader.unsigned();
  const episodeCount = reader.unsigned();
  const readyToBuyCount = reader.unsigned();

  const currencies: string[] = [];
  const currencyCount = reader.count(1);
  for (let index = 0; index < currencyCount; index += 1) currencies.push(reader.text());

  // Lists at their exact length (no room left by push): a decoded profile may stay in the
  // profiler's cache for a long time (profile.ts says why that matters).
  const spendCount = reader.count(3);
  const lifetimeSpend = new Array<Profile['lifetimeSpend'][number]>(spendCount);
  for (let index = 0; index < spendCount; index += 1) {
    lifetimeSpend[index] = {
      currency: currencyAt(reader, currencies),
      purchases: reader.unsigned(),
      spendMinor: reader.unsigned(),
    };
  }

  let previousDay = baseDay;
  const visitCount = reader.count(2);
  const visitsByDay = new Array<Profile['visitsByDay'][number]>(visitCount);
  for (let index = 0; index < visitCount; index += 1) {
    previousDay = index === 0 ? baseDay + reader.signed() : previousDay + reader.unsigned();
    visitsByDay[index] = { day: previousDay, visits: reader.unsigned() };
  }
  const purchaseCount = reader.count(4);
  const purchasesByDay = new Array<Profile['purchasesByDay'][number]>(purchaseCount);
  for (let index = 0; index < purchaseCount; index += 1) {
    previousDay = index === 0 ? baseDay + reader.signed() : previousDay + reader.unsigned();
    purchasesByDay[index] = {
      day: previousDay,
      currency: currencyAt(reader, currencies),
      purchases: reader.unsigned(),
      spendMinor: reader.unsigned(),
    };
  }
  const activeDays = readAscendingDays(reader, baseDay);
  const purchaseDays = readAscendingDays(reader, baseDay);

  let previousMs = baseMs;
  const recentCount = reader.count(8);
  const recentEvents = new Array<RememberedEvent>(recentCount);
  for (let index = 0; index < recentCount; index += 1) {
    previousMs = index === 0 ? baseMs + reader.signed() : previousMs - reader.unsigned();
    recentEvents[index] = { occurredAtMs: previousMs, idHash: reader.hash53() };
  }

  // Sections (format version 2 only; version 1 ends here).
  let traits: CustomerTraits = NO_TRAITS;
  let timeZone: string | null = null;
  let timeZoneSetAtMs: number | null = null;
  let lastTag = 0;
  while (version !== FORMAT_VERSION_1 && !reader.atEnd) {
    const tag = reader.byte();
    // An unknown section is refused, not skipped: writing the profile back would drop it.
    if (tag <= lastTag || tag > LAST_SECTION)
      reader.fail(
        `trailing bytes after the profile (section ${tag}: unknown, repeated or out of order)`,
      );
    lastTag = tag;
    const body = reader.take(reader.count(1));
    if (tag === SECTION_TRAITS) {
      traits = decodeTraits(body, options?.traitsPool);
      traitsBytes.set(traits, body.slice());
    } else if (tag === SECTION_TIME_ZONE) {
      const zone = new ByteReader(body);
      timeZone = zone.text();
      if (timeZone.length === 0) zone.fail('empty time zone');
      timeZoneSetAtMs = baseMs + zone.signed();
      zone.done();
    }
  }
  reader.done();

  return {
    customerId,
    firstSeenMs: nullable[0] ?? null,
    lastVisitMs: nullable[1] ?? null,
    lastPurchaseMs: nullable[2] ?? null,
    lifetimeVisits,
    lifetimePurchases,
    lifetimeActiveDays,
    lifetimeSpend,
    lateEvents,
    visitsByDay,
    purchasesByDay,
    activeDays,
    purchaseDays,
    recentEvents,
    timeZone,
    timeZoneSetAtMs,
    clockMs: nullable[3] ?? null,
    anchorDay: nullable[4] ?? null,
    episodeCount,
    openEpisodeSinceMs: nullable[5] ?? null,
    lapsedAnchorDay: nullable[6] ?? null,
    readyToBuyCount,
    lastReadyToBuyDay: nullable[7] ?? null,
    traits,
  };
}

/** A currency index read and looked up in the profile's table. */
function currencyAt(reader: ByteReader, currencies: readonly string[]): string {
  const index = reader.unsigned();
  return currencies[index] ?? reader.fail(`currency index ${index} out of range`);
}

function readAscendingDays(reader: ByteReader, baseDay: number): number[] {
  const length = reader.count(1);
  const days = new Array<number>(length);
  for (let index = 0; index < length; index += 1) {
    days[index] = index === 0 ? baseDay + reader.signed() : days[index - 1]! + reader.unsigned();
  }
  return days;
}
