import { isDeepStrictEqual } from 'node:util';
import pino from 'pino';
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import {
  decodePopulationHurdles,
  decodeProfile,
  defaultRulesConfig,
  type CustomerEvent,
  type PopulationHurdles,
  type Profile,
  type RulesConfig,
} from '@pulse/core';
import {
  parseProfilerConfig,
  startProfiler,
  type Profiler,
  type ProfilerConfig,
} from '@pulse/profiler';
import { readPartitionMetas, readPartitionProfiles } from '@pulse/store';
import { cleanPass, settled } from './clean-pass.ts';
import { createTestTopics, onCleanup, testEnv, testRedisClient, uniqueName } from './infra.ts';
import { waitFor } from './wait.ts';

export interface ProfilerTopics {
  visits: string;
  purchases: string;
  /** Customers' traits: the third input, co-partitioned with the other two. */
  traits: string;
  lapse: string;
  readyToBuy: string;
  deadLetter: string;
}

/** A fresh set of input and output topics with unique names; inputs co-partitioned. */
export async function createProfilerTopics(
  partitions: number,
  options: { deadLetterConfigs?: Record<string, string> } = {},
): Promise<ProfilerTopics> {
  const [visits, purchases, traits, lapse, readyToBuy, deadLetter] = await createTestTopics([
    { prefix: 'visits', partitions },
    { prefix: 'purchases', partitions },
    { prefix: 'traits', partitions },
    { prefix: 'lapse', partitions: 2 },
    { prefix: 'rtb', partitions: 2 },
    {
      prefix: 'dlq',
      partitions: 1,
      ...(options.deadLetterConfigs ? { configs: options.deadLetterConfigs } : {}),
    },
  ]);
  return {
    visits: visits as string,
    purchases: purchases as string,
    traits: traits as string,
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
    traitsTopic: topics.traits,
    lapseTopic: topics.lapse,
    readyToBuyTopic: topics.readyToBuy,
    deadLetterTopic: topics.deadLetter,
    metricsPort: 0,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    tickIntervalMs: 200,
    // Production keeps no profiles between batches by default (and, with a budget, none once a
    // task is caught up, which a small test log is after its first batch). Kept throughout, every
    // test runs its batches through the cache, fenced and dropped by the partition's version —
    // the harder path.
    profileCacheBytesPerPartition: 32 * 1_048_576,
    profileCacheMinLag: 0,
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
  /** The population table the partition's decisions read now. */
  populationHurdles: PopulationHurdles | null;
}

/** Reads every stored profile of a namespace straight from Redis (the shared one by default). */
export async function readStoredState(
  config: ProfilerConfig,
  partitions: number,
  redisUrl?: string,
): Promise<Map<number, StoredPartition>> {
  const redis = testRedisClient(redisUrl);
  try {
    const result = new Map<number, StoredPartition>();
    const metas = await readPartitionMetas(redis, config.namespace, partitions, config.keyPrefix);
    for (let partition = 0; partition < partitions; partition += 1) {
      const meta = metas[partition] as (typeof metas)[number];
      const raw = await readPartitionProfiles(redis, config.namespace, partition, config.keyPrefix);
      const profiles = new Map([...raw].map(([id, bytes]) => [id, decodeProfile(bytes)]));
      result.set(partition, {
        streamTimeMs: meta.streamTimeMs,
        offsets: meta.offsets,
        profiles,
        populationHurdles:
          meta.populationHurdles === null ? null : decodePopulationHurdles(meta.populationHurdles),
      });
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

export { eventsByPartition, settled } from './clean-pass.ts';

/**
 * The oracle: each partition's events in one clean pass through the core's partition step (see
 * clean-pass.ts), every profile brought to the partition's final stream time.
 */
export function expectedProfiles(
  events: Iterable<CustomerEvent>,
  partitionOf: (customerId: string) => number,
  finalStreamTimeOf: (partition: number) => number,
  rules: RulesConfig = defaultRulesConfig,
): Map<string, Profile> {
  const expected = new Map<string, Profile>();
  for (const [partition, pass] of cleanPass(events, partitionOf, finalStreamTimeOf, rules)) {
    const context = { population: pass.populationHurdles };
    for (const [customerId, profile] of pass.profiles)
      expected.set(customerId, settled(profile, finalStreamTimeOf(partition), rules, context));
  }
  return expected;
}

/** Next offsets Redis holds per partition and input topic (meta only: cheap to poll). */
export async function readCommittedOffsets(
  config: ProfilerConfig,
  partitions: number,
  redisUrl?: string,
): Promise<Map<number, Map<string, string>>> {
  // Redis may be down on purpose (the outage tests): the failed call says so, not an event.
  const redis = testRedisClient(redisUrl, {
    maxRetriesPerRequest: 0,
    retryDelayMs: () => null,
    commandTimeoutMs: 5_000,
  });
  try {
    const metas = await readPartitionMetas(redis, config.namespace, partitions, config.keyPrefix);
    return new Map(metas.map((meta, partition) => [partition, meta.offsets]));
  } finally {
    redis.disconnect();
  }
}

/** Sum of the committed positions, for progress and throughput. */
export function offsetsTotal(offsets: Map<number, Map<string, string>>): number {
  let total = 0;
  for (const byTopic of offsets.values())
    for (const offset of byTopic.values()) total += Number(offset);
  return total;
}

/** Log end offsets of the input topics: partition → topic → end. */
export async function inputEndOffsets(
  admin: Admin,
  config: ProfilerConfig,
): Promise<Map<number, Map<string, string>>> {
  const result = new Map<number, Map<string, string>>();
  for (const topic of [config.visitsTopic, config.purchasesTopic, config.traitsTopic]) {
    for (const entry of await admin.fetchTopicOffsets(topic)) {
      const byTopic = result.get(entry.partition) ?? new Map<string, string>();
      // An empty topic-partition has nothing to commit: Redis may never name it.
      if (entry.high !== '0') byTopic.set(topic, entry.high);
      result.set(entry.partition, byTopic);
    }
  }
  return result;
}

function positionsText(positions: Map<number, Map<string, string>>): string {
  return JSON.stringify(
    [...positions]
      .sort(([a], [b]) => a - b)
      .map(([partition, byTopic]) => [partition, [...byTopic].sort()]),
  );
}

/**
 * Waits until Redis's committed position equals the log end of every input topic-partition
 * (every produced record consumed and committed), while `failFast` watches the processes.
 */
export async function waitForDrained(
  admin: Admin,
  config: ProfilerConfig,
  partitions: number,
  options: {
    redisUrl?: string;
    timeoutMs?: number;
    failFast?: () => Error | undefined;
    onSample?: (committedTotal: number) => void;
  } = {},
): Promise<void> {
  const ends = await inputEndOffsets(admin, config);
  const wanted = positionsText(ends);
  let last = '';
  await waitFor(
    'committed offsets in Redis to reach the log ends',
    async () => {
      const committed = await readCommittedOffsets(config, partitions, options.redisUrl);
      options.onSample?.(offsetsTotal(committed));
      last = positionsText(committed);
      return last === wanted ? true : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 90_000,
      intervalMs: 250,
      ...(options.failFast ? { failFast: options.failFast } : {}),
    },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; wanted ${wanted}, last ${last}`);
  });
}

/**
 * The whole check of an exactly-once run: every customer stored in exactly one partition, the
 * same customers as the events name, and each stored profile (settled to its partition's
 * stream time) equal to the oracle's one clean pass. A lost event or one applied twice
 * changes the counters, windows or rhythm of its customer's profile.
 */
export function expectProfilesMatchOracle(
  events: readonly CustomerEvent[],
  state: Map<number, StoredPartition>,
  rules: RulesConfig = defaultRulesConfig,
): void {
  const partitionOf = new Map<string, number>();
  for (const [partition, stored] of state) {
    for (const customerId of stored.profiles.keys()) {
      expect(partitionOf.has(customerId), `${customerId} stored in two partitions`).toBe(false);
      partitionOf.set(customerId, partition);
    }
  }
  const streamTimeOfPartition = (partition: number): number =>
    state.get(partition)?.streamTimeMs ?? 0;
  const passes = cleanPass(
    events,
    (customerId) => partitionOf.get(customerId) ?? -1,
    streamTimeOfPartition,
    rules,
  );
  const expected = new Map<string, Profile>();
  for (const [partition, pass] of passes) {
    // The population table too: the same gaps counted, frozen at the same instants.
    expect(
      state.get(partition)?.populationHurdles ?? null,
      `table of partition ${partition}`,
    ).toEqual(pass.populationHurdles);
    for (const [customerId, profile] of pass.profiles) {
      expected.set(
        customerId,
        settled(profile, streamTimeOfPartition(partition), rules, {
          population: pass.populationHurdles,
        }),
      );
    }
  }
  const settledStored = (partition: number, profile: Profile) =>
    settled(profile, streamTimeOfPartition(partition), rules, {
      population: state.get(partition)?.populationHurdles ?? null,
    });
  expect(new Set(partitionOf.keys())).toEqual(new Set(expected.keys()));
  const mismatched: string[] = [];
  for (const [customerId, profile] of expected) {
    const partition = partitionOf.get(customerId) as number;
    const stored = state.get(partition)?.profiles.get(customerId);
    if (!stored || !isDeepStrictEqual(settledStored(partition, stored), profile))
      mismatched.push(customerId);
  }
  const first = mismatched[0];
  if (first !== undefined) {
    const partition = partitionOf.get(first) as number;
    const stored = state.get(partition)?.profiles.get(first);
    // The first difference in full, then the count: one diff is readable, thousands are not.
    expect(
      stored && settledStored(partition, stored),
      `${first} (one of ${mismatched.length} profiles that differ from the oracle)`,
    ).toEqual(expected.get(first));
  }
  expect(mismatched).toEqual([]);
}

export interface ProgressSample {
  atMs: number;
  committed: number;
}

/**
 * Polls the committed total in Redis in the background, for throughput figures (events/s) and
 * "when did a restarted process first make progress". Stopped after the test file.
 */
export class ProgressSampler {
  readonly samples: ProgressSample[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly config: ProfilerConfig,
    private readonly partitions: number,
    private readonly redisUrl?: string,
    private readonly intervalMs = 200,
  ) {
    this.loop = this.run();
    onCleanup(() => this.stop());
  }

  latest(): number {
    return this.samples.at(-1)?.committed ?? 0;
  }

  /** Highest rate over any window of at least `windowMs`, in records per second. */
  peakRate(windowMs = 2_000): number {
    let best = 0;
    let from = 0;
    for (let to = 0; to < this.samples.length; to += 1) {
      const end = this.samples[to] as ProgressSample;
      while (
        from + 1 < to &&
        end.atMs - (this.samples[from + 1] as ProgressSample).atMs >= windowMs
      )
        from += 1;
      const start = this.samples[from] as ProgressSample;
      if (end.atMs - start.atMs >= windowMs)
        best = Math.max(best, ((end.committed - start.committed) * 1000) / (end.atMs - start.atMs));
    }
    return best;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const committed = offsetsTotal(
          await readCommittedOffsets(this.config, this.partitions, this.redisUrl),
        );
        this.samples.push({ atMs: Date.now(), committed });
      } catch {
        // Redis may be down on purpose (the outage tests): no sample this round.
      }
      await new Promise((resolveSleep) => setTimeout(resolveSleep, this.intervalMs));
    }
  }
}
