/*
 * Profiles and timers cut into buckets must behave as one hash and one sorted set per
 * partition would: the customers a load pops (with a limit) are exactly the earliest ones a
 * single sorted set would give, ties by id byte order — whether they all fit in the limit (the
 * script sends them bucket by bucket and the store orders them) or the script merges the
 * buckets to choose the first ones.
 * Each customer sits in the bucket TypeScript computes (the Lua scripts compute their own).
 * And a partition still in the single-key layout is refused until `migrateNamespaceToBuckets`
 * moved it, which moves every profile and timer once, resumably.
 */
import { describe, expect, it } from 'vitest';
import {
  BUCKETS,
  customerBucket,
  migrateNamespaceToBuckets,
  PartitionStore,
  partitionKeys,
  readPartitionHealth,
  readPartitionProfiles,
  singleKeyLayout,
  StoreError,
} from '@pulse/store';
import { testRedis, uniqueName } from '../support/infra.ts';

/** Pure: what ZRANGE BYSCORE … LIMIT 0 limit of one sorted set holding `due` would return. */
function singleSortedSetOrder(due: [string, number][], horizon: number, limit: number): string[] {
  return due
    .filter(([, ms]) => ms <= horizon)
    .sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .slice(0, limit)
    .map(([id]) => id);
}

describe('bucketed profiles and timers', () => {
  it('pop the due customers in the order one sorted set would, across buckets, with a limit', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const store = new PartitionStore(redis, 'v1', 0, prefix);
    const meta = await store.claim('owner');
    // 600 customers, due times with many ties (day-aligned ones are common), ids whose byte
    // order differs from a locale's (upper case, digits, non-ASCII).
    const due: [string, number][] = [];
    for (let index = 0; index < 600; index += 1) {
      const id = [`c${index}`, `C${index}`, `é${index}`, `Z-${index}`][index % 4] as string;
      due.push([id, 1_000 * (index % 7)]);
    }
    // And 90 more in one bucket, so that the merge reads that bucket page after page.
    for (let index = 0; customerBucket(`b${index}`) !== 0 || due.length < 690; index += 1) {
      if (customerBucket(`b${index}`) === 0) due.push([`b${index}`, 500 * (index % 9)]);
    }
    await store.commit({
      ownerToken: 'owner',
      expectedVersion: meta.version,
      offsets: new Map(),
      maxEventMs: new Map(),
      streamTimeMs: null,
      // Each customer's profile is its id's bytes, so an answer given to the wrong customer shows.
      profiles: due.map(([id]) => [id, new Uint8Array(Buffer.from(id))]),
      due,
      outbox: [],
    });
    const keys = partitionKeys('v1', 0, prefix);
    const used = await Promise.all(keys.due.map((key) => redis.zcard(key)));
    const expectedCounts = new Array<number>(BUCKETS).fill(0);
    for (const [id] of due)
      expectedCounts[customerBucket(id)] = (expectedCounts[customerBucket(id)] ?? 0) + 1;
    expect(used).toEqual(expectedCounts);
    for (const [id] of due.slice(0, 50)) {
      expect(await redis.zscore(keys.due[customerBucket(id)] as string, id)).not.toBeNull();
      expect(await redis.hexists(keys.profiles[customerBucket(id)] as string, id)).toBe(1);
    }
    for (const [horizon, limit] of [
      [3_000, 2000],
      [3_000, 37],
      [6_000, 1],
      [6_000, 599],
      [6_000, 100],
      [2_000, 690],
      [-1, 10],
    ] as const) {
      const loaded = await store.load([], horizon, limit);
      expect(
        loaded.due.map((entry) => entry.customerId),
        `horizon ${horizon}, limit ${limit}`,
      ).toEqual(singleSortedSetOrder(due, horizon, limit));
      expect(loaded.timedCustomers).toBe(690);
      for (const entry of loaded.due) expect(entry.profile).toEqual(Buffer.from(entry.customerId));
      // The merge's scratch sorted set lives only inside the script.
      expect(await redis.exists(keys.dueMerge)).toBe(0);
    }
    const health = await readPartitionHealth(redis, 'v1', 1, prefix);
    expect(health.partitions[0]?.timers).toBe(690);
    expect((await readPartitionProfiles(redis, 'v1', 0, prefix)).size).toBe(690);
  });

  it('refuse a partition in the single-key layout until it is migrated, which moves everything once', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const old = singleKeyLayout('v1', 2, prefix);
    const ids = Array.from({ length: 1_234 }, (_, index) => `customer-${index}`);
    for (let from = 0; from < ids.length; from += 500) {
      const chunk = ids.slice(from, from + 500);
      await redis.hset(old.profiles, ...chunk.flatMap((id) => [id, `profile-of-${id}`]));
      await redis.zadd(old.due, ...chunk.flatMap((id, index) => [String(index), id]));
    }
    await redis.zadd(old.due, '5', 'timer-without-profile');
    const store = new PartitionStore(redis, 'v1', 2, prefix);
    const refused = await store.claim('owner').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('STORE_LAYOUT_OUTDATED');

    const result = await migrateNamespaceToBuckets(redis, 'v1', prefix, 100);
    expect(result).toEqual({ partitions: 1, profiles: 1_234, timers: 1_235 });
    expect(await redis.exists(old.profiles, old.due)).toBe(0);
    const profiles = await readPartitionProfiles(redis, 'v1', 2, prefix);
    expect(profiles.size).toBe(1_234);
    expect(profiles.get('customer-77')?.toString()).toBe('profile-of-customer-77');
    const keys = partitionKeys('v1', 2, prefix);
    expect(
      await redis.zscore(
        keys.due[customerBucket('timer-without-profile')] as string,
        'timer-without-profile',
      ),
    ).toBe('5');
    expect(await migrateNamespaceToBuckets(redis, 'v1', prefix)).toEqual({
      partitions: 0,
      profiles: 0,
      timers: 0,
    });
    expect((await store.claim('owner')).version).toBe(1);
  });
});
