import { describe, expect, it } from 'vitest';
import { profilerConfigFromEnv, profilerDefaults } from './config.ts';

describe('profiler settings from the environment', () => {
  it('reads the bytes a fetch gathers before it answers, 1 by default', () => {
    expect(profilerConfigFromEnv({}).fetchMinBytes).toBe(profilerDefaults.fetchMinBytes);
    expect(profilerDefaults.fetchMinBytes).toBe(1);
    expect(profilerConfigFromEnv({ PULSE_FETCH_MIN_BYTES: '262144' }).fetchMinBytes).toBe(262_144);
  });

  it('keeps no decoded profiles between batches unless given a budget', () => {
    expect(profilerConfigFromEnv({}).profileCacheBytesPerPartition).toBe(0);
    expect(
      profilerConfigFromEnv({ PULSE_PROFILE_CACHE_BYTES_PER_PARTITION: '33554432' })
        .profileCacheBytesPerPartition,
    ).toBe(33_554_432);
  });

  it('refuses a fetch size that is not a positive whole number, naming it', () => {
    for (const bad of ['0', '-5', '1.5', 'lots']) {
      expect(() => profilerConfigFromEnv({ PULSE_FETCH_MIN_BYTES: bad })).toThrow(/fetchMinBytes/);
    }
  });
});
