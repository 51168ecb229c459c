/*
 * Bad input never stops the pipeline and is never lost. Garbage bytes,
 * broken JSON, schema violations, missing ids, empty and oversized values, unknown Avro schema
 * ids and far-future timestamps are mixed into a stream of good events. Every good event must
 * reach its profile (oracle equality), the committed position must reach the log end (the
 * consumer never stalls behind a bad record), and every bad record must appear in the
 * dead-letter topic exactly once, with its bytes, its key and headers naming why and where
 * it came from. Dead letters leave through the partition's Redis outbox and the relay.
 */
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS, type DlqErrorKind } from '@pulse/contracts';
import type { CustomerEvent } from '@pulse/core';
import { partitionKeys } from '@pulse/store';
import { generatePopulation, mulberry32, type Random } from '@pulse/test-kit';
import { toWire } from '../support/events.ts';
import {
  connectedAdmin,
  connectedProducer,
  onCleanup,
  testConsumer,
  testRedisClient,
  uniqueName,
} from '../support/infra.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  readStoredState,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import { explained, spawnProfiler } from '../support/profiler-process.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const BAD_RECORDS = 150;
const DAY_MS = 86_400_000;

type Topic = 'visit' | 'purchase';
interface BadRecord {
  topic: Topic;
  key: string;
  value: Buffer | null;
  expectedKind: DlqErrorKind;
}

/** One bad record of each sort, by turn; `customerId` picks the partition it lands in. */
function badRecord(index: number, customerId: string, random: Random): BadRecord {
  const occurredAt = new Date(Date.UTC(2026, 0, 10)).toISOString();
  const json = (topic: Topic, body: unknown, expectedKind: DlqErrorKind): BadRecord => ({
    topic,
    key: customerId,
    value: Buffer.from(JSON.stringify(body)),
    expectedKind,
  });
  const purchase = {
    eventId: `bad-${index}`,
    customerId,
    occurredAt,
    orderId: `o-bad-${index}`,
    amountMinor: 1250,
    currency: 'EUR',
  };
  switch (index % 12) {
    case 0: {
      // Not UTF-8, not JSON, not Confluent-framed (a JSON document never starts with 0xff).
      const bytes = Buffer.alloc(8 + Math.floor(random() * 56));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(random() * 256);
      bytes[0] = 0xff;
      return { topic: 'visit', key: customerId, value: bytes, expectedKind: 'not-json' };
    }
    case 1:
      return {
        topic: 'purchase',
        key: customerId,
        value: Buffer.from(`{"eventId":"bad-${index}","customerId":`),
        expectedKind: 'not-json',
      };
    case 2:
      return json('visit', { eventId: `bad-${index}`, occurredAt }, 'missing-id');
    case 3:
      return json('purchase', { ...purchase, eventId: '' }, 'missing-id');
    case 4:
      return json('purchase', { ...purchase, currency: 'usd' }, 'schema-violation');
    case 5:
      return json('purchase', { ...purchase, amountMinor: 12.5 }, 'schema-violation');
    case 6:
      return json(
        'visit',
        { eventId: `bad-${index}`, customerId, occurredAt: '2026-01-10 09:30:00' },
        'invalid-timestamp',
      );
    case 7:
      // Far-future: a month ahead of the wall clock the profiler checks against.
      return json(
        'visit',
        { eventId: `bad-${index}`, customerId, occurredAt: new Date(Date.now() + 30 * DAY_MS) },
        'future-timestamp',
      );
    case 8:
      return json(
        'purchase',
        { ...purchase, occurredAt: new Date(Date.now() + 400 * DAY_MS).toISOString() },
        'future-timestamp',
      );
    case 9:
      return { topic: 'visit', key: customerId, value: null, expectedKind: 'empty-payload' };
    case 10:
      return json(
        'visit',
        { eventId: `bad-${index}`, customerId, occurredAt, page: 'x'.repeat(40_000) },
        'oversized',
      );
    default:
      // Confluent framing with a schema id the registry does not know.
      return {
        topic: 'purchase',
        key: customerId,
        value: Buffer.from([0, 0x7f, 0xff, 0xff, 0x01, 2, 4, 6]),
        expectedKind: 'unknown-schema',
      };
  }
}

interface Origin {
  record: BadRecord;
  topic: string;
  partition: number;
  offset: string;
}

describe('profiler poison pills', () => {
  it('dead-letters each bad record exactly once with its origin and applies every good one', async () => {
    const random = mulberry32(41);
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics);
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 300,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 60,
        seed: 43,
        shuffleWithinMs: 6 * 3_600_000,
      }).events(),
    ];
    const customerIds = [...new Set(events.map((event) => event.customerId))];
    const topicName = (topic: Topic) => (topic === 'visit' ? topics.visits : topics.purchases);
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    const profiler = await spawnProfiler({ config });

    // Bad records at random places of the live stream; each sent alone to learn its offset.
    const badAt = new Set<number>();
    while (badAt.size < BAD_RECORDS) badAt.add(Math.floor(random() * events.length));
    const origins: Origin[] = [];
    let pending: CustomerEvent[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const event of pending) {
        const topic = topicName(event.kind);
        const list = byTopic.get(topic) ?? [];
        list.push({ key: event.customerId, value: JSON.stringify(toWire(event)) });
        byTopic.set(topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      pending = [];
    };
    for (let index = 0; index < events.length; index += 1) {
      pending.push(events[index] as CustomerEvent);
      if (!badAt.has(index)) continue;
      await flush();
      const record = badRecord(
        origins.length,
        customerIds[Math.floor(random() * customerIds.length)] as string,
        random,
      );
      const [metadata] = await producer.send({
        topic: topicName(record.topic),
        acks: -1,
        messages: [{ key: record.key, value: record.value }],
      });
      origins.push({
        record,
        topic: topicName(record.topic),
        partition: metadata?.partition as number,
        offset: metadata?.baseOffset as string,
      });
    }
    await flush();

    const deadLetters: KafkaMessage[] = [];
    const consumer = testConsumer(uniqueName('dlq-reader'));
    await consumer.connect();
    await consumer.subscribe({ topic: topics.deadLetter, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        deadLetters.push(message);
      },
    });

    const failFast = profiler.failIfExited;
    await explained(
      () => [profiler],
      waitForDrained(admin, config, PARTITIONS, { timeoutMs: 60_000, failFast }),
    );
    await explained(
      () => [profiler],
      waitFor(
        `${origins.length} dead letters`,
        () => (deadLetters.length >= origins.length ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 100, failFast },
      ),
    );

    // Exactly once: every outbox drained, and the topic holds no more than one per bad record.
    const redis = testRedisClient();
    onCleanup(async () => redis.disconnect());
    await waitFor(
      'every outbox to drain',
      async () => {
        for (let partition = 0; partition < PARTITIONS; partition += 1) {
          const keys = partitionKeys(config.namespace, partition, config.keyPrefix);
          if ((await redis.xlen(keys.outbox)) > 0) return undefined;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, failFast },
    );
    const [end] = await admin.fetchTopicOffsets(topics.deadLetter);
    expect(Number(end?.high)).toBe(origins.length);
    expect(deadLetters).toHaveLength(origins.length);

    const header = (message: KafkaMessage, name: string): string | undefined =>
      message.headers?.[name]?.toString();
    const byOrigin = new Map<string, KafkaMessage>();
    for (const message of deadLetters) {
      const origin = `${header(message, DLQ_HEADERS.sourceTopic)}/${header(message, DLQ_HEADERS.sourcePartition)}/${header(message, DLQ_HEADERS.sourceOffset)}`;
      expect(byOrigin.has(origin), `${origin} dead-lettered twice`).toBe(false);
      byOrigin.set(origin, message);
    }
    for (const origin of origins) {
      const where = `${origin.topic}/${origin.partition}/${origin.offset}`;
      const message = byOrigin.get(where);
      expect(message, `no dead letter for ${where} (${origin.record.expectedKind})`).toBeDefined();
      expect(header(message!, DLQ_HEADERS.errorKind), where).toBe(origin.record.expectedKind);
      expect(header(message!, DLQ_HEADERS.errorMessage), where).toMatch(/\S/);
      expect(message!.key?.toString(), where).toBe(origin.record.key);
      expect(message!.value ?? Buffer.alloc(0), where).toEqual(
        origin.record.value ?? Buffer.alloc(0),
      );
    }
    const kinds = new Set(origins.map((origin) => origin.record.expectedKind));
    expect(kinds.size).toBe(8);

    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS));
    expect(profiler.exitStatus()).toBeUndefined();
    const deadLettered = await profiler.metric('pulse_events_dead_lettered_total');
    expect(deadLettered).toBe(origins.length);
  });
});
