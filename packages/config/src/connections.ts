import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * How Pulse reaches Kafka, Redis and the schema registry. Everything comes from the
 * environment; a secure deployment (SASL/SCRAM + TLS to Kafka, ACL user + TLS to Redis) is
 * a matter of settings, never of code.
 */
export const connectionEnvSchema = z
  .object({
    KAFKA_BROKERS: z
      .string()
      .min(1)
      .transform((value) =>
        value
          .split(',')
          .map((broker) => broker.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)),
    KAFKA_CLIENT_ID: z.string().min(1).default('pulse'),
    KAFKA_SSL: booleanFromEnv.default(false),
    /** PEM file of the CA that signed the brokers' certificates (optional with public CAs). */
    KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
    KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).optional(),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    /**
     * redis:// or rediss:// (TLS). An ACL user and password may be in the URL or below. Empty
     * counts as unset (the demo and the bench pass it empty beside REDIS_CLUSTER_NODES).
     */
    REDIS_URL: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.url({ protocol: /^rediss?$/ }).optional(),
    ),
    /**
     * Redis Cluster instead of one node: seed nodes as `host:port,host:port` (any masters or
     * replicas of the cluster; the client learns the rest). Wins over REDIS_URL.
     */
    REDIS_CLUSTER_NODES: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z
        .string()
        .transform((value) =>
          value
            .split(',')
            .map((node) => node.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1))
        .optional(),
    ),
    /** TLS to every cluster node (one node: the rediss:// scheme of REDIS_URL says it). */
    REDIS_TLS: booleanFromEnv.default(false),
    REDIS_USERNAME: z.string().min(1).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_SSL_CA_FILE: z.string().min(1).optional(),
    SCHEMA_REGISTRY_URL: z.url({ protocol: /^https?$/ }).optional(),
    SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional(),
    SCHEMA_REGISTRY_PASSWORD: z.string().min(1).optional(),
  })
  .superRefine((env, context) => {
    if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
      context.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'set REDIS_URL (one node) or REDIS_CLUSTER_NODES (Redis Cluster)',
      });
    }
    if (env.KAFKA_SASL_MECHANISM && (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD)) {
      context.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_USERNAME'],
        message: 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
      });
    }
    if (!env.KAFKA_SSL && env.KAFKA_SASL_MECHANISM === 'plain') {
      context.addIssue({
        code: 'custom',
        path: ['KAFKA_SSL'],
        message: 'SASL PLAIN sends the password in clear: set KAFKA_SSL=true',
      });
    }
  });

export type ConnectionEnv = z.infer<typeof connectionEnvSchema>;

/** Parses the connection settings once at start-up; a bad one stops with its name. */
export function loadConnectionEnv(env: NodeJS.ProcessEnv = process.env): ConnectionEnv {
  const parsed = connectionEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)
      .join('; ');
    throw new ConfigError('CONFIG_INVALID', `invalid connection settings: ${problems}`, {
      settings: parsed.error.issues.map((issue) => issue.path.join('.')),
    });
  }
  return parsed.data;
}

type KafkaSasl =
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'plain'; username: string; password: string };

/** kafkajs client options (brokers, TLS, SASL) from the settings. */
export function kafkaClientOptions(env: ConnectionEnv): {
  clientId: string;
  brokers: string[];
  ssl?: boolean | { ca: string[] };
  sasl?: KafkaSasl;
} {
  const options: ReturnType<typeof kafkaClientOptions> = {
    clientId: env.KAFKA_CLIENT_ID,
    brokers: env.KAFKA_BROKERS,
  };
  if (env.KAFKA_SSL) {
    options.ssl = env.KAFKA_SSL_CA_FILE
      ? { ca: [readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8')] }
      : true;
  }
  if (env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD) {
    options.sasl = {
      mechanism: env.KAFKA_SASL_MECHANISM,
      username: env.KAFKA_SASL_USERNAME,
      password: env.KAFKA_SASL_PASSWORD,
    } as KafkaSasl;
  }
  return options;
}

/** Credentials and TLS, the same for one node and for every node of a cluster. */
export interface RedisAuthOptions {
  username?: string;
  password?: string;
  tls?: { ca?: string[] };
}

/**
 * Where Redis is, as the one Redis client factory (`createRedisClient` in @pulse/store) takes
 * it: one node by URL, or the seed nodes of a Redis Cluster. Pure translation of the settings;
 * this package never opens a connection.
 */
export type RedisConnection =
  | { mode: 'single'; url: string; auth: RedisAuthOptions }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; auth: RedisAuthOptions };

export function redisConnection(env: ConnectionEnv): RedisConnection {
  const auth: RedisAuthOptions = {};
  if (env.REDIS_USERNAME) auth.username = env.REDIS_USERNAME;
  if (env.REDIS_PASSWORD) auth.password = env.REDIS_PASSWORD;
  const ca = () =>
    env.REDIS_SSL_CA_FILE ? { ca: [readFileSync(env.REDIS_SSL_CA_FILE, 'utf8')] } : {};
  if (env.REDIS_CLUSTER_NODES) {
    if (env.REDIS_TLS) auth.tls = ca();
    const nodes = env.REDIS_CLUSTER_NODES.map((node) => {
      const separator = node.lastIndexOf(':');
      return { host: node.slice(0, separator), port: Number(node.slice(separator + 1)) };
    });
    return { mode: 'cluster', nodes, auth };
  }
  const url = env.REDIS_URL as string;
  if (url.startsWith('rediss:') || env.REDIS_TLS) auth.tls = ca();
  return { mode: 'single', url, auth };
}

/** How a log line or a summary names the Redis in use (never with credentials). */
export function describeRedis(env: ConnectionEnv): string {
  if (env.REDIS_CLUSTER_NODES) return `Redis Cluster ${env.REDIS_CLUSTER_NODES.join(',')}`;
  const url = new URL(env.REDIS_URL as string);
  url.username = '';
  url.password = '';
  return url.toString();
}
