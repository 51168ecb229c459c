import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { META_FIELDS, partitionKeys } from './keys.ts';
import { buildCommitArgs, parseMeta } from './partition-store.ts';

describe('partition keys', () => {
  it('share one hash tag per namespace and partition', () => {
    const keys = partitionKeys('v1', 17);
    const tags = Object.values(keys).map((key) => /\{[^}]+\}/.exec(key)?.[0]);
    expect(new Set(tags)).toEqual(new Set(['{v1:p17}']));
    expect(partitionKeys('v2', 17).meta).not.toBe(keys.meta);
  });

  it('refuse namespaces that could break the key layout', () => {
    expect(() => partitionKeys('v1}x', 0)).toThrow(/invalid namespace/);
    expect(() => partitionKeys('', 0)).toThrow(/invalid namespace/);
  });
});

describe('commit arguments', () => {
  it('follow the layout commitBatch-5.lua reads', () => {
    const args = buildCommitArgs({
      ownerToken: 'owner-1',
      expectedVersion: 7,
      offsets: new Map([['pulse.visits', '42']]),
      maxEventMs: new Map([['pulse.visits', 1000]]),
      streamTimeMs: 500,
      profiles: [['c1', new Uint8Array([1, 2])]],
      due: [
        ['c1', 9000],
        ['c2', null],
      ],
      outbox: ['{"signalId":"s"}'],
      held: [['c3', null]],
    });
    expect(args.slice(0, 7)).toEqual(['owner-1', '7', '3', '1', '2', '1', '1']);
    expect(args.slice(7, 13)).toEqual([
      'offset:pulse.visits',
      '42',
      'maxEventMs:pulse.visits',
      '1000',
      'streamTimeMs',
      '500',
    ]);
    expect(args[13]).toBe('c1');
    expect(args[14]).toEqual(Buffer.from([1, 2]));
    expect(args.slice(15)).toEqual(['c1', '9000', 'c2', '', '{"signalId":"s"}', 'c3', '']);
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
    });
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

  it('take the partition keys in one order, or a prefix of it', () => {
    const order = ['meta', 'profiles', 'due', 'held', 'outbox'];
    for (const file of readdirSync(luaDirectory)) {
      const lua = readFileSync(new URL(file, luaDirectory), 'utf8');
      const declared = [...lua.matchAll(/KEYS\[(\d)\] (\w+)/g)].map((match) => match[2]);
      if (declared.length <= 1) continue;
      expect(declared, file).toEqual(order.slice(0, declared.length));
    }
  });
});
