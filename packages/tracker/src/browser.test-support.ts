// Fakes shared by the tracker's unit tests (not a test file itself).
import type { KeyValueStorage } from './storage.ts';
import type { TrackerResponse } from './tracker.ts';

/** localStorage as a Map (what the tracker stores, readable by the test). */
export function memoryStorage(): KeyValueStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
    removeItem: (key) => void entries.delete(key),
  };
}

/** A collector answer. */
export function respond(
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
