// What a site calls (`pulse.init`, `visit`, `identify`, `consent`): the page's side of the
// tracker — who the visitor is, whether they may be tracked at all, page views on load and on
// history navigation, and the hooks that flush when the page is hidden.
import { STORAGE_KEYS, safeStorage, storedQueue, type KeyValueStorage } from './storage.ts';
import {
  createTracker,
  trackerDefaults,
  type Tracker,
  type TrackerOptions,
  type TrackerRequest,
  type TrackerResponse,
  type VisitDetails,
} from './tracker.ts';

/** The few browser globals the tracker uses (typed here: the package does not need the DOM lib). */
export interface BrowserGlobals {
  fetch(url: string, init: TrackerRequest): Promise<TrackerResponse>;
  navigator?: { sendBeacon?(url: string, data: string): boolean; globalPrivacyControl?: boolean };
  document?: {
    visibilityState?: string;
    addEventListener(type: string, listener: () => void): void;
  };
  location?: { pathname: string };
  history?: { pushState(...args: unknown[]): void };
  localStorage?: KeyValueStorage;
  addEventListener?(type: string, listener: () => void): void;
  crypto?: { randomUUID?(): string };
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PulseOptions extends Omit<TrackerOptions, 'customerId'> {
  /** The logged-in customer; without one the visitor gets an anonymous id (kept in localStorage). */
  customerId?: string;
  /** No event, no storage until `pulse.consent(true)` (remembered in localStorage). Default false. */
  requireConsent?: boolean;
  /**
   * `navigator.globalPrivacyControl` is an opt-out: nothing is tracked or stored. Set false only
   * for a documented reason (see the README); the site then answers for it. Default true.
   */
  honourGlobalPrivacyControl?: boolean;
  /** A visit on load and on each history navigation to a new path. Default true. */
  autoVisit?: boolean;
}

export interface Pulse {
  /** Starts the tracker (once per page); a visit for this page unless `autoVisit: false`. */
  init(options: PulseOptions): void;
  /** Records a visit of this page (or `details.page`); its eventId, or undefined when not tracking. */
  visit(details?: VisitDetails): string | undefined;
  /** The visitor logged in (a customer id) or out (undefined): later events carry the new id. */
  identify(customerId?: string): void;
  /** The visitor's choice. false also forgets what the tracker stored and queued. */
  consent(granted: boolean): void;
  /** Sends what is queued now. */
  flush(): Promise<void>;
  /** Events not yet answered by the collector. */
  pending(): number;
}

function randomId(globals: BrowserGlobals): string {
  // Pages served over plain http (not localhost) lack crypto.randomUUID; an id only needs to be
  // unique, not secret.
  return (
    globals.crypto?.randomUUID?.() ??
    `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`
  );
}

export function createPulse(
  globals: BrowserGlobals = globalThis as unknown as BrowserGlobals,
): Pulse {
  let options: PulseOptions | undefined;
  let tracker: Tracker | undefined;
  let customerId: string | undefined;
  let visitorId: string | undefined;
  let lastPage: string | undefined;
  /** The visitor's choice: true, false, or not made (undefined). */
  let granted: boolean | undefined;
  let local: KeyValueStorage | undefined;
  try {
    local = globals.localStorage; // the getter itself throws where site data is blocked
  } catch {
    // memory only
  }
  const storage = safeStorage(local);
  const path = () => globals.location?.pathname;

  function allowed(): boolean {
    if (!options) return false;
    if (options.honourGlobalPrivacyControl !== false && globals.navigator?.globalPrivacyControl)
      return false;
    return granted ?? !options.requireConsent;
  }

  function pageView(): void {
    const page = path();
    if (tracker && options?.autoVisit !== false && page !== lastPage) {
      lastPage = page;
      tracker.visit(page === undefined ? {} : { page });
    }
  }

  function hide(): void {
    tracker?.flushOnHide();
  }

  function start(): void {
    if (tracker || !options || !allowed()) return;
    if (granted) storage.setItem(STORAGE_KEYS.consent, '1');
    visitorId = storage.getItem(STORAGE_KEYS.visitor) ?? `anon-${randomId(globals)}`;
    storage.setItem(STORAGE_KEYS.visitor, visitorId);
    const sendBeacon = globals.navigator?.sendBeacon?.bind(globals.navigator);
    tracker = createTracker(
      { ...options, customerId: () => customerId ?? visitorId },
      {
        fetch: (url, init) => globals.fetch(url, init),
        ...(sendBeacon ? { sendBeacon: (url: string, data: string) => sendBeacon(url, data) } : {}),
        setTimeout: (callback, delayMs) => globals.setTimeout(callback, delayMs),
        clearTimeout: (handle) => globals.clearTimeout(handle),
        nowMs: () => Date.now(),
        newEventId: () => randomId(globals),
        store: storedQueue(storage, options.maxQueuedEvents ?? trackerDefaults.maxQueuedEvents),
      },
    );
    pageView();
  }

  function listen(): void {
    // visibilitychange → hidden covers tab switches and app switches (mobile browsers may never
    // fire anything after it); pagehide covers navigations and closes where it does not fire.
    globals.document?.addEventListener('visibilitychange', () => {
      if (globals.document?.visibilityState === 'hidden') hide();
    });
    globals.addEventListener?.('pagehide', hide);
    globals.addEventListener?.('online', () => void tracker?.flush());
    globals.addEventListener?.('popstate', pageView);
    const history = globals.history;
    if (history) {
      const pushState = history.pushState;
      history.pushState = (...args: unknown[]) => {
        pushState.apply(history, args);
        pageView();
      };
    }
  }

  return {
    init(given) {
      if (options) return;
      options = given;
      customerId = given.customerId;
      const stored = storage.getItem(STORAGE_KEYS.consent);
      granted ??= stored === '1' ? true : stored === '0' ? false : undefined;
      listen();
      start();
    },
    visit(details = {}) {
      const page = path();
      return tracker?.visit(page === undefined ? details : { page, ...details });
    },
    identify(id) {
      customerId = id || undefined;
    },
    consent(choice) {
      granted = choice;
      if (choice) return start();
      tracker?.stop();
      tracker = undefined;
      lastPage = undefined;
      storage.removeItem(STORAGE_KEYS.queue);
      storage.removeItem(STORAGE_KEYS.visitor);
      // Remembering the refusal is what makes it stick on the next page.
      storage.setItem(STORAGE_KEYS.consent, '0');
    },
    flush: () => tracker?.flush() ?? Promise.resolve(),
    pending: () => tracker?.pending() ?? 0,
  };
}
