/*
 * The idempotent producer Pulse sends with (collector batches, the relay's signals and dead
 * letters) after a send that failed half-way. The broker answers a produce request per
 * partition: it can append one partition's batch and refuse another's (here: over
 * message.max.bytes). kafkajs then reports the whole send as failed and rolls back its sequence
 * numbers for every partition of it, also for the partition the broker did append to. The next
 * send to that partition re-uses sequence numbers the broker already has: it is refused
 * (OUT_OF_ORDER_SEQUENCE_NUMBER) or, worse, taken as a duplicate and silently dropped, for as
 * long as the producer lives. That once made a collector answer 503 to every batch for one
 * partition until it was restarted.
 */
import { describe, expect, it } from 'vitest';
import { partitionForKey, ReliableProducer } from '@pulse/stream';
import { connectedAdmin, createTestTopics, onCleanup, testKafka } from '../support/infra.ts';

describe('ReliableProducer after a partly refused send', () => {
  it('keeps every partition usable, and what it reports written is on the log', async () => {
    const PARTITIONS = 2;
    const [topic] = (await createTestTopics([
      { prefix: 'half-refused', partitions: PARTITIONS },
    ])) as [string];
    const keyOn = (partition: number): string => {
      for (let n = 0; ; n += 1)
        if (partitionForKey(`key-${n}`, PARTITIONS) === partition) return `key-${n}`;
    };
    const admin = await connectedAdmin();
    const logEnd = async (partition: number) =>
      Number(
        (await admin.fetchTopicOffsets(topic)).find((entry) => entry.partition === partition)?.high,
      );
    const producer = new ReliableProducer(testKafka());
    await producer.connect();
    onCleanup(() => producer.disconnect());

    // Two small records for partition 1 (appended) and one over 1 MB for partition 0 (refused).
    await expect(
      producer.send([
        { topic, key: keyOn(1), value: 'small-1' },
        { topic, key: keyOn(1), value: 'small-2' },
        { topic, key: keyOn(0), value: 'x'.repeat(1_200_000) },
      ]),
    ).rejects.toThrow();
    const afterFailure = await logEnd(1);
    expect(afterFailure).toBe(2);

    // Every partition takes records again, and each reported send is really on the log.
    for (let round = 0; round < 3; round += 1) {
      for (let partition = 0; partition < PARTITIONS; partition += 1) {
        const before = await logEnd(partition);
        await producer.send([{ topic, key: keyOn(partition), value: `after-${round}` }]);
        expect(await logEnd(partition), `partition ${partition}, round ${round}`).toBe(before + 1);
      }
    }
  });
});
