import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { redisConnection, type ConnectionEnv } from '@pulse/config';
import type { RulesConfig } from '@pulse/core';
import {
  createRedisClient,
  namespaceIsEmpty,
  namespaceOutboxLength,
  readLiveNamespace,
  readNamespacePositions,
  seedPartitionPositions,
  StoreError,
} from '@pulse/store';
import { createKafka, offsetsAtTime, topicOffsets, topicPartitionCount } from '@pulse/stream';
import type { ProfilerConfig } from './config.ts';
import type { ProfilerMetrics } from './metrics.ts';
import { startProfiler, type Profiler } from './profiler.ts';

/**
 * `pulse replay`: rebuilds profiles from the retained log into a namespace of its
 * own, with the profiler itself (same code, same event-time clock, so timers fire at their
 * historical moments) in a consumer group of its own, signals suppressed or redirected —
 * never sent to the live signal topics. Stops once every input partition's position stored
 * in Redis reaches the log end taken at the start, unless it follows the log.
 */

/**
 * A replay is the profiler's own path (same batches: the live profiler's commit size measured
 * faster than 20,000 events a commit on a replay too); only how often it checks whether it has
 * caught up is its own, so it exits soon after the last commit.
 */
export const replayDefaults = {
  /** How often the replay checks whether it has caught up (and reports progress). */
  progressIntervalMs: 250,
} as const;

/** Where the replay starts: the log start, or the first offsets at or after a time. */
export type ReplayFrom = { kind: 'earliest' } | { kind: 'time'; timeMs: number };

export interface ReplayOptions {
  connection: ConnectionEnv;
  /** The profiler settings of the replay: namespace, group, signalMode suppress|redirect. */
  config: ProfilerConfig;
  rules: RulesConfig;
  logger: Logger;
  from: ReplayFrom;
  /** Keep running as a shadow that stays current (until promoted or stopped). */
  follow: boolean;
  onProgress?: (progress: ReplayProgress) => void;
  progressIntervalMs?: number;
  /** Aborting stops the replay cleanly (Ctrl-C). */
  signal?: AbortSignal;
  nowMs?: () => number;
}

export interface PartitionProgress {
  partition: number;
  /** Records consumed and committed since the start, both input topics. */
  done: number;
  /** Records between the start positions and the end offsets taken at the start. */
  total: number;
}

export interface ReplayProgress {
  namespace: string;
  partitions: PartitionProgress[];
  done: number;
  total: number;
  elapsedMs: number;
  /** Over the last progress interval. */
  eventsPerSecond: number;
  /** Estimated time to reach the end offsets; null while the rate is unknown or zero. */
  etaMs: number | null;
  caughtUp: boolean;
}

export interface ReplayResult {
  stoppedBecause: 'caught-up' | 'promoted' | 'aborted';
  progress: ReplayProgress;
  /** The replay profiler's counters (signals suppressed, events of forgotten customers, …). */
  metrics: ProfilerMetrics;
}

type Offsets = Map<number, Map<string, string>>;

/** Pure: progress of every partition given start, end and stored positions. */
export function replayProgress(
  namespace: string,
  start: Offsets,
  end: Offsets,
  stored: Offsets,
): Pick<ReplayProgress, 'namespace' | 'partitions' | 'done' | 'total' | 'caughtUp'> {
  const partitions: PartitionProgress[] = [];
  let caughtUp = true;
  for (const [partition, ends] of [...end].sort(([a], [b]) => a - b)) {
    let done = 0;
    let total = 0;
    for (const [topic, endOffset] of ends) {
      const from = BigInt(start.get(partition)?.get(topic) ?? '0');
      const position = BigInt(stored.get(partition)?.get(topic) ?? String(from));
      const to = BigInt(endOffset);
      if (to > from) total += Number(to - from);
      if (position > from) done += Number((position < to ? position : to) - from);
      if (position < to) caughtUp = false;
    }
    partitions.push({ partition, done, total });
  }
  return {
    namespace,
    partitions,
    done: partitions.reduce((sum, entry) => sum + entry.done, 0),
    total: partitions.reduce((sum, entry) => sum + entry.total, 0),
    caughtUp,
  };
}

/** Adds one topic's offsets (by partition) to per-partition positions. */
function positionsOf(offsets: Map<number, string>, topic: string, into: Offsets): void {
  for (const [partition, offset] of offsets) {
    const byTopic = into.get(partition) ?? new Map<string, string>();
    byTopic.set(topic, offset);
    into.set(partition, byTopic);
  }
}

export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const { config, logger, from } = options;
  const nowMs = options.nowMs ?? Date.now;
  const intervalMs = options.progressIntervalMs ?? replayDefaults.progressIntervalMs;
  if (config.signalMode === 'outbox') {
    throw new Error(
      'a replay never writes to the live signal topics: use signals suppress or redirect:<topic>',
    );
  }
  if (config.followLiveNamespace) throw new Error('a replay writes one named namespace');
  const topics = [config.visitsTopic, config.purchasesTopic, config.traitsTopic];

  const redis = createRedisClient(redisConnection(options.connection), {
    maxRetriesPerRequest: 2,
  });
  const kafka = createKafka(options.connection);
  const admin = kafka.admin();
  let profiler: Profiler | undefined;
  try {
    await admin.connect();
    if ((await readLiveNamespace(redis, config.keyPrefix)) === config.namespace) {
      throw new StoreError(
        'STORE_NAMESPACE_LIVE',
        `namespace ${config.namespace} is live: replay into a new one (e.g. v2), then promote it`,
        { namespace: config.namespace },
      );
    }
    const partitionCount = await topicPartitionCount(admin, config.visitsTopic);

    const end: Offsets = new Map();
    const low: Offsets = new Map();
    for (const topic of topics) {
      const offsets = await topicOffsets(admin, topic);
      positionsOf(new Map([...offsets].map(([p, { high }]) => [p, high])), topic, end);
      positionsOf(new Map([...offsets].map(([p, { low: first }]) => [p, first])), topic, low);
    }
    let start: Offsets = low;
    if (from.kind === 'time') {
      start = new Map();
      for (const topic of topics) {
        // Traits are read from the log start whatever the time: who a customer is does not
        // start at the replay's time, and statements are merged by their own event time.
        if (topic === config.traitsTopic) {
          for (const [partition, byTopic] of low) {
            const offset = byTopic.get(topic);
            if (offset === undefined) continue;
            const into = start.get(partition) ?? new Map<string, string>();
            into.set(topic, offset);
            start.set(partition, into);
          }
          continue;
        }
        positionsOf(await offsetsAtTime(admin, topic, from.timeMs), topic, start);
      }
    }

    // Redis positions win over the consumer group's: an empty namespace gets its starting
    // offsets written first (also for `earliest`, so offsets a previous group of the same
    // name committed to Kafka cannot move the start). A namespace with state is resumed from
    // its own positions, which only makes sense from the log start.
    if (await namespaceIsEmpty(redis, config.namespace, config.keyPrefix)) {
      for (let partition = 0; partition < partitionCount; partition += 1) {
        const positions = start.get(partition) ?? new Map<string, string>();
        await seedPartitionPositions(
          redis,
          config.namespace,
          partition,
          positions,
          config.keyPrefix,
        );
      }
    } else if (from.kind === 'time') {
      throw new StoreError(
        'STORE_NAMESPACE_NOT_EMPTY',
        `namespace ${config.namespace} already has state: drop it first (pulse namespace drop ${config.namespace}) to replay from a time`,
        { namespace: config.namespace },
      );
    } else {
      start = await readNamespacePositions(
        redis,
        config.namespace,
        partitionCount,
        config.keyPrefix,
      );
      for (const [partition, byTopic] of low) {
        const resumed = start.get(partition) ?? new Map<string, string>();
        for (const [topic, offset] of byTopic) if (!resumed.has(topic)) resumed.set(topic, offset);
        start.set(partition, resumed);
      }
      logger.info({ namespace: config.namespace }, 'namespace has state: resuming from it');
    }

    const startedAtMs = nowMs();
    profiler = await startProfiler({
      connection: options.connection,
      config,
      rules: options.rules,
      logger,
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    });
    logger.info(
      {
        namespace: config.namespace,
        groupId: config.groupId,
        signalMode: config.signalMode,
        from: from.kind === 'time' ? new Date(from.timeMs).toISOString() : 'earliest',
        follow: options.follow,
      },
      'replay started',
    );

    let previous = { atMs: startedAtMs, done: 0 };
    for (;;) {
      const stored = await readNamespacePositions(
        redis,
        config.namespace,
        partitionCount,
        config.keyPrefix,
      );
      const now = nowMs();
      const counted = replayProgress(config.namespace, start, end, stored);
      const seconds = Math.max(0.001, (now - previous.atMs) / 1000);
      const eventsPerSecond = Math.max(0, (counted.done - previous.done) / seconds);
      previous = { atMs: now, done: counted.done };
      const remaining = counted.total - counted.done;
      const progress: ReplayProgress = {
        ...counted,
        elapsedMs: now - startedAtMs,
        eventsPerSecond,
        etaMs:
          remaining === 0 ? 0 : eventsPerSecond > 0 ? (remaining / eventsPerSecond) * 1000 : null,
      };
      // Redirected signals must have left the outbox before the profiler stops.
      const drained =
        config.signalMode !== 'redirect' ||
        (await namespaceOutboxLength(redis, config.namespace, partitionCount, config.keyPrefix)) ===
          0;
      options.onProgress?.(progress);
      const { metrics } = profiler;
      if (options.signal?.aborted) return { stoppedBecause: 'aborted', progress, metrics };
      if (!options.follow && counted.caughtUp && drained) {
        return { stoppedBecause: 'caught-up', progress, metrics };
      }
      if (
        options.follow &&
        (await readLiveNamespace(redis, config.keyPrefix)) === config.namespace
      ) {
        // Promoted: the live profiler owns this namespace now (its claims fence ours).
        return { stoppedBecause: 'promoted', progress, metrics };
      }
      await sleep(intervalMs, undefined, options.signal ? { signal: options.signal } : {}).catch(
        () => undefined,
      );
    }
  } finally {
    await profiler?.stop();
    await admin.disconnect().catch(() => undefined);
    redis.disconnect();
  }
}
