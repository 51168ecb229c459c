// From a tracker's HTTP request to a profile a retention system reads over HTTP, on the real
// broker, Redis and profiler. The profile API does not consume: it recomputes the producer's
// partition for the customer id and reads the profiler's hash directly, so a partitioner that
// disagreed with the producer's would show up here as a 404 for a customer who exists.
//
// The Kafka-outage test guards the collector's promise: a 503 means "nothing of this batch was
// taken", the sender retries the same eventIds once Kafka is back (twice here, as if the first
// 202 were lost on the way), and the profile counts every event exactly once.
import type { Admin } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse, Collector } from '@pulse/collector';
import type { ProfileApi, ProfileResponse } from '@pulse/profile-api';
import type { ProfilerConfig } from '@pulse/profiler';
import { liveNamespaceKey } from '@pulse/store';
import { partitionForKey } from '@pulse/stream';
import {
  bearer,
  closedPort,
  forwardPortToBroker,
  get,
  post,
  recordCount,
  startTestCollector,
  startTestProfileApi,
  testKey,
  unreachableKafkaEnv,
} from '../support/http.ts';
import { connectedAdmin, testRedis, uniqueName } from '../support/infra.ts';
import {
  createProfilerTopics,
  startTestProfiler,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2025, 0, 1, 9, 0);
const writeKey = testKey('site');
const readKey = testKey('crm');

let admin: Admin;
let profilerConfig: ProfilerConfig;
let collector: Collector;
let api: ProfileApi;

const dailyVisits = (customerId: string, days: number, from = START_MS) =>
  Array.from({ length: days }, (_, day) => ({
    type: 'visit',
    eventId: `${customerId}-visit-${day}`,
    customerId,
    occurredAt: new Date(from + day * DAY_MS).toISOString(),
  }));

async function profileOf(
  customerId: string,
  query = '',
): Promise<{ status: number; body: ProfileResponse }> {
  return get<ProfileResponse>(
    `${api.url}/v1/profiles/${encodeURIComponent(customerId)}${query}`,
    bearer(readKey),
  );
}

/** Polls the API until the profile shows `visits` lifetime visits. */
async function waitForVisits(customerId: string, visits: number): Promise<ProfileResponse> {
  return waitFor(`${customerId}'s profile with ${visits} visits`, async () => {
    const answer = await profileOf(customerId);
    return answer.status === 200 && answer.body.lifetime.visits >= visits ? answer.body : undefined;
  });
}

beforeAll(async () => {
  admin = await connectedAdmin();
  const topics = await createProfilerTopics(PARTITIONS);
  profilerConfig = testProfilerConfig(topics);
  await startTestProfiler(profilerConfig);
  collector = await startTestCollector({
    visitsTopic: topics.visits,
    purchasesTopic: topics.purchases,
    writeKeys: [{ source: 'site', key: writeKey }],
  });
  api = await startTestProfileApi(profilerConfig, { readKeys: [{ name: 'crm', key: readKey }] });
});

describe('profile API over what the collector took in', () => {
  it('serves the profile with derived values once the profiler has applied the batch', async () => {
    const customerId = uniqueName('daily');
    const purchases = [5, 20].map((day) => ({
      type: 'purchase',
      eventId: `${customerId}-order-${day}`,
      customerId,
      occurredAt: new Date(START_MS + day * DAY_MS + 3_600_000).toISOString(),
      orderId: `order-${day}`,
      amountMinor: 2500,
      currency: 'EUR',
    }));
    const sent = await post<BatchResponse>(
      `${collector.url}/v1/events`,
      { events: [...dailyVisits(customerId, 30), ...purchases] },
      bearer(writeKey),
    );
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ accepted: 32, rejected: 0 });

    const profile = await waitForVisits(customerId, 30);
    expect(profile).toMatchObject({
      customerId,
      namespace: 'v1',
      partition: partitionForKey(customerId, PARTITIONS),
      asOfBasis: 'stream-time',
      status: 'active',
      lifetime: {
        visits: 30,
        purchases: 2,
        activeDays: 30,
        spend: [{ currency: 'EUR', purchases: 2, spendMinor: 5000 }],
      },
    });
    expect(profile.usualLatency?.centreDays).toBeCloseTo(1, 5);
    expect(profile.hurdleDays).toBeGreaterThan(1);
    expect(profile.daysSilent).toBeLessThanOrEqual(1);
    expect(profile.lastSignals).toEqual({ lapse: null, readyToBuy: null });

    // The same profile judged 60 days after the last visit: the derived values follow asOf.
    const asOf = new Date(START_MS + 89 * DAY_MS).toISOString();
    const later = await profileOf(customerId, `?asOf=${asOf}`);
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ asOfBasis: 'requested', asOf, status: 'lapsed' });
    expect(later.body.daysSilent).toBeGreaterThanOrEqual(59);
  });

  it('answers 404 for an unknown customer, 401 without a valid read key, 400 for a bad asOf', async () => {
    const unknown = await profileOf(uniqueName('never-seen'));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'unknown_customer' });
    const url = `${api.url}/v1/profiles/anyone`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, bearer('not-a-read-key-0123456'))).status).toBe(401);
    expect((await get(url, bearer(writeKey))).status).toBe(401); // a write key does not read
    expect((await profileOf('anyone', '?asOf=yesterday')).status).toBe(400);
  });

  it('reads the live namespace: switching it switches what the API serves', async () => {
    const customerId = uniqueName('switch');
    const events = dailyVisits(customerId, 2, START_MS + 100 * DAY_MS);
    await post(`${collector.url}/v1/events`, { events }, bearer(writeKey));
    await waitForVisits(customerId, 2);
    const redis = testRedis();
    const key = liveNamespaceKey(profilerConfig.keyPrefix);
    await redis.set(key, 'v2');
    try {
      const answer = await profileOf(customerId);
      expect(answer.status).toBe(404); // nothing was built in v2
    } finally {
      await redis.del(key);
    }
    expect((await profileOf(customerId)).status).toBe(200);
  });

  it('answers 503 with Retry-After while Kafka is unreachable, and counts a retried batch once when it is back', async () => {
    const port = await closedPort();
    const offline = await startTestCollector(
      {
        visitsTopic: profilerConfig.visitsTopic,
        purchasesTopic: profilerConfig.purchasesTopic,
        writeKeys: [{ source: 'site', key: writeKey }],
        unavailableRetryAfterSeconds: 7,
      },
      { connection: unreachableKafkaEnv(port) },
    );
    const customerId = uniqueName('outage');
    // Later than every other test's events: none of these may be late for its partition's clock.
    const batch = { events: dailyVisits(customerId, 5, START_MS + 200 * DAY_MS) };
    const before = await recordCount(admin, profilerConfig.visitsTopic);

    const refused = await post(`${offline.url}/v1/events`, batch, bearer(writeKey));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(refused.body).toMatchObject({ error: 'kafka_unavailable' });
    expect((await get(`${offline.url}/readyz`)).status).toBe(503);
    expect((await get(`${offline.url}/healthz`)).status).toBe(200);
    expect(await recordCount(admin, profilerConfig.visitsTopic)).toBe(before);

    // Kafka "comes back" on the port this collector was configured with.
    await forwardPortToBroker(port);
    await waitFor('the collector to reconnect', async () =>
      (await get(`${offline.url}/readyz`)).status === 200 ? true : undefined,
    );
    const retried = await post<BatchResponse>(`${offline.url}/v1/events`, batch, bearer(writeKey));
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ accepted: 5, rejected: 0 });
    // The 202 was lost on the way: the tracker sends the same eventIds once more.
    const again = await post<BatchResponse>(`${offline.url}/v1/events`, batch, bearer(writeKey));
    expect(again.status).toBe(202);
    expect(await recordCount(admin, profilerConfig.visitsTopic)).toBe(before + 10);

    await waitForVisits(customerId, 5);
    await waitForDrained(admin, profilerConfig, PARTITIONS); // the duplicates were applied too
    const profile = await profileOf(customerId);
    expect(profile.body.lifetime).toMatchObject({ visits: 5, activeDays: 5 });
    // Windows end at asOf; judged the day after the last visit, the week holds each visit once.
    const afterLast = new Date(START_MS + 205 * DAY_MS).toISOString();
    expect((await profileOf(customerId, `?asOf=${afterLast}`)).body.windows.visits7d).toBe(5);
  });

  it('serves /healthz, /readyz, /metrics and an OpenAPI document generated from the schemas', async () => {
    expect((await get(`${api.url}/healthz`)).status).toBe(200);
    expect((await get(`${api.url}/readyz`)).status).toBe(200);
    const metrics = await get<string>(`${api.url}/metrics`);
    expect(metrics.body).toMatch(
      /pulse_profile_api_requests_total\{route="\/v1\/profiles\/:customerId",status="200"\}/,
    );
    const openApi = await get<{
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>(`${api.url}/openapi.json`);
    expect(Object.keys(openApi.body.paths)).toContain('/v1/profiles/{customerId}');
    expect(Object.keys(openApi.body.components.schemas.Profile?.properties ?? {})).toEqual(
      expect.arrayContaining(['status', 'usualLatency', 'daysSilent', 'hurdleDays', 'lastSignals']),
    );
  });
});
