import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
import type { BenchContext, TopicNames } from './context.ts';
import type { WireRecord } from './workload.ts';

/** What went onto the input topics. */
export interface ProducedLog {
  events: number;
  bytes: number;
  seconds: number;
  /** Customers with at least one event in the log. */
  customers: number;
  firstEventMs: number;
  lastEventMs: number;
}

/** What a log holds, counted as its records go by (produced or not). */
class LogTally {
  events = 0;
  bytes = 0;
  firstEventMs = Number.POSITIVE_INFINITY;
  lastEventMs = Number.NEGATIVE_INFINITY;
  private readonly customers = new Set<string>();

  add(record: WireRecord): void {
    this.events += 1;
    this.bytes += record.value.length;
    this.customers.add(record.key);
    if (record.occurredAtMs < this.firstEventMs) this.firstEventMs = record.occurredAtMs;
    if (record.occurredAtMs > this.lastEventMs) this.lastEventMs = record.occurredAtMs;
  }

  summary(seconds: number): ProducedLog {
    const { events, bytes, firstEventMs, lastEventMs } = this;
    return { events, bytes, seconds, customers: this.customers.size, firstEventMs, lastEventMs };
  }
}

/** The figures of a log that is not produced (no phase of the run reads one). */
export function describeLog(records: Iterable<WireRecord>): ProducedLog {
  const tally = new LogTally();
  for (const record of records) tally.add(record);
  return tally.summary(0);
}

/**
 * The pre-producer keeps every partition in event-time order (a partition holding a later day
 * before an earlier one would turn events late and make false lapse / reactivation pairs): one
 * request in flight, the next chunk built while it travels. `acks1` sends with acks=1;
 * `idempotent` uses the idempotent producer (acks=all). kafkajs's idempotent producer does not
 * keep order with several requests in flight (measured: records out of order), so both send
 * one at a time; the package README has the measured rates of the two (the
 * idempotent one is the default: as fast here, and a retried request cannot duplicate records).
 */
export type ProduceOrdering = 'acks1' | 'idempotent';
export const DEFAULT_ORDERING: ProduceOrdering = 'idempotent';

export async function openProducer(context: BenchContext, idempotent = false): Promise<Producer> {
  const producer = context.kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    ...(idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {}),
  });
  await producer.connect();
  return producer;
}

/**
 * Pre-produces records as fast as the broker takes them (before any clock of the benchmark
 * starts), chunks of both topics in one request, in the order given on every partition.
 */
export async function preproduce(
  context: BenchContext,
  topics: TopicNames,
  records: Iterable<WireRecord>,
  onProgress?: (events: number) => void,
  ordering: ProduceOrdering = DEFAULT_ORDERING,
): Promise<ProducedLog> {
  const idempotent = ordering === 'idempotent';
  const producer = await openProducer(context, idempotent);
  const startedAt = performance.now();
  // The request on its way; the next chunk is built meanwhile and sent once it is acknowledged.
  let inFlight: Promise<unknown> = Promise.resolve();
  let visits: { key: string; value: Buffer }[] = [];
  let purchases: { key: string; value: Buffer }[] = [];
  const tally = new LogTally();
  const flush = async (): Promise<void> => {
    const topicMessages = [
      { topic: topics.visits, messages: visits },
      { topic: topics.purchases, messages: purchases },
    ].filter((batch) => batch.messages.length > 0);
    visits = [];
    purchases = [];
    if (topicMessages.length === 0) return;
    await inFlight;
    inFlight = producer.sendBatch({
      acks: idempotent ? -1 : 1,
      compression: CompressionTypes.None,
      topicMessages,
    });
    // Failures surface at the next flush; until then nothing waits on it.
    void inFlight.catch(() => undefined);
  };
  try {
    for (const record of records) {
      (record.kind === 'visit' ? visits : purchases).push({ key: record.key, value: record.value });
      tally.add(record);
      if (visits.length + purchases.length >= 4_000) {
        await flush();
        onProgress?.(tally.events);
      }
    }
    await flush();
    await inFlight;
    onProgress?.(tally.events);
  } finally {
    await producer.disconnect();
  }
  return tally.summary((performance.now() - startedAt) / 1000);
}
