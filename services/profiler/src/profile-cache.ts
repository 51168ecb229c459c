import type { Profile } from '@pulse/core';

/**
 * Decoded profiles a partition task committed itself, kept across batches so that the next
 * batch of the same customers neither fetches nor decodes them again. Only good while nobody
 * else wrote the partition: the task hands the store the version of its last commit, and the
 * load says whether that is still the partition's version (a forget, a claim or any other
 * writer bumps it); when not, the cache is dropped. Least recently used first out, within a
 * byte budget — an estimate: a decoded profile takes about ten times its encoded size.
 *
 * It also remembers the due time the task last committed for a cached customer (`setDue`), so
 * that a load can name the cached customers that may be due (`dueBy`) and get no bytes for
 * them: a partition's weekly look comes due for most of its customers at once, and the task
 * holds them.
 */
export class ProfileCache {
  private readonly entries = new Map<string, { profile: Profile; bytes: number }>();
  private usedBytes = 0;
  private readonly dueAt = new Map<string, number>();
  /** The customers of `dueAt` by the hour they are due in (a load asks up to an instant). */
  private readonly dueByHour = new Map<number, Set<string>>();

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
    this.entries.delete(customerId);
    this.entries.set(customerId, entry);
    return entry.profile;
  }

  set(customerId: string, profile: Profile, encodedBytes: number): void {
    if (this.budgetBytes <= 0) return;
    const previous = this.entries.get(customerId);
    if (previous !== undefined) {
      this.usedBytes -= previous.bytes;
      this.entries.delete(customerId);
    }
    const bytes = 256 + 10 * encodedBytes;
    this.entries.set(customerId, { profile, bytes });
    this.usedBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.usedBytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.usedBytes -= entry.bytes;
      this.forgetDue(oldest);
    }
  }

  /**
   * The due time a commit gave a cached customer in the due index (null: none). Ignored for a
   * customer not cached: only cached customers may be named to the load.
   */
  setDue(customerId: string, dueMs: number | null): void {
    this.forgetDue(customerId);
    if (dueMs === null || !this.entries.has(customerId)) return;
    this.dueAt.set(customerId, dueMs);
    const hour = Math.floor(dueMs / HOUR_MS);
    let ids = this.dueByHour.get(hour);
    if (ids === undefined) {
      ids = new Set();
      this.dueByHour.set(hour, ids);
    }
    ids.add(customerId);
  }

  /** The cached customers due at or before `horizonMs`, as the task last committed them. */
  dueBy(horizonMs: number): string[] {
    const due: string[] = [];
    const lastHour = Math.floor(horizonMs / HOUR_MS);
    for (const [hour, ids] of this.dueByHour) {
      if (hour > lastHour) continue;
      for (const id of ids) if (hour < lastHour || this.dueAt.get(id)! <= horizonMs) due.push(id);
    }
    return due;
  }

  clear(): void {
    this.entries.clear();
    this.usedBytes = 0;
    this.dueAt.clear();
    this.dueByHour.clear();
  }

  private forgetDue(customerId: string): void {
    const dueMs = this.dueAt.get(customerId);
    if (dueMs === undefined) return;
    this.dueAt.delete(customerId);
    const hour = Math.floor(dueMs / HOUR_MS);
    const ids = this.dueByHour.get(hour);
    ids?.delete(customerId);
    if (ids?.size === 0) this.dueByHour.delete(hour);
  }
}

const HOUR_MS = 3_600_000;
