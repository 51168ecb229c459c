// Watching Pulse from outside, as a user of its contracts would: the signal and dead-letter
// topics through a consumer of their own, and the profiler's progress through the state it
// commits in Redis (positions, stream time, outboxes, profiles).
import { topicOffsets, type KafkaAdmin, type KafkaClient, type KafkaConsumer } from '@pulse/stream';
import { DLQ_HEADERS, signalWireSchema, type SignalWire } from '@pulse/contracts';
import { decodeProfile, deriveView, type RulesConfig } from '@pulse/core';
import {
  groupByHashTag,
  maxEventField,
  META_FIELDS,
  offsetField,
  partitionKeys,
  readPartitionProfiles,
  redisNodes,
  type RedisClient,
} from '@pulse/store';
import type { DemoNames } from './infra.ts';

export interface SignalReader {
  signals: SignalWire[];
  deadLetters: { total: number; byKind: Record<string, number> };
  /** Records that broke the signal contract (should stay 0). */
  invalid: number;
  /** True once every topic has been read up to the given end offsets. */
  caughtUp(ends: Map<string, bigint>): boolean;
  stop(): Promise<void>;
}

export async function startSignalReader(
  kafka: KafkaClient,
  names: DemoNames,
  onSignal: (signal: SignalWire) => void,
): Promise<SignalReader> {
  const consumer: KafkaConsumer = kafka.consumer({
    groupId: names.readerGroup,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const signals: SignalWire[] = [];
  const deadLetters = { total: 0, byKind: {} as Record<string, number> };
  const next = new Map<string, bigint>();
  let invalid = 0;
  await consumer.connect();
  await consumer.subscribe({
    topics: [names.lapse, names.readyToBuy, names.deadLetter],
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      next.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
      if (topic === names.deadLetter) {
        const kind = message.headers?.[DLQ_HEADERS.errorKind]?.toString() ?? 'unknown';
        deadLetters.total += 1;
        deadLetters.byKind[kind] = (deadLetters.byKind[kind] ?? 0) + 1;
        return;
      }
      let parsed: ReturnType<typeof signalWireSchema.safeParse> | undefined;
      try {
        parsed = signalWireSchema.safeParse(JSON.parse(message.value?.toString('utf8') ?? ''));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        invalid += 1;
        return;
      }
      signals.push(parsed.data);
      onSignal(parsed.data);
    },
  });
  return {
    signals,
    deadLetters,
    get invalid() {
      return invalid;
    },
    caughtUp: (ends) => [...ends].every(([slot, end]) => (next.get(slot) ?? 0n) >= end),
    stop: async () => {
      await consumer.stop();
      await consumer.disconnect();
    },
  };
}

/** `topic/partition` → high watermark, for the topics that hold any record. */
export async function endOffsets(
  admin: KafkaAdmin,
  topics: string[],
): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  for (const topic of topics) {
    for (const [partition, { low, high }] of await topicOffsets(admin, topic)) {
      if (BigInt(high) > BigInt(low)) ends.set(`${topic}/${partition}`, BigInt(high));
    }
  }
  return ends;
}

export interface ProfilerProgress {
  /** Input records the profiler has committed (the positions it stored in Redis). */
  committed: bigint;
  /** Committed position of each input topic-partition (`topic/partition`). */
  positions: Map<string, bigint>;
  /** The oldest partition's newest applied event time (null until every partition has one). */
  appliedUpToMs: number | null;
  /** Stream time of each partition (null: none yet). */
  streamTimes: (number | null)[];
  /** Entries waiting in the outboxes (signals and dead letters not yet on Kafka). */
  outbox: number;
}

/** Every partition's meta and outbox length, sent together (partitions span cluster nodes). */
export async function readProgress(
  redis: RedisClient,
  names: DemoNames,
  partitions: number,
): Promise<ProfilerProgress> {
  const reads: Promise<[(string | null)[], number]>[] = [];
  for (let partition = 0; partition < partitions; partition += 1) {
    const keys = partitionKeys(names.namespace, partition, names.keyPrefix);
    reads.push(
      Promise.all([
        redis.hmget(
          keys.meta,
          offsetField(names.visits),
          offsetField(names.purchases),
          maxEventField(names.visits),
          maxEventField(names.purchases),
          META_FIELDS.streamTimeMs,
        ),
        redis.xlen(keys.outbox),
      ]),
    );
  }
  const replies = await Promise.all(reads);
  let committed = 0n;
  let outbox = 0;
  let appliedUpToMs: number | null = null;
  let everyPartition = true;
  const positions = new Map<string, bigint>();
  const streamTimes: (number | null)[] = [];
  for (let partition = 0; partition < partitions; partition += 1) {
    const [meta, length] = replies[partition] as [(string | null)[], number];
    const [visits, purchases, maxVisit, maxPurchase, streamTime] = meta as (string | null)[];
    if (visits) positions.set(`${names.visits}/${partition}`, BigInt(visits));
    if (purchases) positions.set(`${names.purchases}/${partition}`, BigInt(purchases));
    committed += BigInt(visits ?? 0) + BigInt(purchases ?? 0);
    outbox += Number(length ?? 0);
    streamTimes.push(streamTime ? Number(streamTime) : null);
    const newest = Math.max(Number(maxVisit ?? -Infinity), Number(maxPurchase ?? -Infinity));
    if (!Number.isFinite(newest)) everyPartition = false;
    else appliedUpToMs = appliedUpToMs === null ? newest : Math.min(appliedUpToMs, newest);
  }
  return {
    committed,
    positions,
    appliedUpToMs: everyPartition ? appliedUpToMs : null,
    streamTimes,
    outbox,
  };
}

export interface StatusCounts {
  active: number;
  lapsed: number;
  unknown: number;
  /** Active customers who lapsed before and came back. */
  cameBack: number;
  /** Events the profiler applied as late (older than stream time): 0 for the demo's playback. */
  lateEvents: number;
}

/**
 * Every customer's status at their partition's stream time, derived by @pulse/core from the
 * stored profile, as `pulse profile` shows it. `include` picks the customers to count.
 */
export async function readStatuses(
  redis: RedisClient,
  names: DemoNames,
  partitions: number,
  rules: RulesConfig,
  include: (customerId: string) => boolean,
): Promise<StatusCounts> {
  const counts: StatusCounts = { active: 0, lapsed: 0, unknown: 0, cameBack: 0, lateEvents: 0 };
  for (let partition = 0; partition < partitions; partition += 1) {
    const keys = partitionKeys(names.namespace, partition, names.keyPrefix);
    const [profiles, streamTime] = await Promise.all([
      readPartitionProfiles(redis, names.namespace, partition, names.keyPrefix),
      redis.hget(keys.meta, META_FIELDS.streamTimeMs),
    ]);
    for (const [customerId, bytes] of profiles) {
      if (!include(customerId)) continue;
      const profile = decodeProfile(bytes);
      const view = deriveView(profile, Number(streamTime ?? profile.clockMs ?? 0), rules);
      counts[view.status] += 1;
      if (view.status === 'active' && view.lapseEpisodes > 0) counts.cameBack += 1;
      counts.lateEvents += view.lifetime.lateEvents;
    }
  }
  return counts;
}

/** Removes every key of the demo's prefix (a run on a stack the demo did not start). */
export async function dropDemoKeys(redis: RedisClient, keyPrefix: string): Promise<number> {
  let removed = 0;
  // Every master of a cluster holds some of the keys.
  for (const node of redisNodes(redis)) {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await node.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 500);
      cursor = nextCursor;
      // One UNLINK per hash tag: the keys span partitions' hash slots.
      for (const group of groupByHashTag(keys)) removed += await node.unlink(...group);
    } while (cursor !== '0');
  }
  return removed;
}
