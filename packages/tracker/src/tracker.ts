// A browser tracker for the Pulse collector, written against small interfaces instead of the
// DOM so the batching and retry rules run (and are tested) anywhere. No dependencies.
//
// Delivery is at least once: an event keeps its eventId through every retry, and the profiler
// counts an eventId once, so resending after a timeout or a lost answer is always safe.

/** What the collector answers (only what the tracker reads). */
export interface TrackerResponse {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

export interface TrackerEnvironment {
  /** `fetch` with `keepalive`, so a request started while the page goes away still completes. */
  fetch(
    url: string,
    init: { method: 'POST'; headers: Record<string, string>; body: string; keepalive: boolean },
  ): Promise<TrackerResponse>;
  /** `navigator.sendBeacon`, when the browser has it: false when it refused to queue the body. */
  sendBeacon?(url: string, body: string): boolean;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  nowMs(): number;
  newEventId(): string;
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
  /** Oldest events are dropped beyond this many queued (a long offline spell). */
  maxQueuedEvents?: number;
  /** Attempts per event before it is given up. */
  maxAttempts?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Told about events the collector rejected (bad field) or the tracker gave up. */
  onDropped?: (dropped: { eventId: string; reason: string }[]) => void;
}

export interface VisitDetails {
  page?: string;
  sessionId?: string;
  /** Overrides `options.customerId()` for this event. */
  customerId?: string;
}

export interface VisitEvent {
  type: 'visit';
  eventId: string;
  customerId: string;
  occurredAt: string;
  page?: string;
  sessionId?: string;
}

interface Queued {
  event: VisitEvent;
  attempts: number;
}

export interface Tracker {
  /** Queues a visit; returns its eventId, or undefined when there is no customer id. */
  visit(details?: VisitDetails): string | undefined;
  /** Sends what is queued now (one batch at a time); resolves when this round is answered. */
  flush(): Promise<void>;
  /** The page is being hidden or unloaded: hand everything queued to sendBeacon. */
  flushOnHide(): void;
  /** Events not yet acknowledged by the collector (queued or in flight). */
  pending(): number;
}

const RETRIABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export function createTracker(options: TrackerOptions, environment: TrackerEnvironment): Tracker {
  const settings = {
    maxBatchEvents: options.maxBatchEvents ?? 20,
    flushIntervalMs: options.flushIntervalMs ?? 5_000,
    maxQueuedEvents: options.maxQueuedEvents ?? 500,
    maxAttempts: options.maxAttempts ?? 8,
    retryInitialMs: options.retryInitialMs ?? 1_000,
    retryMaxMs: options.retryMaxMs ?? 60_000,
  };
  let batchLimit = settings.maxBatchEvents;
  let queue: Queued[] = [];
  let inFlight: Queued[] = [];
  let sending: Promise<void> | undefined;
  let timer: unknown;
  /** While backing off, nothing is sent before this instant. */
  let notBeforeMs = 0;

  const dropped = (items: Queued[], reason: string) => {
    if (items.length > 0)
      options.onDropped?.(items.map((item) => ({ eventId: item.event.eventId, reason })));
  };

  function schedule(delayMs: number): void {
    if (timer !== undefined) environment.clearTimeout(timer);
    timer = environment.setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
  }

  function body(items: Queued[]): string {
    return JSON.stringify({ writeKey: options.writeKey, events: items.map((item) => item.event) });
  }

  /** Puts a failed batch back at the head of the queue, one attempt older. */
  function requeue(items: Queued[], retryAfterMs: number | undefined): void {
    const aged = items.map((item) => ({ ...item, attempts: item.attempts + 1 }));
    const alive = aged.filter((item) => item.attempts < settings.maxAttempts);
    dropped(
      aged.filter((item) => item.attempts >= settings.maxAttempts),
      'gave up after retries',
    );
    queue = [...alive, ...queue];
    const attempt = Math.max(1, ...alive.map((item) => item.attempts));
    const backoffMs = Math.min(settings.retryMaxMs, settings.retryInitialMs * 2 ** (attempt - 1));
    const delayMs = Math.max(backoffMs, retryAfterMs ?? 0);
    notBeforeMs = environment.nowMs() + delayMs;
    if (queue.length > 0) schedule(delayMs);
  }

  async function handle(items: Queued[], response: TrackerResponse): Promise<void> {
    if (response.status === 202) {
      const answer = (await response.json().catch(() => undefined)) as
        | {
            results?: {
              index: number;
              status: string;
              errors?: { field: string; reason: string }[];
            }[];
          }
        | undefined;
      for (const result of answer?.results ?? []) {
        const item = items[result.index];
        if (item && result.status === 'rejected')
          dropped(
            [item],
            `rejected: ${(result.errors ?? []).map((error) => `${error.field} ${error.reason}`).join('; ')}`,
          );
      }
      return;
    }
    if (response.status === 413 && items.length > 1) {
      // The collector takes smaller batches than we send: halve and resend, nothing lost.
      batchLimit = Math.max(1, Math.floor(items.length / 2));
      queue = [...items, ...queue];
      return;
    }
    if (RETRIABLE.has(response.status)) {
      const seconds = Number(response.headers.get('retry-after'));
      requeue(items, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined);
      return;
    }
    dropped(items, `refused with HTTP ${response.status}`); // 400, 401, 413 of one event: no retry helps
  }

  async function sendOne(): Promise<boolean> {
    const items = queue.slice(0, batchLimit);
    queue = queue.slice(items.length);
    inFlight = [...inFlight, ...items];
    try {
      const response = await environment.fetch(options.endpoint, {
        method: 'POST',
        // text/plain keeps the request CORS-simple: no preflight, same as sendBeacon.
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: body(items),
        keepalive: true,
      });
      await handle(items, response);
    } catch {
      requeue(items, undefined); // offline, DNS, connection reset: the answer is unknown
    } finally {
      inFlight = inFlight.filter((item) => !items.includes(item));
    }
    return environment.nowMs() >= notBeforeMs;
  }

  function flush(): Promise<void> {
    if (sending) return sending;
    if (timer !== undefined) {
      environment.clearTimeout(timer);
      timer = undefined;
    }
    if (environment.nowMs() < notBeforeMs) {
      if (queue.length > 0) schedule(notBeforeMs - environment.nowMs());
      return Promise.resolve();
    }
    sending = (async () => {
      while (queue.length > 0) {
        if (!(await sendOne())) break; // backing off: the timer resumes
      }
    })().finally(() => {
      sending = undefined;
    });
    return sending;
  }

  function visit(details: VisitDetails = {}): string | undefined {
    const customerId = details.customerId ?? options.customerId();
    if (!customerId) return undefined;
    const event: VisitEvent = {
      type: 'visit',
      eventId: environment.newEventId(),
      customerId,
      occurredAt: new Date(environment.nowMs()).toISOString(),
      ...(details.page === undefined ? {} : { page: details.page }),
      ...(details.sessionId === undefined ? {} : { sessionId: details.sessionId }),
    };
    queue.push({ event, attempts: 0 });
    if (queue.length > settings.maxQueuedEvents)
      dropped(queue.splice(0, queue.length - settings.maxQueuedEvents), 'queue full');
    if (queue.length >= batchLimit) void flush();
    else if (timer === undefined) schedule(settings.flushIntervalMs);
    return event.eventId;
  }

  function flushOnHide(): void {
    if (timer !== undefined) {
      environment.clearTimeout(timer);
      timer = undefined;
    }
    while (queue.length > 0) {
      const items = queue.slice(0, batchLimit);
      queue = queue.slice(items.length);
      // A beacon's outcome is never known: it is the browser's to deliver after the page is gone.
      if (environment.sendBeacon?.(options.endpoint, body(items))) continue;
      // No beacon, or the browser refused to queue it: a keepalive fetch, still retried if the
      // page comes back (bfcache) before it fails.
      inFlight = [...inFlight, ...items];
      void environment
        .fetch(options.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'text/plain;charset=UTF-8' },
          body: body(items),
          keepalive: true,
        })
        .then((response) => handle(items, response))
        .catch(() => requeue(items, undefined))
        .finally(() => {
          inFlight = inFlight.filter((item) => !items.includes(item));
        });
    }
  }

  return { visit, flush, flushOnHide, pending: () => queue.length + inFlight.length };
}
