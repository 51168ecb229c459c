// Domain events as the core sees them: validated at the edge (contracts), times in ms since the
// epoch, UTC. Money is an integer in minor units plus its ISO 4217 currency; never a float.
// `timeZone`, when stated, is the IANA zone of the customer's day (zone.ts); absent = not stated.

export interface VisitEvent {
  kind: 'visit';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
  /** IANA time zone the customer's day is counted in (validated at the edge); absent = not stated. */
  timeZone?: string;
}

export interface PurchaseEvent {
  kind: 'purchase';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
  orderId: string;
  amountMinor: number;
  currency: string;
  /** As on VisitEvent. */
  timeZone?: string;
}

export type CustomerEvent = VisitEvent | PurchaseEvent;

export type SignalKind = 'lapsed' | 'reactivated' | 'ready_to_buy';

export interface Signal {
  /** Deterministic: hash of (customerId, kind, episode or ready-to-buy sequence number). */
  signalId: string;
  kind: SignalKind;
  customerId: string;
  /** Event time at which the decision holds; independent of when the timer happened to run. */
  detectedAtMs: number;
  /** The numbers behind the decision. */
  evidence: Record<string, number | string | boolean | null>;
  rulesVersion: string;
}
