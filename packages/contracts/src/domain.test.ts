import { describe, expect, it } from 'vitest';
import { domainToWire, toDomainEvent } from './domain.ts';
import { samplePurchase, sampleVisit } from './test-fixtures.ts';
import { purchaseWireSchema, visitWireSchema } from './wire.ts';

describe('toDomainEvent', () => {
  it('maps a visit to exactly the domain fields', () => {
    const event = toDomainEvent(visitWireSchema.parse(sampleVisit()));
    expect(event).toStrictEqual({
      kind: 'visit',
      eventId: 'evt-visit-1',
      customerId: 'customer-42',
      occurredAtMs: Date.UTC(2025, 2, 1, 9, 30),
      source: 'web',
    });
    // No source, or an empty one: no field.
    const bare = toDomainEvent(visitWireSchema.parse({ ...sampleVisit(), source: '' }));
    expect(bare).not.toHaveProperty('source');
  });

  it('maps a purchase to exactly the domain fields', () => {
    const event = toDomainEvent(purchaseWireSchema.parse(samplePurchase()));
    expect(event).toStrictEqual({
      kind: 'purchase',
      eventId: 'evt-purchase-1',
      customerId: 'customer-42',
      occurredAtMs: Date.UTC(2025, 2, 1, 10),
      orderId: 'order-9001',
      amountMinor: 12_550,
      currency: 'EUR',
    });
  });

  it('treats a visit that arrived with a stray orderId as a visit once validated', () => {
    const wire = visitWireSchema.parse({ ...sampleVisit(), orderId: 'x' });
    expect(toDomainEvent(wire).kind).toBe('visit');
  });
});

describe('domainToWire', () => {
  it('gives back wire events that validate and map to the same domain events', () => {
    for (const wire of [sampleVisit(), samplePurchase()]) {
      const event = toDomainEvent(
        'orderId' in wire ? purchaseWireSchema.parse(wire) : visitWireSchema.parse(wire),
      );
      const back = domainToWire(event);
      const schema = event.kind === 'visit' ? visitWireSchema : purchaseWireSchema;
      expect(toDomainEvent(schema.parse(back))).toStrictEqual(event);
    }
  });
});
