import { describe, expect, it } from 'vitest';
import { checkBatchShape, validateEvent, validateTraits } from './batch.ts';

const visit = {
  type: 'visit',
  eventId: 'e1',
  customerId: 'c1',
  occurredAt: '2025-03-01T09:30:00.000Z',
};
const purchase = {
  type: 'purchase',
  eventId: 'e2',
  customerId: 'c1',
  occurredAt: '2025-03-01T09:31:00.000Z',
  orderId: 'o1',
  amountMinor: 1299,
  currency: 'EUR',
};

describe('checkBatchShape', () => {
  it.each([
    [undefined, 400, 'empty_body'],
    ['', 400, 'empty_body'],
    [[visit], 400, 'invalid_body'],
    [{ events: 'x' }, 400, 'invalid_body'],
    [{ events: [] }, 400, 'empty_batch'],
    [{ events: [visit, visit, visit] }, 413, 'batch_too_large'],
  ])('refuses %j with %i %s', (body, status, error) => {
    expect(checkBatchShape(body, 2)).toMatchObject({ ok: false, status, error });
  });

  it('reads the traits list on the traits route, and names it in its messages', () => {
    const traits = { eventId: 't1', customerId: 'c1', occurredAt: visit.occurredAt };
    expect(checkBatchShape({ traits: [traits] }, 2, 'traits')).toEqual({
      ok: true,
      events: [traits],
      writeKey: undefined,
    });
    expect(checkBatchShape({ events: [traits] }, 2, 'traits')).toMatchObject({
      ok: false,
      status: 400,
      message: 'traits must be an array',
    });
    expect(checkBatchShape({ traits: [traits, traits, traits] }, 2, 'traits')).toMatchObject({
      status: 413,
      message: expect.stringMatching(/3 records; at most 2/),
    });
  });

  it('passes a batch and the body write key through', () => {
    expect(checkBatchShape({ events: [visit], writeKey: 'k' }, 2)).toEqual({
      ok: true,
      events: [visit],
      writeKey: 'k',
    });
  });
});

describe('validateEvent', () => {
  it('accepts a visit, drops type and unknown fields, and defaults source to the key source', () => {
    expect(validateEvent({ ...visit, extra: 1 }, 'shop')).toEqual({
      ok: true,
      event: {
        type: 'visit',
        wire: { eventId: 'e1', customerId: 'c1', occurredAt: visit.occurredAt, source: 'shop' },
      },
    });
  });

  it("takes a source equal to the write key's, and rejects another one with the reason", () => {
    const same = validateEvent({ ...visit, source: 'shop' }, 'shop');
    expect(same.ok && same.event.wire).toMatchObject({ source: 'shop' });
    const other = validateEvent({ ...visit, source: 'partner' }, 'shop');
    expect(other).toEqual({
      ok: false,
      errors: [{ field: 'source', reason: expect.stringContaining('"shop"') }],
    });
    const unset = validateEvent({ ...visit, source: null }, 'shop');
    expect(unset.ok && unset.event.wire).toMatchObject({ source: 'shop' });
  });

  it('applies the id rule: control characters, U+FFFD, unpaired surrogates and 129 characters are rejected', () => {
    for (const customerId of ['c\u0000', 'c-\ufffd', 'c-\ud800', 'c'.repeat(129)]) {
      const result = validateEvent({ ...visit, customerId }, 'shop');
      expect(result.ok ? [] : result.errors.map((error) => error.field)).toEqual(['customerId']);
    }
    expect(validateEvent({ ...visit, customerId: '🦊'.repeat(128) }, 'shop').ok).toBe(true);
  });

  it('accepts a stated IANA time zone and rejects an unknown one with the field and rule', () => {
    const zoned = validateEvent({ ...visit, timeZone: 'America/Los_Angeles' }, 'shop');
    expect(zoned.ok && zoned.event.wire).toMatchObject({ timeZone: 'America/Los_Angeles' });
    const unknown = validateEvent({ ...visit, timeZone: 'GMT+25:00' }, 'shop');
    expect(unknown).toEqual({
      ok: false,
      errors: [{ field: 'timeZone', reason: expect.stringMatching(/IANA time zone/) }],
    });
  });

  it('accepts a purchase unchanged', () => {
    const { type: _type, ...wire } = purchase;
    expect(validateEvent(purchase, 'shop')).toEqual({
      ok: true,
      event: { type: 'purchase', wire },
    });
  });

  it('names every broken field with a reason and never echoes values', () => {
    const result = validateEvent(
      {
        ...purchase,
        customerId: '',
        occurredAt: '01/03/2025 secret',
        amountMinor: 1.5,
        currency: undefined,
      },
      'shop',
    );
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((error) => error.field).sort()).toEqual([
      'amountMinor',
      'currency',
      'customerId',
      'occurredAt',
    ]);
    expect(errors.find((error) => error.field === 'currency')?.reason).toMatch(/is required/);
    expect(JSON.stringify(errors)).not.toContain('secret');
  });

  it.each([
    [null, '(event)'],
    [['x'], '(event)'],
    [{ ...visit, type: undefined }, 'type'],
    [{ ...visit, type: 'click' }, 'type'],
  ])('rejects %j at %s', (raw, field) => {
    const result = validateEvent(raw, 'shop');
    expect(result.ok ? [] : result.errors.map((error) => error.field)).toEqual([field]);
  });
});

describe('validateTraits', () => {
  const traits = {
    eventId: 't1',
    customerId: 'c1',
    occurredAt: '2025-03-01T08:00:00.000Z',
    country: 'DE',
    customerType: 'business',
    acquisitionSource: 'partner-x',
    attributes: { industry: 'retail', seats: '' },
  };

  it('accepts a traits record as sent (type and unknown fields dropped; any acquisitionSource)', () => {
    expect(validateTraits({ ...traits, type: 'traits', extra: 1 })).toEqual({
      ok: true,
      event: { type: 'traits', wire: traits },
    });
  });

  it('names every broken field with a reason and never echoes values', () => {
    const result = validateTraits({
      ...traits,
      customerId: '',
      country: 'Germany',
      plan: 'secret\u0000plan',
      attributes: { 'secret key': 'x', seats: 3 },
    });
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((error) => error.field).sort()).toEqual([
      'attributes.seats',
      'attributes.secret key',
      'country',
      'customerId',
      'plan',
    ]);
    expect(errors.find((error) => error.field === 'country')?.reason).toMatch(/ISO 3166-1/);
    expect(JSON.stringify(errors.map((error) => error.reason))).not.toMatch(/secret|Germany/);
  });

  it('rejects an attribute named __proto__ (as JSON.parse gives it: an own property)', () => {
    const raw: unknown = JSON.parse('{"attributes":{"__proto__":"x","seats":"3"}}');
    const result = validateTraits({ ...traits, ...(raw as object) });
    expect(result.ok ? [] : result.errors.map((error) => error.field)).toEqual([
      'attributes.__proto__',
    ]);
  });

  it('rejects more than 16 custom attributes, and a non-object', () => {
    const attributes = Object.fromEntries(Array.from({ length: 17 }, (_, n) => [`a${n}`, 'x']));
    const result = validateTraits({ ...traits, attributes });
    expect(result.ok ? [] : result.errors).toEqual([
      { field: 'attributes', reason: 'must have at most 16 entries' },
    ]);
    expect(validateTraits(['x'])).toEqual({
      ok: false,
      errors: [{ field: '(event)', reason: 'must be a JSON object' }],
    });
  });
});
