/*
 * A record keyed differently from its customerId never merges, splits or hides a customer.
 * Kafka puts a record in the partition its *key* hashes to; Pulse keeps a customer's state in
 * the partition of their customerId, which is also where the profile API looks. A record keyed
 * otherwise — null key, empty key, a 10 KB key, another customer's id — used to be applied where
 * it landed: a second profile of the customer in another partition (split rhythm, wrong
 * signals), a 404 from the profile API for a customer whose only events were keyed wrong, and
 * another customer's partition holding a stranger. The rule now: such a record is a dead letter
 * of kind `key-mismatch` (re-routing it would mean producing into the input topics, which a
 * replay must never do). Here the customer's correctly keyed events build exactly one profile,
 * in the customer's partition, which the profile API serves; each mis-keyed record is on the
 * dead-letter topic once, with its key as sent (a long key cut to a prefix with its size and
 * SHA-256), and no customer id in the reason.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@pulse/contracts';
import { partitionForKey } from '@pulse/stream';
import { collectRecords } from '../support/dead-letters.ts';
import { bearer, get, startTestProfileApi, testKey } from '../support/http.ts';
import { connectedAdmin, connectedProducer, uniqueName } from '../support/infra.ts';
import {
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const START_MS = Date.UTC(2026, 0, 1, 9);
const DAY_MS = 86_400_000;

const visit = (customerId: string, day: number, tag: string) =>
  JSON.stringify({
    eventId: `${customerId}-${tag}-${day}`,
    customerId,
    occurredAt: new Date(START_MS + day * DAY_MS).toISOString(),
  });
const purchase = (customerId: string, day: number, tag: string) =>
  JSON.stringify({
    eventId: `${customerId}-${tag}-p${day}`,
    customerId,
    occurredAt: new Date(START_MS + day * DAY_MS + 60_000).toISOString(),
    orderId: `order-${tag}-${day}`,
    amountMinor: 1999,
    currency: 'EUR',
  });

describe('records keyed differently from their customerId', () => {
  it('are dead letters of kind key-mismatch: the customer has one profile, in their partition, served by the API', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics);
    const customer = uniqueName('keyed');
    const home = partitionForKey(customer, PARTITIONS);
    let other = uniqueName('other');
    while (partitionForKey(other, PARTITIONS) === home) other = uniqueName('other');
    const longKey = 'k'.repeat(10_240);

    const producer = await connectedProducer();
    const sendAll = (topic: string, messages: { key: string | null; value: string }[]) =>
      producer.send({ topic, acks: -1, messages });
    // The customer's own events, keyed right: 10 daily visits and 2 purchases.
    await sendAll(
      topics.visits,
      Array.from({ length: 10 }, (_, day) => ({
        key: customer,
        value: visit(customer, day, 'ok'),
      })),
    );
    await sendAll(
      topics.purchases,
      [2, 8].map((day) => ({ key: customer, value: purchase(customer, day, 'ok') })),
    );
    // Another customer's own events.
    await sendAll(
      topics.visits,
      Array.from({ length: 5 }, (_, day) => ({ key: other, value: visit(other, day, 'ok') })),
    );
    // Valid events of the customer, keyed wrong, each sent alone to learn where it landed.
    const misKeyed = [
      { topic: topics.visits, key: null, value: visit(customer, 10, 'null-key') },
      { topic: topics.visits, key: '', value: visit(customer, 11, 'empty-key') },
      { topic: topics.visits, key: longKey, value: visit(customer, 12, 'long-key') },
      { topic: topics.visits, key: other, value: visit(customer, 13, 'other-key') },
      { topic: topics.purchases, key: other, value: purchase(customer, 13, 'other-key') },
    ];
    const origins: { key: string | null; value: string; where: string }[] = [];
    for (const record of misKeyed) {
      const [metadata] = await sendAll(record.topic, [{ key: record.key, value: record.value }]);
      origins.push({
        key: record.key,
        value: record.value,
        where: `${record.topic}/${metadata?.partition}/${metadata?.baseOffset}`,
      });
    }

    const deadLetters = await collectRecords([topics.deadLetter]);
    const profiler = await startTestProfiler(config);
    const admin = await connectedAdmin();
    await waitForDrained(admin, config, PARTITIONS, { timeoutMs: 60_000 });
    await waitFor(`${origins.length} dead letters`, () =>
      deadLetters.length >= origins.length ? true : undefined,
    );

    // Each mis-keyed record once on the dead-letter topic, key and value as sent.
    expect(deadLetters).toHaveLength(origins.length);
    for (const origin of origins) {
      const found = deadLetters.filter(
        (record) =>
          `${record.headers[DLQ_HEADERS.sourceTopic]}/${record.headers[DLQ_HEADERS.sourcePartition]}/${record.headers[DLQ_HEADERS.sourceOffset]}` ===
          origin.where,
      );
      expect(found, origin.where).toHaveLength(1);
      const record = found[0]!;
      expect(record.headers[DLQ_HEADERS.errorKind], origin.where).toBe('key-mismatch');
      expect(record.headers[DLQ_HEADERS.errorMessage], origin.where).not.toContain(customer);
      expect(record.headers[DLQ_HEADERS.errorMessage], origin.where).not.toContain(other);
      expect(record.value?.toString('utf8'), origin.where).toBe(origin.value);
      if (origin.key === longKey) {
        expect(record.key?.equals(Buffer.from(longKey).subarray(0, 1024)), origin.where).toBe(true);
        expect(record.headers[DLQ_HEADERS.originalKeyBytes]).toBe('10240');
        expect(record.headers[DLQ_HEADERS.originalKeySha256]).toBe(
          createHash('sha256').update(longKey).digest('hex'),
        );
      } else if (origin.key === null) {
        expect(record.key, origin.where).toBeNull();
      } else {
        expect(record.key?.toString('utf8'), origin.where).toBe(origin.key);
      }
    }

    // One profile per customer, in the partition of their customerId, nothing else anywhere.
    const state = await readStoredState(config, PARTITIONS);
    const stored = [...state].flatMap(([partition, { profiles }]) =>
      [...profiles].map(([customerId, profile]) => ({ partition, customerId, profile })),
    );
    expect(stored.map(({ customerId, partition }) => [customerId, partition]).sort()).toEqual(
      [
        [customer, home],
        [other, partitionForKey(other, PARTITIONS)],
      ].sort(),
    );

    // The profile API finds the customer by hashing the customerId, with only the right events.
    const readKey = testKey('read');
    const api = await startTestProfileApi(config, { readKeys: [{ name: 'crm', key: readKey }] });
    const profileOf = (id: string) =>
      get<{ partition: number; lifetime: { visits: number; purchases: number } }>(
        `${api.url}/v1/profiles/${encodeURIComponent(id)}`,
        bearer(readKey),
      );
    const served = await profileOf(customer);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ partition: home, lifetime: { visits: 10, purchases: 2 } });
    const neighbour = await profileOf(other);
    expect(neighbour.status).toBe(200);
    expect(neighbour.body.lifetime).toMatchObject({ visits: 5, purchases: 0 });

    const counted = await profiler.metrics.registry
      .getSingleMetric('pulse_events_dead_lettered_total')
      ?.get();
    const byReason = (counted?.values ?? []).filter(
      (sample) => sample.labels.reason === 'key-mismatch',
    );
    expect(byReason.reduce((sum, sample) => sum + sample.value, 0)).toBe(origins.length);
  });
});
