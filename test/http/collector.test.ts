// The collector against the real broker: what a tracker sends either lands on its topic, keyed
// by customer and on the partition the profiler expects, or comes back with a reason. Every
// refusal path is checked to leave the topics untouched (a refused request that still produced
// would be a silent double: the sender retries what it was told failed).
import type { Admin } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse, Collector } from '@pulse/collector';
import { partitionForKey } from '@pulse/stream';
import { connectedAdmin, createTestTopics, uniqueName } from '../support/infra.ts';
import {
  bearer,
  capturingLogger,
  consumeRecords,
  get,
  post,
  recordCount,
  startTestCollector,
  testKey,
} from '../support/http.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 3;
const ORIGIN = 'https://shop.example';
const shopKey = testKey('shop');
const ordersKey = testKey('orders');

let admin: Admin;

async function collectorWithTopics(
  settings: Parameters<typeof startTestCollector>[0] extends infer S
    ? Partial<S & object>
    : never = {},
  logger?: ReturnType<typeof capturingLogger>['logger'],
): Promise<{ collector: Collector; visits: string; purchases: string; url: string }> {
  const [visits, purchases] = (await createTestTopics([
    { prefix: 'http-visits', partitions: PARTITIONS },
    { prefix: 'http-purchases', partitions: PARTITIONS },
  ])) as [string, string];
  const collector = await startTestCollector(
    {
      visitsTopic: visits,
      purchasesTopic: purchases,
      writeKeys: [
        { source: 'shop', key: shopKey },
        { source: 'orders', key: ordersKey },
      ],
      corsOrigins: [ORIGIN],
      ...settings,
    },
    logger ? { logger } : {},
  );
  return { collector, visits, purchases, url: `${collector.url}/v1/events` };
}

const visit = (n: number, customerId = `customer-${n}`) => ({
  type: 'visit',
  eventId: `visit-${n}`,
  customerId,
  occurredAt: new Date(Date.UTC(2025, 2, 1, 9, n)).toISOString(),
  page: `/secret-page-${n}`,
});

const purchase = (n: number, customerId = `customer-${n}`) => ({
  type: 'purchase',
  eventId: `purchase-${n}`,
  customerId,
  occurredAt: new Date(Date.UTC(2025, 2, 1, 10, n)).toISOString(),
  orderId: `order-${n}`,
  amountMinor: 1000 + n,
  currency: 'EUR',
});

beforeAll(async () => {
  admin = await connectedAdmin();
});

describe('POST /v1/events', () => {
  it('produces valid events to their topics, keyed and partitioned by customer, and rejects the rest with field and reason', async () => {
    const { logger, lines } = capturingLogger();
    const { url, visits, purchases, collector } = await collectorWithTopics({}, logger);
    const batch = {
      events: [
        visit(1),
        visit(2),
        purchase(3),
        { ...visit(4), occurredAt: '2025-03-01 09:00' }, // not UTC ISO-8601
        { ...purchase(5), amountMinor: -5, currency: 'euro' },
        { ...visit(6), type: undefined },
        visit(7, 'customer-1'),
        purchase(8, 'customer-2'),
      ],
    };
    const answer = await post<BatchResponse>(url, batch, bearer(shopKey));
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(5);
    expect(answer.body.rejected).toBe(3);
    expect(answer.body.results.map((result) => result.status)).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'rejected',
      'rejected',
      'rejected',
      'accepted',
      'accepted',
    ]);
    expect(answer.body.results[3]).toMatchObject({
      index: 3,
      eventId: 'visit-4',
      errors: [{ field: 'occurredAt', reason: expect.stringMatching(/ISO-8601 UTC/) }],
    });
    expect(answer.body.results[4]?.errors?.map((error) => error.field).sort()).toEqual([
      'amountMinor',
      'currency',
    ]);
    expect(answer.body.results[5]?.errors).toEqual([
      { field: 'type', reason: 'is required: "visit" or "purchase"' },
    ]);

    const records = await consumeRecords([visits, purchases], 5);
    expect(records).toHaveLength(5);
    for (const record of records) {
      expect(record.key).toBe(record.value.customerId);
      // The profile API finds a customer by this function: it must be the producer's partitioner.
      expect(record.partition).toBe(partitionForKey(record.key, PARTITIONS));
      expect(record.value).not.toHaveProperty('type');
    }
    const byTopic = (topic: string) =>
      records
        .filter((record) => record.topic === topic)
        .map((record) => record.value.eventId)
        .sort();
    expect(byTopic(visits)).toEqual(['visit-1', 'visit-2', 'visit-7']);
    expect(byTopic(purchases)).toEqual(['purchase-3', 'purchase-8']);
    expect(records.find((record) => record.value.eventId === 'visit-1')?.value).toEqual({
      eventId: 'visit-1',
      customerId: 'customer-1',
      occurredAt: visit(1).occurredAt,
      page: '/secret-page-1',
      source: 'shop', // defaulted to the write key's source
    });
    expect(records.find((record) => record.value.eventId === 'purchase-3')?.value).toEqual(
      (({ type: _type, ...wire }) => wire)(purchase(3)),
    );
    expect(await recordCount(admin, visits)).toBe(3);
    expect(await recordCount(admin, purchases)).toBe(2);

    // Request logs: one line per request, without the payload's personal data.
    const requestLines = lines.filter((line) => line.includes('"msg":"request"'));
    expect(requestLines).toHaveLength(1);
    expect(JSON.parse(requestLines[0]!)).toMatchObject({
      method: 'POST',
      route: '/v1/events',
      status: 202,
      source: 'shop',
    });
    expect(lines.join('\n')).not.toMatch(/customer-|secret-page|visit-1|order-3/);

    const metrics = await get<string>(`${collector.url}/metrics`);
    expect(metrics.body).toMatch(
      /pulse_collector_events_total\{type="visit",outcome="accepted"\} 3/,
    );
    expect(metrics.body).toMatch(
      /pulse_collector_events_total\{type="purchase",outcome="rejected"\} 1/,
    );
  });

  it('answers 401 for a missing or unknown write key, in the header or the body, and produces nothing', async () => {
    const { url, visits } = await collectorWithTopics();
    const batch = { events: [visit(1)] };
    const answers = [
      await post(url, batch),
      await post(url, batch, bearer('not-a-key-0123456789')),
      await post(url, batch, bearer(shopKey.slice(0, -1))),
      await post(url, batch, {
        authorization: `Basic ${Buffer.from(`${shopKey}:`).toString('base64')}`,
      }),
      await post(url, { ...batch, writeKey: 'not-a-key-0123456789' }),
      // A wrong header key is not rescued by a right body key.
      await post(url, { ...batch, writeKey: shopKey }, bearer('not-a-key-0123456789')),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({
        error: 'unauthorized',
        message: expect.stringMatching(/write key/),
      });
    }
    expect(await recordCount(admin, visits)).toBe(0);
  });

  it('answers 400 with a clear message for empty, non-JSON or malformed bodies, and produces nothing', async () => {
    const { url, visits } = await collectorWithTopics();
    const cases: [unknown, string, RegExp][] = [
      ['', 'empty_body', /empty/],
      ['{"events": [', 'invalid_json', /not valid JSON/],
      ['[1,2]', 'invalid_body', /JSON object/],
      [{}, 'invalid_body', /events must be an array/],
      [{ events: [] }, 'empty_batch', /empty/],
    ];
    for (const [body, error, message] of cases) {
      const answer = await post(url, body, bearer(shopKey));
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ error, message: expect.stringMatching(message) });
    }
    const plain = await fetch(url, {
      method: 'POST',
      headers: { ...bearer(shopKey), 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(plain.status).toBe(415);
    expect(await recordCount(admin, visits)).toBe(0);
  });

  it('answers 413 for too many bytes or too many events, and produces nothing', async () => {
    const { url, visits } = await collectorWithTopics({ maxBodyBytes: 4096, maxEventsPerBatch: 3 });
    const tooManyBytes = { events: [{ ...visit(1), page: 'x'.repeat(5000) }] };
    const bytesAnswer = await post(url, tooManyBytes, bearer(shopKey));
    expect(bytesAnswer.status).toBe(413);
    expect(bytesAnswer.body).toMatchObject({
      error: 'body_too_large',
      message: expect.stringMatching(/4096 bytes/),
    });
    const countAnswer = await post(
      url,
      { events: [visit(1), visit(2), visit(3), visit(4)] },
      bearer(shopKey),
    );
    expect(countAnswer.status).toBe(413);
    expect(countAnswer.body).toMatchObject({
      error: 'batch_too_large',
      message: expect.stringMatching(/at most 3/),
    });
    expect(await recordCount(admin, visits)).toBe(0);
    // The limit is the limit, not a lower one: exactly 3 events pass.
    expect(
      (await post(url, { events: [visit(1), visit(2), visit(3)] }, bearer(shopKey))).status,
    ).toBe(202);
  });

  it('answers 429 with Retry-After once a write key spent its burst, without slowing other keys', async () => {
    const { url, visits } = await collectorWithTopics({
      rateLimitPerSecond: 0.2,
      rateLimitBurst: 2,
    });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof post>> | undefined;
    for (let request = 0; request < 3; request += 1) {
      const answer = await post(url, { events: [visit(request)] }, bearer(shopKey));
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited?.body).toMatchObject({ error: 'rate_limited' });
    expect((await post(url, { events: [visit(9)] }, bearer(ordersKey))).status).toBe(202);
    // The limited request produced nothing: two from shop, one from orders.
    expect(await recordCount(admin, visits)).toBe(3);
  });

  it('serves browser trackers: CORS for configured origins, text/plain beacons with the key in the body', async () => {
    const { url, visits } = await collectorWithTopics();
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const foreign = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const beacon = await fetch(url, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ writeKey: shopKey, events: [visit(1)] }),
    });
    expect(beacon.status).toBe(202);
    expect(beacon.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(beacon.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
    expect(await recordCount(admin, visits)).toBe(1);
  });

  it('refuses a browser origin not allowed for the write key, even where no preflight guards it, and produces nothing', async () => {
    // A text/plain POST and a beacon are CORS-simple: the browser sends them whatever the
    // collector's CORS answer, which only decides whether the page may read the reply. Before
    // the collector checked the Origin itself, such a request from any site was produced.
    const { url, visits, collector } = await collectorWithTopics({
      corsOrigins: [],
      sourceOrigins: { shop: [ORIGIN] },
    });
    const browserPost = (origin: string, key: string, n: number) =>
      fetch(url, {
        method: 'POST',
        headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ writeKey: key, events: [visit(n)] }),
      });

    const foreign = await browserPost('https://evil.example', shopKey, 1);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: 'origin_not_allowed' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // The shop's origin with another source's key: allowed for one key is not allowed for all.
    const otherKey = await browserPost(ORIGIN, ordersKey, 2);
    expect(otherKey.status).toBe(403);
    expect(otherKey.headers.get('access-control-allow-origin')).toBeNull();
    // A header key from a foreign page is refused the same way.
    const withHeader = await post(
      url,
      { events: [visit(3)] },
      {
        ...bearer(shopKey),
        origin: 'https://evil.example',
      },
    );
    expect(withHeader.status).toBe(403);

    const shop = await browserPost(ORIGIN, shopKey, 4);
    expect(shop.status).toBe(202);
    expect(shop.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    // No Origin header: a server, not a browser; the write key alone decides.
    expect((await post(url, { events: [visit(5)] }, bearer(ordersKey))).status).toBe(202);

    const records = await consumeRecords([visits], 2);
    expect(records.map((record) => record.value.eventId).sort()).toEqual(['visit-4', 'visit-5']);
    expect(await recordCount(admin, visits)).toBe(2);
    const refused = await collector.metrics.registry.getSingleMetricAsString(
      'pulse_collector_origin_refused_total',
    );
    expect(refused).toMatch(/source="shop"\} 2/);
    expect(refused).toMatch(/source="orders"\} 1/);
  });

  it('serves the tracker script with cache headers and an ETag, and 304 for a current copy', async () => {
    const { collector } = await collectorWithTopics();
    const script = await fetch(`${collector.url}/v1/tracker.js`, {
      headers: { origin: 'https://any-site.example' },
    });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(script.headers.get('access-control-allow-origin')).toBe('*');
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const etag = script.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]{20,}"$/);
    const body = await script.text();
    expect(body).toBe(collector.tracker.classic.body.toString('utf8'));
    expect(body).toContain('pulse');

    const again = await fetch(`${collector.url}/v1/tracker.js`, {
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const stale = await fetch(`${collector.url}/v1/tracker.js`, {
      headers: { 'if-none-match': '"an-older-tracker"' },
    });
    expect(stale.status).toBe(200);

    const module = await fetch(`${collector.url}/v1/tracker.mjs`);
    expect(module.status).toBe(200);
    expect(module.headers.get('etag')).not.toBe(etag);
    expect(await module.text()).toMatch(/export\s*\{/);
  });

  it('serves /healthz, /readyz and an OpenAPI document generated from the schemas', async () => {
    const { collector } = await collectorWithTopics();
    expect((await get(`${collector.url}/healthz`)).status).toBe(200);
    // Ready once the producer has connected (it connects in the background after listen).
    await waitFor('the collector to be ready', async () =>
      (await get(`${collector.url}/readyz`)).status === 200 ? true : undefined,
    );
    const openApi = await get<{
      paths: Record<string, unknown>;
      components: {
        schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
      };
    }>(`${collector.url}/openapi.json`);
    expect(openApi.status).toBe(200);
    expect(Object.keys(openApi.body.paths)).toContain('/v1/events');
    expect(Object.keys(openApi.body.paths)).toContain('/v1/traits');
    const traitsSchema = openApi.body.components.schemas.Traits;
    expect(traitsSchema?.required).toEqual(['eventId', 'customerId', 'occurredAt']);
    expect(traitsSchema?.properties?.attributes).toBeDefined();
    const purchaseSchema = openApi.body.components.schemas.PurchaseEvent;
    expect(purchaseSchema?.required).toEqual(
      expect.arrayContaining([
        'type',
        'eventId',
        'customerId',
        'occurredAt',
        'orderId',
        'amountMinor',
        'currency',
      ]),
    );
    expect(purchaseSchema?.properties?.currency).toMatchObject({ pattern: '^[A-Z]{3}$' });
  });
});

describe('POST /v1/traits', () => {
  /** A collector whose traits go to a fresh co-partitioned topic (or to the one named). */
  async function collectorWithTraits(
    settings: { traitsTopic?: string; produceTimeoutMs?: number } = {},
  ) {
    const [visits, purchases, traits] = (await createTestTopics([
      { prefix: 'http-visits', partitions: PARTITIONS },
      { prefix: 'http-purchases', partitions: PARTITIONS },
      { prefix: 'http-traits', partitions: PARTITIONS },
    ])) as [string, string, string];
    const collector = await startTestCollector({
      visitsTopic: visits,
      purchasesTopic: purchases,
      traitsTopic: settings.traitsTopic ?? traits,
      writeKeys: [{ source: 'crm', key: shopKey }],
      maxEventsPerBatch: 4,
      ...(settings.produceTimeoutMs ? { produceTimeoutMs: settings.produceTimeoutMs } : {}),
    });
    return { collector, visits, purchases, traits, url: `${collector.url}/v1/traits` };
  }

  const traitsOf = (n: number, customerId = `customer-${n}`) => ({
    eventId: `traits-${n}`,
    customerId,
    occurredAt: new Date(Date.UTC(2025, 2, 1, 8, n)).toISOString(),
    country: 'DE',
    customerType: 'business',
    plan: 'pro',
    attributes: { industry: 'retail' },
  });

  it('produces valid traits to pulse.traits keyed and partitioned by customer, and rejects the rest with field and reason', async () => {
    const { collector, url, visits, purchases, traits } = await collectorWithTraits();
    const answer = await post<BatchResponse>(
      url,
      {
        traits: [
          traitsOf(1),
          { ...traitsOf(2), country: 'Germany', plan: '' },
          { ...traitsOf(3), attributes: { 'secret key': 'x' } },
          { ...traitsOf(4), region: null, plan: '', type: 'traits' },
        ],
      },
      bearer(shopKey),
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(answer.body.results[1]).toMatchObject({
      index: 1,
      eventId: 'traits-2',
      status: 'rejected',
      errors: [{ field: 'country', reason: expect.stringMatching(/ISO 3166-1 alpha-2/) }],
    });
    expect(answer.body.results[2]?.errors?.map((error) => error.field)).toEqual([
      'attributes.secret key',
    ]);

    const records = await consumeRecords([traits], 2);
    expect(records.map((record) => record.value.eventId).sort()).toEqual(['traits-1', 'traits-4']);
    for (const record of records) {
      expect(record.key).toBe(record.value.customerId);
      // Co-partitioned with visits and purchases: the same partition as the customer's events.
      expect(record.partition).toBe(partitionForKey(record.key, PARTITIONS));
    }
    // Sent as stated: an empty plan (cleared) and a null region (not stated) stay as they are.
    expect(records.find((record) => record.value.eventId === 'traits-4')?.value).toEqual({
      ...traitsOf(4),
      region: null,
      plan: '',
    });
    expect(await recordCount(admin, traits)).toBe(2);
    expect(await recordCount(admin, visits)).toBe(0);
    expect(await recordCount(admin, purchases)).toBe(0);

    const metrics = await get<string>(`${collector.url}/metrics`);
    expect(metrics.body).toMatch(
      /pulse_collector_events_total\{type="traits",outcome="accepted"\} 2/,
    );
    expect(metrics.body).toMatch(
      /pulse_collector_events_total\{type="traits",outcome="rejected"\} 2/,
    );
  });

  it('wants the same write keys and keeps the same limits, producing nothing it refuses', async () => {
    const { url, traits } = await collectorWithTraits();
    expect((await post(url, { traits: [traitsOf(1)] })).status).toBe(401);
    expect(
      (await post(url, { traits: [traitsOf(1)] }, bearer('not-a-key-0123456789'))).status,
    ).toBe(401);
    const events = await post(url, { events: [traitsOf(1)] }, bearer(shopKey));
    expect(events.status).toBe(400);
    expect(events.body).toMatchObject({
      error: 'invalid_body',
      message: 'traits must be an array',
    });
    const tooMany = await post(
      url,
      { traits: [1, 2, 3, 4, 5].map((n) => traitsOf(n)) },
      bearer(shopKey),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ error: 'batch_too_large' });
    const badId = await post<BatchResponse>(
      url,
      { traits: [{ ...traitsOf(1), customerId: 'c-\ufffd' }] },
      bearer(shopKey),
    );
    expect(badId.body.results[0]?.errors?.map((error) => error.field)).toEqual(['customerId']);
    expect(await recordCount(admin, traits)).toBe(0);
    // The key in the body (a beacon) works here too.
    expect((await post(url, { traits: [traitsOf(1)], writeKey: shopKey })).status).toBe(202);
    expect(await recordCount(admin, traits)).toBe(1);
  });

  it('answers 503 with Retry-After, accepting nothing, when Kafka does not acknowledge the traits', async () => {
    // The test broker does not create topics on demand, so a traits topic that was never
    // created is a real broker that will not take the records: the collector must say so.
    const missing = uniqueName('http-traits-missing');
    const { url } = await collectorWithTraits({ traitsTopic: missing, produceTimeoutMs: 1_500 });
    const answer = await post(url, { traits: [traitsOf(1)] }, bearer(shopKey));
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.body).toMatchObject({
      error: 'kafka_unavailable',
      message: expect.stringMatching(/nothing of this batch was accepted/),
    });
    expect((await admin.listTopics()).includes(missing)).toBe(false);
  });
});
