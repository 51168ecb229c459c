import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMarkdown, type BenchReport } from './report.ts';

const recorded = (name: string): BenchReport =>
  JSON.parse(
    readFileSync(new URL(`../../../bench/results/${name}.json`, import.meta.url), 'utf8'),
  ) as BenchReport;

describe('the markdown report', () => {
  it('compares with the peer and the baselines when the run measured them', () => {
    const markdown = renderMarkdown(recorded('2026-12-05-live'));
    expect(markdown).toContain('## Side by side');
    expect(markdown).toMatch(/\| Kafka Streams peer .*\| 0\.52× \|/);
  });

  it('says when the log was built but not produced, and how it was produced otherwise', () => {
    const report = recorded('2026-12-07-load');
    expect(renderMarkdown(report)).toContain('produced in order per partition (idempotent)');
    report.workload.logProduced = false;
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('not produced (no phase of this run reads it)');
    expect(markdown).not.toContain('produced in order per partition');
  });

  it('leaves the comparison out when no phase gave it a row', () => {
    const report = recorded('2026-12-05-night');
    expect(report.peer).toBeUndefined();
    expect(report.naive).toBeUndefined();
    const markdown = renderMarkdown(report);
    expect(markdown).not.toContain('Side by side');
    expect(markdown).toContain('| throughput, 1 profiler (events/s, start to drained) | 11,982');
  });

  it("shows a drain's CPU per event for the profilers and the machine, and what the cores could drain at that cost", () => {
    const report = recorded('2026-12-06-live');
    const one = report.throughput['1']!;
    const at = (median: number) => ({ median, min: median, max: median, runs: [median] });
    one.profilerCpuMicrosPerEvent = at(70);
    one.machineCpuMicrosPerEvent = at(125);
    const markdown = renderMarkdown(report);
    expect(markdown).toMatch(/\| profiler CPU per event, 1 profiler .*\| 70\.0 /);
    expect(markdown).toMatch(/\| machine CPU per event, 1 profiler .*\| 125\.0 /);
    expect(markdown).toContain(
      `with nothing else running (events/s, ${report.machine.cpus} × 10⁶ µs / median) | ${(report.machine.cpus * 8000).toLocaleString('en-US')} |`,
    );
  });

  it("shows Redis's time per command and what the commits wrote, per drained event", () => {
    const report = recorded('2026-12-06-live');
    report.throughput['1']!.redisCommandsPerEvent = {
      evalsha: { calls: 0.006, usec: 28.1 },
      zadd: { calls: 0.19, usec: 10.8 },
      hset: { calls: 0.13, usec: 2.3 },
      info: { calls: 0, usec: 0.01 },
    };
    report.job = { ...report.job!, storeWrites: { profile: 500_000, timer: 1_000_000 } };
    const markdown = renderMarkdown(report);
    expect(markdown).toMatch(
      /\| … Redis time per event by command, 1 profiler .*\| scripts 28\.1 \(0\.006 calls\); zadd 10\.8 \(0\.19 calls\), hset 2\.3 \(0\.13 calls\), info 0\.0 \(0\.00 calls\) \|/,
    );
    const perEvent = (count: number) => (count / report.workload.events).toFixed(2);
    expect(markdown).toContain(
      `What its commits wrote to Redis: 500,000 profiles (${perEvent(500_000)} per event) and 1,000,000 timers (${perEvent(1_000_000)} per event;`,
    );
    // With the commits counted, how many events each carried on average.
    report.job = { ...report.job, commits: report.workload.events / 400 };
    expect(renderMarkdown(report)).toContain(
      `What its commits wrote to Redis: in ${(report.workload.events / 400).toLocaleString('en-US')} commits (400 events each), 500,000 profiles`,
    );
  });

  it('shows how many customers the partition step looked at per event, and how many of those looks only moved a clock', () => {
    const report = recorded('2026-12-06-resp');
    const markdown = () => renderMarkdown(report);
    expect(report.step).toBeDefined();
    // A record made before the step counted its looks has no such row.
    expect(markdown()).not.toContain('customers the timers advanced');
    report.step = {
      ...report.step!,
      events: 80_000,
      timerLooks: { total: 200_000, clockOnly: 150_000 },
    };
    expect(markdown()).toMatch(
      /\| … customers the timers advanced, per event .*\| 2\.50; 75 % clock only \|/,
    );
  });
});
