// The domain form of input events, as packages/core consumes them. core declares structurally
// identical interfaces of its own (it must not depend on the wire); these are here so the
// mapping has a checked target. Keep the two in step: same kinds, same fields, same units.
import { parseUtcTimestampMs } from './timestamp.ts';
import type { PurchaseWire, TraitsWire, VisitWire } from './wire.ts';

export interface VisitEvent {
  kind: 'visit';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
  /** The visit's traffic source when it names one (absent: none, or empty). */
  source?: string;
}

export interface PurchaseEvent {
  kind: 'purchase';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
  orderId: string;
  amountMinor: number;
  currency: string;
}

export type DomainEvent = VisitEvent | PurchaseEvent;

/** The traits a record states: null = not stated, '' = cleared, else the value. */
export interface StatedTraits {
  country: string | null;
  region: string | null;
  acquisitionSource: string | null;
  customerType: string | null;
  plan: string | null;
  /** Custom attributes stated by the record ('' = cleared); {} when none. */
  attributes: Record<string, string>;
}

/**
 * A traits record (pulse.traits) in domain form. Not a DomainEvent: it does not make a
 * customer's rhythm, and the partition step takes it as a third input of its own.
 */
export interface TraitsEvent extends StatedTraits {
  kind: 'traits';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
}

function occurredAtMs(occurredAt: string): number {
  const epochMs = parseUtcTimestampMs(occurredAt);
  // The wire schemas only accept timestamps this parser understands; reaching here with one it
  // rejects means the value skipped validation.
  if (epochMs === undefined) throw new TypeError('occurredAt was not validated before mapping');
  return epochMs;
}

export function visitToDomain(wire: VisitWire): VisitEvent {
  const event: VisitEvent = {
    kind: 'visit',
    eventId: wire.eventId,
    customerId: wire.customerId,
    occurredAtMs: occurredAtMs(wire.occurredAt),
  };
  // The source feeds the customer's acquisitionSource (core's observeVisitSource).
  if (typeof wire.source === 'string' && wire.source !== '') event.source = wire.source;
  return event;
}

export function purchaseToDomain(wire: PurchaseWire): PurchaseEvent {
  return {
    kind: 'purchase',
    eventId: wire.eventId,
    customerId: wire.customerId,
    occurredAtMs: occurredAtMs(wire.occurredAt),
    orderId: wire.orderId,
    amountMinor: wire.amountMinor,
    currency: wire.currency,
  };
}

export function traitsToDomain(wire: TraitsWire): TraitsEvent {
  // A copy with own properties only (fromEntries defines them, whatever the names).
  const attributes: Record<string, string> = Object.fromEntries(
    Object.entries(wire.attributes ?? {}),
  );
  return {
    kind: 'traits',
    eventId: wire.eventId,
    customerId: wire.customerId,
    occurredAtMs: occurredAtMs(wire.occurredAt),
    country: wire.country ?? null,
    region: wire.region ?? null,
    acquisitionSource: wire.acquisitionSource ?? null,
    customerType: wire.customerType ?? null,
    plan: wire.plan ?? null,
    attributes,
  };
}

/**
 * Maps a validated wire visit or purchase to its domain form. A purchase is recognised by its
 * orderId (a validated visit never carries one: unknown fields are stripped by the wire schema).
 */
export function toDomainEvent(wire: VisitWire): VisitEvent;
export function toDomainEvent(wire: PurchaseWire): PurchaseEvent;
export function toDomainEvent(wire: VisitWire | PurchaseWire): DomainEvent;
export function toDomainEvent(wire: VisitWire | PurchaseWire): DomainEvent {
  return 'orderId' in wire ? purchaseToDomain(wire) : visitToDomain(wire);
}

/** The reverse mapping: the JSON wire form of a domain event, as a tracker or order system sends it. */
export function domainToWire(event: VisitEvent): VisitWire;
export function domainToWire(event: PurchaseEvent): PurchaseWire;
export function domainToWire(event: DomainEvent): VisitWire | PurchaseWire;
export function domainToWire(event: DomainEvent): VisitWire | PurchaseWire {
  const base = {
    eventId: event.eventId,
    customerId: event.customerId,
    occurredAt: new Date(event.occurredAtMs).toISOString(),
  };
  if (event.kind === 'visit')
    return event.source === undefined ? base : { ...base, source: event.source };
  return {
    ...base,
    orderId: event.orderId,
    amountMinor: event.amountMinor,
    currency: event.currency,
  };
}
