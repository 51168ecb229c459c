import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ReliableProducer } from './producer.ts';

// Relays of many partitions ask for a new topic's limit at once. Each once built its own admin
// client and only the last was kept: the others' sockets stayed open, and a stopping profiler
// could not exit until its shutdown timeout.
function fakeKafka() {
  const admins: { connected: boolean; disconnected: boolean }[] = [];
  const kafka = {
    producer: () => ({ connect: async () => undefined, disconnect: async () => undefined }),
    admin: () => {
      const admin = { connected: false, disconnected: false };
      admins.push(admin);
      return {
        connect: async () => {
          await new Promise((resume) => setImmediate(resume));
          admin.connected = true;
        },
        disconnect: async () => {
          admin.disconnected = true;
        },
        describeConfigs: async () => ({
          resources: [
            { configEntries: [{ configName: 'max.message.bytes', configValue: '2000000' }] },
          ],
        }),
      };
    },
  } as unknown as Kafka;
  return { kafka, admins };
}

describe('ReliableProducer.recordLimitBytes', () => {
  it('shares one admin client between concurrent callers and closes it on disconnect', async () => {
    const { kafka, admins } = fakeKafka();
    const producer = new ReliableProducer(kafka);
    const limits = await Promise.all(
      Array.from({ length: 12 }, (_, index) => producer.recordLimitBytes(`topic-${index}`)),
    );
    expect(limits).toEqual(Array.from({ length: 12 }, () => 2_000_000));
    expect(admins).toHaveLength(1);
    await producer.disconnect();
    expect(admins[0]).toEqual({ connected: true, disconnected: true });
    // Closed: nothing connects again.
    expect(await producer.recordLimitBytes('another')).toBe(1_048_588);
    expect(admins).toHaveLength(1);
  });
});
