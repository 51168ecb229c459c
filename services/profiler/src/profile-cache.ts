import { adoptProfileMemos, profileMemosOf, type Profile, type ProfileMemos } from '@pulse/core';

interface Entry {
  /** The profile's encoding as Redis holds it, one byte per character (latin1). */
  encoded: string;
  /** The decoded profile too, while the cache keeps them (`keepDecoded`). */
  profile: Profile | undefined;
  /**
   * What the core remembered of a profile kept encoded only (its segment, its lapse inputs):
   * given to the copy `get` decodes.
   */
  memos: ProfileMemos | undefined;
  bytes: number;
  /** The due time the task last committed for the customer; null: none known. */
  dueMs: number | null;
  /** Read since eviction last came round to it (it gets one more round). */
  used: boolean;
}

/**
 * What an entry costs the heap besides its encoding (measured with node 20: a profile of ~120
 * encoded bytes took ~1,400 bytes of heap kept encoded with its memos, ~3,000 kept decoded): the
 * entry, its slot in the map, the customer id and the core's memos (about ten small objects and
 * the segment key's text); a decoded profile adds about fourteen times its encoded size.
 */
const ENTRY_OVERHEAD_BYTES = 1_200;
const DECODED_BYTES_PER_ENCODED_BYTE = 14;

/**
 * The profiles a partition task committed (or read) itself, kept across batches so that the
 * next batch of the same customers does not fetch them again. Only good while nobody else wrote
 * the partition: the task hands the store the version of its last commit, and the load says
 * whether that is still the partition's version (a forget, a claim or any other writer bumps
 * it); when not, the cache is dropped. Within a byte budget the oldest entry goes first, unless
 * it was read since eviction last came round to it (second chance: a read only sets a flag).
 *
 * Two forms, chosen by the task (`keepDecoded`). Caught up with its input, a task keeps its
 * profiles encoded, one flat string each, and decodes on `get`: a decoded profile is some forty
 * small objects (its lists, traits, memos), and a cache of them is what the old generation's
 * collector traces at every full collection. On a 2-core machine at 10,000 events/s that marking
 * (hundreds of milliseconds with the whole population cached) was the tail of the produce →
 * committed latency; a string is one object the collector does not look into. What the core
 * remembered of the profile (its segment, its lapse inputs) is kept beside the bytes and handed
 * to the decoded copy. Draining a backlog, where throughput counts and a pause delays nobody in
 * particular, a task keeps the decoded profiles as well and hands the same object back: a decode
 * on every look cost a drain a fifth of its rate (about three looks per event, counting the
 * weekly looks at due customers). Going back to encoded drops the decoded profiles at once.
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
  private decodedKept = false;

  constructor(
    private readonly budgetBytes: number,
    private readonly decode: (encoded: Uint8Array) => Profile,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Whether `set` keeps decoded profiles as well as their bytes. */
  get keepsDecoded(): boolean {
    return this.decodedKept;
  }

  /**
   * Keep decoded profiles from now on (a task draining a backlog), or not (caught up: the
   * decoded profiles kept so far are dropped, their memos kept beside their bytes).
   */
  keepDecoded(keep: boolean): void {
    if (keep === this.decodedKept) return;
    this.decodedKept = keep;
    if (keep) return;
    for (const [customerId, entry] of this.entries) {
      if (entry.profile === undefined) continue;
      entry.memos = profileMemosOf(entry.profile);
      entry.profile = undefined;
      const bytes = entryBytesOf(customerId, entry.encoded, false);
      this.usedBytes += bytes - entry.bytes;
      entry.bytes = bytes;
    }
  }

  has(customerId: string): boolean {
    return this.entries.has(customerId);
  }

  /**
   * The cached profile: the decoded one kept, or a fresh decode (the caller may keep that;
   * nobody else holds it).
   */
  get(customerId: string): Profile | undefined {
    const entry = this.entries.get(customerId);
    if (entry === undefined) return undefined;
    entry.used = true;
    if (entry.profile !== undefined) return entry.profile;
    const profile = this.decode(Buffer.from(entry.encoded, 'latin1'));
    if (entry.memos !== undefined) adoptProfileMemos(profile, entry.memos);
    return profile;
  }

  /** Keeps `encoded`, the encoding of `profile` (and `profile` itself while `keepDecoded`). */
  set(customerId: string, profile: Profile, encoded: Uint8Array): void {
    if (this.budgetBytes <= 0) return;
    const text = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString(
      'latin1',
    );
    const bytes = entryBytesOf(customerId, text, this.decodedKept);
    const kept = this.decodedKept ? profile : undefined;
    const memos = this.decodedKept ? undefined : profileMemosOf(profile);
    const previous = this.entries.get(customerId);
    if (previous === undefined) {
      this.entries.set(customerId, {
        encoded: text,
        profile: kept,
        memos,
        bytes,
        dueMs: null,
        used: false,
      });
      this.usedBytes += bytes;
    } else {
      this.usedBytes += bytes - previous.bytes;
      previous.encoded = text;
      previous.profile = kept;
      previous.memos = memos;
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

function entryBytesOf(customerId: string, encoded: string, decoded: boolean): number {
  return (
    ENTRY_OVERHEAD_BYTES +
    2 * customerId.length +
    encoded.length * (decoded ? 1 + DECODED_BYTES_PER_ENCODED_BYTE : 1)
  );
}
