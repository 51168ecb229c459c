// The binary form of a customer's traits (traits.ts), small enough to sit inside a profile.
//
// Layout, version 1 (varints are unsigned LEB128, up to 2^53; "zigzag" maps a signed integer to
// an unsigned one):
//
//   u8      version (1)
//   varint  zigzag(newest asOfMs of every register)            — the base instant
//   varint  S, then S × (varint byte length, UTF-8 bytes)      — the string table
//   u8      which of country, region, acquisitionSource, customerType, plan, firstVisitSource
//           are present (bits 0..5)
//   for each present register, in that order:
//           varint string index, varint (base − asOfMs)
//   varint  A, then A × (varint name index, varint value index, varint (base − asOfMs))
//
// Two things keep it compact. Instants are stored as distances back from the newest one (a
// customer's traits are usually stated within days of each other: 4 or 5 bytes instead of 8),
// exact to the millisecond, because the merge compares instants exactly. And every distinct
// string is written once, in a table at the head: `web` as the stated acquisitionSource and
// the first visit's source, or an attribute whose value equals another's, costs one byte the
// second time. Measured (traits.test.ts): a customer with country, region, type, plan, a source
// (stated, and seen on the first visit) and two attributes, stated over 40 days, takes 107 bytes;
// country and plan alone 22; no traits 5.
//
// String interning. Trait values repeat across customers: a partition holds a few dozen
// countries and a handful of plans for a million customers. `decodeTraits(bytes, pool)` passes
// every decoded string through a `TraitStringPool`, so all customers share one string object per
// value and a partition's working set holds each value once, not once per customer. The pool is
// bounded (it stops adding new strings at its capacity and returns the decoded copy), so free
// text such as a region cannot make it grow without limit. Interning changes object identity
// only, never a value: decoded traits compare equal with or without a pool.
import { ProfileDecodeError } from './errors.ts';
import {
  TRAIT_NAMES,
  TraitsRecord,
  type CustomerTraits,
  type TraitAttribute,
  type TraitValue,
} from './traits.ts';

const FORMAT_VERSION = 1;
const REGISTERS = [...TRAIT_NAMES, 'firstVisitSource'] as const;

/** A bounded pool of shared strings for decoded traits (see the header). */
export class TraitStringPool {
  private readonly strings = new Map<string, string>();

  constructor(readonly capacity: number = 4096) {}

  intern(text: string): string {
    const shared = this.strings.get(text);
    if (shared !== undefined) return shared;
    if (this.strings.size < this.capacity) this.strings.set(text, text);
    return text;
  }

  get size(): number {
    return this.strings.size;
  }
}

class Writer {
  private bytes: number[] = [];

  byte(value: number): void {
    this.bytes.push(value & 0xff);
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`traits: cannot encode ${value} as a varint`);
    let rest = value;
    while (rest >= 0x80) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }

  raw(bytes: Uint8Array): void {
    for (const byte of bytes) this.bytes.push(byte);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  fail(message: string): never {
    throw new ProfileDecodeError('CORRUPT_PROFILE', `traits: ${message}`, this.offset);
  }

  byte(): number {
    if (this.offset >= this.bytes.length) this.fail('truncated');
    return this.bytes[this.offset++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) this.fail('varint too long');
    }
    if (!Number.isSafeInteger(value)) this.fail('number out of range');
    return value;
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) this.fail('truncated string');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  get done(): boolean {
    return this.offset === this.bytes.length;
  }
}

const zigzag = (value: number): number => (value < 0 ? -2 * value - 1 : 2 * value);
const unzigzag = (value: number): number => (value % 2 === 1 ? -(value + 1) / 2 : value / 2);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function registersOf(traits: CustomerTraits): (TraitValue | null)[] {
  return REGISTERS.map((name) => traits[name]);
}

export function encodeTraits(traits: CustomerTraits): Uint8Array {
  const registers = registersOf(traits);
  const instants = [
    ...registers.filter((register) => register !== null).map((register) => register.asOfMs),
    ...traits.attributes.map((attribute) => attribute.asOfMs),
  ];
  const baseMs = instants.length === 0 ? 0 : Math.max(...instants);

  const table = new Map<string, number>();
  const indexOf = (text: string): number => {
    let index = table.get(text);
    if (index === undefined) {
      index = table.size;
      table.set(text, index);
    }
    return index;
  };
  for (const register of registers) if (register !== null) indexOf(register.value);
  for (const attribute of traits.attributes) {
    indexOf(attribute.name);
    indexOf(attribute.value);
  }

  const out = new Writer();
  out.byte(FORMAT_VERSION);
  out.varint(zigzag(baseMs));
  out.varint(table.size);
  for (const text of table.keys()) {
    const bytes = encoder.encode(text);
    out.varint(bytes.length);
    out.raw(bytes);
  }
  let present = 0;
  registers.forEach((register, bit) => {
    if (register !== null) present |= 1 << bit;
  });
  out.byte(present);
  for (const register of registers) {
    if (register === null) continue;
    out.varint(indexOf(register.value));
    out.varint(baseMs - register.asOfMs);
  }
  out.varint(traits.attributes.length);
  for (const attribute of traits.attributes) {
    out.varint(indexOf(attribute.name));
    out.varint(indexOf(attribute.value));
    out.varint(baseMs - attribute.asOfMs);
  }
  return out.finish();
}

function stringAt(strings: readonly string[], index: number, input: Reader): string {
  return index < strings.length
    ? strings[index]!
    : input.fail(`string index ${index} out of range`);
}

/** Throws ProfileDecodeError (CORRUPT_PROFILE, UNSUPPORTED_PROFILE_VERSION) on bad bytes. */
export function decodeTraits(bytes: Uint8Array, pool?: TraitStringPool): CustomerTraits {
  const input = new Reader(bytes);
  const version = input.byte();
  if (version !== FORMAT_VERSION) {
    throw new ProfileDecodeError(
      'UNSUPPORTED_PROFILE_VERSION',
      `traits: format version ${version} is not known (this code reads ${FORMAT_VERSION})`,
      0,
    );
  }
  const baseMs = unzigzag(input.varint());
  const count = input.varint();
  if (count > bytes.length) input.fail('string table larger than the record');
  const strings: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const raw = input.take(input.varint());
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      text = input.fail('string is not valid UTF-8');
    }
    strings.push(pool ? pool.intern(text) : text);
  }
  // No closures here: tsx names every function it creates (a defineProperty per closure per
  // call), and a live batch decodes every customer's traits afresh.
  const present = input.byte();
  if (present >> REGISTERS.length !== 0) input.fail('unknown register bits');
  const registers: (TraitValue | null)[] = new Array(REGISTERS.length);
  for (let bit = 0; bit < REGISTERS.length; bit += 1) {
    if ((present & (1 << bit)) === 0) {
      registers[bit] = null;
      continue;
    }
    const value = stringAt(strings, input.varint(), input);
    registers[bit] = { value, asOfMs: baseMs - input.varint() };
  }
  const attributeCount = input.varint();
  if (attributeCount > bytes.length) input.fail('attribute count larger than the record');
  const attributes: TraitAttribute[] = [];
  for (let index = 0; index < attributeCount; index += 1) {
    const name = stringAt(strings, input.varint(), input);
    const value = stringAt(strings, input.varint(), input);
    const asOfMs = baseMs - input.varint();
    if (attributes.length > 0 && attributes[attributes.length - 1]!.name >= name)
      input.fail('attributes out of order');
    attributes.push({ name, value, asOfMs });
  }
  if (!input.done) input.fail('trailing bytes');
  // REGISTERS order: the five dimensions (TRAIT_NAMES), then firstVisitSource.
  return new TraitsRecord({
    country: registers[0] ?? null,
    region: registers[1] ?? null,
    acquisitionSource: registers[2] ?? null,
    customerType: registers[3] ?? null,
    plan: registers[4] ?? null,
    attributes,
    firstVisitSource: registers[5] ?? null,
  });
}
