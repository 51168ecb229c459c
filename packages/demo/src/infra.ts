// Where the demo runs: the servers named by the environment, the stack `pulse infra up`
// started, or a stack of its own. On a stack it did not start, every name it uses (topics, key
// prefix, consumer groups) carries a run id, so it never mixes with other data there and can
// remove exactly what it made.
import { randomBytes } from 'node:crypto';
import {
  guardStack,
  infraStatus,
  infraUp,
  startStack,
  type ConnectionSettings,
} from '@pulse/local-stack';
import { TOPICS } from '@pulse/stream';

export interface DemoNames {
  visits: string;
  purchases: string;
  /** The profiler's third input (read by it; the demo writes none yet). */
  traits: string;
  lapse: string;
  readyToBuy: string;
  deadLetter: string;
  keyPrefix: string;
  namespace: string;
  profilerGroup: string;
  readerGroup: string;
}

/** The standard names (a stack of the demo's own) or names unique to one run (a shared stack). */
export function demoNames(runId: string | null): DemoNames {
  if (runId === null) {
    return {
      visits: TOPICS.visits,
      purchases: TOPICS.purchases,
      traits: TOPICS.traits,
      lapse: TOPICS.lapseSignals,
      readyToBuy: TOPICS.readyToBuySignals,
      deadLetter: TOPICS.deadLetter,
      keyPrefix: 'pulse',
      namespace: 'v1',
      profilerGroup: 'pulse-profiler',
      readerGroup: 'pulse-demo-reader',
    };
  }
  const base = `pulse-demo-${runId}`;
  return {
    visits: `${base}.visits`,
    purchases: `${base}.purchases`,
    traits: `${base}.traits`,
    lapse: `${base}.signals.lapse`,
    readyToBuy: `${base}.signals.ready-to-buy`,
    deadLetter: `${base}.dlq`,
    keyPrefix: `demo-${runId}`,
    namespace: 'v1',
    profilerGroup: `${base}-profiler`,
    readerGroup: `${base}-reader`,
  };
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export type InfraOrigin = 'env' | 'infra-up' | 'own' | 'own-kept';

export interface DemoInfra {
  settings: ConnectionSettings;
  origin: InfraOrigin;
  /** Stops what the demo started (nothing for env / infra-up, nor for a kept stack). */
  release(): Promise<void>;
}

/**
 * KAFKA_BROKERS and REDIS_URL in the environment win; else a running `pulse infra up` stack;
 * else a new stack: with `keep`, started as `pulse infra up` does (so `pulse infra down` stops
 * it later), otherwise private, guarded by a watchdog and stopped by `release()`.
 */
export async function acquireInfra(options: {
  env: NodeJS.ProcessEnv;
  keep: boolean;
  /** A Redis Cluster wanted (`--redis-cluster`): only a stack or settings with one will do. */
  redisCluster?: boolean;
  log: (line: string) => void;
}): Promise<DemoInfra> {
  const { env } = options;
  const wantCluster = options.redisCluster ?? false;
  const envRedis = wantCluster
    ? env.REDIS_CLUSTER_NODES
    : (env.REDIS_URL ?? env.REDIS_CLUSTER_NODES);
  if (env.KAFKA_BROKERS && envRedis) {
    return {
      settings: {
        KAFKA_BROKERS: env.KAFKA_BROKERS,
        REDIS_URL: env.REDIS_URL ?? '',
        ...(env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES } : {}),
        SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL ?? '',
      },
      origin: 'env',
      release: async () => undefined,
    };
  }
  const status = await infraStatus();
  const statusHasCluster = status.settings?.REDIS_CLUSTER_NODES !== undefined;
  if (status.running && status.settings && statusHasCluster === wantCluster) {
    options.log('using the local stack `pulse infra up` started');
    return { settings: status.settings, origin: 'infra-up', release: async () => undefined };
  }
  const what = wantCluster
    ? 'Kafka, a Redis Cluster (3 masters + 3 replicas) and schema registry'
    : 'Kafka, Redis and schema registry';
  if (options.keep) {
    options.log(`starting a local ${what} (kept afterwards)`);
    const settings = await infraUp(options.log, { redisCluster: wantCluster });
    return { settings, origin: 'own-kept', release: async () => undefined };
  }
  options.log(`starting a local ${what}`);
  // Detached: a Ctrl-C in the terminal reaches the demo only, which then stops the services
  // before the servers they talk to. The watchdog stops the servers if the demo is killed.
  const stack = await startStack({ detached: true, log: options.log, redisCluster: wantCluster });
  guardStack(stack);
  return { settings: stack.settings, origin: 'own', release: () => stack.stop() };
}
