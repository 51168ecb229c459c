import { isDeepStrictEqual } from 'node:util';
import pino from 'pino';
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import { defaultRulesConfig, type CustomerEvent, type RulesConfig } from '@pulse/core';
import { generatePopulation } from '@pulse/test-kit';
import {
  runReplay,
  type ProfilerConfig,
  type ReplayFrom,
  type ReplayResult,
} from '@pulse/profiler';
import { namespaceOutboxLength, readNamespacePositions } from '@pulse/store';
import {
  connectedAdmin,
  connectedProducer,
  testEnv,
  testProcessEnv,
  testRedisClient,
} from './infra.ts';
import {
  readStoredState,
  settled,
  startTestProfiler,
  testProfilerConfig,
  type ProfilerTopics,
  type StoredPartition,
} from './profiler.ts';
import { toMessages } from './events.ts';
import { waitFor } from './wait.ts';
import type { Producer } from 'kafkajs';
import type { Profiler } from '@pulse/profiler';

/** The same profiler settings in another namespace (and, for a replay, another group). */
export function inNamespace(
  config: ProfilerConfig,
  namespace: string,
  overrides: Partial<ProfilerConfig> = {},
): ProfilerConfig {
  return { ...config, namespace, followLiveNamespace: false, ...overrides };
}

/** `runReplay` in this process with a silent logger. */
export function replayInProcess(
  config: ProfilerConfig,
  options: {
    from?: ReplayFrom;
    follow?: boolean;
    rules?: RulesConfig;
    signal?: AbortSignal;
    progressIntervalMs?: number;
  } = {},
): Promise<ReplayResult> {
  return runReplay({
    connection: testEnv(),
    config,
    rules: options.rules ?? defaultRulesConfig,
    logger: pino({ level: 'silent' }),
    from: options.from ?? { kind: 'earliest' },
    follow: options.follow ?? false,
    progressIntervalMs: options.progressIntervalMs ?? 200,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Env for `npx pulse …` child processes aimed at a test's topics and key prefix. */
export function cliEnv(
  config: ProfilerConfig,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return testProcessEnv({
    PULSE_KEY_PREFIX: config.keyPrefix,
    PULSE_VISITS_TOPIC: config.visitsTopic,
    PULSE_PURCHASES_TOPIC: config.purchasesTopic,
    PULSE_TRAITS_TOPIC: config.traitsTopic,
    PULSE_LAPSE_TOPIC: config.lapseTopic,
    PULSE_READY_TO_BUY_TOPIC: config.readyToBuyTopic,
    PULSE_DLQ_TOPIC: config.deadLetterTopic,
    PULSE_LOG_LEVEL: 'warn',
    ...extra,
  });
}

/** Produces a whole log (both topics), in slices the broker accepts. */
export async function produceLog(
  producer: Producer,
  events: readonly CustomerEvent[],
  topics: ProfilerTopics,
): Promise<void> {
  for (const batch of toMessages(events, topics)) {
    for (let i = 0; i < batch.messages.length; i += 2_000) {
      await producer.send({
        topic: batch.topic,
        acks: -1,
        messages: batch.messages.slice(i, i + 2_000),
      });
    }
  }
}

/** Sum of a topic's log end offsets: records ever written to it. */
export async function recordsOn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, entry) => sum + Number(entry.high), 0);
}

/**
 * Waits until a namespace has committed every record of the input topics and relayed its
 * outbox: the run is over, nothing of it is still on its way to Kafka.
 */
export async function waitForNamespaceDone(
  admin: Admin,
  config: ProfilerConfig,
  partitions: number,
  timeoutMs = 60_000,
): Promise<void> {
  const ends = new Map<number, Map<string, string>>();
  for (const topic of [config.visitsTopic, config.purchasesTopic, config.traitsTopic]) {
    for (const entry of await admin.fetchTopicOffsets(topic)) {
      if (entry.high === '0') continue;
      ends.set(entry.partition, (ends.get(entry.partition) ?? new Map()).set(topic, entry.high));
    }
  }
  const redis = testRedisClient();
  let last = '';
  try {
    await waitFor(
      `namespace ${config.namespace} to commit every input record and relay its outbox`,
      async () => {
        const stored = await readNamespacePositions(
          redis,
          config.namespace,
          partitions,
          config.keyPrefix,
        );
        last = JSON.stringify([...stored].map(([partition, byTopic]) => [partition, [...byTopic]]));
        for (const [partition, byTopic] of ends)
          for (const [topic, end] of byTopic)
            if (stored.get(partition)?.get(topic) !== end) return undefined;
        const outbox = await namespaceOutboxLength(
          redis,
          config.namespace,
          partitions,
          config.keyPrefix,
        );
        return outbox === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    ).catch((error: unknown) => {
      const wanted = JSON.stringify(
        [...ends].map(([partition, byTopic]) => [partition, [...byTopic]]),
      );
      throw new Error(`${(error as Error).message}; wanted ${wanted}, last ${last}`);
    });
  } finally {
    redis.disconnect();
  }
}

/**
 * Two namespaces built from the same log hold the same customers in the same partitions, and
 * each pair of profiles is equal once both are brought to the later of the two partitions'
 * stream times (a profile only differs in when its timers last ran).
 */
export function expectTwinNamespaces(
  left: Map<number, StoredPartition>,
  right: Map<number, StoredPartition>,
  rules: RulesConfig = defaultRulesConfig,
): number {
  let compared = 0;
  const differing: string[] = [];
  for (const [partition, ours] of left) {
    const theirs = right.get(partition);
    expect(theirs, `partition ${partition}`).toBeDefined();
    expect(new Set(theirs!.profiles.keys()), `customers of partition ${partition}`).toEqual(
      new Set(ours.profiles.keys()),
    );
    const atMs = Math.max(ours.streamTimeMs ?? 0, theirs!.streamTimeMs ?? 0);
    const context = laterContext(ours, theirs!);
    for (const [customerId, profile] of ours.profiles) {
      compared += 1;
      const twin = theirs!.profiles.get(customerId)!;
      if (
        !isDeepStrictEqual(
          settled(twin, atMs, rules, context),
          settled(profile, atMs, rules, context),
        )
      )
        differing.push(`${customerId}@p${partition}`);
    }
  }
  const first = differing[0];
  if (first !== undefined) {
    const [customerId, partitionText] = first.split('@p') as [string, string];
    const partition = Number(partitionText);
    const atMs = Math.max(
      left.get(partition)?.streamTimeMs ?? 0,
      right.get(partition)?.streamTimeMs ?? 0,
    );
    const context = laterContext(left.get(partition)!, right.get(partition)!);
    expect(
      settled(right.get(partition)!.profiles.get(customerId)!, atMs, rules, context),
      `${customerId} (one of ${differing.length} differing twins)`,
    ).toEqual(settled(left.get(partition)!.profiles.get(customerId)!, atMs, rules, context));
  }
  return compared;
}

/** What decisions read at the later of two twins' stream times: its population table. */
function laterContext(left: StoredPartition, right: StoredPartition) {
  const later = (right.streamTimeMs ?? 0) > (left.streamTimeMs ?? 0) ? right : left;
  return { population: later.populationHurdles };
}

export { readStoredState };

export const HOUR_MS = 3_600_000;

/** The replay tests' log: a seeded population from 2026-01-01, out of order within 6 hours. */
export function replayPopulation(options: {
  customers: number;
  durationDays: number;
  seed: number;
  lapseShare?: number;
  returnShare?: number;
}): CustomerEvent[] {
  return [
    ...generatePopulation({
      ...options,
      startMs: Date.UTC(2026, 0, 1),
      shuffleWithinMs: 6 * HOUR_MS,
    }).events(),
  ];
}

/**
 * Produces the whole log, then runs a live profiler over it until it has committed every record
 * and relayed its outbox. Never idle and no outage guard on this preloaded log.
 */
export async function runLiveToEnd(
  topics: ProfilerTopics,
  events: readonly CustomerEvent[],
  partitions: number,
  overrides: Partial<ProfilerConfig> = {},
): Promise<{ admin: Admin; live: ProfilerConfig; profiler: Profiler }> {
  await produceLog(await connectedProducer(), events, topics);
  const admin = await connectedAdmin();
  const live = testProfilerConfig(topics, { idleAfterMs: 600_000, ...overrides });
  const profiler = await startTestProfiler(live);
  await waitForNamespaceDone(admin, live, partitions);
  return { admin, live, profiler };
}
