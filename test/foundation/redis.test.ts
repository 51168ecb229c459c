import { describe, expect, it } from 'vitest';
import { testRedis, uniqueName } from '../support/infra.ts';

describe('the real Redis server', () => {
  it('round-trips binary values and runs Lua under a hash-tagged key', async () => {
    const redis = testRedis();
    const prefix = uniqueName('foundation');
    const key = `${prefix}:{p0}:value`;
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    await redis.set(key, bytes);
    expect(await redis.getBuffer(key)).toEqual(bytes);
    const length = await redis.eval("return redis.call('STRLEN', KEYS[1])", 1, key);
    expect(length).toBe(5);
    await redis.del(key);
  });

  it('is configured as a store, not a cache: nothing is evicted', async () => {
    const redis = testRedis();
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    expect(policy).toBe('noeviction');
  });
});
