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

/** Meta hash field holding the next offset to read of an input topic. */
export function offsetField(topic: string): string {
  return `offset:${topic}`;
}

/** Meta hash field holding the newest event time seen on an input topic. */
export function maxEventField(topic: string): string {
  return `maxEventMs:${topic}`;
}

export const STREAM_TIME_FIELD = 'streamTimeMs';
/** Wall-clock time of the last commit that applied input events (idle detection). */
export const LAST_EVENT_WALL_FIELD = 'lastEventWallMs';
/** Per input topic, event-time gaps between its consecutive events (JSON). */
export const SILENT_WINDOWS_FIELD = 'silentWindows';
/** Meta hash field: generation of the forgotten-customers set the partition last saw deleted. */
export const FORGOTTEN_GENERATION_FIELD = 'forgottenGeneration';
