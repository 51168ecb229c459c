import type { CustomerSegment, LatencyBand } from './segments.ts';

// Domain events as the core sees them: validated at the edge (contracts), times in ms since the
// epoch, UTC. Money is an integer in minor units plus its ISO 4217 currency; never a float.

export interface VisitEvent {
  kind: 'visit';
  eventId: string;
  customerId: string;
  occurredAtMs: number;
  /** The visit's traffic source, when it names one: feeds the first visit's source (traits). */
  source?: string | undefined;
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
  /**
   * Who the customer was when the decision was taken (their traits as the partition knew them),
   * so a subscriber can route without a lookup. Set by the partition step; absent on signals of
   * the core alone (applyEvent / advance) and on signals stored before traits existed.
   */
  traits?: SignalTraits;
  /** The customer's behavioural segment and latency band at the decision (segmentOf). */
  segment?: SignalSegment;
}

/** The traits a signal carries: traitsView's values (unknown as null). */
export interface SignalTraits {
  country: string | null;
  region: string | null;
  acquisitionSource: string | null;
  customerType: string | null;
  plan: string | null;
  attributes: Record<string, string>;
}

export interface SignalSegment {
  segment: CustomerSegment;
  latencyBand: LatencyBand | null;
}
