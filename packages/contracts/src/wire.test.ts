import { describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, MAX_EVIDENCE_ENTRIES } from './limits.ts';
import { samplePurchase, sampleSignal, sampleVisit } from './test-fixtures.ts';
import { purchaseWireSchema, signalWireSchema, visitWireSchema } from './wire.ts';

describe('visitWireSchema', () => {
  it('accepts a full visit and a minimal one, optional fields absent or null', () => {
    expect(visitWireSchema.safeParse(sampleVisit()).success).toBe(true);
    const { eventId, customerId, occurredAt } = sampleVisit();
    expect(visitWireSchema.safeParse({ eventId, customerId, occurredAt }).success).toBe(true);
    expect(
      visitWireSchema.safeParse({ ...sampleVisit(), sessionId: null, page: null, source: null })
        .success,
    ).toBe(true);
  });

  it('drops unknown fields, as Avro schema resolution would', () => {
    const parsed = visitWireSchema.parse({ ...sampleVisit(), referrer: 'newer-tracker' });
    expect(parsed).not.toHaveProperty('referrer');
  });

  it.each([
    ['empty eventId', { eventId: '' }],
    ['too long customerId', { customerId: 'c'.repeat(MAX_ID_LENGTH + 1) }],
    ['numeric customerId', { customerId: 42 }],
    ['customerId with a control character', { customerId: 'c\u0007-1' }],
    ['customerId with U+FFFD', { customerId: 'c-\ufffd' }],
    ['sessionId with an unpaired surrogate', { sessionId: 's-\udfff' }],
    ['local time', { occurredAt: '2025-03-01T09:30:00' }],
    ['non-string page', { page: 3 }],
  ])('rejects %s', (_label, override) => {
    expect(visitWireSchema.safeParse({ ...sampleVisit(), ...override }).success).toBe(false);
  });
});

describe('purchaseWireSchema', () => {
  it('accepts a purchase, including a zero amount', () => {
    expect(purchaseWireSchema.safeParse(samplePurchase()).success).toBe(true);
    expect(purchaseWireSchema.safeParse(samplePurchase({ amountMinor: 0 })).success).toBe(true);
  });

  it.each([
    ['fractional amount', { amountMinor: 12.5 }],
    ['negative amount', { amountMinor: -1 }],
    ['unsafe amount', { amountMinor: 2 ** 53 }],
    ['amount as string', { amountMinor: '1250' }],
    ['lower-case currency', { currency: 'eur' }],
    ['currency symbol', { currency: '€' }],
    ['missing orderId', { orderId: undefined }],
  ])('rejects %s', (_label, override) => {
    expect(purchaseWireSchema.safeParse({ ...samplePurchase(), ...override }).success).toBe(false);
  });
});

describe('signalWireSchema', () => {
  it('accepts each signal kind', () => {
    for (const kind of ['lapsed', 'reactivated', 'ready_to_buy'] as const) {
      expect(signalWireSchema.safeParse(sampleSignal({ kind })).success).toBe(true);
    }
  });

  it.each([
    ['unknown kind', { kind: 'churned' }],
    ['NaN evidence', { evidence: { x: Number.NaN } }],
    ['object evidence', { evidence: { x: { nested: 1 } } }],
    [
      'too much evidence',
      {
        evidence: Object.fromEntries(
          Array.from({ length: MAX_EVIDENCE_ENTRIES + 1 }, (_, index) => [`k${index}`, index]),
        ),
      },
    ],
    ['empty rulesVersion', { rulesVersion: '' }],
    ['emittedAt with offset', { emittedAt: '2025-03-15T01:00:00+01:00' }],
  ])('rejects %s', (_label, override) => {
    expect(signalWireSchema.safeParse({ ...sampleSignal(), ...override }).success).toBe(false);
  });
});
