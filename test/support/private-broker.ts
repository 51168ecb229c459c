import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type Admin, type Kafka } from 'kafkajs';
import { loadConnectionEnv, type ConnectionEnv } from '@pulse/config';
import { startKafka, stopPid, type KafkaSaslUser, type KafkaServer } from '@pulse/local-stack';
import { createKafka } from '@pulse/stream';
import { onCleanup, testEnv, uniqueName } from './infra.ts';
import { waitFor } from './wait.ts';

/**
 * A Kafka broker of the test file's own, beside the shared one: tests that stop, freeze or log
 * in to a broker must never do it under other suites' feet. It keeps its ports and data across
 * stop() / start(), so clients configured with its address see "Kafka is back". Stopped (and
 * woken first, if frozen) after the test file.
 */
export interface PrivateBroker {
  /** host:port of the PLAINTEXT listener. */
  readonly brokers: string;
  /** host:port of the SASL_PLAINTEXT listener (only with saslUsers). */
  readonly saslBrokers: string | undefined;
  /** Connection settings: this broker, the shared Redis and schema registry. */
  env(extra?: Record<string, string>): ConnectionEnv;
  /** A kafkajs client on the PLAINTEXT listener, quiet. */
  kafka(): Kafka;
  /** A connected admin on the PLAINTEXT listener, disconnected after the file. */
  admin(): Promise<Admin>;
  /** SIGTERM, waits for the process to be gone. */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** Creates topics on this broker with unique names (deleted with the broker). */
  createTopics(specs: { prefix: string; partitions: number }[]): Promise<string[]>;
}

export async function startPrivateBroker(
  options: { saslUsers?: KafkaSaslUser[] } = {},
): Promise<PrivateBroker> {
  const workDir = mkdtempSync(join(tmpdir(), 'pulse-private-kafka-'));
  const log = (line: string) => process.stderr.write(`[private-kafka] ${line}\n`);
  let server: KafkaServer = await startKafka({
    workDir,
    detached: false,
    log,
    ...(options.saslUsers ? { saslUsers: options.saslUsers } : {}),
  });
  onCleanup(async () => rmSync(workDir, { recursive: true, force: true }));
  onCleanup(async () => {
    try {
      process.kill(server.process.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    await stopPid(server.process.pid, 5_000);
  });
  const shared = testEnv();
  const broker: PrivateBroker = {
    brokers: server.brokers,
    saslBrokers: server.saslBrokers,
    env(extra = {}) {
      return loadConnectionEnv({
        KAFKA_BROKERS: server.brokers,
        REDIS_URL: shared.REDIS_URL,
        ...(shared.SCHEMA_REGISTRY_URL ? { SCHEMA_REGISTRY_URL: shared.SCHEMA_REGISTRY_URL } : {}),
        ...extra,
      });
    },
    kafka() {
      return createKafka(broker.env(), {
        clientId: uniqueName('private-broker-test'),
        logLevel: logLevel.NOTHING,
      });
    },
    async admin() {
      const admin = broker.kafka().admin();
      await admin.connect();
      onCleanup(() => admin.disconnect());
      return admin;
    },
    async stop() {
      await stopPid(server.process.pid, 20_000);
    },
    async start() {
      server = await startKafka({
        workDir,
        detached: false,
        log,
        ports: server.ports,
        ...(options.saslUsers ? { saslUsers: options.saslUsers } : {}),
      });
    },
    freeze() {
      process.kill(server.process.pid, 'SIGSTOP');
    },
    thaw() {
      process.kill(server.process.pid, 'SIGCONT');
    },
    async createTopics(specs) {
      const admin = await broker.admin();
      const topics = specs.map((spec) => ({
        topic: uniqueName(spec.prefix),
        numPartitions: spec.partitions,
        replicationFactor: 1,
      }));
      await admin.createTopics({ topics, waitForLeaders: false });
      await waitFor('leaders for the private broker topics', async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
        return metadata.topics.every((topic) =>
          topic.partitions.every((partition) => partition.leader >= 0),
        ) && metadata.topics.length === topics.length
          ? true
          : undefined;
      });
      return topics.map((t) => t.topic);
    },
  };
  return broker;
}
