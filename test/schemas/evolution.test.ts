/*
 * Schema evolution on the wire, through the running profiler (in-process) on the real broker,
 * Redis and registry. Guards the contracts' evolution rules:
 *  - a new tracker producing a v2 visit (one new optional field), Confluent-framed by
 *    @kafkajs/confluent-schema-registry, an old tracker still on v1 Avro, and a tracker sending
 *    plain JSON share one topic; the profiler reads all three without configuration and every
 *    visit is counted in the customer's profile;
 *  - a message whose schema id the registry does not know, whose Avro bytes do not decode, or
 *    whose writer schema is not a visit, is copied unchanged to the profiler's DLQ topic with
 *    pulse-error-kind unknown-schema / avro-decode and where it came from; the good events
 *    around it are applied, and the profiler keeps consuming afterwards.
 * Each test registers its schemas under its own topic's subject (TopicNameStrategy); the decoder
 * picks the reader schema by topic kind and the writer schema by the id in the frame.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import {
  currentSchema,
  DLQ_HEADERS,
  registerAll,
  valueSubject,
  type SubjectContract,
} from '@pulse/contracts';
import type { Profile } from '@pulse/core';
import type { ProfilerConfig } from '@pulse/profiler';
import { connectedAdmin, connectedProducer, testConsumer, uniqueName } from '../support/infra.ts';
import {
  committedTotal,
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
  type ProfilerTopics,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 2;
const DAY_MS = 86_400_000;

/** A v2 visit as a newer tracker team would write it: v1 plus one optional field. */
const visitV2 = {
  ...currentSchema('visit'),
  fields: [
    ...currentSchema('visit').fields,
    {
      name: 'referrer',
      type: ['null', 'string'],
      default: null,
      doc: 'Where the visitor came from; null when unknown.',
    },
  ],
};

function visitSubject(topics: ProfilerTopics): SubjectContract {
  return {
    topic: topics.visits as SubjectContract['topic'],
    subject: valueSubject(topics.visits),
    contract: 'visit',
  };
}

async function registerVisitV1(registry: SchemaRegistry, topics: ProfilerTopics): Promise<number> {
  const [entry] = await registerAll(registry, {
    compatibility: 'BACKWARD',
    subjects: [visitSubject(topics)],
  });
  return (entry as { schemaId: number }).schemaId;
}

/** Every profile of the test's namespace, by customer id. */
async function storedProfiles(config: ProfilerConfig): Promise<Map<string, Profile>> {
  const state = await readStoredState(config, PARTITIONS);
  return new Map([...state.values()].flatMap((partition) => [...partition.profiles]));
}

async function waitForCommitted(config: ProfilerConfig, messages: number): Promise<void> {
  await waitFor(
    `${messages} input messages committed`,
    async () => {
      const total = committedTotal(await readStoredState(config, PARTITIONS));
      if (total > BigInt(messages)) throw new Error(`committed ${total} > ${messages} produced`);
      return total === BigInt(messages) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** Every message of a topic from the start, once its end offsets reach `expected` in total. */
async function readWholeTopic(topic: string, expected: number): Promise<KafkaMessage[]> {
  const admin = await connectedAdmin();
  await waitFor(`${expected} messages on ${topic}`, async () => {
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, offset) => sum + Number(offset.high), 0);
    return total >= expected ? true : undefined;
  });
  const received: KafkaMessage[] = [];
  const consumer = testConsumer(uniqueName('dlq-reader'));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push(message);
    },
  });
  await waitFor(`reading ${expected} messages of ${topic}`, () =>
    received.length >= expected ? true : undefined,
  );
  await consumer.stop();
  return received;
}

function header(message: KafkaMessage, name: string): string | undefined {
  return message.headers?.[name]?.toString();
}

describe('schema evolution through the running profiler', () => {
  const registry = new SchemaRegistry({ host: inject('schemaRegistryUrl') });

  it('counts v2 Avro, v1 Avro and JSON visits mixed on one topic in the profiles', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const v1Id = await registerVisitV1(registry, topics);
    const { id: v2Id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(visitV2) },
      { subject: valueSubject(topics.visits) },
    );
    expect(v2Id).not.toBe(v1Id);

    const config = testProfilerConfig(topics);
    const profiler = await startTestProfiler(config);

    const customers = ['a', 'b', 'c'].map((name) => uniqueName(`evolution-${name}`));
    const days = 12;
    const startMs = Date.now() - 40 * DAY_MS;
    const messages: { key: string; value: Buffer }[] = [];
    const encodings = { v2: 0, v1: 0, json: 0 };
    for (let day = 0; day < days; day += 1) {
      for (const [index, customerId] of customers.entries()) {
        const visit = {
          eventId: uniqueName(`visit-${day}`),
          customerId,
          occurredAt: new Date(startMs + day * DAY_MS + index * 60_000).toISOString(),
          sessionId: null,
          page: `/day/${day}`,
          source: 'web',
        };
        // Rotate the writers so every customer gets events of all three.
        const encoding = (['v2', 'json', 'v1'] as const)[(day + index) % 3]!;
        encodings[encoding] += 1;
        const value =
          encoding === 'json'
            ? Buffer.from(JSON.stringify(visit))
            : encoding === 'v2'
              ? await registry.encode(v2Id, { ...visit, referrer: `newsletter-${day}` })
              : await registry.encode(v1Id, visit);
        messages.push({ key: customerId, value });
      }
    }
    // The three writers really are on the wire: Confluent frames with both ids, and JSON.
    const framedIds = messages
      .filter((message) => message.value[0] === 0)
      .map((message) => message.value.readInt32BE(1));
    expect(new Set(framedIds)).toStrictEqual(new Set([v1Id, v2Id]));
    expect(messages.filter((message) => message.value[0] === 0x7b)).toHaveLength(encodings.json);
    expect(encodings.v2).toBeGreaterThan(0);

    const producer = await connectedProducer();
    await producer.send({ topic: topics.visits, acks: -1, messages });

    await waitForCommitted(config, messages.length);
    const profiles = await storedProfiles(config);
    for (const customerId of customers) {
      const profile = profiles.get(customerId);
      expect(profile, customerId).toBeDefined();
      expect(profile?.lifetimeVisits, customerId).toBe(days);
      expect(profile?.lifetimeActiveDays, customerId).toBe(days);
    }
    // Nothing was rejected on the way.
    const admin = await connectedAdmin();
    const dlqOffsets = await admin.fetchTopicOffsets(topics.deadLetter);
    expect(dlqOffsets.map((offset) => offset.high)).toStrictEqual(['0']);
    expect(profiler.isReady()).toBe(true);
  });

  it('dead-letters unknown schema ids and undecodable Avro, and goes on applying good events', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const v1Id = await registerVisitV1(registry, topics);
    // A purchase schema, registered under a subject of its own: a tracker pointed at the wrong
    // topic. Its id is known to the registry, but a Purchase cannot be read as a Visit.
    const { id: purchaseId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(currentSchema('purchase')) },
      { subject: valueSubject(topics.purchases) },
    );

    const config = testProfilerConfig(topics);
    const profiler = await startTestProfiler(config);

    const customerId = uniqueName('dlq-customer');
    const startMs = Date.now() - 10 * DAY_MS;
    const visit = (day: number) => ({
      eventId: uniqueName(`visit-${day}`),
      customerId,
      occurredAt: new Date(startMs + day * DAY_MS).toISOString(),
      sessionId: null,
      page: null,
      source: null,
    });
    const goodAvro = await registry.encode(v1Id, visit(1));
    const unknownId = Buffer.from(goodAvro);
    unknownId.writeInt32BE(2_000_000_000, 1);
    const truncated = goodAvro.subarray(0, goodAvro.length - 8);
    const wrongRecord = await registry.encode(purchaseId, {
      eventId: uniqueName('purchase'),
      customerId,
      occurredAt: new Date(startMs).toISOString(),
      orderId: 'order-1',
      amountMinor: 1999,
      currency: 'EUR',
    });

    const sequence: { value: Buffer; expectedKind?: string }[] = [
      { value: Buffer.from(JSON.stringify(visit(0))) },
      { value: unknownId, expectedKind: 'unknown-schema' },
      { value: goodAvro },
      { value: truncated, expectedKind: 'avro-decode' },
      { value: wrongRecord, expectedKind: 'unknown-schema' },
      { value: Buffer.from(JSON.stringify(visit(2))) },
      { value: await registry.encode(v1Id, visit(3)) },
    ];
    const producer = await connectedProducer();
    // One customer, so one partition: the offsets below are that partition's.
    await producer.send({
      topic: topics.visits,
      acks: -1,
      messages: sequence.map(({ value }) => ({ key: customerId, value })),
    });

    await waitForCommitted(config, sequence.length);
    const good = sequence.filter((entry) => entry.expectedKind === undefined).length;
    expect((await storedProfiles(config)).get(customerId)?.lifetimeVisits).toBe(good);

    const bad = sequence.flatMap((entry, offset) =>
      entry.expectedKind === undefined ? [] : [{ ...entry, offset }],
    );
    const deadLetters = await readWholeTopic(topics.deadLetter, bad.length);
    expect(deadLetters).toHaveLength(bad.length);
    const byOffset = new Map(
      deadLetters.map((message) => [Number(header(message, DLQ_HEADERS.sourceOffset)), message]),
    );
    for (const expected of bad) {
      const message = byOffset.get(expected.offset);
      expect(message, `dead letter of offset ${expected.offset}`).toBeDefined();
      expect(header(message!, DLQ_HEADERS.errorKind)).toBe(expected.expectedKind);
      expect(header(message!, DLQ_HEADERS.sourceTopic)).toBe(topics.visits);
      expect(header(message!, DLQ_HEADERS.errorMessage)).toMatch(/schema id|Avro|header/);
      // Copied unchanged, key included, so the tracker team can replay it once fixed.
      expect(message!.value?.equals(expected.value)).toBe(true);
      expect(message!.key?.toString()).toBe(customerId);
    }

    // Still consuming after the bad input: a later event is applied too.
    await producer.send({
      topic: topics.visits,
      acks: -1,
      messages: [{ key: customerId, value: await registry.encode(v1Id, visit(4)) }],
    });
    await waitForCommitted(config, sequence.length + 1);
    expect((await storedProfiles(config)).get(customerId)?.lifetimeVisits).toBe(good + 1);
    expect(profiler.isReady()).toBe(true);
  });
});
