// Valid sample events shared by this package's tests. Not exported from index.ts.
import type { PurchaseWire, SignalWire, TraitsWire, VisitWire } from './wire.ts';

export function sampleVisit(overrides: Partial<VisitWire> = {}): VisitWire {
  return {
    eventId: 'evt-visit-1',
    customerId: 'customer-42',
    occurredAt: '2025-03-01T09:30:00.000Z',
    sessionId: 'session-7',
    page: '/shoes/running',
    source: 'web',
    ...overrides,
  };
}

export function samplePurchase(overrides: Partial<PurchaseWire> = {}): PurchaseWire {
  return {
    eventId: 'evt-purchase-1',
    customerId: 'customer-42',
    occurredAt: '2025-03-01T10:00:00.000Z',
    orderId: 'order-9001',
    amountMinor: 12_550,
    currency: 'EUR',
    ...overrides,
  };
}

export function sampleTraits(overrides: Partial<TraitsWire> = {}): TraitsWire {
  return {
    eventId: 'evt-traits-1',
    customerId: 'customer-42',
    occurredAt: '2025-03-01T08:00:00.000Z',
    country: 'DE',
    region: 'DE-BY',
    acquisitionSource: 'web',
    customerType: 'business',
    plan: 'pro',
    attributes: { industry: 'retail', seats: '12' },
    ...overrides,
  };
}

export function sampleSignal(overrides: Partial<SignalWire> = {}): SignalWire {
  return {
    signalId: 'customer-42:lapsed:episode-3',
    kind: 'lapsed',
    customerId: 'customer-42',
    detectedAt: '2025-03-15T00:00:00.000Z',
    emittedAt: '2025-03-15T00:00:01.250Z',
    evidence: { usualLatencyDays: 1.02, daysSilent: 14, hurdleDays: 4.5, note: null, held: false },
    rulesVersion: 'rules-2025.1',
    ...overrides,
  };
}
