import { describe, expect, it } from 'vitest';
import { memoryStorage, respond } from './browser.test-support.ts';
import { STORAGE_KEYS, storedQueue } from './storage.ts';
import {
  createTracker,
  type TrackerEnvironment,
  type TrackerOptions,
  type TrackerResponse,
} from './tracker.ts';

interface Sent {
  via: 'fetch' | 'beacon';
  body: { writeKey: string; events: { eventId: string; customerId: string; type: string }[] };
  keepalive?: boolean;
  contentType?: string;
  credentials?: string;
  referrerPolicy?: string;
}

/**
 * Fake browser: a manual clock and timers, scripted collector answers, recorded requests, and
 * a localStorage that outlives the tracker (pass it to the next fakeBrowser: a reload).
 */
function fakeBrowser(
  answers: (TrackerResponse | Error)[] = [],
  beaconAccepts = true,
  storage = memoryStorage(),
) {
  let nowMs = Date.UTC(2025, 2, 1);
  let nextId = 0;
  const timers = new Map<number, { atMs: number; callback: () => void }>();
  let nextTimer = 0;
  const sent: Sent[] = [];
  const environment: TrackerEnvironment = {
    async fetch(_url, init) {
      sent.push({
        via: 'fetch',
        body: JSON.parse(init.body),
        keepalive: init.keepalive,
        contentType: init.headers['content-type'],
        credentials: init.credentials,
        referrerPolicy: init.referrerPolicy,
      });
      const answer = answers.shift() ?? respond(202, { results: [] });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    sendBeacon(_url, body) {
      if (beaconAccepts) sent.push({ via: 'beacon', body: JSON.parse(body) });
      return beaconAccepts;
    },
    setTimeout(callback, delayMs) {
      nextTimer += 1;
      timers.set(nextTimer, { atMs: nowMs + delayMs, callback });
      return nextTimer;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    nowMs: () => nowMs,
    newEventId: () => `event-${(nextId += 1)}`,
    store: storedQueue(storage, 500),
  };
  return {
    environment,
    sent,
    storage,
    /** eventIds in localStorage, in order. */
    stored: () =>
      (JSON.parse(storage.entries.get(STORAGE_KEYS.queue) ?? '[]') as { eventId: string }[]).map(
        (event) => event.eventId,
      ),
    timerDelays: () => [...timers.values()].map((timer) => timer.atMs - nowMs),
    /** Moves the clock and runs the timers that came due, then lets their promises settle. */
    async advance(ms: number) {
      nowMs += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.atMs <= nowMs) {
          timers.delete(id);
          timer.callback();
        }
      }
      for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const accepted = (count: number) =>
  respond(202, {
    results: Array.from({ length: count }, (_, index) => ({ index, status: 'accepted' })),
  });

function tracker(browser: ReturnType<typeof fakeBrowser>, extra: Partial<TrackerOptions> = {}) {
  const dropped: { eventId: string; reason: string }[] = [];
  const instance = createTracker(
    {
      endpoint: 'https://collect.example/v1/events',
      writeKey: 'write-key-0123456789',
      customerId: () => 'customer-1',
      maxBatchEvents: 3,
      flushIntervalMs: 5_000,
      onDropped: (items) => dropped.push(...items),
      ...extra,
    },
    browser.environment,
  );
  return { instance, dropped };
}

const ids = (sent: Sent | undefined) => sent?.body.events.map((event) => event.eventId);

describe('tracker batching', () => {
  it('holds visits until the batch is full or the flush interval passed', async () => {
    const browser = fakeBrowser([accepted(3), accepted(1)]);
    const { instance } = tracker(browser);
    instance.visit({ page: '/a' });
    instance.visit({ page: '/b' });
    await browser.advance(0);
    expect(browser.sent).toHaveLength(0);
    instance.visit({ page: '/c' }); // the third fills the batch
    await browser.advance(0);
    expect(browser.sent).toHaveLength(1);
    expect(browser.sent[0]).toMatchObject({
      via: 'fetch',
      keepalive: true,
      contentType: 'text/plain;charset=UTF-8',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    expect(browser.sent[0]?.body).toMatchObject({
      writeKey: 'write-key-0123456789',
      events: [
        {
          type: 'visit',
          eventId: 'event-1',
          customerId: 'customer-1',
          occurredAt: '2025-03-01T00:00:00.000Z',
          page: '/a',
        },
        { page: '/b' },
        { page: '/c' },
      ],
    });
    instance.visit();
    await browser.advance(4_999);
    expect(browser.sent).toHaveLength(1);
    await browser.advance(1);
    expect(ids(browser.sent[1])).toEqual(['event-4']);
    expect(instance.pending()).toBe(0);
  });

  it('tracks nobody without a customer id', async () => {
    const browser = fakeBrowser();
    const { instance } = tracker(browser, { customerId: () => undefined });
    expect(instance.visit()).toBeUndefined();
    expect(instance.pending()).toBe(0);
  });
});

describe('tracker retries', () => {
  it('resends the same eventIds after a 503, no sooner than Retry-After', async () => {
    const browser = fakeBrowser([respond(503, {}, { 'retry-after': '7' }), accepted(2)]);
    const { instance, dropped } = tracker(browser);
    instance.visit();
    instance.visit();
    await instance.flush();
    expect(browser.sent).toHaveLength(1);
    expect(instance.pending()).toBe(2);
    expect(browser.timerDelays()).toEqual([7_000]);
    await instance.flush(); // an eager caller does not break the back-off
    expect(browser.sent).toHaveLength(1);
    await browser.advance(7_000);
    expect(browser.sent).toHaveLength(2);
    expect(ids(browser.sent[1])).toEqual(ids(browser.sent[0]));
    expect(instance.pending()).toBe(0);
    expect(dropped).toEqual([]);
  });

  it('retries network errors with capped exponential back-off and never gives up', async () => {
    const offline = Array.from({ length: 7 }, () => new Error('offline'));
    const browser = fakeBrowser(offline);
    const { instance, dropped } = tracker(browser, { retryInitialMs: 1_000, retryMaxMs: 8_000 });
    instance.visit();
    await instance.flush();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const [delay] = browser.timerDelays() as [number];
      delays.push(delay);
      await browser.advance(delay);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    expect(browser.sent.map(ids)).toEqual(Array.from({ length: 8 }, () => ['event-1']));
    expect(dropped).toEqual([]);
    expect(instance.pending()).toBe(0); // the eighth attempt was answered (202)
    expect(browser.stored()).toEqual([]);
  });

  it('drops events the collector rejected, with the reason, and never retries them', async () => {
    const browser = fakeBrowser([
      respond(202, {
        results: [
          { index: 0, status: 'accepted' },
          {
            index: 1,
            status: 'rejected',
            errors: [{ field: 'page', reason: 'must be at most 2048 characters' }],
          },
        ],
      }),
    ]);
    const { instance, dropped } = tracker(browser);
    instance.visit();
    instance.visit({ page: 'x'.repeat(3000) });
    await instance.flush();
    expect(dropped).toEqual([
      { eventId: 'event-2', reason: 'rejected: page must be at most 2048 characters' },
    ]);
    expect(instance.pending()).toBe(0);
    await browser.advance(120_000);
    expect(browser.sent).toHaveLength(1);
  });

  it('does not retry a refusal no retry can fix (401)', async () => {
    const browser = fakeBrowser([respond(401)]);
    const { instance, dropped } = tracker(browser);
    instance.visit();
    await instance.flush();
    expect(dropped).toEqual([{ eventId: 'event-1', reason: 'refused with HTTP 401' }]);
    await browser.advance(120_000);
    expect(browser.sent).toHaveLength(1);
  });

  it('halves the batch when the collector says it is too large, losing nothing', async () => {
    const browser = fakeBrowser([respond(413), accepted(1), accepted(1), accepted(1)]);
    const { instance } = tracker(browser);
    instance.visit();
    instance.visit();
    instance.visit();
    await browser.advance(0);
    await instance.flush();
    expect(browser.sent.map(ids)).toEqual([
      ['event-1', 'event-2', 'event-3'],
      ['event-1'],
      ['event-2'],
      ['event-3'],
    ]);
    expect(instance.pending()).toBe(0);
  });
});

describe('tracker on page hide', () => {
  it('hands everything queued to sendBeacon, in batches', () => {
    const browser = fakeBrowser();
    const { instance } = tracker(browser, { maxBatchEvents: 2, flushIntervalMs: 60_000 });
    instance.visit();
    instance.flushOnHide();
    expect(browser.sent.map((sent) => [sent.via, ids(sent)])).toEqual([['beacon', ['event-1']]]);
    expect(browser.sent[0]?.body.writeKey).toBe('write-key-0123456789'); // beacons cannot set headers
    expect(instance.pending()).toBe(0);
    expect(browser.timerDelays()).toEqual([]);
  });

  it('falls back to a keepalive fetch when the browser refuses the beacon, and retries it', async () => {
    const browser = fakeBrowser([respond(503, {}, { 'retry-after': '1' }), accepted(1)], false);
    const { instance } = tracker(browser);
    instance.visit();
    instance.flushOnHide();
    await browser.advance(0);
    expect(browser.sent[0]).toMatchObject({ via: 'fetch', keepalive: true });
    expect(instance.pending()).toBe(1);
    await browser.advance(1_000);
    expect(browser.sent.map(ids)).toEqual([['event-1'], ['event-1']]);
    expect(instance.pending()).toBe(0);
  });

  it('sends no beacon while the collector is failing: the events wait for the retry', async () => {
    const browser = fakeBrowser([new Error('connection refused'), accepted(2)]);
    const { instance } = tracker(browser, { retryInitialMs: 2_000 });
    instance.visit();
    await instance.flush();
    instance.visit();
    instance.flushOnHide();
    expect(browser.sent.map((sent) => sent.via)).toEqual(['fetch']);
    expect(instance.pending()).toBe(2);
    await browser.advance(2_000);
    expect(browser.sent.map(ids)).toEqual([['event-1'], ['event-1', 'event-2']]);
    expect(instance.pending()).toBe(0);
  });
});

describe('tracker storage', () => {
  it('keeps every event in storage until the collector answered for it', async () => {
    const browser = fakeBrowser([
      new Error('offline'),
      respond(202, {
        results: [
          { index: 0, status: 'accepted' },
          { index: 1, status: 'rejected', errors: [{ field: 'page', reason: 'too long' }] },
        ],
      }),
    ]);
    const { instance } = tracker(browser, { retryInitialMs: 1_000 });
    instance.visit();
    instance.visit();
    expect(browser.stored()).toEqual(['event-1', 'event-2']); // stored before anything is sent
    await instance.flush();
    expect(browser.stored()).toEqual(['event-1', 'event-2']); // no answer: kept
    await browser.advance(1_000);
    expect(browser.sent).toHaveLength(2);
    expect(browser.stored()).toEqual([]); // accepted and rejected alike are settled
    expect(browser.storage.entries.size).toBe(0);
  });

  it('sends what an earlier page left, first and with the original eventIds', async () => {
    const first = fakeBrowser([new Error('collector down')]);
    const before = tracker(first);
    before.instance.visit({ page: '/a' });
    before.instance.visit({ page: '/b' });
    await before.instance.flush(); // fails: both stay stored
    before.instance.stop(); // the page is gone (a reload)

    const second = fakeBrowser([accepted(3)], true, first.storage);
    const after = tracker(second);
    expect(after.instance.pending()).toBe(2);
    after.instance.visit({ page: '/c' }); // the reloaded page's own visit (fills the batch)
    await second.advance(0);
    expect(second.sent).toHaveLength(1);
    expect(second.sent[0]?.body.events).toMatchObject([
      { eventId: 'event-1', page: '/a' },
      { eventId: 'event-2', page: '/b' },
      { page: '/c' },
    ]);
    expect(second.stored()).toEqual([]);
  });

  it('keeps beaconed events stored: a beacon may be lost, the next page sends them again', () => {
    const browser = fakeBrowser();
    const { instance } = tracker(browser);
    instance.visit();
    instance.flushOnHide();
    expect(browser.sent.map((sent) => sent.via)).toEqual(['beacon']);
    expect(instance.pending()).toBe(0);
    expect(browser.stored()).toEqual(['event-1']);
  });

  it('drops the oldest events beyond maxQueuedEvents, from storage too, and says so', async () => {
    const browser = fakeBrowser([new Error('offline')]);
    const { instance, dropped } = tracker(browser, { maxQueuedEvents: 3, maxBatchEvents: 10 });
    for (let n = 0; n < 5; n += 1) instance.visit();
    expect(dropped).toEqual([
      { eventId: 'event-1', reason: 'queue full' },
      { eventId: 'event-2', reason: 'queue full' },
    ]);
    expect(browser.stored()).toEqual(['event-3', 'event-4', 'event-5']);
    expect(instance.pending()).toBe(3);
  });

  it('carries on in memory when storage is blocked or damaged', async () => {
    const storage = memoryStorage();
    storage.entries.set(STORAGE_KEYS.queue, '{not json');
    const browser = fakeBrowser([accepted(1)], true, storage);
    const { instance } = tracker(browser);
    expect(instance.pending()).toBe(0);
    instance.visit();
    await browser.advance(5_000);
    expect(browser.sent.map(ids)).toEqual([['event-1']]);
  });
});
