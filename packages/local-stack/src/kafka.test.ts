import { describe, expect, it } from 'vitest';
import { newClusterId, serverProperties } from './kafka.ts';

describe('newClusterId', () => {
  it('gives 22-character base64url ids that the storage tool cannot mistake for an option', () => {
    // Without the guard about one id in 64 starts with '-': 2,000 draws would all but surely hit one.
    for (let draw = 0; draw < 2_000; draw += 1) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});

describe('serverProperties', () => {
  it('has no SASL listener without SASL users', () => {
    const text = serverProperties({ port: 9092, controllerPort: 9093 }, '/data');
    expect(text).toContain('advertised.listeners=PLAINTEXT://127.0.0.1:9092\n');
    expect(text).not.toContain('SASL');
  });

  it('adds a SASL_PLAINTEXT listener taking PLAIN and SCRAM-SHA-256 logins, brokers still talking PLAINTEXT', () => {
    const text = serverProperties({ port: 9092, controllerPort: 9093, saslPort: 9094 }, '/data', [
      { username: 'pulse', password: 'pa"ss' },
    ]);
    expect(text).toContain(
      'advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094\n',
    );
    expect(text).toContain('sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256\n');
    expect(text).toContain('user_pulse="pa\\"ss";');
    expect(text).toContain('inter.broker.listener.name=PLAINTEXT\n');
  });
});
