/*
 * kafkajs restarts its consumer after a retriable error only; after one it takes as final
 * ("failed to find group coordinator" while a broker comes back is one) it disconnects for good.
 * Pulse's partitioned consumer starts it again: the member rejoins and the batch it was in is
 * delivered again (positions live in Redis, so nothing is lost or doubled by it).
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PartitionedConsumer } from '@pulse/stream';
import { connectedProducer, createTestTopics, testKafka, uniqueName } from '../support/infra.ts';
import { waitFor } from '../support/wait.ts';

describe('the partitioned consumer', () => {
  it('joins again after a crash kafkajs would not restart from, and gets the batch again', async () => {
    const [topic] = await createTestTopics([{ prefix: 'restart', partitions: 1 }]);
    if (!topic) throw new Error('no topic');
    const producer = await connectedProducer();
    await producer.send({ topic, acks: -1, messages: [{ key: 'c1', value: 'first' }] });
    const consumer = new PartitionedConsumer(testKafka(), {
      groupId: uniqueName('restart-group'),
      topics: [topic],
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxBytesPerPartition: 1_048_576,
      partitionsConsumedConcurrently: 1,
      fromBeginning: true,
    });
    const delivered: string[] = [];
    const crashes: { message: string; willRestart: boolean }[] = [];
    await consumer.start({
      onAssignment() {},
      async onBatch(batch) {
        delivered.push(...batch.messages.map((message) => String(message.value)));
        // The first delivery fails the way a final client error does.
        if (delivered.length === 1) throw new kafkajs.KafkaJSNonRetriableError('final error');
      },
      onCrash(error, willRestart) {
        crashes.push({ message: error.message, willRestart });
      },
    });
    try {
      await waitFor('the batch delivered again after the restart', () =>
        delivered.length >= 2 ? true : undefined,
      );
      expect(delivered.slice(0, 2)).toEqual(['first', 'first']);
      expect(crashes).toEqual([{ message: 'final error', willRestart: true }]);
    } finally {
      await consumer.stop();
    }
  });
});
