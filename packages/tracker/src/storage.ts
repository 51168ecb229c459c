import type { EventStore, VisitEvent } from './tracker.ts';

/** The part of `window.localStorage` the tracker uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Every key the tracker writes; all of them go when consent is withdrawn. */
export const STORAGE_KEYS = {
  /** Events not yet answered by the collector (JSON array of visits). */
  queue: 'pulse:queue',
  /** The anonymous visitor id, for pages without a logged-in customer. */
  visitor: 'pulse:visitor',
  /** '1' once the visitor consented (only where the site requires consent). */
  consent: 'pulse:consent',
};

/**
 * Storage that never throws: localStorage is missing in some embedded browsers, throws when the
 * visitor blocked site data, and throws when full. The tracker then carries on in memory.
 */
export function safeStorage(storage: KeyValueStorage | undefined): KeyValueStorage {
  return {
    getItem: (key) => {
      try {
        return storage?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    setItem: (key, value) => {
      try {
        storage?.setItem(key, value);
      } catch {
        // full or blocked: memory only
      }
    },
    removeItem: (key) => {
      try {
        storage?.removeItem(key);
      } catch {
        // blocked
      }
    },
  };
}

/**
 * The queue of unanswered events in localStorage. Each change reads, edits and writes the whole
 * list, so two tabs of the same site add to one list instead of overwriting each other's events;
 * either tab may then send an event the other queued (at least once: the profiler counts an
 * eventId once).
 */
export function storedQueue(storage: KeyValueStorage, maxEvents: number): EventStore {
  const read = (): VisitEvent[] => {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEYS.queue) ?? '[]');
      return Array.isArray(parsed) ? (parsed as VisitEvent[]) : [];
    } catch {
      return []; // not ours, or damaged: start afresh
    }
  };
  const write = (events: VisitEvent[]): void => {
    if (events.length === 0) storage.removeItem(STORAGE_KEYS.queue);
    else storage.setItem(STORAGE_KEYS.queue, JSON.stringify(events.slice(-maxEvents)));
  };
  return {
    load: read,
    add: (event) => write([...read(), event]),
    remove: (eventIds) => write(read().filter((event) => !eventIds.includes(event.eventId))),
  };
}
