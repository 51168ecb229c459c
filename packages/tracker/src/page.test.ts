// The page API against a fake window: page views on load and on history navigation, identify,
// and the privacy rules — nothing is sent or stored before consent where the site requires it,
// Global Privacy Control is an opt-out, no cookie is ever touched, and only the contract's
// fields leave the page.
import { describe, expect, it } from 'vitest';
import { memoryStorage, respond } from './browser.test-support.ts';
import { createPulse, type BrowserGlobals, type PulseOptions } from './page.ts';
import { STORAGE_KEYS } from './storage.ts';

interface Request {
  via: 'fetch' | 'beacon';
  url: string;
  body: { writeKey: string; events: Record<string, unknown>[] };
}

/** A window with what the tracker touches, plus a record of what it did. */
function fakeWindow(
  options: { storage?: ReturnType<typeof memoryStorage>; gpc?: boolean; path?: string } = {},
) {
  const listeners = new Map<string, (() => void)[]>();
  const on = (scope: string) => (type: string, listener: () => void) =>
    listeners.set(`${scope}:${type}`, [...(listeners.get(`${scope}:${type}`) ?? []), listener]);
  const fire = (key: string) => listeners.get(key)?.forEach((listener) => listener());
  const requests: Request[] = [];
  const timers: (() => void)[] = [];
  const cookieWrites: string[] = [];
  let cookieReads = 0;
  let uuid = 0;
  const storage = options.storage ?? memoryStorage();
  const location = { pathname: options.path ?? '/', search: '?email=someone%40example.com' };
  const document = {
    visibilityState: 'visible',
    addEventListener: on('document'),
    get cookie() {
      cookieReads += 1;
      return '';
    },
    set cookie(value: string) {
      cookieWrites.push(value);
    },
  };
  const history = {
    pushState(_state: unknown, _title: string, url: string) {
      location.pathname = new URL(url, 'https://shop.example').pathname;
    },
  };
  const globals: BrowserGlobals = {
    async fetch(url, init) {
      requests.push({ via: 'fetch', url, body: JSON.parse(init.body) });
      return respond(202, { results: [] });
    },
    navigator: {
      sendBeacon(url, data) {
        requests.push({ via: 'beacon', url, body: JSON.parse(data) });
        return true;
      },
      ...(options.gpc === undefined ? {} : { globalPrivacyControl: options.gpc }),
    },
    document,
    location,
    history,
    localStorage: storage,
    addEventListener: on('window'),
    crypto: { randomUUID: () => `uuid-${(uuid += 1)}` },
    setTimeout(callback) {
      timers.push(callback);
      return timers.length;
    },
    clearTimeout: () => undefined,
  };
  return {
    globals,
    storage,
    requests,
    location,
    history,
    document,
    cookies: () => ({ reads: cookieReads, writes: cookieWrites }),
    /** Every event that left the page, in order. */
    events: () => requests.flatMap((request) => request.body.events),
    /** Runs the timers that were set (the flush interval passed). */
    async tick() {
      for (const callback of timers.splice(0)) callback();
      await new Promise((resolve) => setImmediate(resolve));
    },
    hide() {
      document.visibilityState = 'hidden';
      fire('document:visibilitychange');
    },
    popTo(path: string) {
      location.pathname = path;
      fire('window:popstate');
    },
    fire,
  };
}

const site: PulseOptions = {
  endpoint: 'https://collect.example/v1/events',
  writeKey: 'write-key-0123456789',
};

describe('page views', () => {
  it('records one on load and one per history navigation to a new path', async () => {
    const window = fakeWindow({ path: '/products' });
    const pulse = createPulse(window.globals);
    pulse.init({ ...site, customerId: 'customer-7' });
    window.history.pushState(null, '', '/products/trail-shoes');
    window.history.pushState(null, '', '/products/trail-shoes?colour=red'); // same path
    window.popTo('/products');
    await window.tick();
    expect(window.events()).toEqual([
      expect.objectContaining({ customerId: 'customer-7', page: '/products' }),
      expect.objectContaining({ page: '/products/trail-shoes' }),
      expect.objectContaining({ page: '/products' }),
    ]);
  });

  it('records none by itself with autoVisit: false; pulse.visit() still works', async () => {
    const window = fakeWindow({ path: '/cart' });
    const pulse = createPulse(window.globals);
    pulse.init({ ...site, customerId: 'customer-7', autoVisit: false });
    window.history.pushState(null, '', '/cart/shipping');
    await window.tick();
    expect(window.events()).toEqual([]);
    expect(pulse.visit()).toBeDefined();
    await window.tick();
    expect(window.events()).toEqual([expect.objectContaining({ page: '/cart/shipping' })]);
  });
});

describe('identify', () => {
  it('gives an anonymous visitor a stored id, then the customer id once they log in', async () => {
    const window = fakeWindow();
    const pulse = createPulse(window.globals);
    pulse.init(site);
    expect(window.storage.entries.get(STORAGE_KEYS.visitor)).toBe('anon-uuid-1');
    pulse.identify('customer-9');
    window.history.pushState(null, '', '/account');
    pulse.identify(undefined); // logged out
    window.history.pushState(null, '', '/');
    await window.tick();
    expect(window.events().map((event) => event.customerId)).toEqual([
      'anon-uuid-1',
      'customer-9',
      'anon-uuid-1',
    ]);

    // The next page of the same visitor keeps the anonymous id.
    const next = fakeWindow({ storage: window.storage });
    createPulse(next.globals).init(site);
    await next.tick();
    expect(next.events().map((event) => event.customerId)).toEqual(['anon-uuid-1']);
  });
});

describe('privacy', () => {
  it('sends and stores nothing before consent when the site requires it', async () => {
    const window = fakeWindow({ path: '/products' });
    const pulse = createPulse(window.globals);
    pulse.init({ ...site, customerId: 'customer-7', requireConsent: true });
    expect(pulse.visit()).toBeUndefined();
    window.history.pushState(null, '', '/cart');
    window.hide();
    await window.tick();
    expect(window.requests).toEqual([]);
    expect(window.storage.entries.size).toBe(0);

    pulse.consent(true); // the visitor accepted: this page counts from now on
    await window.tick();
    expect(window.events()).toEqual([expect.objectContaining({ page: '/cart' })]);
    expect(window.storage.entries.get(STORAGE_KEYS.consent)).toBe('1');

    // The next page remembers the consent.
    const next = fakeWindow({ storage: window.storage, path: '/' });
    createPulse(next.globals).init({ ...site, customerId: 'customer-7', requireConsent: true });
    await next.tick();
    expect(next.events()).toEqual([expect.objectContaining({ page: '/' })]);
  });

  it('forgets everything when consent is withdrawn, and stays quiet on the next page', async () => {
    const window = fakeWindow();
    const pulse = createPulse(window.globals);
    window.globals.fetch = async () => {
      throw new Error('offline'); // the visit stays queued and stored
    };
    pulse.init(site);
    expect(window.storage.entries.has(STORAGE_KEYS.queue)).toBe(true);
    pulse.consent(false);
    expect(pulse.pending()).toBe(0);
    expect([...window.storage.entries]).toEqual([[STORAGE_KEYS.consent, '0']]);
    expect(pulse.visit()).toBeUndefined();

    const next = fakeWindow({ storage: window.storage });
    createPulse(next.globals).init(site); // a site that does not ask: the refusal still holds
    await next.tick();
    expect(next.requests).toEqual([]);
  });

  it('honours Global Privacy Control as an opt-out, unless the site turns that off', async () => {
    const window = fakeWindow({ gpc: true });
    const pulse = createPulse(window.globals);
    pulse.init({ ...site, customerId: 'customer-7', requireConsent: true });
    pulse.consent(true);
    await window.tick();
    expect(window.requests).toEqual([]);
    expect(window.storage.entries.size).toBe(0);

    const overridden = fakeWindow({ gpc: true });
    createPulse(overridden.globals).init({
      ...site,
      customerId: 'customer-7',
      honourGlobalPrivacyControl: false,
    });
    await overridden.tick();
    expect(overridden.events()).toHaveLength(1);
  });

  it('sends only the documented fields, never a query string, and never touches a cookie', async () => {
    const window = fakeWindow({ path: '/search' });
    const pulse = createPulse(window.globals);
    pulse.init({ ...site, customerId: 'customer-7' });
    pulse.visit({ sessionId: 'session-1' });
    window.hide();
    await window.tick();
    for (const request of window.requests) {
      expect(request.url).toBe(site.endpoint);
      expect(Object.keys(request.body).sort()).toEqual(['events', 'writeKey']);
    }
    expect(window.events().map((event) => Object.keys(event).sort())).toEqual([
      ['customerId', 'eventId', 'occurredAt', 'page', 'type'],
      ['customerId', 'eventId', 'occurredAt', 'page', 'sessionId', 'type'],
    ]);
    expect(window.events().map((event) => event.page)).toEqual(['/search', '/search']);
    expect(window.cookies()).toEqual({ reads: 0, writes: [] });
  });

  it('works without localStorage (blocked site data): in memory only', async () => {
    const window = fakeWindow();
    Object.defineProperty(window.globals, 'localStorage', {
      get() {
        throw new Error('SecurityError: access is denied for this document');
      },
    });
    const pulse = createPulse(window.globals);
    pulse.init(site);
    await window.tick();
    expect(window.events()).toHaveLength(1);
  });
});

describe('page hide', () => {
  it('hands the queue to sendBeacon on visibilitychange → hidden and on pagehide', () => {
    const window = fakeWindow();
    const pulse = createPulse(window.globals);
    pulse.init({ ...site, customerId: 'customer-7' });
    window.fire('document:visibilitychange'); // still visible: nothing
    expect(window.requests).toEqual([]);
    window.hide();
    pulse.visit({ page: '/later' });
    window.fire('window:pagehide');
    expect(window.requests.map((request) => [request.via, request.body.events.length])).toEqual([
      ['beacon', 1],
      ['beacon', 1],
    ]);
  });
});
