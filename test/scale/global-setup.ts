import type { TestProject } from 'vitest/node';
import { guardStack, startStack, type RunningStack } from '@pulse/local-stack';

/**
 * Starts Kafka, the schema registry and a Redis Cluster of 3 masters and 3 replicas (from
 * the machine's redis-server, on free loopback ports) for the scale suites, and hands them the
 * cluster's nodes with their process ids, so a fault test can SIGKILL the master of a slot.
 */
let stack: RunningStack | undefined;

export async function setup(project: TestProject): Promise<void> {
  const startedAt = Date.now();
  stack = await startStack({
    detached: false,
    redisCluster: true,
    log: (line) => process.stderr.write(`[local-stack] ${line}\n`),
  });
  guardStack(stack);
  process.stderr.write(
    `[local-stack] Kafka, a Redis Cluster and the schema registry ready in ${Date.now() - startedAt} ms\n`,
  );
  const cluster = stack.redisCluster;
  if (!cluster) throw new Error('the stack started no Redis Cluster');
  project.provide('kafkaBrokers', stack.settings.KAFKA_BROKERS);
  project.provide('redisUrl', stack.settings.REDIS_URL);
  project.provide('schemaRegistryUrl', stack.settings.SCHEMA_REGISTRY_URL);
  project.provide('redisClusterNodes', cluster.nodes);
  project.provide(
    'redisClusterMembers',
    JSON.stringify(
      cluster.members.map((member) => ({
        address: `${member.host}:${member.port}`,
        pid: member.process.pid,
      })),
    ),
  );
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON: [{ address, pid }] of every node of the scale suites' Redis Cluster. */
    redisClusterMembers: string;
  }
}
