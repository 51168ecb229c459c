// The hot path's hand-written check and the zod wire schemas must agree: whatever the fast
// check accepts, zod accepts, and both give the same event. Records are generated near every
// rule's edges (empty and over-long ids, control and replacement characters, lone surrogates,
// malformed and impossible timestamps, fractional and negative amounts, lower-case currencies,
// wrong types, extra fields) — a drift between the two fails here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { purchaseToDomain, traitsToDomain, visitToDomain } from './domain.ts';
import { fastPurchase, fastTraits, fastVisit } from './fast-validation.ts';
import { MAX_ID_LENGTH, MAX_PAGE_LENGTH, MAX_TRAIT_ATTRIBUTES } from './limits.ts';
import { parseTraitsWire, purchaseWireSchema, visitWireSchema } from './wire.ts';

const idLike = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom(
    '',
    'c-1',
    'a'.repeat(MAX_ID_LENGTH),
    'a'.repeat(MAX_ID_LENGTH + 1),
    '😀'.repeat(MAX_ID_LENGTH),
    '😀'.repeat(MAX_ID_LENGTH + 1),
    'bad\u0007id',
    'bad\u0085id',
    'bad\ufffdid',
    'lone\ud800',
    'lone\udc00x',
  ),
  fc.integer(),
  fc.constant(null),
);
const timestampLike = fc.oneof(
  fc
    .date({ min: new Date(0), max: new Date(4_000_000_000_000), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc.constantFrom(
    '2025-03-01T09:30:00Z',
    '2025-03-01T09:30:00.123456789Z',
    '2024-02-30T10:00:00Z',
    '2025-03-01T24:00:00Z',
    '2025-03-01T09:30:00+01:00',
    '2025-03-01 09:30:00Z',
    '',
  ),
  fc.integer(),
);
const timeZoneLike = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom(
    'Europe/Berlin',
    'America/Los_Angeles',
    'Asia/Kathmandu',
    'Pacific/Auckland',
    'UTC',
    'Etc/GMT+5',
    'europe/berlin',
    'Mars/Olympus_Mons',
    '+05:45',
    'UTC+1',
    'Europe/Berlin ',
    '',
    `Europe/${'x'.repeat(64)}`,
  ),
  fc.string({ maxLength: 8 }),
  fc.integer(),
);
const optionalLike = fc.oneof(fc.constant(undefined), fc.constant(null), idLike);
const pageLike = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('/'.repeat(MAX_PAGE_LENGTH), '/'.repeat(MAX_PAGE_LENGTH + 1)),
  fc.integer(),
);
const amountLike = fc.oneof(
  fc.integer({ min: -5, max: 1_000_000 }),
  fc.constantFrom(0.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity),
  fc.constant('100'),
);
const currencyLike = fc.oneof(
  fc.constantFrom('EUR', 'USD', 'eur', 'EURO', 'EU', ''),
  fc.string({ maxLength: 4 }),
);
const countryLike = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom('DE', 'US', '', 'de', 'DEU', 'D', 'D1', 'ÄÖ'),
  fc.string({ maxLength: 3 }),
  fc.integer(),
);
const traitLike = fc.oneof(optionalLike, fc.constantFrom('', 'consumer', 'business'));
const attributeNameLike = fc.oneof(
  fc.constantFrom('industry', 'seats', 'a', 'A.b-c_1', 'x'.repeat(32), 'x'.repeat(33)),
  fc.constantFrom('1st', '_x', 'has space', '__proto__', 'constructor', 'toString', 'ü', ''),
  fc.constant('__proto__'),
  fc.string({ maxLength: 6 }),
);
const attributeValueLike = fc.oneof(
  fc.constantFrom('', 'retail', 'a'.repeat(MAX_ID_LENGTH), 'a'.repeat(MAX_ID_LENGTH + 1)),
  fc.constantFrom('bad\u0007value', 'lone\ud800'),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.constant(null),
);
const attributesLike = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.dictionary(attributeNameLike, attributeValueLike, { maxKeys: 4, noNullPrototype: true }),
  fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.constantFrom('', 'v'), {
    minKeys: MAX_TRAIT_ATTRIBUTES - 1,
    maxKeys: MAX_TRAIT_ATTRIBUTES + 2,
    noNullPrototype: true,
  }),
  fc.constantFrom([], ['a'], 'industry=retail', 7),
);
const extra = fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 2 });

const visitLike = fc
  .record(
    {
      eventId: idLike,
      customerId: idLike,
      occurredAt: timestampLike,
      sessionId: optionalLike,
      page: pageLike,
      source: optionalLike,
      timeZone: timeZoneLike,
    },
    { requiredKeys: [] },
  )
  .chain((fields) => extra.map((more) => ({ ...more, ...fields })));

const purchaseLike = fc
  .record(
    {
      eventId: idLike,
      customerId: idLike,
      occurredAt: timestampLike,
      orderId: idLike,
      amountMinor: amountLike,
      currency: currencyLike,
      timeZone: timeZoneLike,
    },
    { requiredKeys: [] },
  )
  .chain((fields) => extra.map((more) => ({ ...more, ...fields })));

const traitsLike = fc
  .record(
    {
      eventId: idLike,
      customerId: idLike,
      occurredAt: timestampLike,
      country: countryLike,
      region: traitLike,
      acquisitionSource: traitLike,
      customerType: traitLike,
      plan: traitLike,
      attributes: attributesLike,
    },
    { requiredKeys: [] },
  )
  .chain((fields) => extra.map((more) => ({ ...more, ...fields })));

/** A valid record with at most one field replaced by a generated one (near the rules' edges). */
function aroundValid<T extends Record<string, unknown>>(
  valid: T,
  fields: { [K in keyof T]: fc.Arbitrary<unknown> },
): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(fields) as (keyof T)[];
  return fc.oneof(
    fc.constant({ ...valid }),
    fc
      .tuple(fc.constantFrom(...names), fc.nat())
      .chain(([name]) => fields[name].map((value) => ({ ...valid, [name]: value }))),
  );
}

const validVisit = {
  eventId: 'e-1',
  customerId: 'c-1',
  occurredAt: '2025-03-01T09:30:00.000Z',
  page: '/shoes',
  timeZone: 'Europe/Berlin',
};
const validPurchase = {
  eventId: 'e-2',
  customerId: 'c-1',
  occurredAt: '2025-03-01T09:30:00.000Z',
  orderId: 'o-1',
  amountMinor: 1250,
  currency: 'EUR',
  timeZone: 'Asia/Kathmandu',
};

const validTraits = {
  eventId: 'e-3',
  customerId: 'c-1',
  occurredAt: '2025-03-01T09:30:00.000Z',
  country: 'DE',
  plan: 'pro',
  attributes: { industry: 'retail' },
};

describe('the fast check agrees with the wire schemas', () => {
  it('for visits', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          visitLike,
          aroundValid(validVisit, {
            eventId: idLike,
            customerId: idLike,
            occurredAt: timestampLike,
            page: pageLike,
            timeZone: timeZoneLike,
          }),
        ),
        (record) => {
          const fast = fastVisit(record);
          const zod = visitWireSchema.safeParse(record);
          if (fast !== undefined) {
            accepted += 1;
            expect(zod.success).toBe(true);
            if (zod.success) expect(fast).toEqual(visitToDomain(zod.data));
          }
          // The fast check may refuse only what zod refuses too (zod then says why).
          if (zod.success) expect(fast).toEqual(visitToDomain(zod.data));
        },
      ),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('for purchases', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          purchaseLike,
          aroundValid(validPurchase, {
            eventId: idLike,
            customerId: idLike,
            occurredAt: timestampLike,
            orderId: idLike,
            amountMinor: amountLike,
            currency: currencyLike,
            timeZone: timeZoneLike,
          }),
        ),
        (record) => {
          const fast = fastPurchase(record);
          const zod = purchaseWireSchema.safeParse(record);
          if (fast !== undefined) {
            accepted += 1;
            expect(zod.success).toBe(true);
          }
          if (zod.success) expect(fast).toEqual(purchaseToDomain(zod.data));
        },
      ),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('for traits', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          traitsLike,
          aroundValid(validTraits, {
            eventId: idLike,
            customerId: idLike,
            occurredAt: timestampLike,
            country: countryLike,
            plan: traitLike,
            attributes: attributesLike,
          }),
        ),
        (record) => {
          const fast = fastTraits(record);
          // zod with the one check it cannot make (a __proto__ attribute: wire.ts).
          const zod = parseTraitsWire(record);
          if (fast !== undefined) {
            accepted += 1;
            expect(zod.success).toBe(true);
          }
          if (zod.success) expect(fast).toEqual(traitsToDomain(zod.data));
        },
      ),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
