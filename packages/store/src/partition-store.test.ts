import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  BUCKETS,
  customerBucket,
  META_FIELDS,
  partitionKeyList,
  partitionKeys,
  singleKeyLayout,
} from './keys.ts';
import { buildCommitArgs, MAX_COMMIT_GROUP, parseMeta } from './partition-store.ts';

describe('partition keys', () => {
  it('share one hash tag per namespace and partition', () => {
    const keys = partitionKeys('v1', 17);
    const tags = [...partitionKeyList(keys), ...Object.values(singleKeyLayout('v1', 17))].map(
      (key) => /\{[^}]+\}/.exec(key)?.[0],
    );
    expect(new Set(tags)).toEqual(new Set(['{v1:p17}']));
    expect(partitionKeys('v2', 17).meta).not.toBe(keys.meta);
  });

  it('cut profiles and timers into BUCKETS keys each, in the one order the scripts take', () => {
    const keys = partitionKeys('v1', 3, 'pulse');
    const list = partitionKeyList(keys);
    expect(list).toHaveLength(3 + 2 * BUCKETS);
    expect(list.slice(0, 4)).toEqual([
      'pulse:{v1:p3}:meta',
      'pulse:{v1:p3}:held',
      'pulse:{v1:p3}:outbox',
      'pulse:{v1:p3}:profiles:0',
    ]);
    expect(list.at(-1)).toBe(`pulse:{v1:p3}:due:${BUCKETS - 1}`);
    expect(new Set(list).size).toBe(list.length);
  });

  it('put a customer in the bucket the scripts compute (first 32 bits of SHA-1, mod B)', () => {
    for (const id of ['c1', 'daily-regular-dana', 'ünïcødé-客户', 'x'.repeat(128)]) {
      const first32 = parseInt(createHash('sha1').update(id, 'utf8').digest('hex').slice(0, 8), 16);
      expect(customerBucket(id)).toBe(first32 % BUCKETS);
    }
    // Spread evenly: 64,000 ids, every bucket within 15 % of its share.
    const counts = new Array<number>(BUCKETS).fill(0);
    for (let index = 0; index < 64_000; index += 1) {
      const bucket = customerBucket(`customer-${index}`);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });

  it('refuse namespaces that could break the key layout', () => {
    expect(() => partitionKeys('v1}x', 0)).toThrow(/invalid namespace/);
    expect(() => partitionKeys('', 0)).toThrow(/invalid namespace/);
  });
});

describe('commit arguments', () => {
  it('follow the layout commitBatch-3.lua reads: profiles and due entries grouped by bucket', () => {
    const buckets: Record<string, number> = { c1: 5, c2: 5, c4: 2, c5: 5 };
    const args = buildCommitArgs(
      {
        ownerToken: 'owner-1',
        expectedVersion: 7,
        offsets: new Map([['pulse.visits', '42']]),
        maxEventMs: new Map([['pulse.visits', 1000]]),
        streamTimeMs: 500,
        profiles: [
          ['c1', new Uint8Array([1, 2])],
          ['c4', new Uint8Array([4])],
          ['c5', new Uint8Array([5])],
        ],
        due: [
          ['c1', 9000],
          ['c2', null],
          ['c4', 8000],
          ['c5', 7000],
        ],
        outbox: ['{"signalId":"s"}'],
        held: [['c3', null]],
      },
      (id) => buckets[id]!,
    );
    // Two profile groups (buckets 2 and 5), two due groups.
    expect(args.slice(0, 7)).toEqual(['owner-1', '7', '3', '2', '2', '1', '1']);
    expect(args.slice(7, 13)).toEqual([
      'offset:pulse.visits',
      '42',
      'maxEventMs:pulse.visits',
      '1000',
      'streamTimeMs',
      '500',
    ]);
    expect(args.slice(13)).toEqual([
      // profiles: bucket, count, then id / bytes pairs
      '2',
      '1',
      'c4',
      Buffer.from([4]),
      '5',
      '2',
      'c1',
      Buffer.from([1, 2]),
      'c5',
      Buffer.from([5]),
      // due: bucket, adds, removes, then score / id pairs (ZADD's order), then removed ids
      '2',
      '1',
      '0',
      '8000',
      'c4',
      '5',
      '2',
      '1',
      '9000',
      'c1',
      '7000',
      'c5',
      'c2',
      '{"signalId":"s"}',
      'c3',
      '',
    ]);
  });

  it(`cut a bucket's customers into groups of at most ${MAX_COMMIT_GROUP}`, () => {
    const count = 2 * MAX_COMMIT_GROUP + 3;
    const ids = Array.from({ length: count }, (_, index) => `c${index}`);
    const args = buildCommitArgs(
      {
        ownerToken: 'o',
        expectedVersion: 1,
        offsets: new Map(),
        maxEventMs: new Map(),
        streamTimeMs: null,
        profiles: ids.map((id) => [id, new Uint8Array([1])]),
        due: ids.map((id, index) => [id, index % 2 === 0 ? index : null]),
        outbox: [],
      },
      () => 0,
    );
    // Three profile groups; two due groups (1,000 adds and 1,000 removes, then 2 and 1).
    expect(args.slice(3, 5)).toEqual(['3', '2']);
    // Profiles: groups of 1,000, 1,000 and 3, every id once and in order.
    const profileCounts: number[] = [];
    const profileIds: unknown[] = [];
    let at = 7;
    for (let group = 0; group < 3; group += 1) {
      expect(args[at]).toBe('0');
      const n = Number(args[at + 1]);
      profileCounts.push(n);
      for (let k = 0; k < n; k += 1) profileIds.push(args[at + 2 + 2 * k]);
      at += 2 + 2 * n;
    }
    expect(profileCounts).toEqual([MAX_COMMIT_GROUP, MAX_COMMIT_GROUP, 3]);
    expect(profileIds).toEqual(ids);
    // Due: 1,002 adds and 1,001 removes in groups that each stay within the bound.
    const added: unknown[] = [];
    const removed: unknown[] = [];
    for (let group = 0; group < 2; group += 1) {
      expect(args[at]).toBe('0');
      const a = Number(args[at + 1]);
      const r = Number(args[at + 2]);
      expect(Math.max(a, r)).toBeLessThanOrEqual(MAX_COMMIT_GROUP);
      for (let k = 0; k < a; k += 1) added.push(args[at + 3 + 2 * k + 1]);
      for (let k = 0; k < r; k += 1) removed.push(args[at + 3 + 2 * a + k]);
      at += 3 + 2 * a + r;
    }
    expect(at).toBe(args.length);
    expect(added).toEqual(ids.filter((_, index) => index % 2 === 0));
    expect(removed).toEqual(ids.filter((_, index) => index % 2 === 1));
  });

  it('carry the population statistics and their table as meta fields', () => {
    const commit = {
      ownerToken: 'owner-1',
      expectedVersion: 7,
      offsets: new Map<string, string>(),
      maxEventMs: new Map<string, number>(),
      streamTimeMs: null,
      profiles: [],
      due: [],
      outbox: [],
    };
    const withTable = buildCommitArgs({
      ...commit,
      population: { statistics: 'pl1;stats', hurdles: 'ph1;table' },
    });
    expect(withTable.slice(2, 3)).toEqual(['2']);
    expect(withTable.slice(7)).toEqual([
      'population',
      'pl1;stats',
      'populationHurdles',
      'ph1;table',
    ]);
    const noTableYet = buildCommitArgs({
      ...commit,
      population: { statistics: 'pl1;stats', hurdles: null },
    });
    expect(noTableYet.slice(7)).toEqual(['population', 'pl1;stats']);
    expect(buildCommitArgs(commit).slice(2, 3)).toEqual(['0']);
  });

  it('parse the meta hash back', () => {
    const meta = parseMeta([
      'version',
      '3',
      'owner',
      'o',
      'offset:pulse.visits',
      '10',
      'maxEventMs:pulse.visits',
      '99',
      'streamTimeMs',
      '77',
      'traffic:pulse.visits',
      '2;1;0;;;;',
      'lastCommitWallMs',
      '1234',
      'forgottenGeneration',
      '4',
      'population',
      'pl1;1;2;0:1;;;;;;;',
      'populationHurdles',
      'ph1;;,,,,,,,;1,0,0,0,0,0,0,0',
      'segmentFigures',
      'sf1:{}',
    ]);
    expect(meta).toEqual({
      version: 3,
      owner: 'o',
      offsets: new Map([['pulse.visits', '10']]),
      maxEventMs: new Map([['pulse.visits', 99]]),
      streamTimeMs: 77,
      lastEventWallMs: null,
      lastCommitWallMs: 1234,
      traffic: new Map([['pulse.visits', '2;1;0;;;;']]),
      forgottenGeneration: 4,
      population: 'pl1;1;2;0:1;;;;;;;',
      populationHurdles: 'ph1;;,,,,,,,;1,0,0,0,0,0,0,0',
      segmentFigures: 'sf1:{}',
    });
  });

  it('carry the segment figures as a meta field when they changed', () => {
    const commit = {
      ownerToken: 'o',
      expectedVersion: 1,
      offsets: new Map<string, string>(),
      maxEventMs: new Map<string, number>(),
      streamTimeMs: null,
      profiles: [],
      due: [],
      outbox: [],
    };
    expect(buildCommitArgs({ ...commit, segmentFigures: 'sf1:{"c":[]}' }).slice(7)).toEqual([
      'segmentFigures',
      'sf1:{"c":[]}',
    ]);
    expect(buildCommitArgs(commit).slice(2, 3)).toEqual(['0']);
  });
});

describe('the scripts', () => {
  const luaDirectory = new URL('./lua/', import.meta.url);
  const known = new Set<string>(Object.values(META_FIELDS));

  it('name only meta fields the store declares', () => {
    for (const file of readdirSync(luaDirectory)) {
      const lua = readFileSync(new URL(file, luaDirectory), 'utf8');
      // Every literal field of a call on the meta hash (KEYS[1]).
      for (const match of lua.matchAll(/redis\.call\('H\w+', KEYS\[1\], '([^']+)'/g)) {
        expect(known, `${file} uses meta field ${match[1]}`).toContain(match[1]);
      }
    }
  });

  it('take the partition keys in one order (or a prefix, or the prefix and one bucket)', () => {
    const order = ['meta', 'held', 'outbox'];
    for (const file of readdirSync(luaDirectory)) {
      const lua = readFileSync(new URL(file, luaDirectory), 'utf8');
      const declared = [...lua.matchAll(/KEYS\[(\d)\] (\w+)/g)].map((match) => match[2]);
      if (declared.length <= 1 || file.startsWith('migrateToBuckets')) continue;
      expect(declared.slice(0, 3), file).toEqual(order.slice(0, Math.min(3, declared.length)));
    }
  });

  it('are named with the number of keys they take', () => {
    const counts: Record<string, number> = {
      // Meta, held, outbox (their buckets are built from the meta key's name) and the load's
      // scratch sorted set (its due merge).
      loadBatch: 4,
      commitBatch: 3,
      readPartitionHealth: 3 + 2 * BUCKETS,
      migrateToBuckets: 2 + 2 * BUCKETS,
      forgetCustomer: 5,
    };
    for (const file of readdirSync(luaDirectory)) {
      const [, name, count] = /^(\w+)-(\d+)\.lua$/.exec(file) ?? [];
      if (name && name in counts) expect(Number(count), file).toBe(counts[name]);
    }
  });
});
