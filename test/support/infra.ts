import { randomBytes } from 'node:crypto';
import { logLevel, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { afterAll, inject } from 'vitest';
import { loadConnectionEnv, redisConnection, type ConnectionEnv } from '@pulse/config';
import { createRedisClient, type RedisClient, type RedisClientTuning } from '@pulse/store';
import { createKafka } from '@pulse/stream';
import { waitFor } from './wait.ts';

/** The seed nodes of the Redis Cluster the suites run on (the scale project), else none. */
function clusterSettings(): Record<string, string> {
  const nodes = inject('redisClusterNodes');
  return nodes ? { REDIS_CLUSTER_NODES: nodes } : {};
}

/** The connection settings of the stack the global setup started (or the env named). */
export function testEnv(): ConnectionEnv {
  return loadConnectionEnv({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    REDIS_URL: inject('redisUrl'),
    SCHEMA_REGISTRY_URL: inject('schemaRegistryUrl'),
    ...clusterSettings(),
  });
}

/**
 * A Redis client through Pulse's one factory: the suite's Redis (one node or the cluster), or
 * the one node at `redisUrl` (a test's private redis-server). The caller disconnects it.
 */
export function testRedisClient(redisUrl?: string, tuning: RedisClientTuning = {}): RedisClient {
  const connection = redisUrl
    ? redisConnection(loadConnectionEnv({ KAFKA_BROKERS: '127.0.0.1:1', REDIS_URL: redisUrl }))
    : redisConnection(testEnv());
  const client = createRedisClient(connection, tuning);
  // Errors surface on the commands that fail; without a listener ioredis also prints them.
  client.on('error', () => undefined);
  return client;
}

/** The same settings as env variables, for child processes (the CLI, the services). */
export function testProcessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: inject('kafkaBrokers'),
    REDIS_URL: inject('redisUrl'),
    SCHEMA_REGISTRY_URL: inject('schemaRegistryUrl'),
    ...clusterSettings(),
    ...extra,
  };
}

/** A name no other test uses: suites share one broker and one Redis and run in parallel. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
});

/** Registers a cleanup that runs after the file's tests, last registered first. */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

export function testKafka(): Kafka {
  // kafkajs logs retriable coordinator errors at ERROR level while the broker warms up: noise here.
  return createKafka(testEnv(), { clientId: uniqueName('pulse-test'), logLevel: logLevel.NOTHING });
}

export async function connectedAdmin(kafka: Kafka = testKafka()): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  onCleanup(() => admin.disconnect());
  return admin;
}

export async function connectedProducer(kafka: Kafka = testKafka()): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  onCleanup(() => producer.disconnect());
  return producer;
}

export function testConsumer(groupId: string, kafka: Kafka = testKafka()): Consumer {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  onCleanup(() => consumer.disconnect());
  return consumer;
}

/** Creates topics with unique names and deletes them after the file's tests. */
export async function createTestTopics(
  specs: { prefix: string; partitions: number; configs?: Record<string, string> }[],
): Promise<string[]> {
  const admin = await connectedAdmin();
  const topics = specs.map((spec) => ({
    topic: uniqueName(spec.prefix),
    numPartitions: spec.partitions,
    replicationFactor: 1,
    ...(spec.configs
      ? {
          configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
        }
      : {}),
  }));
  // kafkajs's own leader wait fails on a busy broker with "does not host this topic-partition"
  // while the topic is still being created; poll the metadata instead.
  await admin.createTopics({ topics, waitForLeaders: false });
  await waitFor(
    'leaders for the new test topics',
    async () => {
      const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const wanted = new Map(topics.map((t) => [t.topic, t.numPartitions]));
      const ready =
        metadata.topics.length === topics.length &&
        metadata.topics.every(
          (topic) =>
            topic.partitions.length === wanted.get(topic.name) &&
            topic.partitions.every((partition) => partition.leader >= 0),
        );
      return ready ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  onCleanup(() => admin.deleteTopics({ topics: topics.map((t) => t.topic) }));
  return topics.map((t) => t.topic);
}

/** A Redis client for the shared test server. Tests write under a unique key prefix, never FLUSHALL. */
export function testRedis(): RedisClient {
  const client = testRedisClient(undefined, { maxRetriesPerRequest: 2 });
  onCleanup(() => client.quit());
  return client;
}
