import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import type { CustomerEvent } from '@pulse/core';
import { domainToWire } from '@pulse/contracts';

/** The JSON wire form of a domain event (schemas/README.md), as a tracker would send it. */
export function toWire(event: CustomerEvent): Record<string, unknown> {
  return domainToWire(event);
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

/**
 * Produces events in the order given (delivery order), a chunk at a time, both topics of a
 * chunk in one request, pausing between chunks: a live stream rather than a preloaded log.
 * Chunks must stay well inside the allowed lateness in event time, or the profiler (which
 * may see one topic's chunk before the other's) would rightly call some events late.
 */
export async function produceStream(
  producer: Producer,
  events: readonly CustomerEvent[],
  topics: InputTopics,
  options: { chunkEvents: number; pauseMs: number; onChunk?: (sent: number) => void },
): Promise<void> {
  for (let start = 0; start < events.length; start += options.chunkEvents) {
    const chunk = events.slice(start, start + options.chunkEvents);
    await producer.sendBatch({
      acks: -1,
      topicMessages: toMessages(chunk, topics).filter((batch) => batch.messages.length > 0),
    });
    options.onChunk?.(start + chunk.length);
    if (options.pauseMs > 0) await sleep(options.pauseMs);
  }
}
