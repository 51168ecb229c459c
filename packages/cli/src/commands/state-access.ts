import { readFileSync } from 'node:fs';
import { redisConnection, type ConnectionEnv } from '@pulse/config';
import { createRedisClient, type RedisClient } from '@pulse/store';
import { defaultRulesConfig, parseRulesConfig, type RulesConfig } from '@pulse/core';
import { createKafka, topicPartitionCount } from '@pulse/stream';
import { resolveConnectionEnv } from '../connections.ts';

/**
 * What the state commands (profile, replay, promote, namespace, forget) share: connection
 * settings (environment, then the local stack), the key prefix and topic names from the same
 * PULSE_* variables the profiler reads, a Redis client closed after the command.
 */
export async function stateSettings(): Promise<{
  connection: ConnectionEnv;
  keyPrefix: string;
  visitsTopic: string;
}> {
  const { profilerConfigFromEnv } = await import('@pulse/profiler');
  const config = profilerConfigFromEnv(process.env);
  return {
    connection: resolveConnectionEnv(),
    keyPrefix: config.keyPrefix,
    visitsTopic: config.visitsTopic,
  };
}

export async function withRedis<T>(
  connection: ConnectionEnv,
  work: (redis: RedisClient) => Promise<T>,
): Promise<T> {
  const redis = createRedisClient(redisConnection(connection), { maxRetriesPerRequest: 2 });
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** The input topics' partition count (the visits topic's, from Kafka's metadata). */
export async function inputPartitionCount(
  connection: ConnectionEnv,
  visitsTopic: string,
): Promise<number> {
  const admin = createKafka(connection).admin();
  await admin.connect();
  try {
    return await topicPartitionCount(admin, visitsTopic);
  } finally {
    await admin.disconnect();
  }
}

/** Rules from `--rules <file>` (or PULSE_RULES_FILE), else the defaults. */
export function loadRules(file: string | undefined = process.env.PULSE_RULES_FILE): RulesConfig {
  if (!file) return defaultRulesConfig;
  return parseRulesConfig(JSON.parse(readFileSync(file, 'utf8')));
}
