import { describe, expect, it } from 'vitest';
import { replayProgress } from './replay.ts';

const offsets = (entries: [number, [string, string][]][]) =>
  new Map(entries.map(([partition, byTopic]) => [partition, new Map(byTopic)]));

describe('replayProgress', () => {
  const start = offsets([
    [
      0,
      [
        ['visits', '10'],
        ['purchases', '0'],
      ],
    ],
    [
      1,
      [
        ['visits', '5'],
        ['purchases', '5'],
      ],
    ],
  ]);
  const end = offsets([
    [
      0,
      [
        ['visits', '110'],
        ['purchases', '20'],
      ],
    ],
    [
      1,
      [
        ['visits', '5'],
        ['purchases', '5'],
      ],
    ],
  ]);

  it('counts from the start positions, treating a partition with nothing stored as at its start', () => {
    const progress = replayProgress('v2', start, end, offsets([[0, [['visits', '60']]]]));
    expect(progress.partitions).toEqual([
      { partition: 0, done: 50, total: 120 },
      { partition: 1, done: 0, total: 0 },
    ]);
    expect(progress).toMatchObject({ done: 50, total: 120, caughtUp: false });
  });

  it('is caught up only when every topic-partition reached the end taken at the start', () => {
    const almost = offsets([
      [
        0,
        [
          ['visits', '110'],
          ['purchases', '19'],
        ],
      ],
    ]);
    expect(replayProgress('v2', start, end, almost).caughtUp).toBe(false);
    // Records produced after the start do not move the goal (or count past it).
    const beyond = offsets([
      [
        0,
        [
          ['visits', '150'],
          ['purchases', '20'],
        ],
      ],
    ]);
    expect(replayProgress('v2', start, end, beyond)).toMatchObject({
      done: 120,
      total: 120,
      caughtUp: true,
    });
  });
});
