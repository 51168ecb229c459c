import { hash } from 'node:crypto';
import { digestUInt32BE } from '@pulse/core';

/**
 * Redis key layout. Every key a partition owns carries `{<namespace>:p<partition>}` as hash
 * tag, so one Lua script can touch all of them atomically, also on Redis Cluster (they share
 * a slot). The namespace lets a replay build `v2` beside the live `v1`.
 *
 * A partition's profiles and timers are cut into `BUCKETS` hashes and sorted sets (bucket of
 * a customer: `customerBucket`), so no key grows with the population: a resharding moves a
 * partition's slot key by key (MIGRATE), and the largest key bounds how long one MIGRATE
 * blocks its master. At 10 M customers over 12 partitions a profiles bucket holds ~13,000
 * profiles (~2 MB) instead of one 120 MB hash.
 */
export interface PartitionKeys {
  meta: string;
  held: string;
  outbox: string;
  /** `profiles:<b>`, b = 0 … BUCKETS−1: customerId → encoded profile. */
  profiles: readonly string[];
  /** `due:<b>`, b = 0 … BUCKETS−1: customerId scored by due time (ms). */
  due: readonly string[];
  /**
   * `due-merge`: a sorted set the load script fills and deletes within one call, to merge the
   * due buckets in order; never holds anything between calls.
   */
  dueMerge: string;
}

/** Profile and timer buckets per partition. Changing it is a layout change (a migration). */
export const BUCKETS = 64;

/**
 * Pure: the bucket of a customer, from the first 32 bits of the SHA-1 of the id. The Lua
 * scripts compute the same (`redis.sha1hex`), for the customers they are given. Not
 * the partitioner's murmur2: bucket and partition would then be correlated (12 partitions and
 * 64 buckets share the factor 4, and a partition would fill only a quarter of its buckets).
 */
export function customerBucket(customerId: string, buckets = BUCKETS): number {
  // The one-shot form: about half the CPU of createHash for an id this short, the same digest;
  // as a 'binary' (latin1) string, one character per byte, which costs less than a Buffer.
  return digestUInt32BE(hash('sha1', customerId, 'binary'), 0) % buckets;
}

const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function assertNamespace(namespace: string): void {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(
      `invalid namespace "${namespace}": use 1-32 lower-case letters, digits, - or _ (e.g. v1)`,
    );
  }
}

/**
 * The one order in which scripts that touch several of a partition's keys take them: meta,
 * held, outbox, then every profiles bucket, then every due bucket (3 + 2 × BUCKETS keys). A
 * script that needs fewer takes a prefix of it; `forgetCustomer` takes the prefix of three and
 * then the one customer's profiles and due buckets.
 */
export function partitionKeyList(keys: PartitionKeys): string[] {
  return [keys.meta, keys.held, keys.outbox, ...keys.profiles, ...keys.due];
}

/**
 * The keys of one partition. The hot path's scripts (loadBatch, commitBatch) are given only
 * meta, held and outbox and build the bucket names from the meta key's the same way:
 * `<tag>:profiles:<b>`, `<tag>:due:<b>`.
 */
export function partitionKeys(
  namespace: string,
  partition: number,
  prefix = 'pulse',
): PartitionKeys {
  const tag = partitionTag(namespace, partition, prefix);
  const buckets = [...Array(BUCKETS).keys()];
  return {
    meta: `${tag}:meta`,
    held: `${tag}:held`,
    outbox: `${tag}:outbox`,
    profiles: buckets.map((bucket) => `${tag}:profiles:${bucket}`),
    due: buckets.map((bucket) => `${tag}:due:${bucket}`),
    dueMerge: `${tag}:due-merge`,
  };
}

function partitionTag(namespace: string, partition: number, prefix: string): string {
  assertNamespace(namespace);
  if (!Number.isInteger(partition) || partition < 0)
    throw new Error(`invalid partition ${partition}`);
  return `${prefix}:{${namespace}:p${partition}}`;
}

/**
 * The keys of the layout before buckets: one profiles hash and one due sorted set per
 * partition (`pulse namespace migrate` moves them into buckets; the profiler refuses a
 * partition that still has them).
 */
export function singleKeyLayout(
  namespace: string,
  partition: number,
  prefix = 'pulse',
): { profiles: string; due: string } {
  const tag = partitionTag(namespace, partition, prefix);
  return { profiles: `${tag}:profiles`, due: `${tag}:due` };
}

/** The one key saying which namespace is live (read by the profiler, the API and the CLI). */
export function liveNamespaceKey(prefix = 'pulse'): string {
  return `${prefix}:live-namespace`;
}

/**
 * The fields of a partition's meta hash. The Lua scripts use the same names (a unit test reads
 * them and checks), so these constants are the one list of what the meta hash holds.
 */
export const META_FIELDS = {
  /** Bumped by every commit, claim and forget: the compare-and-set token. */
  version: 'version',
  /** The claiming member's token; a commit with another token is fenced. */
  owner: 'owner',
  /** The partition's stream time (ms). */
  streamTimeMs: 'streamTimeMs',
  /** Wall-clock time of the last commit that applied input records (idle detection). */
  lastEventWallMs: 'lastEventWallMs',
  /** Wall-clock time of the last commit of any kind. */
  lastCommitWallMs: 'lastCommitWallMs',
  /** Generation of the forgotten-customers set the partition last saw a forget of. */
  forgottenGeneration: 'forgottenGeneration',
  /** The partition's population latency statistics (core's encoding; the store does not read it). */
  population: 'population',
  /** The hurdle table frozen from them at the last refresh (core's encoding). */
  populationHurdles: 'populationHurdles',
  /**
   * The partition's live segment figures (core's encoding, segment-figures.ts): per partition,
   * not per customer; written by the commit when they changed.
   */
  segmentFigures: 'segmentFigures',
} as const;

/** Per input topic: `<prefix><topic>`. */
export const META_TOPIC_FIELD_PREFIXES = {
  /** Next offset to read. */
  offset: 'offset:',
  /** Newest event time applied. */
  newestEventMs: 'maxEventMs:',
  /** The topic's learnt traffic (core's encoding). */
  traffic: 'traffic:',
} as const;

/** Meta hash field holding the next offset to read of an input topic. */
export function offsetField(topic: string): string {
  return `${META_TOPIC_FIELD_PREFIXES.offset}${topic}`;
}

/** Meta hash field holding the newest event time seen on an input topic. */
export function maxEventField(topic: string): string {
  return `${META_TOPIC_FIELD_PREFIXES.newestEventMs}${topic}`;
}

/** Meta hash field holding an input topic's learnt traffic. */
export function trafficField(topic: string): string {
  return `${META_TOPIC_FIELD_PREFIXES.traffic}${topic}`;
}
