import { describe, expect, it } from 'vitest';
import {
  commandStatsSince,
  commandsPerEvent,
  parseCommandStats,
  parsePrometheus,
  sumJobCounts,
} from './drain.ts';

describe('sumJobCounts', () => {
  it("adds the job's counters of several profilers by kind and reason", () => {
    const first = parsePrometheus(
      [
        '# HELP pulse_signals_total Signals decided',
        '# TYPE pulse_signals_total counter',
        'pulse_signals_total{kind="lapsed",mode="outbox"} 10',
        'pulse_signals_total{kind="ready_to_buy",mode="outbox"} 2',
        'pulse_events_late_total{topic="v"} 3',
        'pulse_events_late_total{topic="p"} 1',
        'pulse_events_dead_lettered_total{topic="v",reason="schema"} 4',
        'pulse_signals_held_total{reason="storm"} 5',
        'pulse_events_applied_total{topic="v"} 999',
        'pulse_store_writes_total{entry="profile"} 6',
        'pulse_store_writes_total{entry="timer"} 9',
        'pulse_commit_duration_seconds_bucket{le="0.01"} 3',
        'pulse_commit_duration_seconds_sum 0.2',
        'pulse_commit_duration_seconds_count 4',
      ].join('\n'),
    );
    const second = parsePrometheus(
      [
        'pulse_signals_total{kind="lapsed",mode="outbox"} 7',
        'pulse_store_writes_total{entry="timer"} 1',
        'pulse_commit_duration_seconds_count 2',
      ].join('\n'),
    );
    expect(sumJobCounts([first, second])).toEqual({
      signals: { lapsed: 17, ready_to_buy: 2 },
      lateEvents: 4,
      deadLetters: { schema: 4 },
      heldLapses: { storm: 5 },
      storeWrites: { profile: 6, timer: 10 },
      commits: 6,
    });
  });
});

describe("Redis's command statistics", () => {
  const info = (lines: string[]) => ['# Commandstats', ...lines, ''].join('\r\n');

  it('reads calls and microseconds per command, subcommands included', () => {
    expect(
      parseCommandStats(
        info([
          'cmdstat_zadd:calls=93877,usec=5388480,usec_per_call=57.40,rejected_calls=0,failed_calls=0',
          'cmdstat_config|get:calls=1,usec=11,usec_per_call=11.00,rejected_calls=0,failed_calls=0',
        ]),
      ),
    ).toEqual({ zadd: { calls: 93_877, usec: 5_388_480 }, 'config|get': { calls: 1, usec: 11 } });
  });

  it('keeps what a span added, and per event the median of the runs', () => {
    const before = { zadd: { calls: 10, usec: 100 }, get: { calls: 5, usec: 5 } };
    const after = {
      zadd: { calls: 30, usec: 500 },
      get: { calls: 5, usec: 5 },
      hset: { calls: 2, usec: 8 },
    };
    const since = commandStatsSince(before, after);
    expect(since).toEqual({ zadd: { calls: 20, usec: 400 }, hset: { calls: 2, usec: 8 } });
    const runs = [since, { zadd: { calls: 40, usec: 200 } }, { zadd: { calls: 10, usec: 600 } }];
    expect(commandsPerEvent(runs, 100)).toEqual({
      zadd: { calls: 0.2, usec: 4 },
      hset: { calls: 0, usec: 0 },
    });
  });
});
