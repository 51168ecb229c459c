import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import {
  describeRedis,
  kafkaClientOptions,
  loadConnectionEnv,
  redisConnection,
} from './connections.ts';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
  REDIS_URL: 'redis://127.0.0.1:6380',
};

describe('loadConnectionEnv', () => {
  it('parses brokers into a list and applies defaults', () => {
    const env = loadConnectionEnv(base);
    expect(env.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(env.KAFKA_CLIENT_ID).toBe('pulse');
    expect(kafkaClientOptions(env).sasl).toBeUndefined();
  });

  it('names the setting that is wrong', () => {
    expect(() => loadConnectionEnv({ ...base, REDIS_URL: 'http://nope' })).toThrow(/REDIS_URL/);
    expect(() => loadConnectionEnv({ ...base, KAFKA_BROKERS: 'no-port' })).toThrow(/KAFKA_BROKERS/);
    try {
      loadConnectionEnv({ REDIS_URL: base.REDIS_URL });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).context.settings).toContain('KAFKA_BROKERS');
    }
  });

  it('requires credentials with SASL and TLS with PLAIN', () => {
    expect(() => loadConnectionEnv({ ...base, KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(
      /KAFKA_SASL_USERNAME/,
    );
    expect(() =>
      loadConnectionEnv({
        ...base,
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toThrow(/KAFKA_SSL/);
    const secure = loadConnectionEnv({
      ...base,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'pulse',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(kafkaClientOptions(secure)).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'pulse' },
    });
  });
});

describe('Redis: one node or a cluster', () => {
  it('gives one node from REDIS_URL, TLS from the rediss scheme', () => {
    expect(redisConnection(loadConnectionEnv(base))).toEqual({
      mode: 'single',
      url: 'redis://127.0.0.1:6380',
      auth: {},
    });
    const tls = redisConnection(loadConnectionEnv({ ...base, REDIS_URL: 'rediss://r:6380' }));
    expect(tls.auth.tls).toEqual({});
  });

  it('gives a cluster from REDIS_CLUSTER_NODES, with the same user, password and TLS', () => {
    const env = loadConnectionEnv({
      KAFKA_BROKERS: base.KAFKA_BROKERS,
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001',
      REDIS_USERNAME: 'pulse',
      REDIS_PASSWORD: 'secret',
      REDIS_TLS: 'true',
    });
    expect(redisConnection(env)).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      auth: { username: 'pulse', password: 'secret', tls: {} },
    });
    expect(describeRedis(env)).toBe('Redis Cluster 10.0.0.1:7000,10.0.0.2:7001');
  });

  it('needs one of the two, and host:port nodes; an empty node list or URL counts as unset', () => {
    expect(() => loadConnectionEnv({ KAFKA_BROKERS: base.KAFKA_BROKERS })).toThrow(/REDIS_URL/);
    expect(() =>
      loadConnectionEnv({ KAFKA_BROKERS: base.KAFKA_BROKERS, REDIS_CLUSTER_NODES: 'a,b' }),
    ).toThrow(/REDIS_CLUSTER_NODES/);
    expect(redisConnection(loadConnectionEnv({ ...base, REDIS_CLUSTER_NODES: '' })).mode).toBe(
      'single',
    );
    // What `pulse demo --redis-cluster` hands its children with only REDIS_CLUSTER_NODES set.
    const clusterOnly = { KAFKA_BROKERS: base.KAFKA_BROKERS, REDIS_CLUSTER_NODES: 'r:7000' };
    expect(redisConnection(loadConnectionEnv({ ...clusterOnly, REDIS_URL: '' })).mode).toBe(
      'cluster',
    );
    expect(() => loadConnectionEnv({ KAFKA_BROKERS: base.KAFKA_BROKERS, REDIS_URL: '' })).toThrow(
      /REDIS_URL/,
    );
  });

  it('never names the password when it describes the Redis in use', () => {
    const env = loadConnectionEnv({ ...base, REDIS_URL: 'redis://pulse:secret@r:6380' });
    expect(describeRedis(env)).not.toContain('secret');
  });
});
