import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { logLevel, type Admin, type ITopicConfig, type Kafka } from 'kafkajs';
import { loadConnectionEnv, redisConnection, type ConnectionEnv } from '@pulse/config';
import { createRedisClient, groupByHashTag, redisNodes, type RedisClient } from '@pulse/store';
import { ensureKafkaClasspath, guardStack, startStack } from '@pulse/local-stack';
import { createKafka, defaultTopicLayout, planTopics, type TOPICS } from '@pulse/stream';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const PULSE_BIN = resolve(REPO_ROOT, 'bin/pulse.mjs');

export type TopicNames = { -readonly [K in keyof typeof TOPICS]: string };

/** Connections the benchmark works with: the env's servers, or a stack of its own. */
export interface BenchContext {
  connection: ConnectionEnv;
  /** The raw env settings handed to child processes. */
  settings: Record<string, string>;
  kafka: Kafka;
  admin: Admin;
  redis: RedisClient;
  /** Unique per bench run: topics, groups and key prefixes carry it. */
  runId: string;
  startedStack: boolean;
  log: (line: string) => void;
  close(): Promise<void>;
}

export async function openContext(
  log: (line: string) => void,
  options: { redisCluster?: boolean } = {},
): Promise<BenchContext> {
  let settings: Record<string, string>;
  let stopStack: (() => Promise<void>) | undefined;
  const { KAFKA_BROKERS, REDIS_URL, REDIS_CLUSTER_NODES, SCHEMA_REGISTRY_URL } = process.env;
  const envRedis = options.redisCluster ? REDIS_CLUSTER_NODES : (REDIS_URL ?? REDIS_CLUSTER_NODES);
  if (KAFKA_BROKERS && envRedis && SCHEMA_REGISTRY_URL) {
    settings = {
      KAFKA_BROKERS,
      REDIS_URL: REDIS_URL ?? '',
      ...(REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES } : {}),
      SCHEMA_REGISTRY_URL,
    };
    log('using the Kafka, Redis and schema registry given in the environment');
  } else {
    log(
      `starting a local Kafka, ${options.redisCluster ? 'Redis Cluster (3 masters + 3 replicas)' : 'Redis'} and schema registry for the benchmark…`,
    );
    const stack = await startStack({
      detached: false,
      log,
      redisCluster: options.redisCluster ?? false,
    });
    guardStack(stack);
    settings = Object.fromEntries(
      Object.entries(stack.settings).filter((entry): entry is [string, string] => !!entry[1]),
    );
    stopStack = () => stack.stop();
  }
  // Only the connection variables: the bench's own stack wins over unrelated env.
  const connection = loadConnectionEnv({ ...process.env, ...settings });
  // The bench reports its own failures; kafkajs's retried, transient ones are noise here.
  const kafka = createKafka(connection, { logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const redis = createRedisClient(redisConnection(connection));
  return {
    connection,
    settings,
    kafka,
    admin,
    redis,
    runId: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
    startedStack: stopStack !== undefined,
    log,
    async close() {
      await admin.disconnect().catch(() => undefined);
      redis.disconnect();
      await stopStack?.();
    },
  };
}

/** The Kafka jars the stack runs from (also holds kafka-tools' perf test classes). */
export function kafkaLibsDir(log: (line: string) => void): string {
  return ensureKafkaClasspath(log);
}

export function topicNames(context: BenchContext, label: string): TopicNames {
  const base = `bench.${context.runId}.${label}`;
  return {
    visits: `${base}.visits`,
    purchases: `${base}.purchases`,
    traits: `${base}.traits`,
    lapseSignals: `${base}.signals.lapse`,
    readyToBuySignals: `${base}.signals.ready-to-buy`,
    deadLetter: `${base}.dlq`,
  };
}

export async function createTopics(
  context: BenchContext,
  names: TopicNames,
  inputPartitions = defaultTopicLayout.inputPartitions,
): Promise<void> {
  // Not initTopics: kafkajs's own wait for leaders fails spuriously on a busy broker.
  const plan = planTopics({ ...defaultTopicLayout, inputPartitions }, names as typeof TOPICS);
  await createTopicsWithLeaders(context, plan);
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own wait
 * (`waitForLeaders`) is not reliable on a fresh or busy broker: it can give up with "This server
 * does not host this topic-partition" while the leaders are still being elected.
 */
export async function createTopicsWithLeaders(
  context: BenchContext,
  topics: ITopicConfig[],
): Promise<void> {
  await context.admin.createTopics({ topics, waitForLeaders: false });
  const all = topics.map(({ topic }) => topic);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const metadata = await context.admin.fetchTopicMetadata({ topics: all }).catch(() => undefined);
    if (metadata?.topics.every((topic) => topic.partitions.every((p) => p.leader >= 0))) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`topics ${all.join(', ')} have no leaders`);
}

const deleted = new Set<string>();

export async function deleteTopics(context: BenchContext, names: TopicNames): Promise<void> {
  const topics = Object.values(names).filter((topic) => !deleted.has(topic));
  topics.forEach((topic) => deleted.add(topic));
  if (topics.length > 0) await context.admin.deleteTopics({ topics }).catch(() => undefined);
}

/** Removes every Redis key under a prefix (the bench's namespaces), a SCAN page at a time. */
export async function dropKeys(redis: RedisClient, prefix: string): Promise<number> {
  let dropped = 0;
  // Every master of a cluster holds some of the keys; DEL per hash tag (one slot each).
  for (const node of redisNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      // DEL, not UNLINK: the memory must be back before the next run measures its own delta.
      for (const group of groupByHashTag(keys)) dropped += await node.del(...group);
    } while (cursor !== '0');
  }
  return dropped;
}
