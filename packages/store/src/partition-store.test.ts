import { describe, expect, it } from 'vitest';
import { partitionKeys } from './keys.ts';
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
  it('follow the layout commitBatch-4.lua reads', () => {
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
      'silentWindows',
      '{"visits":[[1,2]]}',
      'forgottenGeneration',
      '4',
    ]);
    expect(meta).toEqual({
      version: 3,
      owner: 'o',
      offsets: new Map([['pulse.visits', '10']]),
      maxEventMs: new Map([['pulse.visits', 99]]),
      streamTimeMs: 77,
      lastEventWallMs: null,
      silentWindows: { visits: [[1, 2]] },
      forgottenGeneration: 4,
    });
  });
});
