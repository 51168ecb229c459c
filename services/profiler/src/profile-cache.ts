import type { Profile } from '@pulse/core';

interface Entry {
  profile: Profile;
  bytes: number;
  /** The due time the task last committed for the customer; null: none known. */
  dueMs: number | null;
  /** Read since eviction last came round to it (it gets one more round). */
  used: boolean;
}

/**
 * Decoded profiles a partition task committed itself, kept across batches so that the next
 * batch of the same customers neither fetches nor decodes them again. Only good while nobody
 * else wrote the partition: the task hands the store the version of its last commit, and the
 * load says whether that is still the partition's version (a forget, a claim or any other
 * writer bumps it); when not, the cache is dropped. Within a byte budget — an estimate: a
 * decoded profile takes about ten times its encoded size — the oldest entry goes first, unless
 * it was read since eviction last came round to it (second chance: a read only sets a flag).
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

  constructor(private readonly budgetBytes: number) {}

  get size(): number {
    return this.entries.size;
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

  set(customerId: string, profile: Profile, encodedBytes: number): void {
    if (this.budgetBytes <= 0) return;
    const bytes = 256 + 10 * encodedBytes;
    const previous = this.entries.get(customerId);
    if (previous === undefined) {
      this.entries.set(customerId, { profile, bytes, dueMs: null, used: false });
      this.usedBytes += bytes;
    } else {
      this.usedBytes += bytes - previous.bytes;
      previous.profile = profile;
      previous.bytes = bytes;
      previous.used = true;
    }
    while (this.usedBytes > this.budgetBytes) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldest, entry);
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
    for (const [customerId, { dueMs }] of this.entries) {
      if (dueMs === null) continue;
      if (dueMs <= horizonMs) due.push(customerId);
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
