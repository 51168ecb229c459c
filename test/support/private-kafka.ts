import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { loadConnectionEnv } from '@pulse/config';
import { startKafka, stopPid, type KafkaServer } from '@pulse/local-stack';
import { createKafka } from '@pulse/stream';
import { onCleanup, uniqueName } from './infra.ts';

export interface PrivateKafka {
  brokers: string;
  /** A client of this broker (for admin, producers and readers of the test). */
  kafka: Kafka;
  /** SIGTERM, and wait until the broker is gone: clients see refused connections. */
  stop(): Promise<void>;
  /** Start it again: same port, same data. */
  start(): Promise<void>;
}

/**
 * A Kafka broker of the test's own (one KRaft node, as the global setup starts), for tests that
 * make Kafka unavailable without disturbing the others; stopped after the test file. Costs a
 * JVM: use it only where the shared broker cannot serve.
 */
export async function privateKafka(): Promise<PrivateKafka> {
  const workDir = mkdtempSync(join(tmpdir(), 'pulse-private-kafka-'));
  onCleanup(async () => rmSync(workDir, { recursive: true, force: true }));
  let server: KafkaServer = await startKafka({ workDir, detached: false, log: () => undefined });
  onCleanup(() => stopPid(server.process.pid, 10_000));
  const env = loadConnectionEnv({ KAFKA_BROKERS: server.brokers, REDIS_URL: inject('redisUrl') });
  return {
    brokers: server.brokers,
    kafka: createKafka(env, { clientId: uniqueName('pulse-test'), logLevel: logLevel.NOTHING }),
    stop: () => stopPid(server.process.pid, 30_000),
    async start() {
      server = await startKafka({
        workDir,
        detached: false,
        log: () => undefined,
        ports: server.ports,
      });
    },
  };
}
