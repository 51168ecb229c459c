import type { CustomerEvent } from '@pulse/core';

/** The JSON wire form of a domain event (schemas/README.md), as a tracker would send it. */
export function toWire(event: CustomerEvent): Record<string, unknown> {
  const base = {
    eventId: event.eventId,
    customerId: event.customerId,
    occurredAt: new Date(event.occurredAtMs).toISOString(),
  };
  if (event.kind === 'visit') return base;
  return {
    ...base,
    orderId: event.orderId,
    amountMinor: event.amountMinor,
    currency: event.currency,
  };
}

export interface InputTopics {
  visits: string;
  purchases: string;
}

/** Kafka messages for events: key = customerId, JSON value, grouped by topic. */
export function toMessages(
  events: Iterable<CustomerEvent>,
  topics: InputTopics,
): { topic: string; messages: { key: string; value: string }[] }[] {
  const visits: { key: string; value: string }[] = [];
  const purchases: { key: string; value: string }[] = [];
  for (const event of events) {
    const message = { key: event.customerId, value: JSON.stringify(toWire(event)) };
    (event.kind === 'visit' ? visits : purchases).push(message);
  }
  return [
    { topic: topics.visits, messages: visits },
    { topic: topics.purchases, messages: purchases },
  ];
}
