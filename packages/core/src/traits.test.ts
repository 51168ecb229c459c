// A customer's traits must not depend on the order statements arrive in: the merge is a
// last-writer-wins register per trait on event time, and a replay (or a late CRM export) must
// give the same traits as the live run. The properties below apply generated statements — few
// instants and few values, so ties are common — in shuffled orders, twice over, and split between
// two merges; the codec must give back exactly what it was given.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileDecodeError } from './errors.ts';
import { decodeTraits, encodeTraits, TraitStringPool } from './traits-codec.ts';
import {
  applyTraitsStatement,
  emptyTraits,
  MAX_TRAIT_ATTRIBUTES_KEPT,
  mergeTraits,
  observeVisitSource,
  traitsView,
  TraitsMemo,
  TraitsRecord,
  type CustomerTraits,
  type TraitsStatement,
} from './traits.ts';

const T0 = Date.UTC(2025, 2, 1);
const HOUR_MS = 3_600_000;

function statement(
  hours: number,
  stated: Partial<Omit<TraitsStatement, 'occurredAtMs'>> = {},
): TraitsStatement {
  return {
    occurredAtMs: T0 + hours * HOUR_MS,
    country: null,
    region: null,
    acquisitionSource: null,
    customerType: null,
    plan: null,
    attributes: {},
    ...stated,
  };
}

const applyAll = (statements: readonly TraitsStatement[], from = emptyTraits()) =>
  statements.reduce((traits, each) => applyTraitsStatement(traits, each), from);

describe('applyTraitsStatement', () => {
  it('sets stated traits, leaves unstated ones, and clears with the empty string', () => {
    const traits = applyAll([
      statement(0, { country: 'DE', plan: 'free', attributes: { industry: 'retail' } }),
      statement(5, { plan: 'pro' }),
      statement(6, { country: '', attributes: { industry: '' } }),
    ]);
    expect(traitsView(traits)).toEqual({
      country: null,
      region: null,
      acquisitionSource: null,
      acquisitionSourceFrom: null,
      customerType: null,
      plan: 'pro',
      attributes: {},
    });
    // The clear is remembered: an older value arriving afterwards does not come back.
    const late = applyTraitsStatement(traits, statement(1, { country: 'FR' }));
    expect(late).toBe(traits);
  });

  it('keeps the value stated at the latest event time, not the last to arrive', () => {
    const traits = applyAll([statement(9, { plan: 'pro' }), statement(3, { plan: 'free' })]);
    expect(traits.plan).toEqual({ value: 'pro', asOfMs: T0 + 9 * HOUR_MS });
  });

  it('breaks a tie at the same instant by the greater value, so arrival order does not matter', () => {
    const a = applyAll([statement(1, { plan: 'basic' }), statement(1, { plan: 'pro' })]);
    const b = applyAll([statement(1, { plan: 'pro' }), statement(1, { plan: 'basic' })]);
    expect(a).toEqual(b);
    expect(a.plan?.value).toBe('pro');
  });

  it('returns the same object for a repeated or older statement (nothing to write)', () => {
    const traits = applyAll([statement(4, { country: 'DE', attributes: { seats: '3' } })]);
    expect(applyTraitsStatement(traits, statement(4, { country: 'DE' }))).toBe(traits);
    expect(applyTraitsStatement(traits, statement(2, { attributes: { seats: '9' } }))).toBe(traits);
  });

  it('keeps the newest 16 custom attributes, ascending by name', () => {
    const statements = Array.from({ length: 20 }, (_, n) =>
      statement(n, { attributes: { [`a${String(n).padStart(2, '0')}`]: 'x' } }),
    );
    const traits = applyAll(statements);
    expect(traits.attributes.map((attribute) => attribute.name)).toEqual(
      Array.from({ length: 16 }, (_, n) => `a${String(n + 4).padStart(2, '0')}`),
    );
    // An old attribute cannot push a newer one out; a newer statement of a dropped one can.
    expect(applyTraitsStatement(traits, statement(1, { attributes: { zz: 'x' } }))).toBe(traits);
    const back = applyTraitsStatement(traits, statement(30, { attributes: { a00: 'y' } }));
    expect(back.attributes.map((attribute) => attribute.name)).toContain('a00');
    expect(back.attributes.map((attribute) => attribute.name)).not.toContain('a04');
  });
});

describe('acquisitionSource and the first visit', () => {
  it("falls back to the earliest visit's source, and a statement wins over it", () => {
    let traits = observeVisitSource(emptyTraits(), T0 + 5 * HOUR_MS, 'ios');
    traits = observeVisitSource(traits, T0 + 2 * HOUR_MS, 'web');
    traits = observeVisitSource(traits, T0 + 9 * HOUR_MS, 'email');
    traits = observeVisitSource(traits, T0 + HOUR_MS, null);
    expect(traitsView(traits)).toMatchObject({
      acquisitionSource: 'web',
      acquisitionSourceFrom: 'first-visit',
    });
    const stated = applyTraitsStatement(traits, statement(0, { acquisitionSource: 'partner-x' }));
    expect(traitsView(stated)).toMatchObject({
      acquisitionSource: 'partner-x',
      acquisitionSourceFrom: 'traits',
    });
    // A stated clear means "unknown", not "use the visit's".
    const cleared = applyTraitsStatement(stated, statement(1, { acquisitionSource: '' }));
    expect(traitsView(cleared)).toMatchObject({
      acquisitionSource: null,
      acquisitionSourceFrom: null,
    });
  });
});

// Few instants and few values: ties and repeats are the common case.
const valueOf = fc.constantFrom('', 'a', 'b', 'c');
const nameOf = fc.constantFrom(...Array.from({ length: 20 }, (_, n) => `k${n}`));
const arbitraryStatement = fc.record({
  occurredAtMs: fc.integer({ min: 0, max: 6 }).map((hours) => T0 + hours * HOUR_MS),
  country: fc.option(fc.constantFrom('', 'DE', 'FR'), { nil: null }),
  region: fc.option(valueOf, { nil: null }),
  acquisitionSource: fc.option(valueOf, { nil: null }),
  customerType: fc.option(valueOf, { nil: null }),
  plan: fc.option(valueOf, { nil: null }),
  attributes: fc.dictionary(nameOf, valueOf, { maxKeys: 6, noNullPrototype: true }),
});
const arbitraryVisit = fc.record({
  occurredAtMs: fc.integer({ min: 0, max: 6 }).map((hours) => T0 + hours * HOUR_MS),
  source: fc.option(fc.constantFrom('web', 'ios', ''), { nil: null }),
});

function withVisits(
  traits: CustomerTraits,
  visits: readonly { occurredAtMs: number; source: string | null }[],
) {
  return visits.reduce(
    (merged, visit) => observeVisitSource(merged, visit.occurredAtMs, visit.source),
    traits,
  );
}

describe('properties', () => {
  it('any order, with repeats, gives the same traits', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryStatement, { maxLength: 25 }),
        fc.array(arbitraryVisit, { maxLength: 6 }),
        fc.infiniteStream(fc.nat()),
        (statements, visits, randomness) => {
          const shuffled = [...statements, ...statements.slice(0, 5)]
            .map((each) => ({ each, key: randomness.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ each }) => each);
          const inOrder = withVisits(applyAll(statements), visits);
          const otherOrder = withVisits(applyAll(shuffled), [...visits].reverse());
          expect(otherOrder).toEqual(inOrder);
          expect(inOrder.attributes.length).toBeLessThanOrEqual(MAX_TRAIT_ATTRIBUTES_KEPT);
          const names = inOrder.attributes.map((attribute) => attribute.name);
          expect(names).toEqual([...names].sort());
        },
      ),
      { numRuns: 400 },
    );
  });

  it('merging two halves equals applying everything to one', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryStatement, { maxLength: 20 }),
        fc.array(arbitraryStatement, { maxLength: 20 }),
        (first, second) => {
          expect(mergeTraits(applyAll(first), applyAll(second))).toEqual(
            applyAll([...first, ...second]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the codec gives back exactly the traits, with or without a string pool', () => {
    const pool = new TraitStringPool();
    fc.assert(
      fc.property(
        fc.array(arbitraryStatement, { maxLength: 25 }),
        fc.array(arbitraryVisit, { maxLength: 4 }),
        (statements, visits) => {
          const traits = withVisits(applyAll(statements), visits);
          const bytes = encodeTraits(traits);
          expect(decodeTraits(bytes)).toEqual(traits);
          expect(decodeTraits(bytes, pool)).toEqual(traits);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the codec', () => {
  const typical = withVisits(
    applyAll([
      statement(0, { country: 'DE', region: 'DE-BY', customerType: 'business' }),
      statement(30, { plan: 'pro', attributes: { industry: 'retail', seats: '12' } }),
      statement(24 * 40, { acquisitionSource: 'web' }),
    ]),
    [{ occurredAtMs: T0 - HOUR_MS, source: 'web' }],
  );

  it('keeps a typical customer small (measured)', () => {
    const bytes = encodeTraits(typical);
    // Country, region, type, plan, a source stated and seen on the first visit, two attributes.
    expect(bytes.length).toBeLessThanOrEqual(120);
    expect(encodeTraits(emptyTraits()).length).toBe(5);
  });

  it('is bounded for the largest traits the contract allows', () => {
    const longest = '😀'.repeat(128); // 128 code points, 512 bytes of UTF-8
    const statements = Array.from({ length: MAX_TRAIT_ATTRIBUTES_KEPT }, (_, n) =>
      statement(n, {
        attributes: { [`${'n'.repeat(29)}${String(n).padStart(3, '0')}`]: `${n}${longest}` },
      }),
    );
    const traits = observeVisitSource(
      applyAll(
        statements,
        applyAll([
          statement(99, {
            country: 'DE',
            region: `r${longest}`,
            acquisitionSource: `s${longest}`,
            customerType: `t${longest}`,
            plan: `p${longest}`,
          }),
        ]),
      ),
      T0,
      `v${'😀'.repeat(127)}`,
    );
    const size = encodeTraits(traits).length;
    // 21 values of at most 513 bytes, 16 names of 32, lengths, indices and instants.
    expect(size).toBeLessThanOrEqual(21 * 515 + 16 * 33 + 37 * 8 + 16);
    expect(decodeTraits(encodeTraits(traits))).toEqual(traits);
  });

  it('shares one string object per value through a pool, and stops adding at its capacity', () => {
    const pool = new TraitStringPool(3);
    const first = decodeTraits(encodeTraits(typical), pool);
    const second = decodeTraits(encodeTraits(typical), pool);
    expect(second).toEqual(first);
    expect(pool.size).toBe(3);
    // Interned strings are the same objects; the rest are equal copies.
    expect(second.country!.value).toBe(first.country!.value);
  });

  it.each([
    ['an empty record', new Uint8Array([])],
    ['a truncated string', Uint8Array.from([1, 0, 1, 5, 0x61])],
    ['trailing bytes', Uint8Array.from([...encodeTraits(emptyTraits()), 0])],
    ['an unknown register bit', Uint8Array.from([1, 0, 0, 0x80, 0])],
    ['a string index out of range', Uint8Array.from([1, 0, 0, 1, 3, 0, 0])],
    ['invalid UTF-8', Uint8Array.from([1, 0, 1, 1, 0xff, 1, 0, 0, 0])],
  ])('refuses %s with ProfileDecodeError', (_label, bytes) => {
    expect(() => decodeTraits(bytes)).toThrow(ProfileDecodeError);
  });

  it('refuses an unknown version as UNSUPPORTED_PROFILE_VERSION', () => {
    const bytes = encodeTraits(typical);
    bytes[0] = 9;
    expect(() => decodeTraits(bytes)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_PROFILE_VERSION' }),
    );
  });
});

describe('memos kept with a traits record', () => {
  const traits = observeVisitSource(
    applyTraitsStatement(emptyTraits(), statement(0, { country: 'DE', plan: 'pro' })),
    T0,
    'newsletter',
  );
  const first = new TraitsMemo<string>('test: first');
  const second = new TraitsMemo<number>('test: second');

  it('are found again, one value per memo, and leave a decoded record as its fields alone', () => {
    const decoded = decodeTraits(encodeTraits(traits));
    expect(decoded).toBeInstanceOf(TraitsRecord);
    const keys = Reflect.ownKeys(decoded);
    first.set(decoded, 'spelled');
    second.set(decoded, 42);
    expect(first.get(decoded)).toBe('spelled');
    expect(second.get(decoded)).toBe(42);
    expect(first.get(decodeTraits(encodeTraits(traits)))).toBeUndefined();
    // Nothing a comparison, a copy or the codec reads has changed.
    expect(Reflect.ownKeys(decoded)).toEqual(keys);
    expect(decoded).toEqual(traits);
    expect({ ...decoded }).toEqual(traits);
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(decodeTraits(encodeTraits(traits))));
    expect(encodeTraits(decoded)).toEqual(encodeTraits(traits));
    // A copy is a new record: it carries no memo of the original.
    expect(first.get({ ...decoded })).toBeUndefined();
  });

  it('are kept with plain and frozen records too, invisibly', () => {
    const plain: CustomerTraits = { ...traits };
    first.set(plain, 'plain');
    expect(first.get(plain)).toBe('plain');
    expect(Object.keys(plain)).toEqual(Object.keys(traits));
    expect(plain).toEqual(traits);
    const frozen = Object.freeze({ ...traits });
    first.set(frozen, 'frozen');
    expect(first.get(frozen)).toBe('frozen');
    expect(first.get(plain)).toBe('plain');
  });
});
