import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { kafkaClientOptions, loadConnectionEnv } from './connections.ts';

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
