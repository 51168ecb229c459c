// The delivery engine of the browser tracker, written against small interfaces instead of the
// DOM so its batching, retry and persistence rules run (and are tested) anywhere. No dependencies.
//
// Delivery is at least once: an event keeps its eventId through every retry, every reload and
// every beacon, and the profiler counts an eventId once, so sending an event again after a
// timeout, a lost answer or an unknown beacon is always safe. An event leaves the page's
// storage only when the collector has answered for it.

/** What the collector answers (only what the tracker reads). */
export interface TrackerResponse {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** The request the tracker sends: CORS-simple (text/plain), no cookies, no referrer. */
export interface TrackerRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  keepalive: boolean;
  credentials: 'omit';
  referrerPolicy: 'no-referrer';
}

/**
 * Where unanswered events wait (the page's localStorage in a browser): they survive a reload, a
 * closed tab and a collector outage, and the next page sends them with their original eventIds.
 */
export interface EventStore {
  load(): VisitEvent[];
  add(event: VisitEvent): void;
  remove(eventIds: readonly string[]): void;
}

export interface TrackerEnvironment {
  /** `fetch`; `keepalive` so a request started while the page goes away still completes. */
  fetch(url: string, init: TrackerRequest): Promise<TrackerResponse>;
  /** `navigator.sendBeacon`, when the browser has it: false when it refused to queue the body. */
  sendBeacon?(url: string, body: string): boolean;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  nowMs(): number;
  newEventId(): string;
  /** Without one, events live in memory only (lost with the page). */
  store?: EventStore;
}

export interface TrackerOptions {
  /** The collector's batch endpoint, e.g. https://collect.example.com/v1/events */
  endpoint: string;
  /** The site's write key (public, like every browser write key; it names the source). */
  writeKey: string;
  /** The customer (or anonymous visitor) id of the current page; undefined: not tracked. */
  customerId: () => string | undefined;
  /** Events per request; keep bodies small (keepalive requests are limited to 64 KiB). */
  maxBatchEvents?: number;
  /** A partial batch waits at most this long. */
  flushIntervalMs?: number;
  /** Oldest events are dropped beyond this many waiting (a long offline spell). */
  maxQueuedEvents?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Told about events the collector rejected (bad field) or that did not fit the queue. */
  onDropped?: (dropped: { eventId: string; reason: string }[]) => void;
}

export interface VisitDetails {
  page?: string;
  sessionId?: string;
  /** Overrides `options.customerId()` for this event. */
  customerId?: string;
}

/** Exactly what leaves the page for each visit (the contract's visit fields, nothing else). */
export interface VisitEvent {
  type: 'visit';
  eventId: string;
  customerId: string;
  occurredAt: string;
  page?: string;
  sessionId?: string;
}

export interface Tracker {
  /** Queues a visit; returns its eventId, or undefined when there is no customer id. */
  visit(details?: VisitDetails): string | undefined;
  /** Sends what is queued now (one batch at a time); resolves when this round is answered. */
  flush(): Promise<void>;
  /** The page is being hidden or unloaded: hand everything queued to sendBeacon. */
  flushOnHide(): void;
  /** Events this page has not yet seen answered (queued or in flight). */
  pending(): number;
  /** Stops sending and forgets everything queued (consent withdrawn). */
  stop(): void;
}

/** Answers worth another try later: the collector or its broker is busy or away. */
const RETRIABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export const trackerDefaults = {
  maxBatchEvents: 20,
  /** Short, so a page view is usually answered before the visitor moves on (see the README). */
  flushIntervalMs: 1_000,
  maxQueuedEvents: 500,
  retryInitialMs: 1_000,
  /** Back-off cap: how late at most the first send after a collector outage is. */
  retryMaxMs: 30_000,
};

export function createTracker(options: TrackerOptions, environment: TrackerEnvironment): Tracker {
  const settings = { ...trackerDefaults, ...options };
  const store = environment.store;
  let batchLimit = settings.maxBatchEvents;
  let queue: VisitEvent[] = store?.load() ?? [];
  let inFlight = 0;
  let sending: Promise<void> | undefined;
  let timer: unknown;
  let failures = 0;
  let stopped = false;
  /** While backing off, nothing is sent before this instant. */
  let notBeforeMs = 0;

  const ids = (events: VisitEvent[]) => events.map((event) => event.eventId);

  /** Answered for (accepted, or refused for good): nothing will ever send them again. */
  function settle(events: VisitEvent[], reason?: string): void {
    store?.remove(ids(events));
    if (reason && events.length > 0)
      options.onDropped?.(events.map((event) => ({ eventId: event.eventId, reason })));
  }

  function cancelTimer(): void {
    if (timer !== undefined) environment.clearTimeout(timer);
    timer = undefined;
  }

  function schedule(delayMs: number): void {
    cancelTimer();
    timer = environment.setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
  }

  function request(events: VisitEvent[]): TrackerRequest {
    return {
      method: 'POST',
      // text/plain keeps the request CORS-simple: no preflight, same as sendBeacon.
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: body(events),
      keepalive: true,
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    };
  }

  function body(events: VisitEvent[]): string {
    return JSON.stringify({ writeKey: options.writeKey, events });
  }

  /** Puts a failed batch back at the head of the queue and backs off; it is never given up. */
  function retryLater(events: VisitEvent[], retryAfterMs?: number): void {
    if (stopped) return;
    queue = [...events, ...queue];
    failures += 1;
    const backoffMs = Math.min(settings.retryMaxMs, settings.retryInitialMs * 2 ** (failures - 1));
    const delayMs = Math.max(backoffMs, retryAfterMs ?? 0);
    notBeforeMs = environment.nowMs() + delayMs;
    schedule(delayMs);
  }

  async function handle(events: VisitEvent[], response: TrackerResponse): Promise<void> {
    const status = response.status;
    if (status === 202) {
      failures = 0;
      const answer = (await response.json().catch(() => undefined)) as
        | {
            results?: {
              index: number;
              status: string;
              errors?: { field: string; reason: string }[];
            }[];
          }
        | undefined;
      const rejected = new Map<VisitEvent, string>();
      for (const result of answer?.results ?? []) {
        const event = events[result.index];
        if (event && result.status === 'rejected')
          rejected.set(
            event,
            `rejected: ${(result.errors ?? []).map((error) => `${error.field} ${error.reason}`).join('; ')}`,
          );
      }
      settle(events.filter((event) => !rejected.has(event)));
      for (const [event, reason] of rejected) settle([event], reason);
      return;
    }
    if (status === 413 && events.length > 1) {
      // The collector takes smaller batches than we send: halve and resend, nothing lost.
      batchLimit = Math.max(1, events.length >> 1);
      queue = [...events, ...queue];
      return;
    }
    if (RETRIABLE.has(status)) {
      const seconds = Number(response.headers.get('retry-after'));
      return retryLater(events, seconds > 0 ? seconds * 1000 : undefined);
    }
    settle(events, `refused with HTTP ${status}`); // 400, 401, 403, 413 of one event: no retry helps
  }

  /** One request; whatever happens, the events are settled or back in the queue. */
  async function post(events: VisitEvent[]): Promise<void> {
    inFlight += events.length;
    try {
      await handle(events, await environment.fetch(options.endpoint, request(events)));
    } catch {
      // Offline, refused connection, CORS: the answer is unknown, the events are kept.
      retryLater(events);
    } finally {
      inFlight -= events.length;
    }
  }

  function take(): VisitEvent[] {
    const events = queue.slice(0, batchLimit);
    queue = queue.slice(events.length);
    return events;
  }

  function flush(): Promise<void> {
    if (sending) return sending;
    cancelTimer();
    if (environment.nowMs() < notBeforeMs) {
      if (queue.length > 0) schedule(notBeforeMs - environment.nowMs());
      return Promise.resolve();
    }
    sending = (async () => {
      // Stop at the first failure: the back-off timer resumes.
      while (queue.length > 0 && !stopped && environment.nowMs() >= notBeforeMs) await post(take());
    })().finally(() => {
      sending = undefined;
    });
    return sending;
  }

  function visit(details: VisitDetails = {}): string | undefined {
    const customerId = details.customerId ?? options.customerId();
    if (stopped || !customerId) return undefined;
    const event: VisitEvent = {
      type: 'visit',
      eventId: environment.newEventId(),
      customerId,
      occurredAt: new Date(environment.nowMs()).toISOString(),
    };
    if (details.page !== undefined) event.page = details.page;
    if (details.sessionId !== undefined) event.sessionId = details.sessionId;
    store?.add(event);
    queue.push(event);
    if (queue.length > settings.maxQueuedEvents)
      settle(queue.splice(0, queue.length - settings.maxQueuedEvents), 'queue full');
    if (queue.length >= batchLimit) void flush();
    else if (timer === undefined) schedule(settings.flushIntervalMs);
    return event.eventId;
  }

  function flushOnHide(): void {
    // The collector failed last time: a beacon would most likely be lost too. The events stay
    // queued (and stored) for this page's retry timer, or for the next page.
    if (failures > 0) return;
    cancelTimer();
    while (queue.length > 0) {
      const events = take();
      // A beacon's outcome is never known: the browser delivers it after the page is gone. The
      // events stay in the store, so the next page sends them again if the beacon was lost.
      if (environment.sendBeacon?.(options.endpoint, body(events))) continue;
      // No beacon, or the browser refused to queue it: a keepalive fetch, answered (and retried)
      // if the page lives on.
      void post(events);
    }
  }

  function stop(): void {
    stopped = true;
    cancelTimer();
    queue = [];
  }

  // Events an earlier page left unanswered go out with this page's first batch.
  if (queue.length > 0) schedule(0);

  return { visit, flush, flushOnHide, pending: () => queue.length + inFlight, stop };
}
