import { describe, expect, it } from 'vitest';
import { parseMeta, type PartitionHealth } from '@pulse/store';
import type { GroupDescription } from '@pulse/stream';
import { partitionRanges, renderStatus, shortMemberId, wrapWords } from './render.ts';
import {
  buildStatusReport,
  committedPerSecond,
  formatAge,
  stuckReasons,
  type Snapshot,
  type StatusInput,
} from './report.ts';

const VISITS = 'pulse.visits';
const PURCHASES = 'pulse.purchases';
const NOW = Date.UTC(2026, 5, 1, 12);
const THRESHOLD = 60_000;

function health(
  partition: number,
  fields: Record<string, string>,
  extra: Partial<PartitionHealth> = {},
): PartitionHealth {
  return {
    partition,
    meta: parseMeta(Object.entries(fields).flat()),
    outboxEntries: 0,
    oldestOutboxEntryId: null,
    oldestOutboxEntryMs: null,
    heldLapses: 0,
    timers: 0,
    timersDue: 0,
    ...extra,
  };
}

function snapshot(atMs: number, partitions: PartitionHealth[], ends: [number, number][]): Snapshot {
  return {
    atMs,
    health: { redisTimeMs: atMs, partitions },
    logs: new Map([
      [VISITS, new Map(ends.map(([visits], p) => [p, { low: '0', high: String(visits) }]))],
      [
        PURCHASES,
        new Map(ends.map(([, purchases], p) => [p, { low: '0', high: String(purchases) }])),
      ],
    ]),
  };
}

const committed = (offset: number, wallMs: number, streamTimeMs = NOW - 86_400_000) => ({
  [`offset:${VISITS}`]: String(offset),
  streamTimeMs: String(streamTimeMs),
  lastCommitWallMs: String(wallMs),
  lastEventWallMs: String(wallMs),
});

function reasons(args: Partial<Parameters<typeof stuckReasons>[0]>) {
  return stuckReasons({
    before: health(0, committed(10, NOW - 120_000)),
    after: health(0, committed(10, NOW - 120_000)),
    nowMs: NOW,
    redisNowMs: NOW,
    lagBefore: 0,
    lagAfter: 0,
    inputTopics: [VISITS, PURCHASES],
    sampleMs: 2_000,
    stuckAfterMs: THRESHOLD,
    ...args,
  });
}

describe('when a partition is stuck', () => {
  it('is healthy when nothing waits, however long ago it last committed', () => {
    expect(reasons({})).toEqual([]);
  });

  it('names an outbox whose oldest entry has waited past the threshold and is still there', () => {
    const waiting = { outboxEntries: 3, oldestOutboxEntryId: `${NOW - 90_000}-0` };
    const stuck = health(0, committed(10, NOW), {
      ...waiting,
      oldestOutboxEntryMs: NOW - 90_000,
    });
    expect(reasons({ before: stuck, after: stuck })).toEqual([
      {
        kind: 'outbox-not-draining',
        message:
          "outbox not draining: 3 entries wait, the oldest for 1m30s (the relay cannot deliver it; the profiler's log says why)",
      },
    ]);
    // Draining, slowly: the oldest entry changed during the sample.
    const earlier = health(0, committed(10, NOW), {
      outboxEntries: 4,
      oldestOutboxEntryId: `${NOW - 95_000}-0`,
      oldestOutboxEntryMs: NOW - 95_000,
    });
    expect(reasons({ before: earlier, after: stuck })).toEqual([]);
    // Young enough.
    const young = { ...stuck, oldestOutboxEntryMs: NOW - 30_000 };
    expect(reasons({ before: young, after: young })).toEqual([]);
  });

  it('names input that waits while nothing commits, and says when the lag grows', () => {
    const idle = health(0, committed(10, NOW - 75_000));
    expect(reasons({ before: idle, after: idle, lagBefore: 5, lagAfter: 9 })).toEqual([
      {
        kind: 'no-commit',
        message:
          'no commit for 1m15s while 9 input records wait; the lag grew by 4 in 2s (is its profiler running?)',
      },
    ]);
    const never = health(0, {});
    expect(reasons({ before: never, after: never, lagBefore: 1, lagAfter: 1 })[0]?.message).toBe(
      'never committed while 1 input record waits (is its profiler running?)',
    );
    // Committed recently: consuming, however slowly.
    const recent = health(0, committed(10, NOW - 5_000));
    expect(reasons({ before: recent, after: recent, lagBefore: 5, lagAfter: 9 })).toEqual([]);
    // The positions moved during the sample.
    const moved = health(0, committed(12, NOW - 75_000));
    expect(reasons({ before: idle, after: moved, lagBefore: 5, lagAfter: 3 })).toEqual([]);
  });

  it('names a stream time that stands still while commits go on and input waits', () => {
    const ticking = health(0, {
      ...committed(10, NOW - 1_000),
      lastEventWallMs: String(NOW - 600_000),
    });
    expect(reasons({ before: ticking, after: ticking, lagBefore: 7, lagAfter: 7 })).toEqual([
      {
        kind: 'stream-time-stalled',
        message:
          'stream time stalled: no input record applied for 10m00s while 7 input records wait; commits go on (timers), the inputs do not move',
      },
    ]);
  });
});

const member = (memberId: string, partitions: number[]) => ({
  memberId,
  clientId: 'pulse',
  host: '10.0.0.7',
  assignment: new Map([
    [VISITS, partitions],
    [PURCHASES, partitions],
  ]),
});

function input(overrides: Partial<StatusInput> = {}): StatusInput {
  const group: GroupDescription = {
    groupId: 'pulse-profiler',
    state: 'Stable',
    members: [member('pulse-bbbbbbbb-2', [1]), member('pulse-aaaaaaaa-1', [0])],
  };
  return {
    namespace: 'v1',
    liveNamespace: 'v1',
    inputTopics: [VISITS, PURCHASES],
    before: snapshot(
      NOW - 2_000,
      [
        health(0, committed(100, NOW - 3_000)),
        health(1, committed(50, NOW - 120_000), {
          outboxEntries: 2,
          oldestOutboxEntryId: `${NOW - 61_000}-0`,
          oldestOutboxEntryMs: NOW - 61_000,
        }),
      ],
      [
        [100, 0],
        [60, 0],
      ],
    ),
    after: snapshot(
      NOW,
      [
        health(0, committed(140, NOW - 500)),
        health(1, committed(50, NOW - 120_000), {
          outboxEntries: 2,
          oldestOutboxEntryId: `${NOW - 61_000}-0`,
          oldestOutboxEntryMs: NOW - 61_000,
        }),
      ],
      [
        [140, 0],
        [64, 0],
      ],
    ),
    group,
    lastHourSinceMs: NOW - 3_600_000,
    signalsLastHour: [
      { topic: 'pulse.signals.lapse', carries: ['lapsed', 'reactivated'], records: 12 },
    ],
    deadLettersLastHour: { topic: 'pulse.dlq', carries: ['dead letters'], records: 0 },
    otherNamespaces: [],
    stuckAfterMs: THRESHOLD,
    notes: [],
    ...overrides,
  };
}

describe('the status report', () => {
  it('measures committed events per second from the two reads', () => {
    const { before, after } = input();
    expect(committedPerSecond(before, after, [VISITS, PURCHASES])).toBe(20);
  });

  it('owns each partition by a member, lists lag, and marks only the stuck one', () => {
    const report = buildStatusReport(input());
    expect(report.group.members.map((m) => [m.alias, m.memberId, m.partitions])).toEqual([
      ['m1', 'pulse-aaaaaaaa-1', [0]],
      ['m2', 'pulse-bbbbbbbb-2', [1]],
    ]);
    const [first, second] = report.partitions;
    expect(first).toMatchObject({ memberAlias: 'm1', inputLag: 0, stuck: false, reasons: [] });
    expect(second).toMatchObject({
      memberAlias: 'm2',
      inputLag: 14,
      inputLagChange: 4,
      outbox: { entries: 2, oldestAgeMs: 61_000 },
      lastCommitAgoMs: 120_000,
      stuck: true,
    });
    expect(second?.reasons.map((reason) => reason.kind)).toEqual([
      'outbox-not-draining',
      'no-commit',
    ]);
    expect(report.healthy).toBe(false);
    expect(report.eventsPerSecond).toBe(20);
    expect(report.lastHour.since).toBe(new Date(NOW - 3_600_000).toISOString());
  });

  it('notes a group without members or a partition nobody owns', () => {
    const empty = buildStatusReport(
      input({ group: { groupId: 'pulse-profiler', state: 'Empty', members: [] } }),
    );
    expect(empty.partitions.map((p) => p.member)).toEqual([null, null]);
    expect(empty.notes).toEqual([
      'group pulse-profiler has no members: no profiler consumes the inputs, fires timers or relays the outboxes',
    ]);
    const half = buildStatusReport(
      input({ group: { groupId: 'g', state: 'Stable', members: [member('pulse-a-1', [0])] } }),
    );
    expect(half.notes).toEqual(['no member of g owns partition(s) 1']);
  });

  it('tells a running replay from a recent and a stopped one', () => {
    const report = buildStatusReport(
      input({
        otherNamespaces: [
          {
            namespace: 'v2',
            partitions: 2,
            inputLag: 300,
            lastCommitWallMs: NOW - 1_000,
            group: {
              groupId: 'pulse-replay-v2',
              state: 'Stable',
              members: [member('r-1', [0, 1])],
            },
          },
          {
            namespace: 'v3',
            partitions: 2,
            inputLag: 0,
            lastCommitWallMs: NOW - 5_000,
            group: null,
          },
          { namespace: 'v0', partitions: 2, inputLag: 0, lastCommitWallMs: null, group: null },
        ],
      }),
    );
    expect(report.replays.map((replay) => [replay.namespace, replay.state])).toEqual([
      ['v2', 'running'],
      ['v3', 'recent'],
      ['v0', 'stopped'],
    ]);
  });
});

describe('the status text', () => {
  it('colours only the stuck rows red, and only when asked to', () => {
    const report = buildStatusReport(input());
    const plain = renderStatus(report, { color: false });
    expect(plain).not.toContain('\u001b[');
    expect(plain).toMatch(/^0 {2}m1 .* 1s$/m);
    expect(plain).toMatch(/^1 {2}m2 .* 2m00s {2}STUCK$/m);
    expect(plain).toContain('stuck (exit code 1):');
    expect(plain).toContain('partition 1: outbox not draining: 2 entries wait');
    const coloured = renderStatus(report, { color: true });
    const red = coloured
      .split('\n')
      .filter((line) => line.startsWith('\u001b[31m') && line.endsWith('\u001b[0m'))
      .map((line) => line.slice('\u001b[31m'.length, -'\u001b[0m'.length));
    expect(red[0]).toMatch(/^1 {2}m2 .* STUCK$/);
    expect(red[1]).toMatch(/^ {2}partition 1: outbox not draining/);
    expect(red.slice(1).every((line) => line.startsWith('  '))).toBe(true);
    expect(red.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps everything but the table within 80 columns', () => {
    const text = renderStatus(buildStatusReport(input()), { color: false });
    const [head, rest] = text.split('\n\n', 2);
    const tail = text.split('\n\n').slice(2).join('\n\n');
    for (const line of `${head}\n${tail}`.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(rest).toBeDefined();
    const caughtUp = snapshot(NOW, [health(0, committed(140, NOW - 500))], [[140, 0]]);
    const healthy = renderStatus(
      buildStatusReport(input({ before: { ...caughtUp, atMs: NOW - 2_000 }, after: caughtUp })),
      { color: false },
    );
    expect(healthy).toContain('no partition is stuck');
  });

  it('formats ages, partition ranges, member ids and wrapped lines', () => {
    expect(formatAge(8_000)).toBe('8s');
    expect(formatAge(75_000)).toBe('1m15s');
    expect(formatAge(3_660_000)).toBe('1h01m');
    expect(formatAge(90_000_000)).toBe('1d01h');
    expect(formatAge(-120_000)).toBe('-2m00s');
    expect(partitionRanges([5, 0, 1, 2, 3, 7, 8])).toBe('0-3, 5, 7, 8');
    expect(partitionRanges([])).toBe('');
    expect(shortMemberId('pulse-3656831e-02bd-4f14-803a-ad32b60ade82', 'pulse')).toBe(
      'pulse-3656831e',
    );
    expect(wrapWords('one two three four', 9, '  ')).toEqual(['one two', '  three', '  four']);
  });
});
