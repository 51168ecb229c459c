// Sending the scenario's events the two ways Pulse takes them: straight to the input topics
// (an order system with a Kafka client) and through the collector's HTTP API (a site tracker).
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaProducer } from '@pulse/stream';
import type { CustomerEvent } from '@pulse/core';
import { domainToWire } from '@pulse/contracts';
import type { DemoNames } from './infra.ts';
import type { BadRecord, TraitsRecord } from './scenario.ts';

const KAFKA_CHUNK = 5_000;

/** Produces events (key = customerId, JSON) and bad records, acks from all replicas. */
export async function sendDirect(
  producer: KafkaProducer,
  names: DemoNames,
  events: readonly CustomerEvent[],
  badRecords: readonly BadRecord[] = [],
  traits: readonly TraitsRecord[] = [],
): Promise<void> {
  const messages = { visits: [] as Msg[], purchases: [] as Msg[], traits: [] as Msg[] };
  for (const record of traits) {
    messages.traits.push({ key: record.customerId, value: JSON.stringify(record) });
  }
  for (const event of events) {
    messages[event.kind === 'visit' ? 'visits' : 'purchases'].push({
      key: event.customerId,
      value: JSON.stringify(domainToWire(event)),
    });
  }
  for (const record of badRecords) {
    messages[record.topic].push({ key: record.key, value: record.value });
  }
  const longest = Math.max(
    messages.visits.length,
    messages.purchases.length,
    messages.traits.length,
  );
  for (let start = 0; start < longest; start += KAFKA_CHUNK) {
    const topicMessages = [
      { topic: names.visits, messages: messages.visits.slice(start, start + KAFKA_CHUNK) },
      { topic: names.purchases, messages: messages.purchases.slice(start, start + KAFKA_CHUNK) },
      { topic: names.traits, messages: messages.traits.slice(start, start + KAFKA_CHUNK) },
    ].filter((batch) => batch.messages.length > 0);
    await producer.sendBatch({ acks: -1, topicMessages });
  }
}

interface Msg {
  key: string;
  value: string;
}

export interface CollectorClient {
  /** Posts events in batches; resolves when every event was answered 202 accepted. */
  send(events: readonly CustomerEvent[], extra?: readonly Record<string, unknown>[]): Promise<void>;
  /** Events the collector rejected (with their reasons), so far. */
  readonly rejected: { eventId: string; reasons: string }[];
}

interface CollectorAnswer {
  accepted: number;
  rejected: number;
  results: {
    index: number;
    eventId?: string;
    status: 'accepted' | 'rejected';
    errors?: { field: string; reason: string }[];
  }[];
}

export function collectorClient(options: {
  url: string;
  writeKey: string;
  batchSize?: number;
  concurrency?: number;
  signal: AbortSignal;
}): CollectorClient {
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 3;
  const rejected: { eventId: string; reasons: string }[] = [];

  const post = async (events: Record<string, unknown>[]): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      options.signal.throwIfAborted();
      const response = await fetch(`${options.url}/v1/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${options.writeKey}`,
        },
        body: JSON.stringify({ events }),
        signal: options.signal,
      });
      if (response.status === 202) {
        const answer = (await response.json()) as CollectorAnswer;
        for (const result of answer.results) {
          if (result.status !== 'rejected') continue;
          rejected.push({
            eventId: result.eventId ?? `#${result.index}`,
            reasons: (result.errors ?? []).map((e) => `${e.field}: ${e.reason}`).join('; '),
          });
        }
        return;
      }
      // 429 and 503 say "again, later" (nothing of a 503 batch was accepted); resend the same
      // ids: the profiler counts an eventId once.
      if ((response.status === 429 || response.status === 503) && attempt < 20) {
        const after = Number(response.headers.get('retry-after') ?? 1);
        await response.body?.cancel();
        await sleep(Math.min(5_000, Math.max(200, after * 1000)), undefined, {
          signal: options.signal,
        });
        continue;
      }
      throw new Error(
        `the collector answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
  };

  return {
    rejected,
    async send(events, extra = []) {
      const wire: Record<string, unknown>[] = events.map((event) => ({
        type: event.kind,
        ...domainToWire(event),
      }));
      wire.push(...extra);
      const batches: Record<string, unknown>[][] = [];
      for (let start = 0; start < wire.length; start += batchSize) {
        batches.push(wire.slice(start, start + batchSize));
      }
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, batches.length) }, async () => {
          while (next < batches.length) {
            const batch = batches[next]!;
            next += 1;
            await post(batch);
          }
        }),
      );
    },
  };
}
