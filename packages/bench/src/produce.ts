import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
import type { BenchContext, TopicNames } from './context.ts';
import type { WireRecord } from './workload.ts';

/** What the producer learnt: per input partition, the event time and offset of every record. */
export interface ProducedLog {
  events: number;
  bytes: number;
  seconds: number;
}

export async function openProducer(context: BenchContext): Promise<Producer> {
  const producer = context.kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

/**
 * Pre-produces records as fast as the broker takes them (before any clock of the benchmark
 * starts): chunks of both topics in one request, a few requests in flight.
 */
export async function preproduce(
  context: BenchContext,
  topics: TopicNames,
  records: Iterable<WireRecord>,
  onProgress?: (events: number) => void,
): Promise<ProducedLog> {
  const producer = await openProducer(context);
  const startedAt = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  let visits: { key: string; value: Buffer }[] = [];
  let purchases: { key: string; value: Buffer }[] = [];
  let events = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    const topicMessages = [
      { topic: topics.visits, messages: visits },
      { topic: topics.purchases, messages: purchases },
    ].filter((batch) => batch.messages.length > 0);
    visits = [];
    purchases = [];
    if (topicMessages.length === 0) return;
    const sent = producer.sendBatch({ acks: 1, compression: CompressionTypes.None, topicMessages });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent)).catch(() => undefined);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  };
  try {
    for (const record of records) {
      (record.kind === 'visit' ? visits : purchases).push({ key: record.key, value: record.value });
      events += 1;
      bytes += record.value.length;
      if (visits.length + purchases.length >= 4_000) {
        await flush();
        onProgress?.(events);
      }
    }
    await flush();
    await Promise.all(inFlight);
    onProgress?.(events);
  } finally {
    await producer.disconnect();
  }
  return { events, bytes, seconds: (performance.now() - startedAt) / 1000 };
}
