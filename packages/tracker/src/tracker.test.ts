import { describe, expect, it } from 'vitest';
import { installTracker } from './browser.ts';
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
}

/** Fake browser: a manual clock and timers, scripted collector answers, recorded requests. */
function fakeBrowser(answers: (TrackerResponse | Error)[] = [], beaconAccepts = true) {
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
  };
  return {
    environment,
    sent,
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

function respond(
  status: number,
  body: unknown = {},
  headers: Record<string, string> = {},
): TrackerResponse {
  return {
    status,
    headers: { get: (name) => headers[name.toLowerCase()] ?? null },
    json: async () => body,
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

  it('backs off exponentially on network errors and gives up after maxAttempts', async () => {
    const browser = fakeBrowser([new Error('offline'), new Error('offline'), new Error('offline')]);
    const { instance, dropped } = tracker(browser, { maxAttempts: 3, retryInitialMs: 1_000 });
    instance.visit();
    await instance.flush();
    expect(browser.timerDelays()).toEqual([1_000]);
    await browser.advance(1_000);
    expect(browser.timerDelays()).toEqual([2_000]);
    await browser.advance(2_000);
    expect(browser.sent.map(ids)).toEqual([['event-1'], ['event-1'], ['event-1']]);
    expect(dropped).toEqual([{ eventId: 'event-1', reason: 'gave up after retries' }]);
    expect(instance.pending()).toBe(0);
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

  it('installs on visibilitychange → hidden and pagehide', () => {
    const listeners = new Map<string, () => void>();
    const beacons: string[] = [];
    const document = {
      visibilityState: 'visible',
      addEventListener: (type: string, listener: () => void) =>
        listeners.set(`document:${type}`, listener),
    };
    const instance = installTracker(
      { endpoint: '/v1/events', writeKey: 'write-key-0123456789', customerId: () => 'c1' },
      {
        fetch: async () => respond(202),
        navigator: { sendBeacon: (_url, body) => (beacons.push(body), true) },
        document,
        addEventListener: (type, listener) => listeners.set(`window:${type}`, listener),
        crypto: { randomUUID: () => 'uuid-1' },
        setTimeout: () => 0,
        clearTimeout: () => undefined,
      },
    );
    instance.visit();
    listeners.get('document:visibilitychange')?.();
    expect(beacons).toHaveLength(0); // still visible
    document.visibilityState = 'hidden';
    listeners.get('document:visibilitychange')?.();
    expect(beacons).toHaveLength(1);
    instance.visit();
    listeners.get('window:pagehide')?.();
    expect(beacons.map((body) => JSON.parse(body).events[0].eventId)).toEqual(['uuid-1', 'uuid-1']);
  });
});
