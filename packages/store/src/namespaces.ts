import { createHash } from 'node:crypto';
import { redisNodes, type RedisClient } from './client.ts';
import { StoreError } from './errors.ts';
import {
  assertNamespace,
  customerBucket,
  liveNamespaceKey,
  META_FIELDS,
  offsetField,
  partitionKeyList,
  partitionKeys,
  singleKeyLayout,
} from './keys.ts';
import { readPartitionMetas } from './partition-store.ts';
import { runScript } from './scripts.ts';

/**
 * Namespaces: a replay builds `v2` beside the live `v1`, `promote` switches the one
 * key readers follow, `drop` deletes a namespace that is no longer live. Plus the
 * right-to-be-forgotten record, which spans every namespace.
 */

/** The live namespace when `pulse:live-namespace` was never set. */
export const DEFAULT_LIVE_NAMESPACE = 'v1';

export async function readLiveNamespace(redis: RedisClient, prefix = 'pulse'): Promise<string> {
  return (await redis.get(liveNamespaceKey(prefix))) ?? DEFAULT_LIVE_NAMESPACE;
}

/** Pure: the SCAN pattern of every key of a namespace (all partitions). */
export function namespaceKeyPattern(namespace: string, prefix = 'pulse'): string {
  assertNamespace(namespace);
  return `${prefix}:{${namespace}:p*}:*`;
}

const META_KEY =
  /^(?<prefix>[^:]+):\{(?<namespace>[a-z0-9][a-z0-9_-]{0,31}):p(?<partition>\d+)\}:meta$/;

/** Pure: namespace and partition of a meta key, or undefined for any other key. */
export function parseMetaKey(
  key: string,
  prefix = 'pulse',
): { namespace: string; partition: number } | undefined {
  const match = META_KEY.exec(key);
  if (!match?.groups || match.groups.prefix !== prefix) return undefined;
  return {
    namespace: match.groups.namespace as string,
    partition: Number(match.groups.partition),
  };
}

/**
 * SCAN on every node that holds data (each master of a cluster: a cluster client's SCAN would
 * walk one random node). A key that a resharding moves during the walk may be seen twice or
 * not at all; the callers (list, drop, forget) are idempotent and say so.
 */
async function scanKeys(
  redis: RedisClient,
  pattern: string,
  each: (keys: string[]) => Promise<void>,
) {
  for (const node of redisNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await each(keys);
    } while (cursor !== '0');
  }
}

/** Pure: the keys grouped by hash tag (one group = one slot: a multi-key command may take it). */
export function groupByHashTag(keys: string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const open = key.indexOf('{');
    const close = open < 0 ? -1 : key.indexOf('}', open + 1);
    const tag = close > open + 1 ? key.slice(open + 1, close) : key;
    const group = groups.get(tag);
    if (group) group.push(key);
    else groups.set(tag, [key]);
  }
  return [...groups.values()];
}

/** Every namespace with state, and the partitions it has state for. */
export async function listNamespaces(
  redis: RedisClient,
  prefix = 'pulse',
): Promise<Map<string, number[]>> {
  const namespaces = new Map<string, number[]>();
  await scanKeys(redis, `${prefix}:{*:p*}:meta`, async (keys) => {
    for (const key of keys) {
      const parsed = parseMetaKey(key, prefix);
      if (!parsed) continue;
      namespaces.set(parsed.namespace, [
        ...(namespaces.get(parsed.namespace) ?? []),
        parsed.partition,
      ]);
    }
  });
  for (const partitions of namespaces.values()) partitions.sort((a, b) => a - b);
  return namespaces;
}

/**
 * Makes `namespace` the live one in one SET (atomic: a reader sees the old or the new name,
 * never a mix). Refuses a namespace with no state: promoting a typo would start the live
 * profiler from nothing. Returns the namespace that was live before.
 */
export async function promoteNamespace(
  redis: RedisClient,
  namespace: string,
  prefix = 'pulse',
): Promise<string> {
  assertNamespace(namespace);
  if (!(await listNamespaces(redis, prefix)).has(namespace)) {
    throw new StoreError(
      'STORE_NAMESPACE_EMPTY',
      `namespace ${namespace} has no state under prefix ${prefix}: replay into it first`,
      { namespace },
    );
  }
  const previous = (await redis.call('SET', liveNamespaceKey(prefix), namespace, 'GET')) as
    string | null;
  return previous ?? DEFAULT_LIVE_NAMESPACE;
}

/** Deletes every key of a namespace (SCAN + UNLINK). Refuses the live namespace. */
export async function dropNamespace(
  redis: RedisClient,
  namespace: string,
  prefix = 'pulse',
): Promise<number> {
  assertNamespace(namespace);
  if ((await readLiveNamespace(redis, prefix)) === namespace) {
    throw new StoreError(
      'STORE_NAMESPACE_LIVE',
      `namespace ${namespace} is live: promote another one before dropping it`,
      { namespace },
    );
  }
  let deleted = 0;
  await scanKeys(redis, namespaceKeyPattern(namespace, prefix), async (keys) => {
    for (const group of groupByHashTag(keys)) deleted += await redis.unlink(...group);
  });
  return deleted;
}

/** True when no key of the namespace exists. */
export async function namespaceIsEmpty(
  redis: RedisClient,
  namespace: string,
  prefix = 'pulse',
): Promise<boolean> {
  let empty = true;
  await scanKeys(redis, namespaceKeyPattern(namespace, prefix), async () => {
    empty = false;
  });
  return empty;
}

/**
 * Writes a partition's starting positions in a namespace that has no state for it (a replay
 * from a point in time: Redis positions win over the consumer group's). Atomic per partition;
 * returns false, changing nothing, when the partition already has state there.
 */
export async function seedPartitionPositions(
  redis: RedisClient,
  namespace: string,
  partition: number,
  positions: Map<string, string>,
  prefix = 'pulse',
): Promise<boolean> {
  const args = [...positions].flatMap(([topic, offset]) => [offsetField(topic), offset]);
  const meta = partitionKeys(namespace, partition, prefix).meta;
  return Number(await runScript(redis, 'seedPositions', [meta], args)) === 1;
}

/** The set of forgotten customers (hashed ids: the record must not itself keep the id). */
export function forgottenKey(prefix = 'pulse'): string {
  return `${prefix}:forgotten`;
}

/** Counter bumped by every forget: owners refresh their copy of the set when it moves. */
export function forgottenGenerationKey(prefix = 'pulse'): string {
  return `${prefix}:forgotten-generation`;
}

/** Pure: how a customer id is recorded in the forgotten set. */
export function hashCustomerId(customerId: string): string {
  return createHash('sha256').update(`pulse-forget:${customerId}`).digest('hex');
}

export interface ForgottenSet {
  generation: number;
  hashes: Set<string>;
}

/** The forgotten set and its generation (generation read first: the set is never older). */
export async function readForgotten(redis: RedisClient, prefix = 'pulse'): Promise<ForgottenSet> {
  const generation = Number((await redis.get(forgottenGenerationKey(prefix))) ?? '0');
  const hashes = new Set(await redis.smembers(forgottenKey(prefix)));
  return { generation, hashes };
}

export interface ForgetResult {
  /** Namespace → partitions visited. */
  namespaces: Map<string, number[]>;
  profiles: number;
  timers: number;
  held: number;
  outboxEntries: number;
}

/**
 * Forgets a customer everywhere: records the hashed id first (so no writer that reads the
 * set afterwards can bring them back, and a later replay skips their events), then deletes
 * their state in every partition of every namespace, one atomic script per partition.
 * Entries the relay already produced to Kafka cannot be recalled.
 */
export async function forgetCustomer(
  redis: RedisClient,
  customerId: string,
  prefix = 'pulse',
): Promise<ForgetResult> {
  if (customerId.length === 0) throw new Error('customer id must not be empty');
  await redis.sadd(forgottenKey(prefix), hashCustomerId(customerId));
  const generation = await redis.incr(forgottenGenerationKey(prefix));
  const namespaces = await listNamespaces(redis, prefix);
  const result: ForgetResult = { namespaces, profiles: 0, timers: 0, held: 0, outboxEntries: 0 };
  for (const [namespace, partitions] of namespaces) {
    for (const partition of partitions) {
      const keys = partitionKeys(namespace, partition, prefix);
      const bucket = customerBucket(customerId);
      const [profiles, timers, held, outboxEntries] = (await runScript(
        redis,
        'forgetCustomer',
        [
          ...partitionKeyList(keys).slice(0, 3),
          keys.profiles[bucket] as string,
          keys.due[bucket] as string,
        ],
        [customerId, String(generation)],
      )) as number[];
      result.profiles += profiles ?? 0;
      result.timers += timers ?? 0;
      result.held += held ?? 0;
      result.outboxEntries += outboxEntries ?? 0;
    }
  }
  return result;
}

/** One customer's stored profile bytes and their partition's stream time (for `pulse profile`). */
export async function readStoredProfile(
  redis: RedisClient,
  namespace: string,
  partition: number,
  customerId: string,
  prefix = 'pulse',
): Promise<{
  profile: Buffer | null;
  streamTimeMs: number | null;
  /** The partition's frozen population table (core's encoding), null: none yet. */
  populationHurdles: string | null;
}> {
  const keys = partitionKeys(namespace, partition, prefix);
  const [profile, [streamTime, populationHurdles]] = await Promise.all([
    redis.hgetBuffer(keys.profiles[customerBucket(customerId)] as string, customerId),
    redis.hmget(keys.meta, META_FIELDS.streamTimeMs, META_FIELDS.populationHurdles),
  ]);
  return {
    profile,
    streamTimeMs: streamTime === null || streamTime === undefined ? null : Number(streamTime),
    populationHurdles: populationHurdles ?? null,
  };
}

/**
 * Each partition's live segment figures (core's encoding; null: none kept yet), partition by
 * partition: one HMGET of two meta fields per partition, sent together (the partitions' keys
 * live in different slots on a Redis Cluster). Per partition, never per customer.
 */
export async function readSegmentFigures(
  redis: RedisClient,
  namespace: string,
  partitionCount: number,
  prefix = 'pulse',
): Promise<{ partition: number; figures: string | null; committed: boolean }[]> {
  return Promise.all(
    [...Array(partitionCount).keys()].map(async (partition) => {
      const keys = partitionKeys(namespace, partition, prefix);
      const [figures, streamTime] = await redis.hmget(
        keys.meta,
        META_FIELDS.segmentFigures,
        META_FIELDS.streamTimeMs,
      );
      // `committed`: the partition has a stream time, so a commit happened (and a version that
      // keeps figures writes them with its first commit).
      return { partition, figures: figures ?? null, committed: streamTime !== null };
    }),
  );
}

/**
 * Every stored profile of one partition (tests, `pulse namespace migrate`, tools): customer id →
 * encoded profile. Reads the whole partition: never on the batch path.
 */
export async function readPartitionProfiles(
  redis: RedisClient,
  namespace: string,
  partition: number,
  prefix = 'pulse',
): Promise<Map<string, Buffer>> {
  const keys = partitionKeys(namespace, partition, prefix);
  const buckets = await Promise.all(keys.profiles.map((key) => redis.hgetallBuffer(key)));
  return new Map(buckets.flatMap((bucket) => Object.entries(bucket)));
}

export interface MigrationResult {
  partitions: number;
  profiles: number;
  timers: number;
}

/**
 * Moves a namespace's partitions from the single-key layout (one profiles hash and one due
 * sorted set per partition) into the buckets, a chunk of customers per script call: each call
 * is atomic and short (the master is never blocked for long), the whole is resumable and
 * idempotent (a second run finds nothing left). Run it with the namespace's profilers stopped:
 * they refuse a partition that still has the old keys (`STORE_LAYOUT_OUTDATED`).
 */
export async function migrateNamespaceToBuckets(
  redis: RedisClient,
  namespace: string,
  prefix = 'pulse',
  chunkSize = 500,
  onPartition: (partition: number, profiles: number, timers: number) => void = () => undefined,
): Promise<MigrationResult> {
  const partitions = new Set<number>();
  const pattern = `${prefix}:{${namespace}:p*}:profiles`;
  const duePattern = `${prefix}:{${namespace}:p*}:due`;
  for (const wanted of [pattern, duePattern]) {
    await scanKeys(redis, wanted, async (keys) => {
      for (const key of keys) {
        const match = /:p(\d+)\}:(?:profiles|due)$/.exec(key);
        if (match) partitions.add(Number(match[1]));
      }
    });
  }
  const result: MigrationResult = { partitions: 0, profiles: 0, timers: 0 };
  for (const partition of [...partitions].sort((a, b) => a - b)) {
    const old = singleKeyLayout(namespace, partition, prefix);
    const keys = partitionKeys(namespace, partition, prefix);
    const scriptKeys = [old.profiles, old.due, ...keys.profiles, ...keys.due];
    let movedProfiles = 0;
    let movedTimers = 0;
    const move = async (ids: string[]): Promise<void> => {
      const [profiles, timers] = (await runScript(
        redis,
        'migrateToBuckets',
        scriptKeys,
        ids,
      )) as number[];
      movedProfiles += profiles ?? 0;
      movedTimers += timers ?? 0;
    };
    // Customers with a profile first (their timer moves with them): HSCAN guarantees every
    // field present through a whole cycle is returned once; deleting them meanwhile is fine.
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(old.profiles, cursor, 'COUNT', chunkSize);
      cursor = next;
      const ids = flat.filter((_, index) => index % 2 === 0);
      if (ids.length > 0) await move(ids);
    } while (cursor !== '0' || (await redis.hlen(old.profiles)) > 0);
    // Then timers of customers without a profile, if any: always the first ones left.
    for (;;) {
      const ids = await redis.zrange(old.due, 0, chunkSize - 1);
      if (ids.length === 0) break;
      await move(ids);
    }
    onPartition(partition, movedProfiles, movedTimers);
    result.partitions += 1;
    result.profiles += movedProfiles;
    result.timers += movedTimers;
  }
  return result;
}

/** Every timer of one partition (tests, tools): customer id → due time in ms. */
export async function readPartitionDue(
  redis: RedisClient,
  namespace: string,
  partition: number,
  prefix = 'pulse',
): Promise<Map<string, number>> {
  const keys = partitionKeys(namespace, partition, prefix);
  const buckets = await Promise.all(keys.due.map((key) => redis.zrange(key, 0, -1, 'WITHSCORES')));
  const due = new Map<string, number>();
  for (const flat of buckets)
    for (let index = 0; index + 1 < flat.length; index += 2)
      due.set(flat[index] as string, Number(flat[index + 1]));
  return due;
}

/** Next offsets stored per partition of a namespace (partitions 0..count-1; absent: none). */
export async function readNamespacePositions(
  redis: RedisClient,
  namespace: string,
  partitionCount: number,
  prefix = 'pulse',
): Promise<Map<number, Map<string, string>>> {
  const metas = await readPartitionMetas(redis, namespace, partitionCount, prefix);
  return new Map(metas.map((meta, partition) => [partition, meta.offsets]));
}

/** Entries waiting in the outboxes of a namespace's partitions 0..count-1. */
export async function namespaceOutboxLength(
  redis: RedisClient,
  namespace: string,
  partitionCount: number,
  prefix = 'pulse',
): Promise<number> {
  const lengths: Promise<number>[] = [];
  for (let partition = 0; partition < partitionCount; partition += 1)
    lengths.push(redis.xlen(partitionKeys(namespace, partition, prefix).outbox));
  return (await Promise.all(lengths)).reduce((total, length) => total + length, 0);
}
