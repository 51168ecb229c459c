import { describe, expect, it } from 'vitest';
import {
  connectedAdmin,
  connectedProducer,
  createTestTopics,
  testConsumer,
  uniqueName,
} from '../support/infra.ts';
import { waitFor } from '../support/wait.ts';

describe('the real Kafka broker', () => {
  it('delivers produced messages to a consumer group and keeps its committed offsets', async () => {
    const [topic] = await createTestTopics([{ prefix: 'foundation', partitions: 3 }]);
    if (!topic) throw new Error('no topic');
    const producer = await connectedProducer();
    const messages = Array.from({ length: 30 }, (_, index) => ({
      key: `customer-${index % 7}`,
      value: JSON.stringify({ index }),
    }));
    await producer.send({ topic, acks: -1, messages });

    const groupId = uniqueName('foundation-group');
    const consumer = testConsumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: number[] = [];
    const partitionsByKey = new Map<string, Set<number>>();
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        seen.push((JSON.parse(String(message.value)) as { index: number }).index);
        const key = String(message.key);
        partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(partition));
      },
    });
    await waitFor('all 30 messages', () => (seen.length >= 30 ? true : undefined));
    await consumer.disconnect();

    expect([...seen].sort((a, b) => a - b)).toEqual(messages.map((_, index) => index));
    // Same key, same partition: the property Pulse's per-customer state relies on.
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);

    const admin = await connectedAdmin();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).toBe(30);
  });
});
