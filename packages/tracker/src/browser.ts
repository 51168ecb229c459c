import {
  createTracker,
  type Tracker,
  type TrackerOptions,
  type TrackerResponse,
} from './tracker.ts';

/** The few browser globals the tracker uses (typed here: the package does not need the DOM lib). */
export interface BrowserGlobals {
  fetch(url: string, init: Record<string, unknown>): Promise<TrackerResponse>;
  navigator?: { sendBeacon?(url: string, data: string): boolean };
  document?: {
    visibilityState?: string;
    addEventListener(type: string, listener: () => void): void;
  };
  addEventListener?(type: string, listener: () => void): void;
  crypto?: { randomUUID?(): string };
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

function fallbackId(): string {
  // Non-secure contexts lack crypto.randomUUID; an id only needs to be unique, not secret.
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Wires the tracker to the page: flushes through sendBeacon when the page is hidden
 * (visibilitychange → hidden, and pagehide, which mobile browsers fire instead of unload).
 */
export function installTracker(
  options: TrackerOptions,
  globals: BrowserGlobals = globalThis as unknown as BrowserGlobals,
): Tracker {
  const sendBeacon = globals.navigator?.sendBeacon?.bind(globals.navigator);
  const tracker = createTracker(options, {
    fetch: (url, init) => globals.fetch(url, init),
    ...(sendBeacon ? { sendBeacon: (url: string, body: string) => sendBeacon(url, body) } : {}),
    setTimeout: (callback, delayMs) => globals.setTimeout(callback, delayMs),
    clearTimeout: (handle) => globals.clearTimeout(handle),
    nowMs: () => Date.now(),
    newEventId: () => globals.crypto?.randomUUID?.() ?? fallbackId(),
  });
  globals.document?.addEventListener('visibilitychange', () => {
    if (globals.document?.visibilityState === 'hidden') tracker.flushOnHide();
  });
  globals.addEventListener?.('pagehide', () => tracker.flushOnHide());
  return tracker;
}
