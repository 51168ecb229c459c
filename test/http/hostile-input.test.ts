/*
 * Hostile ids, hostile sources and what the logs keep, at every edge of the real system:
 * records produced straight to the input topics (the profiler's decoder), batches posted to the
 * collector, and lookups on the profile API, all against the real broker and Redis.
 *
 * The invariant: one id rule (@pulse/contracts checkId) decides everywhere. An id one edge
 * refuses is refused by the others, and an id one edge accepts is served by the others. What
 * it once caught: two records whose customer ids differed only in an invalid UTF-8 byte
 * (`…\xff`, `…\xfe`) were decoded lossily into one customer `…\ufffd` with two visits; an event
 * id with an invalid byte merged two events into one (the second counted as a duplicate); a
 * control character passed everywhere; the API answered 414 for ids of 101-128 characters the
 * profiler stored; a write key spoke for another source; the API logged every customer id.
 */
import type { Admin, KafkaMessage } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse, Collector } from '@pulse/collector';
import { DLQ_HEADERS } from '@pulse/contracts';
import type { ProfileApi, ProfileResponse } from '@pulse/profile-api';
import type { ProfilerConfig } from '@pulse/profiler';
import {
  bearer,
  capturingLogger,
  consumeRecords,
  get,
  post,
  recordCount,
  startTestCollector,
  startTestProfileApi,
  testKey,
} from '../support/http.ts';
import {
  connectedAdmin,
  connectedProducer,
  createTestTopics,
  testConsumer,
  uniqueName,
} from '../support/infra.ts';
import {
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
  waitForDrained,
  type ProfilerTopics,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const OCCURRED_AT_MS = Date.UTC(2025, 2, 1, 9, 0);
const shopKey = testKey('shop');
const partnerKey = testKey('partner');
const readKey = testKey('crm');
/** Eight hex characters that make this run's ids unique. */
const run = uniqueName('x').slice(2);

let admin: Admin;
let topics: ProfilerTopics;
let profilerConfig: ProfilerConfig;
let collector: Collector;
let api: ProfileApi;
let apiLog: string[];

const occurredAt = (minutes = 0) => new Date(OCCURRED_AT_MS + minutes * 60_000).toISOString();

/** A JSON visit as raw bytes, with `customerId` / `eventId` spliced in as raw bytes too. */
function rawVisit(customerId: Buffer | string, eventId: Buffer | string, minutes = 0): Buffer {
  const asJsonString = (value: Buffer | string) =>
    typeof value === 'string'
      ? Buffer.from(JSON.stringify(value))
      : Buffer.concat([Buffer.from('"'), value, Buffer.from('"')]);
  return Buffer.concat([
    Buffer.from('{"eventId":'),
    asJsonString(eventId),
    Buffer.from(',"customerId":'),
    asJsonString(customerId),
    Buffer.from(`,"occurredAt":"${occurredAt(minutes)}"}`),
  ]);
}

const withByte = (text: string, byte: number) =>
  Buffer.concat([Buffer.from(text), Buffer.from([byte])]);

async function profileOf(pathId: string): Promise<{ status: number; body: ProfileResponse }> {
  return get<ProfileResponse>(`${api.url}/v1/profiles/${pathId}`, bearer(readKey));
}

beforeAll(async () => {
  admin = await connectedAdmin();
  topics = await createProfilerTopics(PARTITIONS);
  profilerConfig = testProfilerConfig(topics);
  await startTestProfiler(profilerConfig);
  collector = await startTestCollector({
    visitsTopic: topics.visits,
    purchasesTopic: topics.purchases,
    writeKeys: [{ source: 'shop', key: shopKey }],
  });
  const captured = capturingLogger();
  apiLog = captured.lines;
  api = await startTestProfileApi(
    profilerConfig,
    { readKeys: [{ name: 'crm', key: readKey }] },
    { logger: captured.logger },
  );
});

describe('one id rule at every edge', () => {
  it('the profiler dead-letters bad ids as invalid-id, never merges two of them, and the API serves exactly the ids it stored', async () => {
    const ascii128 = `${'a'.repeat(128 - run.length)}${run}`;
    const astral128 = `${'🦊'.repeat(128 - run.length)}${run}`;
    const merged = `hostile-utf8-${run}-`;
    const eventIdsCustomer = `event-ids-${run}`;
    const hostile: { name: string; topic: string; key: Buffer | string; value: Buffer }[] = [
      // Two customers that a lossy decoder turns into one (`…\ufffd`).
      ...[0xff, 0xfe].map((byte, index) => ({
        name: `customer id ending in byte 0x${byte.toString(16)}`,
        topic: topics.visits,
        key: withByte(merged, byte),
        value: rawVisit(withByte(merged, byte), `utf8-${run}-${index}`, index),
      })),
      // Two events of one customer that a lossy decoder turns into one event id.
      ...[0xff, 0xfe].map((byte, index) => ({
        name: `event id ending in byte 0x${byte.toString(16)}`,
        topic: topics.visits,
        key: eventIdsCustomer,
        value: rawVisit(eventIdsCustomer, withByte(`event-${run}-`, byte), 60 + index),
      })),
      {
        name: '129-character customer id',
        topic: topics.visits,
        key: 'L'.repeat(129),
        value: rawVisit('L'.repeat(129), `long-${run}`),
      },
      {
        name: 'customer id with a control character',
        topic: topics.visits,
        key: `bell-${run}\u0007`,
        value: rawVisit(`bell-${run}\u0007`, `bell-${run}`),
      },
      {
        name: 'customer id with an unpaired surrogate (a legal JSON escape)',
        topic: topics.visits,
        key: `surrogate-${run}`,
        value: rawVisit(`surrogate-${run}\ud800`, `surrogate-${run}`),
      },
      {
        name: 'order id with a line break',
        topic: topics.purchases,
        key: `buyer-${run}`,
        value: Buffer.from(
          JSON.stringify({
            eventId: `order-${run}`,
            customerId: `buyer-${run}`,
            occurredAt: occurredAt(),
            orderId: 'o-1\n',
            amountMinor: 100,
            currency: 'EUR',
          }),
        ),
      },
    ];
    const producer = await connectedProducer();
    const origins = new Map<string, string>();
    for (const record of hostile) {
      const [written] = await producer.send({
        topic: record.topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value }],
      });
      origins.set(`${record.topic}/${written?.partition}/${written?.baseOffset}`, record.name);
    }
    await producer.send({
      topic: topics.visits,
      acks: -1,
      messages: [ascii128, astral128].map((customerId, index) => ({
        key: customerId,
        value: rawVisit(customerId, `good-${run}-${index}`),
      })),
    });

    const deadLetters: KafkaMessage[] = [];
    const reader = testConsumer(uniqueName('dlq-reader'));
    await reader.connect();
    await reader.subscribe({ topic: topics.deadLetter, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void deadLetters.push(message) });
    await waitForDrained(admin, profilerConfig, PARTITIONS);
    await waitFor(`${hostile.length} dead letters`, () =>
      deadLetters.length >= hostile.length ? true : undefined,
    );

    const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
    const kindByRecord = new Map(
      deadLetters.map((message) => [
        origins.get(
          `${header(message, DLQ_HEADERS.sourceTopic)}/${header(message, DLQ_HEADERS.sourcePartition)}/${header(message, DLQ_HEADERS.sourceOffset)}`,
        ) ?? 'a record that is not hostile',
        header(message, DLQ_HEADERS.errorKind),
      ]),
    );
    expect(Object.fromEntries(kindByRecord)).toEqual(
      Object.fromEntries(hostile.map((record) => [record.name, 'invalid-id'])),
    );
    expect(Number((await admin.fetchTopicOffsets(topics.deadLetter))[0]?.high)).toBe(
      hostile.length,
    );

    // Redis holds the two good customers and no id the rule refuses.
    const stored = [...(await readStoredState(profilerConfig, PARTITIONS)).values()].flatMap(
      (partition) => [...partition.profiles.keys()],
    );
    expect(stored.filter((id) => id.includes(run)).sort()).toEqual([ascii128, astral128].sort());
    expect(stored.filter((id) => /[\p{Cc}\ufffd]/u.test(id))).toEqual([]);

    // The API serves both 128-character ids, and refuses what the profiler refused with the rule.
    for (const customerId of [ascii128, astral128]) {
      const answer = await profileOf(encodeURIComponent(customerId));
      expect(answer.status, customerId).toBe(200);
      expect(answer.body).toMatchObject({ customerId, lifetime: { visits: 1 } });
    }
    const longer = await profileOf('L'.repeat(129));
    expect(longer.status).toBe(400);
    expect(longer.body).toMatchObject({
      error: 'invalid_customer_id',
      message: expect.stringContaining('128'),
    });
    for (const pathId of [
      encodeURIComponent(`${merged}\ufffd`),
      `${encodeURIComponent(merged)}%FF`,
      encodeURIComponent(`bell-${run}\u0007`),
      'L'.repeat(5000),
    ]) {
      const answer = await profileOf(pathId);
      expect(answer.status, pathId.slice(0, 40)).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_customer_id' });
    }
    expect((await profileOf(eventIdsCustomer)).status).toBe(404);
  });

  it('the collector refuses the same ids with a reason, and a body that is not UTF-8 as a whole', async () => {
    const url = `${collector.url}/v1/events`;
    const astral128 = `${'🐝'.repeat(128 - run.length)}${run}`;
    const visit = (customerId: string, n: number) => ({
      type: 'visit',
      eventId: `collector-${run}-${n}`,
      customerId,
      occurredAt: occurredAt(n),
    });
    const answer = await post<BatchResponse>(
      url,
      {
        events: [
          visit('L'.repeat(129), 1),
          visit(`bell-${run}\u0007`, 2),
          visit(`hostile-utf8-${run}-\ufffd`, 3),
          visit(`surrogate-${run}\ud800`, 4),
          visit(astral128, 5),
        ],
      },
      bearer(shopKey),
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 1, rejected: 4 });
    expect(answer.body.results.map((result) => result.errors?.[0]?.field ?? 'ok')).toEqual([
      'customerId',
      'customerId',
      'customerId',
      'customerId',
      'ok',
    ]);
    expect(answer.body.results[0]?.errors?.[0]?.reason).toContain('128');
    expect(answer.body.results[2]?.errors?.[0]?.reason).toContain('UTF-8');

    const before = await recordCount(admin, topics.visits);
    const broken = Buffer.concat([
      Buffer.from('{"events":['),
      rawVisit(withByte(`hostile-utf8-${run}-`, 0xff), `raw-${run}`),
      Buffer.from(']}'),
    ]).toString('latin1');
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(shopKey) },
      body: Buffer.from(broken, 'latin1'),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_utf8' });
    expect(await recordCount(admin, topics.visits)).toBe(before);

    // What the collector accepted, the profiler applied and the API serves.
    await waitFor(`the collector's 128-character customer`, async () => {
      const profile = await profileOf(encodeURIComponent(astral128));
      return profile.status === 200 ? true : undefined;
    });
  });
});

describe('write keys', () => {
  it("a write key speaks only for its own source: another source is rejected with the reason, none gets the key's", async () => {
    const [visits, purchases] = (await createTestTopics([
      { prefix: 'source-visits', partitions: 2 },
      { prefix: 'source-purchases', partitions: 2 },
    ])) as [string, string];
    const partnerCollector = await startTestCollector({
      visitsTopic: visits,
      purchasesTopic: purchases,
      writeKeys: [
        { source: 'shop', key: shopKey },
        { source: 'partner', key: partnerKey },
      ],
    });
    const visit = (n: number, source?: string | null) => ({
      type: 'visit',
      eventId: `source-${run}-${n}`,
      customerId: `source-customer-${run}`,
      occurredAt: occurredAt(n),
      ...(source === undefined ? {} : { source }),
    });
    const answer = await post<BatchResponse>(
      `${partnerCollector.url}/v1/events`,
      { events: [visit(1, 'shop'), visit(2, 'partner'), visit(3), visit(4, null)] },
      bearer(partnerKey),
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 3, rejected: 1 });
    expect(answer.body.results[0]).toMatchObject({
      status: 'rejected',
      errors: [{ field: 'source', reason: expect.stringContaining('"partner"') }],
    });
    const records = await consumeRecords([visits], 3);
    expect(records.map((record) => record.value.source)).toEqual(['partner', 'partner', 'partner']);
    expect(await recordCount(admin, visits)).toBe(3);
  });
});

describe('profile API request log', () => {
  it('never carries a customer id, whatever the answer', async () => {
    const known = `logged-${run}`;
    const sent = await post<BatchResponse>(
      `${collector.url}/v1/events`,
      {
        events: [
          { type: 'visit', eventId: `${known}-1`, customerId: known, occurredAt: occurredAt() },
        ],
      },
      bearer(shopKey),
    );
    expect(sent.status).toBe(202);
    await waitFor(`${known}'s profile`, async () =>
      (await profileOf(known)).status === 200 ? true : undefined,
    );
    const unknown = `never-seen-${run}`;
    const tooLong = `too-long-${run}-${'x'.repeat(140)}`;
    expect((await profileOf(unknown)).status).toBe(404);
    expect((await profileOf(tooLong)).status).toBe(400);
    expect((await get(`${api.url}/v1/profiles/${known}`)).status).toBe(401);

    const requestLines = apiLog.filter((line) => line.includes('"msg":"request"'));
    expect(requestLines.length).toBeGreaterThanOrEqual(4);
    for (const id of [known, unknown, tooLong, run]) expect(apiLog.join('\n')).not.toContain(id);
    expect(JSON.parse(requestLines.at(-1) as string)).toMatchObject({
      route: '/v1/profiles/:customerId',
      status: 401,
    });
  });
});
