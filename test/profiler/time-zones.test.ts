/*
 * Customers' own days through the real path: zoned visits and purchases produced to Kafka become,
 * in Redis, the profiles the core alone predicts for the same events (their days counted in the
 * zone each customer states), a record with an unknown zone goes to the dead-letter topic with
 * its reason (the partition goes on), and the profile API shows each customer's zone.
 */
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@pulse/contracts';
import { dayOf, localDayOf, type CustomerEvent } from '@pulse/core';
import { generatePopulation } from '@pulse/test-kit';
import { collectRecords } from '../support/dead-letters.ts';
import { toMessages, toWire } from '../support/events.ts';
import { bearer, get, startTestProfileApi, testKey } from '../support/http.ts';
import { connectedProducer } from '../support/infra.ts';
import {
  committedTotal,
  createProfilerTopics,
  expectedProfiles,
  readStoredState,
  settled,
  startTestProfiler,
  testProfilerConfig,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 2;
const ZONES = [null, 'Pacific/Auckland', 'America/Los_Angeles', 'Asia/Kathmandu', 'Europe/Berlin'];

describe('time zones end to end', () => {
  it('counts zoned customers in their own days, as the core predicts, and shows the zone', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const population = generatePopulation({
      customers: 60,
      startMs: Date.UTC(2026, 2, 1),
      durationDays: 75,
      seed: 23,
      shuffleWithinMs: 6 * 3_600_000,
    });
    const zoneOf = new Map<string, string | null>();
    const events: CustomerEvent[] = [...population.events()].map((event) => {
      if (!zoneOf.has(event.customerId)) zoneOf.set(event.customerId, ZONES[zoneOf.size % 5]!);
      const zone = zoneOf.get(event.customerId)!;
      return zone === null ? event : { ...event, timeZone: zone };
    });
    // The same instants in other days: the zones must matter for this population.
    const shifted = events.filter(
      (event) =>
        event.timeZone !== undefined &&
        localDayOf(event.occurredAtMs, event.timeZone) !== dayOf(event.occurredAtMs),
    );
    expect(shifted.length).toBeGreaterThan(events.length / 10);

    const producer = await connectedProducer();
    for (const batch of toMessages(events, topics)) {
      for (let i = 0; i < batch.messages.length; i += 2_000) {
        await producer.send({
          topic: batch.topic,
          acks: -1,
          messages: batch.messages.slice(i, i + 2_000),
        });
      }
    }
    // One visit with a zone no runtime knows: a dead letter, not a profile change.
    const badCustomer = events[0]!.customerId;
    await producer.send({
      topic: topics.visits,
      acks: -1,
      messages: [
        {
          key: badCustomer,
          value: JSON.stringify({
            ...toWire({ ...events[0]!, eventId: 'bad-zone-1' }),
            timeZone: 'Mars/Olympus_Mons',
          }),
        },
      ],
    });
    const deadLetters = await collectRecords([topics.deadLetter]);

    const config = testProfilerConfig(topics);
    await startTestProfiler(config);
    await waitFor(
      `all ${events.length + 1} records committed`,
      async () => {
        const state = await readStoredState(config, PARTITIONS);
        return committedTotal(state) === BigInt(events.length + 1) ? state : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await waitFor('the dead letter', async () => (deadLetters.length >= 1 ? true : undefined));
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.headers[DLQ_HEADERS.errorKind]).toBe('schema-violation');
    expect(deadLetters[0]!.headers[DLQ_HEADERS.errorMessage]).toMatch(
      /timeZone must be an IANA time zone name/,
    );

    const state = await readStoredState(config, PARTITIONS);
    const partitionOf = new Map<string, number>();
    for (const [partition, stored] of state)
      for (const customerId of stored.profiles.keys()) partitionOf.set(customerId, partition);
    const streamTimeOf = (partition: number) => state.get(partition)?.streamTimeMs ?? 0;
    const expected = expectedProfiles(
      events,
      (customerId) => partitionOf.get(customerId) ?? -1,
      streamTimeOf,
    );
    expect(new Set(partitionOf.keys())).toEqual(new Set(expected.keys()));
    for (const [customerId, profile] of expected) {
      const partition = partitionOf.get(customerId)!;
      const stored = state.get(partition)!.profiles.get(customerId)!;
      expect(stored.timeZone, customerId).toBe(zoneOf.get(customerId));
      const table = state.get(partition)?.populationHurdles ?? null;
      expect(
        settled(stored, streamTimeOf(partition), undefined, { population: table }),
        customerId,
      ).toEqual(profile);
    }

    const readKey = testKey('crm');
    const api = await startTestProfileApi(config, {
      readKeys: [{ name: 'crm', key: readKey }],
    });
    const firstOf = (zone: string | null) => [...zoneOf].find(([, value]) => value === zone)![0];
    for (const zone of ZONES) {
      const answer = await get<{ timeZone: string }>(
        `${api.url}/v1/profiles/${encodeURIComponent(firstOf(zone))}`,
        bearer(readKey),
      );
      expect(answer.status).toBe(200);
      expect(answer.body.timeZone).toBe(zone ?? 'UTC');
    }
  });
});
