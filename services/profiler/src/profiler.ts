import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { redisConnection, type ConnectionEnv } from '@pulse/config';
import { createEventDecoder } from '@pulse/contracts';
import { deadLetterTopicOf, type RulesConfig } from '@pulse/core';
import {
  assertNoEviction,
  createRedisClient,
  PartitionStore,
  readLiveNamespace,
  readPartitionMetas,
} from '@pulse/store';
import {
  BrokerProbe,
  createKafka,
  isKafkaAuthenticationError,
  kafkaAuthenticationHint,
  PartitionedConsumer,
  ReliableProducer,
  topicOffsets,
  topicPartitionCount,
  type Assignment,
} from '@pulse/stream';
import type { ProfilerConfig } from './config.ts';
import { noFailpoints, withCommitFailpoints, type Failpoints } from './failpoints.ts';
import { ForgottenCustomers } from './forgotten.ts';
import { ModelWatcher } from './model-watcher.ts';
import { startOpsServer, type OpsServer } from './http.ts';
import { ProfilerMetrics } from './metrics.ts';
import { PartitionTask } from './partition-task.ts';
import { OutboxRelay } from './relay.ts';

export interface ProfilerOptions {
  connection: ConnectionEnv;
  config: ProfilerConfig;
  rules: RulesConfig;
  logger: Logger;
  /** Wall clock; only used to reject far-future timestamps and stamp emittedAt. */
  nowMs?: () => number;
  /** Fault tests only (PULSE_TEST_FAILPOINT, see failpoints.ts). */
  failpoints?: Failpoints;
}

export interface Profiler {
  readonly metrics: ProfilerMetrics;
  readonly opsPort: number;
  isReady(): boolean;
  /** Finish the batch in hand, commit, leave the group. */
  stop(): Promise<void>;
}

interface OwnedPartition {
  task: PartitionTask;
  relay: OutboxRelay;
}

/**
 * Wires Kafka, Redis and the registry around the partition tasks. The service decides
 * assignment, retries and shutdown; the tasks (and the core under them) decide everything else.
 */
export async function startProfiler(options: ProfilerOptions): Promise<Profiler> {
  const { connection, config, rules, logger } = options;
  const nowMs = options.nowMs ?? Date.now;
  const failpoints = options.failpoints ?? noFailpoints;
  const metrics = new ProfilerMetrics();

  const redis = createRedisClient(redisConnection(connection), {
    commandTimeoutMs: config.redisCommandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryDelayMs: (attempt) => Math.min(config.retryMaxMs, config.retryInitialMs * attempt),
  });
  let redisUp = false;
  redis.on('ready', () => {
    redisUp = true;
  });
  redis.on('close', () => {
    redisUp = false;
  });
  redis.on('error', () => {
    // ioredis reconnects by itself; readiness shows the outage, the tasks retry their batches.
  });
  // A frozen Redis (SIGSTOP, a host stalled) keeps its connections open, so 'close' never
  // fires and readiness would stay true: probe it on every tick. A PING that fails or runs
  // into commandTimeout marks Redis unavailable until one answers again
  // (test/profiler/redis-outage.test.ts).
  let redisAnswering = true;
  let probingRedis = false;
  const probeRedis = (): void => {
    if (probingRedis) return;
    probingRedis = true;
    redis
      .ping()
      .then(
        () => {
          redisAnswering = true;
        },
        () => {
          redisAnswering = false;
        },
      )
      .finally(() => {
        probingRedis = false;
      });
  };
  await assertNoEviction(redis, (reason) => logger.warn(reason)).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  // The namespace is the live one unless configured; `pulse promote` moves it (see
  // followLiveNamespace below). Forgotten customers are skipped in every namespace.
  let namespace = config.followLiveNamespace
    ? await readLiveNamespace(redis, config.keyPrefix)
    : config.namespace;
  const forgotten = new ForgottenCustomers(redis, config.keyPrefix);
  await forgotten.syncTo(0);
  const purchaseModel = new ModelWatcher(redis, config.keyPrefix, logger, metrics);
  await purchaseModel.refresh(namespace);

  const kafka = createKafka(connection);
  const admin = kafka.admin();
  const producer = new ReliableProducer(kafka);
  // Readiness asks the broker itself (a metadata round trip, cached): the consumer's last
  // assignment says nothing about a broker that stopped since.
  const brokerProbe = new BrokerProbe(connection);
  try {
    await admin.connect();
    await producer.connect();
  } catch (error) {
    // Nothing may keep the process alive after a failed start (the CLI exits on the error).
    await admin.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    redis.disconnect();
    if (isKafkaAuthenticationError(error))
      throw new Error(kafkaAuthenticationHint(connection), { cause: error });
    throw error;
  }
  void brokerProbe.check();
  const registry = connection.SCHEMA_REGISTRY_URL
    ? new SchemaRegistry({ host: connection.SCHEMA_REGISTRY_URL })
    : undefined;
  const decoder = createEventDecoder(registry ? { registry } : {});

  const consumer = new PartitionedConsumer(kafka, {
    groupId: config.groupId,
    // The traits topic is co-partitioned like the other two: partition p of all three is one task.
    topics: [config.visitsTopic, config.purchasesTopic, config.traitsTopic],
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    maxBytesPerPartition: config.maxBytesPerPartition,
    maxWaitTimeMs: config.fetchMaxWaitMs,
    minBytes: config.fetchMinBytes,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    fromBeginning: config.fromBeginning,
  });

  const owned = new Map<number, OwnedPartition>();
  let assignment: Assignment = new Map();
  let claimGeneration = '';
  let kafkaUp = false;
  let stopping = false;

  const inputTopics = [config.visitsTopic, config.purchasesTopic, config.traitsTopic];
  const endOffsets = async (partition: number, topics: readonly string[] = inputTopics) => {
    const result = new Map<string, { low: string; high: string }>();
    for (const topic of topics) {
      const entry = (await topicOffsets(admin, topic)).get(partition);
      if (entry) result.set(topic, entry);
    }
    return result;
  };

  // Claims under way: stop() lets them end before the clients they use close (a claim reads
  // end offsets through the admin, which would connect again after its disconnect and keep the
  // process alive).
  const claims = new Set<Promise<void>>();
  const claim = (partition: number, entry: OwnedPartition): void => {
    if (stopping) return;
    const token = `${claimGeneration}:${partition}:${randomBytes(4).toString('hex')}`;
    const pending = entry.task.claim(token).catch((error: unknown) => {
      logger.error({ partition, err: (error as Error).message }, 'could not claim partition');
    });
    claims.add(pending);
    void pending.finally(() => claims.delete(pending));
  };

  // Every relay not yet closed, also of partitions given away or of a namespace left behind: a
  // pass of one of them may still be delivering when the profiler stops.
  const relays = new Set<OutboxRelay>();
  const closeRelay = (relay: OutboxRelay): void => {
    void relay.close().then(() => relays.delete(relay));
  };

  const open = (partition: number): OwnedPartition => {
    const openedIn = namespace;
    const store = withCommitFailpoints(
      new PartitionStore(redis, namespace, partition, config.keyPrefix),
      failpoints,
    );
    const relay = new OutboxRelay(
      store,
      producer,
      {
        batchSize: config.relayBatchSize,
        nowMs,
        // A replay's undeliverable entries go where its dead letters go (never the live DLQ).
        deadLetterTopic: deadLetterTopicOf(config) ?? config.deadLetterTopic,
        failpoints,
      },
      metrics,
      logger,
    );
    relays.add(relay);
    const task = new PartitionTask({
      partition,
      store,
      decoder,
      rules,
      config,
      metrics,
      logger,
      nowMs,
      // A task of a namespace no longer live must not move or pause the consumer.
      seek: (topic, offset) => {
        if (openedIn === namespace) consumer.seek(topic, partition, offset);
      },
      pause: (topic) => {
        if (openedIn === namespace) consumer.pause(topic, [partition]);
      },
      resume: (topic) => consumer.resume(topic, [partition]),
      commitHint: (positions) => {
        failpoints.reach('kill-after-commit');
        consumer.commitHint(positions.map((position) => ({ ...position, partition })));
      },
      fetchEndOffsets: (topics) => endOffsets(partition, topics),
      onOutbox: () => relay.kick(),
      forgotten,
      model: () => purchaseModel.current(),
    });
    return { task, relay };
  };

  await consumer.start({
    onAssignment(next, generation, memberId) {
      kafkaUp = true;
      // Leaving the group can deliver one more assignment (the group rebalanced while this
      // member was on its way out): the profiler is stopping, so it takes nothing new.
      if (stopping) return;
      claimGeneration = `${memberId}:${generation}`;
      for (const [partition, entry] of owned) {
        if (!next.has(partition)) {
          entry.task.close();
          closeRelay(entry.relay);
          owned.delete(partition);
        }
      }
      for (const partition of next.keys()) {
        const kept = owned.get(partition);
        if (kept) {
          // Its claim may have failed while Kafka was away (the rebalance that brought us
          // here is the sign it is back): take it again.
          if (kept.task.needsClaim()) claim(partition, kept);
          continue;
        }
        const entry = open(partition);
        owned.set(partition, entry);
        claim(partition, entry);
      }
      assignment = next;
      logger.info({ partitions: [...next.keys()].sort((a, b) => a - b), generation }, 'assignment');
    },
    async onBatch(batch, control) {
      const entry = owned.get(batch.partition);
      if (!entry) return;
      await entry.task.handleBatch(batch, control);
      if (
        !entry.task.isActive() &&
        !stopping &&
        assignment.has(batch.partition) &&
        owned.get(batch.partition) === entry
      ) {
        // Fenced while Kafka still says the partition is ours: take it back from Redis's position.
        claim(batch.partition, entry);
      }
    },
    onCrash(error, willRestart) {
      kafkaUp = willRestart;
      logger.error({ err: error.message, willRestart }, 'consumer crashed');
    },
  });

  const inputPartitions = await topicPartitionCount(admin, config.visitsTopic);
  let ticking = false;
  // The tick running now, if any: stop() lets it finish before the clients it uses close (a
  // Kafka client used after its disconnect connects again and keeps the process alive).
  let tickInFlight: Promise<void> = Promise.resolve();
  const ticker = setInterval(() => {
    probeRedis();
    void brokerProbe.check();
    metrics.ready.set(isReady() ? 1 : 0);
    if (ticking) return;
    ticking = true;
    tickInFlight = (async () => {
      // A claim that gave up (Kafka or Redis away for longer than their clients retry) is
      // tried again on the next tick, not left unclaimed until the next rebalance.
      for (const [partition, entry] of owned) {
        if (entry.task.needsClaim() && !entry.task.isFenced() && assignment.has(partition)) {
          if (!stopping) claim(partition, entry);
        }
      }
      if (config.followLiveNamespace) {
        await followLiveNamespace().catch((error: unknown) => {
          logger.warn({ err: (error as Error).message }, 'live namespace check failed');
        });
      }
      await purchaseModel.refresh(namespace).catch((error: unknown) => {
        logger.warn({ err: (error as Error).message }, 'purchase model check failed');
      });
      const now = nowMs();
      const anyIdle = [...owned.values()].some(({ task }) => task.isIdle(now));
      const idleTarget = anyIdle ? await groupLowWatermark(now).catch(() => undefined) : undefined;
      await Promise.all(
        [...owned.values()].map(async ({ task, relay }) => {
          if (!task.isActive()) return;
          relay.kick();
          await task.tick(task.isIdle(now) ? idleTarget : undefined).catch((error: unknown) => {
            logger.warn(
              { partition: task.partition, err: (error as Error).message },
              'tick failed',
            );
          });
        }),
      );
    })().finally(() => {
      ticking = false;
    });
  }, config.tickIntervalMs);

  /**
   * Where an idle (caught-up, quiet) partition's stream time may go: the lowest stream time of
   * the group's active partitions (all members', read from Redis). When no partition is
   * active, the group's frontier (the highest stream time): the quiet partition has nothing
   * left to read, and in a true outage of the whole input every partition stops at the same
   * point, so the frontier does not move. A configured wall-clock bound lifts it further.
   */
  async function groupLowWatermark(now: number): Promise<number | undefined> {
    const metas = await readPartitionMetas(redis, namespace, inputPartitions, config.keyPrefix);
    let lowestActive: number | undefined;
    let frontier: number | undefined;
    for (const { streamTimeMs, lastEventWallMs } of metas) {
      if (streamTimeMs === null) continue;
      frontier = frontier === undefined ? streamTimeMs : Math.max(frontier, streamTimeMs);
      if (lastEventWallMs === null || now - lastEventWallMs >= config.idleAfterMs) continue;
      lowestActive =
        lowestActive === undefined ? streamTimeMs : Math.min(lowestActive, streamTimeMs);
    }
    if (lowestActive !== undefined) return lowestActive;
    if (config.idleWallClockLagMs !== undefined) {
      return Math.max(frontier ?? Number.NEGATIVE_INFINITY, now - config.idleWallClockLagMs);
    }
    return frontier;
  }

  // ── Following `pulse promote` ─────────────────────────────────────────────────────────
  // On a change of the live namespace key, every owned partition's task is dropped and a new
  // one opened in the new namespace: its claim fences the replay's writers there, and it seeks
  // to the positions that namespace stored, so nothing is skipped or applied twice in it. The
  // old namespace's relays keep draining what its last commits left in their outboxes.
  const retiredRelays: { relay: OutboxRelay; store: PartitionStore; untilMs: number }[] = [];
  async function followLiveNamespace(): Promise<void> {
    for (const retired of [...retiredRelays]) {
      retired.relay.kick();
      if (nowMs() >= retired.untilMs && (await retired.store.outboxLength()) === 0) {
        retiredRelays.splice(retiredRelays.indexOf(retired), 1);
        closeRelay(retired.relay);
      }
    }
    // Right after a switch a replay still running in the namespace may fence our claims
    // once more before it sees the promotion and stops; a fenced task might then get no batch
    // to re-claim on (its input paused, the other caught up), so the tick takes it back.
    for (const [partition, entry] of owned) {
      if (entry.task.needsClaim() && assignment.has(partition) && !stopping)
        claim(partition, entry);
    }
    const live = await readLiveNamespace(redis, config.keyPrefix);
    if (live === namespace || stopping) return;
    logger.info({ from: namespace, to: live }, 'live namespace changed; re-opening partitions');
    namespace = live;
    for (const [partition, entry] of [...owned]) {
      entry.task.close();
      retiredRelays.push({
        relay: entry.relay,
        store: entry.relay.partitionStore,
        untilMs: nowMs() + 10 * config.tickIntervalMs,
      });
      // The old task may have paused an input that ran ahead; the new one starts unpaused.
      for (const topic of [config.visitsTopic, config.purchasesTopic, config.traitsTopic])
        consumer.resume(topic, [partition]);
      const next = open(partition);
      owned.set(partition, next);
      claim(partition, next);
    }
  }

  function isReady(): boolean {
    return (
      !stopping &&
      redisUp &&
      redisAnswering &&
      kafkaUp &&
      brokerProbe.lastKnown() &&
      [...owned.values()].every(({ task }) => task.isActive())
    );
  }

  let ops: OpsServer | undefined;
  try {
    ops = await startOpsServer({
      host: config.metricsHost,
      port: config.metricsPort,
      token: config.metricsToken,
      metrics,
      isReady,
    });
  } catch (error) {
    clearInterval(ticker);
    await consumer.stop().catch(() => undefined);
    throw error;
  }

  return {
    metrics,
    opsPort: ops.port,
    isReady,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(ticker);
      await consumer.stop().catch((error: unknown) => {
        logger.warn({ err: (error as Error).message }, 'leaving the group failed');
      });
      await tickInFlight.catch(() => undefined);
      await Promise.all([...claims]);
      for (const { task } of owned.values()) task.close();
      // A relay pass under way finishes (or fails and leaves its entries in the outbox) before
      // the producer closes; no new pass starts.
      await Promise.all([...relays].map((relay) => relay.close()));
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await brokerProbe.close();
      await ops?.close();
      redis.disconnect();
    },
  };
}
