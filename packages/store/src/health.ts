import type { RedisClient } from './client.ts';
import { partitionKeyList, partitionKeys } from './keys.ts';
import { parseMeta, type PartitionMeta } from './partition-store.ts';
import { runScript } from './scripts.ts';

/** What Redis holds about one partition's health (`pulse status`). */
export interface PartitionHealth {
  partition: number;
  meta: PartitionMeta;
  /** Entries waiting in the outbox for the relay. */
  outboxEntries: number;
  /** Id of the oldest waiting entry (null: the outbox is empty). */
  oldestOutboxEntryId: string | null;
  /** When the oldest waiting entry was added, on Redis's clock (its stream id's time part). */
  oldestOutboxEntryMs: number | null;
  /** Lapses the outage guard holds. */
  heldLapses: number;
  /** Customers with a timer. */
  timers: number;
  /** Timers due at or before the partition's stream time, waiting for the next sweep. */
  timersDue: number;
}

export interface NamespaceHealth {
  /** Redis's clock when the partitions were read: the clock outbox entry ids are on. */
  redisTimeMs: number;
  partitions: PartitionHealth[];
}

/** Pure: the time part (ms) of a stream entry id such as `1700000000000-3`. */
export function streamIdTimeMs(id: string): number {
  const time = Number(id.split('-')[0]);
  if (!Number.isSafeInteger(time)) throw new Error(`not a stream entry id: ${id}`);
  return time;
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Pure: the reply of readPartitionHealth-5.lua as a typed object. */
export function parsePartitionHealth(partition: number, reply: unknown[]): PartitionHealth {
  const [metaFlat, outboxEntries, oldestId, held, timers, timersDue] = reply;
  const oldest = oldestId === null || oldestId === false ? null : text(oldestId);
  return {
    partition,
    meta: parseMeta(metaFlat as unknown[]),
    outboxEntries: Number(outboxEntries),
    oldestOutboxEntryId: oldest,
    oldestOutboxEntryMs: oldest === null ? null : streamIdTimeMs(oldest),
    heldLapses: Number(held),
    timers: Number(timers),
    timersDue: Number(timersDue),
  };
}

/**
 * The health of partitions 0 … count−1 of a namespace: one read-only script per partition
 * (each touches the keys of one hash tag only, so each is one slot on Redis Cluster), sent
 * together, plus Redis's clock. A partition with no state reads as empty.
 */
export async function readPartitionHealth(
  redis: RedisClient,
  namespace: string,
  partitionCount: number,
  prefix = 'pulse',
): Promise<NamespaceHealth> {
  const reads: Promise<PartitionHealth>[] = [];
  for (let partition = 0; partition < partitionCount; partition += 1) {
    const keys = partitionKeyList(partitionKeys(namespace, partition, prefix));
    reads.push(
      runScript(redis, 'readPartitionHealth', keys, []).then((reply) =>
        parsePartitionHealth(partition, reply as unknown[]),
      ),
    );
  }
  const [time, partitions] = await Promise.all([redis.time(), Promise.all(reads)]);
  const [seconds, microseconds] = time.map(Number) as [number, number];
  return { redisTimeMs: seconds * 1000 + Math.floor(microseconds / 1000), partitions };
}
