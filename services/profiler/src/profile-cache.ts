import type { Profile } from '@pulse/core';

interface Entry {
  customerId: string;
  profile: Profile;
  bytes: number;
  /** The due time the task last committed for the customer; null: none known. */
  dueMs: number | null;
  /** Read since eviction last came round to it (it gets one more round). */
  used: boolean;
}

/**
 * What an entry costs the heap (measured with node 20: a decoded profile of ~120 encoded bytes
 * took ~3,000 bytes): the entry, its slot in the map, the customer id, and the profile's some
 * forty small objects, about sixteen times its encoded size.
 */
const ENTRY_OVERHEAD_BYTES = 1_200;
const DECODED_BYTES_PER_ENCODED_BYTE = 16;

/**
 * Decoded profiles a partition task committed (or read) itself, kept across batches so that the
 * next batch of the same customers neither fetches nor decodes them again. Only good while
 * nobody else wrote the partition: the task hands the store the version of its last commit, and
 * the load says whether that is still the partition's version (a forget, a claim or any other
 * writer bumps it); when not, the cache is dropped. Within a byte budget the oldest entry goes
 * first, unless it was read since eviction last came round to it (second chance: a read only
 * sets a flag).
 *
 * Off by default (a budget of 0): on 2 cores shared with the broker and Redis, the collector's
 * work on the cached versions costs today's drain more than the loads and decodes they save
 * (on earlier code the cache saved a fifth of the rate). With a budget, it keeps profiles only
 * while the task drains a backlog (`keep`), where a customer comes back within a few batches.
 * A task caught up with its input keeps nothing: each batch is a few events of customers its
 * one load fetches anyway, and a cache of the whole live population (some forty small objects
 * a profile) is what the old generation's collector traces at every full collection — on a
 * 2-core machine at 10,000 events/s, 100 to 300 ms of marking on the cores the broker and Redis
 * share, the tail of the produce → committed latency.
 *
 * It also remembers the due time the task last committed for a cached customer (`setDue`), so
 * that a load can name the cached customers that may be due (`dueBy`) and get no bytes for
 * them — a partition's weekly look comes due for most of its customers at once, and the task
 * holds them — and a commit need not write a due time the index already holds (`holdsDue`).
 */
export class ProfileCache {
  private readonly entries = new Map<string, Entry>();
  private usedBytes = 0;
  /** No cached customer is due before this (a lower bound). */
  private earliestDueMs = Infinity;
  private keeping = true;

  constructor(private readonly budgetBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Whether `set` keeps profiles (a task draining a backlog). */
  get keeps(): boolean {
    return this.keeping;
  }

  /** Keep profiles from now on (draining a backlog), or not (caught up: the cache is emptied). */
  keep(keep: boolean): void {
    if (keep === this.keeping) return;
    this.keeping = keep;
    if (!keep) this.clear();
  }

  has(customerId: string): boolean {
    return this.entries.has(customerId);
  }

  get(customerId: string): Profile | undefined {
    const entry = this.entries.get(customerId);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.profile;
  }

  /** Keeps `profile` (of `encodedBytes` in Redis) while the cache keeps profiles at all. */
  set(customerId: string, profile: Profile, encodedBytes: number): void {
    if (this.budgetBytes <= 0 || !this.keeping) return;
    const bytes =
      ENTRY_OVERHEAD_BYTES + 2 * customerId.length + encodedBytes * DECODED_BYTES_PER_ENCODED_BYTE;
    const previous = this.entries.get(customerId);
    if (previous === undefined) {
      this.entries.set(customerId, { customerId, profile, bytes, dueMs: null, used: false });
      this.usedBytes += bytes;
    } else {
      this.usedBytes += bytes - previous.bytes;
      previous.profile = profile;
      previous.bytes = bytes;
      previous.used = true;
    }
    while (this.usedBytes > this.budgetBytes) {
      const entry = this.entries.values().next().value as Entry;
      this.entries.delete(entry.customerId);
      if (entry.used) {
        entry.used = false;
        this.entries.set(entry.customerId, entry);
      } else {
        this.usedBytes -= entry.bytes;
      }
    }
  }

  /**
   * The due time a commit gave a cached customer in the due index (null: none). Ignored for a
   * customer not cached: only cached customers may be named to the load.
   */
  setDue(customerId: string, dueMs: number | null): void {
    const entry = this.entries.get(customerId);
    if (entry === undefined) return;
    entry.dueMs = dueMs;
    if (dueMs !== null && dueMs < this.earliestDueMs) this.earliestDueMs = dueMs;
  }

  /** Whether the task last committed this due time for this cached customer. */
  holdsDue(customerId: string, dueMs: number | null): boolean {
    return dueMs !== null && this.entries.get(customerId)?.dueMs === dueMs;
  }

  /** The cached customers due at or before `horizonMs`, as the task last committed them. */
  dueBy(horizonMs: number): string[] {
    const due: string[] = [];
    if (horizonMs < this.earliestDueMs) return due;
    let earliest = Infinity;
    // Over the entries alone: a [key, entry] pair per cached customer was most of what a load
    // allocated (this scan runs at every load once a cached customer may be due).
    for (const entry of this.entries.values()) {
      const dueMs = entry.dueMs;
      if (dueMs === null) continue;
      if (dueMs <= horizonMs) due.push(entry.customerId);
      if (dueMs < earliest) earliest = dueMs;
    }
    this.earliestDueMs = earliest;
    return due;
  }

  clear(): void {
    this.entries.clear();
    this.usedBytes = 0;
    this.earliestDueMs = Infinity;
  }
}
