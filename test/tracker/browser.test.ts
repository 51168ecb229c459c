/*
 * The tracker in a real browser against the real collector and broker. Headless Chromium opens
 * the example shop (its own origin), which loads the tracker from the collector (another
 * origin, a `pulse run collector` child process) and sends its visits there; a profiler turns
 * them into profiles in Redis.
 *
 * The invariant: every visit the page creates reaches `pulse.visits` with the eventId it was
 * created with — through page loads, single-page navigation, a login, a reload with events still
 * queued, a collector killed and started again while the page is open, and a page hidden or left
 * with events queued — and the customer's profile counts each exactly once. The privacy rules
 * hold in the same browser: no consent (or Global Privacy Control), nothing sent or stored; an
 * origin the write key does not allow gets nothing through, and the console says it was CORS.
 *
 * The ground truth of "every visit the page created" is the page's own localStorage: the tracker
 * stores each event before it sends it, and the test records every write of that queue.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopServer, type ShopServer } from '@pulse/demo';
import type { ProfilerConfig } from '@pulse/profiler';
import { eventIdHash } from '../../packages/core/src/hashing.ts';
import { launchChromium } from '../../packages/demo/src/chromium.ts';
import { spawnCollector, type CollectorProcess } from '../support/collector-process.ts';
import { closedPort, recordCount } from '../support/http.ts';
import {
  connectedAdmin,
  onCleanup,
  testConsumer,
  testProcessEnv,
  uniqueName,
} from '../support/infra.ts';
import {
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
  type ProfilerTopics,
} from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const PARTITIONS = 3;
const writeKey = uniqueName('shop-write-key-0123456789');

interface StoredVisit {
  type: string;
  eventId: string;
  customerId: string;
  occurredAt: string;
  page?: string;
}

interface CollectorRequest {
  /** CDP's resource type: 'Fetch' for fetch(), 'Ping' for navigator.sendBeacon. */
  type: string;
  body: { writeKey: string; events: StoredVisit[] };
  headers: Record<string, string>;
  failed: boolean;
}

let browser: Browser;
let topics: ProfilerTopics;
let profilerConfig: ProfilerConfig;
let collectorPort: number;
let collector: CollectorProcess;
let shop: ShopServer;
/** A second shop whose origin the collector does not allow for the write key. */
let foreignShop: ShopServer;
const visitsOnTopic = new Map<string, { key: string; value: Record<string, unknown> }[]>();

function collectorEnv(): Record<string, string> {
  return {
    PULSE_COLLECTOR_WRITE_KEYS: `shop:${writeKey}`,
    PULSE_COLLECTOR_CORS_ORIGINS: `shop=${shop.origin}`,
    PULSE_VISITS_TOPIC: topics.visits,
    PULSE_PURCHASES_TOPIC: topics.purchases,
  };
}

beforeAll(async () => {
  topics = await createProfilerTopics(PARTITIONS);
  profilerConfig = testProfilerConfig(topics);
  await startTestProfiler(profilerConfig);
  collectorPort = await closedPort();
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  shop = await startShopServer({ collectorUrl, writeKey });
  foreignShop = await startShopServer({ collectorUrl, writeKey });
  onCleanup(() => shop.close());
  onCleanup(() => foreignShop.close());
  collector = await spawnCollector({ port: collectorPort, env: collectorEnv() });

  // Everything that reaches the topic, by eventId (a resend may land twice: that is allowed).
  const consumer = testConsumer(uniqueName('browser-reader'));
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.visits], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<
        string,
        unknown
      >;
      const id = String(value.eventId);
      visitsOnTopic.set(id, [
        ...(visitsOnTopic.get(id) ?? []),
        { key: message.key?.toString('utf8') ?? '', value },
      ]);
    },
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

/** A browser tab with what the test watches: every stored queue, every request to the collector, the console. */
async function openTab(options: { globalPrivacyControl?: boolean } = {}) {
  const context: BrowserContext = await browser.newContext();
  onCleanup(() => context.close());
  const created = new Map<string, StoredVisit>();
  await context.exposeBinding('__recordPulseQueue', (_source, json: string) => {
    for (const event of JSON.parse(json) as StoredVisit[]) created.set(event.eventId, event);
  });
  await context.addInitScript({
    content: `
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (key === 'pulse:queue') window.__recordPulseQueue(value);
        return setItem.call(this, key, value);
      };
      ${
        options.globalPrivacyControl
          ? "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });"
          : ''
      }`,
  });
  const page: Page = await context.newPage();
  const console: { type: string; text: string }[] = [];
  page.on('console', (message) => console.push({ type: message.type(), text: message.text() }));
  const requests = new Map<string, CollectorRequest>();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (event) => {
    if (!event.request.url.endsWith('/v1/events') || event.request.method !== 'POST') return;
    requests.set(event.requestId, {
      type: event.type ?? 'Other',
      body: JSON.parse(event.request.postData ?? '{}') as CollectorRequest['body'],
      headers: event.request.headers as Record<string, string>,
      failed: false,
    });
  });
  cdp.on('Network.loadingFailed', (event) => {
    const request = requests.get(event.requestId);
    if (request) request.failed = true;
  });
  const evaluate = <T>(expression: string) => page.evaluate(expression) as Promise<T>;
  return {
    context,
    page,
    console,
    created,
    requests: () => [...requests.values()],
    /** Requests that carried this event. */
    requestsWith: (eventId: string) =>
      [...requests.values()].filter((request) =>
        request.body.events?.some((event) => event.eventId === eventId),
      ),
    /** The page's queue of unanswered events, as stored in localStorage. */
    stored: async () =>
      JSON.parse(
        (await evaluate<string | null>("localStorage.getItem('pulse:queue')")) ?? '[]',
      ) as StoredVisit[],
    pulseKeys: () =>
      evaluate<string[]>("Object.keys(localStorage).filter((key) => key.startsWith('pulse:'))"),
    pending: () => evaluate<number>('pulse.pending()'),
    evaluate,
  };
}

type Tab = Awaited<ReturnType<typeof openTab>>;

/** Until the page has no unanswered event, neither in memory nor in storage. */
async function allAnswered(tab: Tab, what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    what,
    async () =>
      (await tab.pending()) === 0 && (await tab.stored()).length === 0 ? true : undefined,
    { timeoutMs, intervalMs: 100 },
  );
}

async function storedProfileVisits(customerId: string): Promise<{
  visits: number;
  recentIdHashes: number[];
}> {
  const state = await readStoredState(profilerConfig, PARTITIONS);
  for (const partition of state.values()) {
    const profile = partition.profiles.get(customerId);
    if (profile)
      return {
        visits: profile.lifetimeVisits,
        recentIdHashes: profile.recentEvents.map((entry) => entry.idHash),
      };
  }
  return { visits: 0, recentIdHashes: [] };
}

/** `npx pulse profile <id> --json`, what a person runs to see the profile. */
async function pulseProfile(customerId: string): Promise<{ lifetime: { visits: number } }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [resolve(REPO_ROOT, 'bin/pulse.mjs'), 'profile', customerId, '--json'],
    {
      cwd: REPO_ROOT,
      env: testProcessEnv({
        PULSE_KEY_PREFIX: profilerConfig.keyPrefix,
        PULSE_VISITS_TOPIC: topics.visits,
        PULSE_PURCHASES_TOPIC: topics.purchases,
      }),
    },
  );
  return JSON.parse(stdout) as { lifetime: { visits: number } };
}

describe('the tracker in Chromium, on the example shop, against the real collector', () => {
  it('delivers every visit once through navigation, login, a reload, a collector outage and a hidden page', async () => {
    const tab = await openTab();
    const { page } = tab;
    const customerId = `shopper-${randomBytes(4).toString('hex')}`;

    // Page views of an anonymous visitor, once they accepted (multi-page part).
    await page.goto(shop.url);
    await page.click('#accept');
    await page.click('#product-trail-shoes');
    await page.click('#add-to-cart');
    await page.click('#go-to-cart');
    // The single-page part: /cart/ → /cart/login by history.pushState, then the login
    // (pulse.identify) and /cart/shipping as the customer.
    await page.click('#check-out');
    await page.waitForURL('**/cart/login');
    await page.fill('#customer-id', customerId);
    await page.click('#log-in-submit');
    await page.waitForURL('**/cart/shipping');
    await allAnswered(tab, 'the first visits to be answered');
    const visitorId = await tab.evaluate<string>("localStorage.getItem('pulse:visitor')");
    expect(visitorId).toMatch(/^anon-[0-9a-f-]{36}$/);

    // The collector dies (SIGKILL) while the page is open; the next route's visit fails to send.
    collector.kill('SIGKILL');
    await collector.exited;
    await page.click('#place-order');
    await page.waitForURL('**/cart/done');
    const [queuedDuringOutage] = await waitFor('the visit of /cart/done to be stored', async () => {
      const stored = await tab.stored();
      return stored.length === 1 ? stored : undefined;
    });
    await waitFor('a failed attempt to send it', () =>
      tab.requestsWith(queuedDuringOutage!.eventId).some((request) => request.failed)
        ? true
        : undefined,
    );

    // A reload with the event still queued (the collector still down; the tracker script comes
    // from the browser's cache): the new page keeps it, with its eventId, beside its own visit.
    await page.reload();
    const afterReload = await waitFor('the reloaded page to queue its own visit', async () => {
      const stored = await tab.stored();
      return stored.length === 2 ? stored : undefined;
    });
    expect(afterReload[0]).toEqual(queuedDuringOutage);
    expect(afterReload[1]).toMatchObject({ customerId, page: '/cart/done' });

    // The collector comes back on the same port: the open page delivers both.
    collector = await spawnCollector({ port: collectorPort, env: collectorEnv() });
    await allAnswered(tab, 'the queued visits to be delivered after the outage', 90_000);

    // The page is hidden with a visit queued: it goes by sendBeacon. (Headless Chromium never
    // hides a live page, so the visibility state is set by hand; the beacon is the browser's.)
    const hiddenId = await tab.evaluate<string>(`(() => {
      const eventId = pulse.visit();
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      delete document.visibilityState;
      return eventId;
    })()`);
    await waitFor('the beacon', () =>
      tab.requestsWith(hiddenId).some((request) => request.type === 'Ping') ? true : undefined,
    );
    expect(tab.requestsWith(hiddenId).map((request) => request.type)).toEqual(['Ping']);

    // The visitor leaves with a visit queued: pagehide hands it to a beacon as the page goes.
    const leftId = await tab.evaluate<string>('pulse.visit()');
    await page.goto('about:blank');

    // Every visit the page created, in order: who and where.
    const created = [...tab.created.values()];
    expect(created.map((event) => [event.customerId, event.page])).toEqual([
      [visitorId, '/'],
      [visitorId, '/products/trail-shoes.html'],
      [visitorId, '/cart/'],
      [visitorId, '/cart/login'],
      [customerId, '/cart/shipping'],
      [customerId, '/cart/done'], // queued during the outage
      [customerId, '/cart/done'], // the reloaded page
      [customerId, '/cart/done'], // hidden
      [customerId, '/cart/done'], // left
    ]);
    expect(created.map((event) => event.eventId)).toContain(leftId);

    // … each on the topic, keyed by its customer, with the contract's fields only.
    await waitFor(
      'every visit on pulse.visits',
      () => (created.every((event) => visitsOnTopic.has(event.eventId)) ? true : undefined),
      { timeoutMs: 60_000 },
    );
    for (const event of created) {
      for (const record of visitsOnTopic.get(event.eventId)!) {
        expect(record.key).toBe(event.customerId);
        expect(record.value).toEqual({
          eventId: event.eventId,
          customerId: event.customerId,
          occurredAt: event.occurredAt,
          page: event.page,
          source: 'shop',
        });
      }
    }

    // … and counted once in the customer's profile (a resend may have put one twice on the topic).
    const customerEvents = created.filter((event) => event.customerId === customerId);
    const profile = await waitFor('the profiler to apply them', async () => {
      const stored = await storedProfileVisits(customerId);
      return stored.visits >= customerEvents.length ? stored : undefined;
    });
    expect(profile.visits).toBe(customerEvents.length);
    for (const event of customerEvents)
      expect(profile.recentIdHashes).toContain(eventIdHash(event.eventId));
    const anonymous = await waitFor('the anonymous visits to be applied', async () => {
      const stored = await storedProfileVisits(visitorId);
      return stored.visits >= 4 ? stored : undefined;
    });
    expect(anonymous.visits).toBe(4);
    expect((await pulseProfile(customerId)).lifetime.visits).toBe(5);

    // Nothing but the documented fields left the page, and no cookie exists anywhere.
    for (const request of tab.requests()) {
      expect(Object.keys(request.body).sort()).toEqual(['events', 'writeKey']);
      for (const event of request.body.events)
        expect(Object.keys(event).sort()).toEqual([
          'customerId',
          'eventId',
          'occurredAt',
          'page',
          'type',
        ]);
      const headers = Object.keys(request.headers).map((name) => name.toLowerCase());
      expect(headers).not.toContain('cookie');
      // fetch() sends no referrer (a beacon sends the page's origin: the browser's default).
      if (request.type === 'Fetch') expect(request.headers.Referer ?? '').toBe('');
    }
    expect(await tab.context.cookies()).toEqual([]);
  }, 300_000);

  it('sends and stores nothing without consent, nor with Global Privacy Control', async () => {
    for (const globalPrivacyControl of [false, true]) {
      const tab = await openTab({ globalPrivacyControl });
      const { page } = tab;
      await page.goto(shop.url);
      await page.click('#product-wool-socks');
      await page.click('#go-to-cart');
      await page.click('#check-out'); // a single-page navigation
      await page.waitForURL('**/cart/login');
      if (globalPrivacyControl) {
        // The visitor even accepts: the browser's Global Privacy Control still opts them out.
        await page.click('#accept');
      }
      // Nothing queued (so nothing that a later page could send), nothing stored, nothing sent.
      expect(await tab.evaluate('pulse.visit()')).toBeUndefined();
      expect(await tab.pending()).toBe(0);
      expect(tab.created.size).toBe(0);
      expect(await tab.pulseKeys()).toEqual([]);
      expect(tab.requests()).toEqual([]);
      expect(await tab.context.cookies()).toEqual([]);
    }
  }, 120_000);

  it('lets nothing through from an origin the write key does not allow, and the console says why', async () => {
    const tab = await openTab();
    const { page } = tab;
    const refusedBefore = await collector.metric('pulse_collector_origin_refused_total');
    const admin = await connectedAdmin();
    const recordsBefore = await recordCount(admin, topics.visits);
    await page.goto(foreignShop.url);
    await page.click('#accept');
    const corsError = await waitFor('the browser to report the CORS refusal', () =>
      tab.console.find(
        (message) => message.type === 'error' && /blocked by CORS policy/.test(message.text),
      ),
    );
    expect(corsError.text).toContain(`from origin '${foreignShop.origin}'`);
    expect(corsError.text).toContain("No 'Access-Control-Allow-Origin' header");

    // The page keeps its visit (it cannot tell a refusal it may not read from an outage); the
    // collector refused it before producing anything.
    const [kept] = await tab.stored();
    expect(kept).toMatchObject({ page: '/' });
    await waitFor('the collector to count the refusal', async () =>
      (await collector.metric('pulse_collector_origin_refused_total')) > refusedBefore
        ? true
        : undefined,
    );
    // Nothing reached the topic: the refusal comes before anything is produced.
    expect(await recordCount(admin, topics.visits)).toBe(recordsBefore);
    expect(visitsOnTopic.has(kept!.eventId)).toBe(false);
  }, 120_000);
});
