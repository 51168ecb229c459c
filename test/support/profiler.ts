import pino from 'pino';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import {
  advance,
  applyEvent,
  decodeProfile,
  defaultRulesConfig,
  type CustomerEvent,
  type Profile,
  type RulesConfig,
} from '@pulse/core';
import {
  parseProfilerConfig,
  startProfiler,
  type Profiler,
  type ProfilerConfig,
} from '@pulse/profiler';
import { partitionKeys, parseMeta } from '@pulse/store';
import { createTestTopics, onCleanup, testEnv, uniqueName } from './infra.ts';

export interface ProfilerTopics {
  visits: string;
  purchases: string;
  lapse: string;
  readyToBuy: string;
  deadLetter: string;
}

/** A fresh set of input and output topics with unique names; inputs co-partitioned. */
export async function createProfilerTopics(partitions: number): Promise<ProfilerTopics> {
  const [visits, purchases, lapse, readyToBuy, deadLetter] = await createTestTopics([
    { prefix: 'visits', partitions },
    { prefix: 'purchases', partitions },
    { prefix: 'lapse', partitions: 2 },
    { prefix: 'rtb', partitions: 2 },
    { prefix: 'dlq', partitions: 1 },
  ]);
  return {
    visits: visits as string,
    purchases: purchases as string,
    lapse: lapse as string,
    readyToBuy: readyToBuy as string,
    deadLetter: deadLetter as string,
  };
}

/** Profiler settings for a test: its own topics, group, key prefix; ops port chosen by the OS. */
export function testProfilerConfig(
  topics: ProfilerTopics,
  overrides: Partial<ProfilerConfig> = {},
): ProfilerConfig {
  return parseProfilerConfig({
    groupId: uniqueName('profiler'),
    keyPrefix: uniqueName('t'),
    namespace: 'v1',
    visitsTopic: topics.visits,
    purchasesTopic: topics.purchases,
    lapseTopic: topics.lapse,
    readyToBuyTopic: topics.readyToBuy,
    deadLetterTopic: topics.deadLetter,
    metricsPort: 0,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    tickIntervalMs: 200,
    ...overrides,
  });
}

/** The profiler in this process (for tests that need no crash); stopped after the file. */
export async function startTestProfiler(
  config: ProfilerConfig,
  rules: RulesConfig = defaultRulesConfig,
  nowMs?: () => number,
): Promise<Profiler> {
  const profiler = await startProfiler({
    connection: testEnv(),
    config,
    rules,
    logger: pino({ level: 'silent' }),
    ...(nowMs ? { nowMs } : {}),
  });
  onCleanup(() => profiler.stop());
  return profiler;
}

export interface StoredPartition {
  streamTimeMs: number | null;
  offsets: Map<string, string>;
  profiles: Map<string, Profile>;
}

/** Reads every stored profile of a namespace straight from Redis. */
export async function readStoredState(
  config: ProfilerConfig,
  partitions: number,
): Promise<Map<number, StoredPartition>> {
  const redis = new Redis(inject('redisUrl'));
  try {
    const result = new Map<number, StoredPartition>();
    for (let partition = 0; partition < partitions; partition += 1) {
      const keys = partitionKeys(config.namespace, partition, config.keyPrefix);
      const meta = parseMeta(Object.entries(await redis.hgetall(keys.meta)).flat());
      const raw = await redis.hgetallBuffer(keys.profiles);
      const profiles = new Map(
        Object.entries(raw).map(([id, bytes]) => [id, decodeProfile(bytes)]),
      );
      result.set(partition, { streamTimeMs: meta.streamTimeMs, offsets: meta.offsets, profiles });
    }
    return result;
  } finally {
    redis.disconnect();
  }
}

/** Total committed input position over all partitions of both topics. */
export function committedTotal(state: Map<number, StoredPartition>): bigint {
  let total = 0n;
  for (const partition of state.values())
    for (const offset of partition.offsets.values()) total += BigInt(offset);
  return total;
}

/**
 * The oracle (the way Kafka's exactly-once system test recomputes expected results from the
 * input log): one clean pass of the core alone over each partition's events in event-time
 * order, with the partition's stream time running along (newest time seen minus the allowed
 * lateness), then brought to the partition's final stream time. No Kafka, no Redis, no batches.
 */
export function expectedProfiles(
  events: Iterable<CustomerEvent>,
  partitionOf: (customerId: string) => number,
  finalStreamTimeOf: (partition: number) => number,
  rules: RulesConfig = defaultRulesConfig,
): Map<string, Profile> {
  const byPartition = new Map<number, CustomerEvent[]>();
  for (const event of events) {
    const partition = partitionOf(event.customerId);
    const list = byPartition.get(partition) ?? [];
    list.push(event);
    byPartition.set(partition, list);
  }
  const expected = new Map<string, Profile>();
  for (const [partition, list] of byPartition) {
    list.sort((a, b) => a.occurredAtMs - b.occurredAtMs);
    let newestMs = Number.NEGATIVE_INFINITY;
    for (const event of list) {
      newestMs = Math.max(newestMs, event.occurredAtMs);
      const result = applyEvent(
        expected.get(event.customerId),
        event,
        newestMs - rules.allowedLatenessMs,
        rules,
      );
      expected.set(event.customerId, result.profile);
    }
    const finalMs = finalStreamTimeOf(partition);
    for (const event of list) {
      const profile = expected.get(event.customerId) as Profile;
      expected.set(event.customerId, advance(profile, finalMs, rules).profile);
    }
  }
  return expected;
}

/** Brings a stored profile to a stream time, so profiles touched at different moments compare. */
export function settled(
  profile: Profile,
  streamTimeMs: number,
  rules: RulesConfig = defaultRulesConfig,
): Profile {
  return advance(profile, streamTimeMs, rules).profile;
}
