import { describe, expect, it } from 'vitest';
import { parsePrometheus, sumJobCounts } from './drain.ts';

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
      ].join('\n'),
    );
    const second = parsePrometheus('pulse_signals_total{kind="lapsed",mode="outbox"} 7\n');
    expect(sumJobCounts([first, second])).toEqual({
      signals: { lapsed: 17, ready_to_buy: 2 },
      lateEvents: 4,
      deadLetters: { schema: 4 },
      heldLapses: { storm: 5 },
    });
  });
});
