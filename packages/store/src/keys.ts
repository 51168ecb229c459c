/**
 * Redis key layout. Every key a partition owns carries `{<namespace>:p<partition>}` as hash
 * tag, so one Lua script can touch all of them atomically, also on Redis Cluster (they share
 * a slot). The namespace lets a replay build `v2` beside the live `v1`.
 */
export interface PartitionKeys {
  meta: string;
  profiles: string;
  due: string;
  outbox: string;
  held: string;
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
 * The one order in which scripts that touch several of a partition's keys take them. A script
 * that needs fewer takes a prefix of it (`loadBatch` takes all five and ignores the outbox).
 */
export function partitionKeyList(keys: PartitionKeys): string[] {
  return [keys.meta, keys.profiles, keys.due, keys.held, keys.outbox];
}

export function partitionKeys(
  namespace: string,
  partition: number,
  prefix = 'pulse',
): PartitionKeys {
  assertNamespace(namespace);
  if (!Number.isInteger(partition) || partition < 0)
    throw new Error(`invalid partition ${partition}`);
  const tag = `${prefix}:{${namespace}:p${partition}}`;
  return {
    meta: `${tag}:meta`,
    profiles: `${tag}:profiles`,
    due: `${tag}:due`,
    outbox: `${tag}:outbox`,
    held: `${tag}:held`,
  };
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
