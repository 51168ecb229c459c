import { describe, expect, it } from 'vitest';
import { categoryOf, summarizeCpuProfile, type CpuProfile } from './cpu-profile.ts';

describe('CPU profile summary', () => {
  it('puts frames in the part of the hot path their script belongs to', () => {
    expect(categoryOf('', '(idle)')).toBe('waiting (idle: Kafka, Redis)');
    expect(categoryOf('file:///r/node_modules/kafkajs/src/x.js', 'decode')).toMatch(/^Kafka/);
    expect(categoryOf('file:///r/packages/contracts/src/event-decoder.ts', 'decode')).toMatch(
      /^event parse/,
    );
    expect(categoryOf('file:///r/packages/core/src/codec.ts', 'decodeProfile')).toMatch(/^core/);
    expect(categoryOf('node:internal/crypto/hash', 'digest')).toMatch(/^core/);
    expect(categoryOf('file:///r/node_modules/ioredis/built/x.js', 'send')).toMatch(/^Redis/);
    expect(categoryOf('file:///r/services/profiler/src/relay.ts', 'drain')).toBe('produce (relay)');
    expect(categoryOf('file:///r/services/profiler/src/partition-task.ts', 'x')).toMatch(
      /^profiler/,
    );
    expect(categoryOf('node:buffer', 'write')).toBe('other (Node internals)');
  });

  it('adds self time per category and per event', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { url: '', functionName: '(idle)' } },
        { id: 2, callFrame: { url: 'file:///r/packages/core/src/timeline.ts', functionName: 'a' } },
      ],
      samples: [1, 2, 2, 1],
      timeDeltas: [100, 300, 300, 300],
    };
    const summary = summarizeCpuProfile(profile, 3);
    expect(summary.totalMs).toBe(1);
    expect(summary.share['core (profile update, rules, codec, hashing)']).toBeCloseTo(0.6);
    expect(summary.share['waiting (idle: Kafka, Redis)']).toBeCloseTo(0.4);
    expect(summary.microsecondsPerEvent['core (profile update, rules, codec, hashing)']).toBe(200);
  });
});
