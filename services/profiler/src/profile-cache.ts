import type { Profile } from '@pulse/core';

/**
 * Decoded profiles a partition task committed itself, kept across batches so that the next
 * batch of the same customers neither fetches nor decodes them again. Only good while nobody
 * else wrote the partition: the task hands the store the version of its last commit, and the
 * load says whether that is still the partition's version (a forget, a claim or any other
 * writer bumps it); when not, the cache is dropped. Least recently used first out, within a
 * byte budget — an estimate: a decoded profile takes about ten times its encoded size.
 */
export class ProfileCache {
  private readonly entries = new Map<string, { profile: Profile; bytes: number }>();
  private usedBytes = 0;

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
    }
  }

  clear(): void {
    this.entries.clear();
    this.usedBytes = 0;
  }
}
