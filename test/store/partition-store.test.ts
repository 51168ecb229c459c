/*
 * Guards the exactly-once effect on state: a batch commit is a compare-and-set on the partition's
 * owner and version. Under real contention (many writers, one Redis) no update is lost and
 * none is applied twice; a writer fenced by a new owner changes nothing at all.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BUCKETS,
  coalesceWrites,
  customerBucket,
  MAX_COMMIT_GROUP,
  PartitionStore,
  partitionKeys,
  readPartitionDue,
  readPartitionHealth,
  readPartitionProfiles,
  StoreError,
  type BatchCommit,
} from '@pulse/store';
import { testRedis, uniqueName } from '../support/infra.ts';

function emptyCommit(ownerToken: string, expectedVersion: number): BatchCommit {
  return {
    ownerToken,
    expectedVersion,
    offsets: new Map(),
    maxEventMs: new Map(),
    streamTimeMs: null,
    profiles: [],
    due: [],
    outbox: [],
  };
}

describe('PartitionStore against a real Redis', () => {
  it('loads and commits profiles, due index, outbox and offsets together', async () => {
    const redis = testRedis();
    const store = new PartitionStore(redis, 'v1', 3, uniqueName('t'));
    const meta = await store.claim('owner-a');
    expect(meta.version).toBe(1);
    const version = await store.commit({
      ...emptyCommit('owner-a', meta.version),
      offsets: new Map([['visits', '10']]),
      streamTimeMs: 1234,
      profiles: [['c1', new Uint8Array([7, 0, 255])]],
      due: [['c1', 5000]],
      outbox: ['signal-1'],
    });
    expect(version).toBe(2);

    const loaded = await store.load(['c1', 'c-missing'], 5000, 10);
    expect(loaded.meta.offsets.get('visits')).toBe('10');
    expect(loaded.meta.streamTimeMs).toBe(1234);
    expect(loaded.profiles.get('c1')).toEqual(Buffer.from([7, 0, 255]));
    expect(loaded.profiles.has('c-missing')).toBe(false);
    expect(loaded.due).toEqual([{ customerId: 'c1', profile: Buffer.from([7, 0, 255]) }]);
    expect((await store.load([], 4999, 10)).due).toEqual([]);

    const outbox = await store.readOutbox(10);
    expect(outbox.map((entry) => entry.payload)).toEqual(['signal-1']);
    expect(await store.ackOutbox(outbox.map((entry) => entry.id))).toBe(1);
    expect(await store.outboxLength()).toBe(0);
  });

  it('sends its scripts as source to a Redis that does not hold them, bytes and UTF-8 intact', async () => {
    const redis = testRedis();
    const store = new PartitionStore(redis, 'v1', 4, uniqueName('t'));
    const meta = await store.claim('owner-a');
    // As a restarted Redis would: no script cached, every EVALSHA answered NOSCRIPT.
    await redis.script('FLUSH');
    const bytes = new Uint8Array([13, 10, 0, 36, 42, 255]);
    const version = await store.commit({
      ...emptyCommit('owner-a', meta.version),
      profiles: [['ünïcødé-客户', bytes]],
      due: [['ünïcødé-客户', 7_000]],
    });
    expect(version).toBe(meta.version + 1);
    await redis.script('FLUSH');
    const loaded = await store.load(['ünïcødé-客户'], 7_000, 10);
    expect(loaded.profiles.get('ünïcødé-客户')).toEqual(Buffer.from(bytes));
    expect(loaded.due).toEqual([{ customerId: 'ünïcødé-客户', profile: Buffer.from(bytes) }]);
  });

  it('commits more customers of one bucket than one group carries, each in its own bucket key', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const store = new PartitionStore(redis, 'v1', 2, prefix);
    const meta = await store.claim('owner-a');
    // 4,500 customers of bucket 7: more than one HSET could take (Lua unpacks at most ~8,000
    // values), and a few of other buckets.
    const crowded: string[] = [];
    const others: string[] = [];
    for (let index = 0; crowded.length < 4 * MAX_COMMIT_GROUP + 500; index += 1) {
      const id = `customer-${index}`;
      if (customerBucket(id) === 7) crowded.push(id);
      else if (others.length < 20) others.push(id);
    }
    const everyone = [...crowded, ...others];
    const first = await store.commit({
      ...emptyCommit('owner-a', meta.version),
      profiles: everyone.map((id, index) => [id, new Uint8Array([index % 256, 1])]),
      due: everyone.map((id, index) => [id, 1_000 + index]),
    });
    // Then half of them leave the due index and the rest move, in one commit.
    await store.commit({
      ...emptyCommit('owner-a', first),
      due: everyone.map((id, index) => [id, index % 2 === 0 ? null : 5_000 + index]),
    });

    const profiles = await readPartitionProfiles(redis, 'v1', 2, prefix);
    expect(profiles.size).toBe(everyone.length);
    everyone.forEach((id, index) => {
      expect(profiles.get(id)).toEqual(Buffer.from([index % 256, 1]));
    });
    const bucketKey = partitionKeys('v1', 2, prefix).profiles[7] as string;
    expect(await redis.hlen(bucketKey)).toBe(crowded.length);
    const due = await readPartitionDue(redis, 'v1', 2, prefix);
    expect(due).toEqual(
      new Map(
        everyone.flatMap((id, index) =>
          index % 2 === 0 ? [] : [[id, 5_000 + index] as [string, number]],
        ),
      ),
    );
  });

  it('loads, sweeps and acknowledges more customers at once than Lua unpacks in one call', async () => {
    const redis = testRedis();
    const store = new PartitionStore(redis, 'v1', 4, uniqueName('t'));
    const meta = await store.claim('owner-a');
    // 9,000 of them, past the ~8,000 values Lua's unpack gives: a batch that large (the
    // configuration allows up to 50,000 events per commit) once failed its load.
    const ids = Array.from({ length: 9_000 }, (_, index) => `customer-${index}`);
    let version = meta.version;
    for (let from = 0; from < ids.length; from += 3_000) {
      const part = ids.slice(from, from + 3_000);
      version = await store.commit({
        ...emptyCommit('owner-a', version),
        profiles: part.map((id) => [id, new Uint8Array([1, 2])]),
        due: part.map((id) => [id, 1_000]),
        outbox: part.map((id) => `signal-of-${id}`),
      });
    }
    const loaded = await store.load(ids, 1_000, 20_000);
    expect(loaded.profiles.size).toBe(ids.length);
    expect(loaded.due.map((entry) => entry.customerId)).toEqual(
      [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect(loaded.due.every((entry) => entry.profile !== null)).toBe(true);
    const outbox = await store.readOutbox(ids.length);
    expect(outbox).toHaveLength(ids.length);
    expect(await store.ackOutbox(outbox.map((entry) => entry.id))).toBe(ids.length);
    expect(await store.outboxLength()).toBe(0);
  });

  it("sends no bytes of the caller's cached profiles while its version holds, and all of them after anyone else wrote", async () => {
    const redis = testRedis();
    const store = new PartitionStore(redis, 'v1', 4, uniqueName('t'));
    const meta = await store.claim('owner-a');
    const version = await store.commit({
      ...emptyCommit('owner-a', meta.version),
      profiles: [
        ['cached', new Uint8Array([1])],
        ['fresh', new Uint8Array([2])],
        ['held-elsewhere', new Uint8Array([3])],
        ['not-held', new Uint8Array([4])],
      ],
      due: [
        ['cached', 100],
        ['held-elsewhere', 90],
        ['not-held', 95],
      ],
    });
    // 'held-elsewhere' is not in the batch: the caller names it as a cached customer that may
    // be due ('not-held' it does not hold).
    const cache = {
      version,
      has: (id: string) => id === 'cached' || id === 'held-elsewhere',
      dueBy: (horizonMs: number) => (horizonMs >= 90 ? ['held-elsewhere'] : []),
    };

    const good = await store.load(['cached', 'fresh'], 100, 10, cache);
    expect(good.cacheGood).toBe(true);
    expect([...good.profiles.keys()]).toEqual(['fresh']);
    // Cached due customers come without bytes too, in the batch or named; others with theirs.
    expect(good.due).toEqual([
      { customerId: 'held-elsewhere', profile: null },
      { customerId: 'not-held', profile: Buffer.from([4]) },
      { customerId: 'cached', profile: null },
    ]);

    // Another writer (here a new claim) moves the version: the cache is stale, every byte comes.
    await store.claim('owner-b');
    const stale = await store.load(['cached', 'fresh'], 100, 10, cache);
    expect(stale.cacheGood).toBe(false);
    expect(stale.profiles.get('cached')).toEqual(Buffer.from([1]));
    expect(stale.profiles.get('fresh')).toEqual(Buffer.from([2]));
    expect(stale.due).toEqual([
      { customerId: 'held-elsewhere', profile: Buffer.from([3]) },
      { customerId: 'not-held', profile: Buffer.from([4]) },
      { customerId: 'cached', profile: Buffer.from([1]) },
    ]);
  });

  it('sends no meta back to the store that holds its version, and the whole meta once anyone else wrote', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const store = new PartitionStore(redis, 'v1', 5, prefix);
    const fullRead = async () =>
      (await new PartitionStore(redis, 'v1', 5, prefix).load([], null, 0)).meta;
    const meta = await store.claim('owner-a');
    await store.commit({
      ...emptyCommit('owner-a', meta.version),
      offsets: new Map([['visits', '10']]),
      maxEventMs: new Map([['visits', 5_000]]),
      streamTimeMs: 4_000,
      lastEventWallMs: 77,
      commitWallMs: 78,
      traffic: new Map([['visits', 'traffic-1']]),
      population: { statistics: 'stats-1', hurdles: 'table-1' },
      segmentFigures: 'figures-1',
    });
    // The store's own copy, as Redis would have sent it.
    const own = await store.load([], null, 0, undefined, 'owner-a');
    expect(own.metaReadBack).toBe(false);
    expect(own.meta).toEqual(await fullRead());
    expect(own.meta.segmentFigures).toBe('figures-1');
    expect(own.meta.version).toBe(meta.version + 1);

    // Commits go on from it: the fields a commit leaves out keep their values.
    await store.commit({
      ...emptyCommit('owner-a', own.meta.version),
      offsets: new Map([['purchases', '3']]),
      streamTimeMs: 4_500,
      traffic: new Map([['purchases', 'traffic-2']]),
    });
    const next = await store.load([], null, 0, undefined, 'owner-a');
    expect(next.metaReadBack).toBe(false);
    expect(next.meta).toEqual(await fullRead());
    expect(next.meta.offsets).toEqual(
      new Map([
        ['visits', '10'],
        ['purchases', '3'],
      ]),
    );
    expect(next.meta.traffic.get('visits')).toBe('traffic-1');

    // Asked under another token, or after another writer moved the version: read whole.
    expect((await store.load([], null, 0, undefined, 'owner-x')).metaReadBack).toBe(true);
    await new PartitionStore(redis, 'v1', 5, prefix).claim('owner-b');
    const taken = await store.load([], null, 0, undefined, 'owner-a');
    expect(taken.metaReadBack).toBe(true);
    expect(taken.meta.owner).toBe('owner-b');
    // A refused commit leaves the store without a copy: the next load reads whole.
    await expect(
      store.commit({ ...emptyCommit('owner-a', taken.meta.version), streamTimeMs: 9_000 }),
    ).rejects.toMatchObject({ code: 'STORE_FENCED' });
    const after = await store.load([], null, 0, undefined, 'owner-b');
    expect(after.metaReadBack).toBe(true);
    expect(after.meta.streamTimeMs).toBe(4_500);
  });

  it('fences the old owner: its commit changes nothing', async () => {
    const redis = testRedis();
    const store = new PartitionStore(redis, 'v1', 0, uniqueName('t'));
    const old = await store.claim('owner-old');
    await store.claim('owner-new');
    const attempt = store.commit({
      ...emptyCommit('owner-old', old.version),
      profiles: [['c1', new Uint8Array([1])]],
    });
    await expect(attempt).rejects.toMatchObject({ code: 'STORE_FENCED', retriable: false });
    expect((await store.load(['c1'], null, 0)).profiles.size).toBe(0);
  });

  it('looks only in the due buckets its own commits say may hold due customers, and finds what a whole read finds', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const store = new PartitionStore(redis, 'v1', 6, prefix);
    const wholeRead = (horizon: number, limit: number) =>
      new PartitionStore(redis, 'v1', 6, prefix).load([], horizon, limit);
    const ids = Array.from({ length: 300 }, (_, index) => `customer-${index}`);
    let version = (await store.claim('owner-a')).version;
    version = await store.commit({
      ...emptyCommit('owner-a', version),
      due: ids.map((id, index) => [id, 10_000 + index * 10]),
    });
    const first = await store.load([], 10_000, 50, undefined, 'owner-a');
    expect(first.dueBucketsRead).toBe(BUCKETS);
    // Commits that move, remove and add timers; after each, loads of this store at several
    // horizons and limits find what a store that knows nothing finds.
    const rounds: [string, number | null][][] = [
      ids.slice(0, 100).map((id, index) => [id, 20_000 + index]),
      ids.slice(100, 200).map((id) => [id, null]),
      [
        ...ids.slice(200, 210).map((id): [string, number | null] => [id, 5_000]),
        ['newcomer', 9_000],
      ],
    ];
    for (const due of rounds) {
      version = await store.commit({ ...emptyCommit('owner-a', version), due });
      for (const [horizon, limit] of [
        [1_000, 50],
        [9_000, 50],
        [12_000, 50],
        [12_000, 7],
        [30_000, 1_000],
      ] as const) {
        const own = await store.load([], horizon, limit, undefined, 'owner-a');
        const whole = await wholeRead(horizon, limit);
        expect(own.due, `horizon ${horizon}, limit ${limit}`).toEqual(whole.due);
        expect(own.timedCustomers).toBe(whole.timedCustomers);
        expect(own.dueBucketsRead).toBeLessThan(BUCKETS);
      }
      expect((await store.load([], 1_000, 50, undefined, 'owner-a')).dueBucketsRead).toBe(0);
    }
    expect((await wholeRead(30_000, 1_000)).timedCustomers).toBe(201);
  });

  it('sends the commands of one turn of the event loop in one write, and answers every one', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const stores = [0, 1, 2].map((partition) => new PartitionStore(redis, 'v1', partition, prefix));
    await Promise.all(stores.map((store) => store.claim('owner-a')));
    await redis.ping();
    const socket = (redis as unknown as { stream: Socket }).stream;
    const writes: number[] = [];
    const internals = socket as unknown as { _writev(chunks: unknown[], cb: unknown): void };
    const writev = internals._writev.bind(socket);
    internals._writev = (chunks, cb) => {
      writes.push(chunks.length);
      writev(chunks, cb);
    };
    // Three commits issued together: held back until the turn ends, then written at once.
    const commits = stores.map((store) =>
      store.commit({ ...emptyCommit('owner-a', 1), streamTimeMs: 7 }),
    );
    expect(socket.writableCorked).toBe(1);
    expect(socket.writableLength).toBeGreaterThan(0);
    expect(await Promise.all(commits)).toEqual([2, 2, 2]);
    expect(writes).toEqual([3]);
    expect(socket.writableCorked).toBe(0);
    // Called again in the same turn it holds back no more than once.
    coalesceWrites(redis);
    coalesceWrites(redis);
    expect(socket.writableCorked).toBe(1);
    await redis.ping();
    expect(socket.writableCorked).toBe(0);
  });

  it('loses no update and doubles none when writers race on the same partition', async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const owner = 'owner-shared';
    await new PartitionStore(redis, 'v1', 1, prefix).claim(owner);
    const writers = 8;
    const incrementsPerWriter = 25;
    let conflicts = 0;

    // Each writer does load → +1 → commit, retrying on version conflicts, like a batch would.
    const writer = async (): Promise<void> => {
      const store = new PartitionStore(redis, 'v1', 1, prefix);
      for (let done = 0; done < incrementsPerWriter;) {
        const loaded = await store.load(['counter'], null, 0);
        const current = loaded.profiles.get('counter')?.readUInt32BE(0) ?? 0;
        const next = Buffer.alloc(4);
        next.writeUInt32BE(current + 1);
        try {
          await store.commit({
            ...emptyCommit(owner, loaded.meta.version),
            profiles: [['counter', next]],
          });
          done += 1;
        } catch (error) {
          if (error instanceof StoreError && error.code === 'STORE_VERSION_CONFLICT')
            conflicts += 1;
          else throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));

    const final = await new PartitionStore(redis, 'v1', 1, prefix).load(['counter'], null, 0);
    expect(final.profiles.get('counter')?.readUInt32BE(0)).toBe(writers * incrementsPerWriter);
    // The race was real: some commits had to be retried.
    expect(conflicts).toBeGreaterThan(0);
  });

  it("reads a partition's health in one snapshot: outbox age, held lapses, timers due", async () => {
    const redis = testRedis();
    const prefix = uniqueName('t');
    const store = new PartitionStore(redis, 'v1', 1, prefix);
    const meta = await store.claim('owner-a');
    const [beforeSeconds] = (await redis.time()).map(Number) as [number];
    await store.commit({
      ...emptyCommit('owner-a', meta.version),
      offsets: new Map([['visits', '7']]),
      streamTimeMs: 5_000,
      commitWallMs: 123,
      due: [
        ['due-1', 4_000],
        ['due-2', 5_000],
        ['later', 6_000],
      ],
      outbox: ['first', 'second'],
      held: [['held-1', 'payload']],
    });

    const { redisTimeMs, partitions } = await readPartitionHealth(redis, 'v1', 3, prefix);
    expect(partitions.map((partition) => partition.partition)).toEqual([0, 1, 2]);
    const [empty, filled] = partitions;
    expect(empty).toMatchObject({
      outboxEntries: 0,
      oldestOutboxEntryId: null,
      heldLapses: 0,
      timers: 0,
      timersDue: 0,
    });
    expect(empty?.meta.version).toBe(0);
    expect(filled).toMatchObject({ outboxEntries: 2, heldLapses: 1, timers: 3, timersDue: 2 });
    expect(filled?.meta.offsets.get('visits')).toBe('7');
    expect(filled?.meta.lastCommitWallMs).toBe(123);
    // The oldest entry's time is Redis's clock when the commit added it.
    const oldest = (await store.readOutbox(1))[0]?.id;
    expect(filled?.oldestOutboxEntryId).toBe(oldest);
    expect(filled?.oldestOutboxEntryMs).toBeGreaterThanOrEqual(beforeSeconds * 1000);
    expect(filled?.oldestOutboxEntryMs).toBeLessThanOrEqual(redisTimeMs);

    await store.ackOutbox([oldest as string]);
    const after = (await readPartitionHealth(redis, 'v1', 2, prefix)).partitions[1];
    expect(after?.outboxEntries).toBe(1);
    expect(after?.oldestOutboxEntryId).not.toBe(oldest);
  });
});
