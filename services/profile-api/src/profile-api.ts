import type { Logger } from 'pino';
import { redisConnection, type ConnectionEnv } from '@pulse/config';
import type { RulesConfig } from '@pulse/core';
import { createRedisClient } from '@pulse/store';
import { createKafka, quietKafkaLogs } from '@pulse/stream';
import type { ProfileApiConfig } from './config.ts';
import { ProfileApiMetrics } from './metrics.ts';
import { PartitionCount } from './partition-count.ts';
import { ProfileReader } from './reader.ts';
import { buildProfileApiServer } from './server.ts';

export interface ProfileApi {
  port: number;
  url: string;
  metrics: ProfileApiMetrics;
  stop(): Promise<void>;
}

export interface ProfileApiOptions {
  connection: ConnectionEnv;
  config: ProfileApiConfig;
  rules: RulesConfig;
  logger: Logger;
  collectDefaultMetrics?: boolean;
}

/** Starts listening at once; Kafka metadata and Redis are reached per request (503 while away). */
export async function startProfileApi(options: ProfileApiOptions): Promise<ProfileApi> {
  const { config, connection, logger } = options;
  const redis = createRedisClient(redisConnection(connection), {
    commandTimeoutMs: config.redisCommandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // reported through /readyz and 503s, not a crash
  const admin = createKafka(connection, {
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    ...quietKafkaLogs,
  }).admin();
  const adminConnected = admin.connect().catch((error: unknown) => {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'Kafka unreachable',
    );
  });
  const partitions = new PartitionCount(admin, config.visitsTopic, config.partitionCountTtlMs);
  const reader = new ProfileReader(redis, partitions, config, options.rules);
  const metrics = new ProfileApiMetrics(options.collectDefaultMetrics ?? true);
  const app = buildProfileApiServer({
    config,
    reader,
    metrics,
    logger,
    isReady: async () => {
      await redis.ping();
      await partitions.count();
      return true;
    },
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return {
    port,
    url: `http://${host}:${port}`,
    metrics,
    async stop() {
      await app.close();
      await adminConnected;
      await admin.disconnect().catch(() => undefined);
      redis.disconnect();
    },
  };
}
