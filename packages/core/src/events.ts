// Domain events as the core sees them: validated at the edge (contracts), times in ms since the
// epoch, UTC. Money is an integer in minor units plus its ISO 4217 currency; never a float.

export interface VisitEvent {
  kind: 'visit';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
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
