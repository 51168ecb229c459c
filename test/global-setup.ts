import type { TestProject } from 'vitest/node';
import { guardStack, startStack, type RunningStack } from '@pulse/local-stack';

/**
 * Starts the real infrastructure once for all integration suites: Apache Kafka (KRaft),
 * redis-server and Apicurio Registry, on free loopback ports. When KAFKA_BROKERS, REDIS_URL
 * and SCHEMA_REGISTRY_URL are all set, the tests use those and start nothing.
 */
let stack: RunningStack | undefined;

export async function setup(project: TestProject): Promise<void> {
  const { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL } = process.env;
  let settings = { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL };
  if (!KAFKA_BROKERS || !REDIS_URL || !SCHEMA_REGISTRY_URL) {
    const startedAt = Date.now();
    stack = await startStack({
      detached: false,
      log: (line) => process.stderr.write(`[local-stack] ${line}\n`),
    });
    // If this process dies without running teardown (Ctrl-C, SIGKILL), the watchdog stops the servers.
    guardStack(stack);
    settings = stack.settings;
    process.stderr.write(
      `[local-stack] Kafka, Redis and the schema registry ready in ${Date.now() - startedAt} ms\n`,
    );
  }
  project.provide('kafkaBrokers', settings.KAFKA_BROKERS as string);
  project.provide('redisUrl', settings.REDIS_URL as string);
  project.provide('schemaRegistryUrl', settings.SCHEMA_REGISTRY_URL as string);
  // One node here; the scale project (test/scale/global-setup.ts) runs on a Redis Cluster.
  project.provide('redisClusterNodes', process.env.REDIS_CLUSTER_NODES ?? '');
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    redisUrl: string;
    schemaRegistryUrl: string;
    /** `host:port,…` of a Redis Cluster, or '' (one node at redisUrl). */
    redisClusterNodes: string;
  }
}
