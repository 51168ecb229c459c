import type { Admin, KafkaMessage } from 'kafkajs';
import { testConsumer, uniqueName } from './infra.ts';

/** A dead letter (or any record) as read back from a topic, headers as text. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

function asRead(topic: string, partition: number, message: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {}))
    headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
  };
}

/**
 * Collects every record of the topics from the beginning, as they arrive, into the returned
 * array (the consumer stops after the test file). Poll it with waitFor.
 */
export async function collectRecords(topics: string[]): Promise<ReadRecord[]> {
  const received: ReadRecord[] = [];
  const consumer = testConsumer(uniqueName('records-reader'));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      received.push(asRead(topic, partition, message));
    },
  });
  return received;
}

/** Records ever written to the topics (sum of log end offsets). */
export async function recordCount(admin: Admin, topics: string[]): Promise<number> {
  let count = 0;
  for (const topic of topics)
    for (const entry of await admin.fetchTopicOffsets(topic)) count += Number(entry.high);
  return count;
}
