import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '@pulse/bench';
import { onCleanup, testProcessEnv } from '../support/infra.ts';

// A smoke run of `pulse bench` at a tiny size against the shared test stack: every phase runs
// and reports a figure, the Kafka Streams peer included (Java and Maven are prerequisites of the
// test run). It asserts that each figure exists and is sane, never how fast it is; and that the
// log is the real job — two months of event time, each partition in event-time order (a
// partition once held later days before earlier ones), signals of every kind while draining.
const PULSE_BIN = resolve(import.meta.dirname, '../../bin/pulse.mjs');

function runBenchCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [PULSE_BIN, 'bench', ...args],
      { env: testProcessEnv(), timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') fail(error);
        else done({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

describe('pulse bench (smoke, tiny size)', () => {
  it('runs every phase and writes the JSON and markdown results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
    onCleanup(async () => rmSync(out, { recursive: true, force: true }));
    const result = await runBenchCli([
      '--customers',
      '300',
      '--events',
      '3000',
      '--runs',
      '1',
      '--instances',
      '1,2',
      '--rates',
      '500',
      '--latency-seconds',
      '3',
      '--naive-seconds',
      '3',
      '--signal-customers',
      '300',
      '--signal-rate',
      '3000',
      '--out',
      out,
    ]);
    expect(result.stderr).not.toMatch(/pulse: /);
    expect(result.code).toBe(0);

    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}\.json$/);
    expect(files[1]).toMatch(/^\d{4}-\d{2}-\d{2}\.md$/);
    const report = JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as BenchReport;

    expect(report.workload.events).toBe(3000);
    expect(report.workload.meanEventBytes).toBeGreaterThan(150);
    expect(report.workload.spanDays).toBeGreaterThanOrEqual(60);
    expect(report.workload.customersWithEvents).toBeGreaterThan(0);
    expect(report.workload.customersWithEvents).toBeLessThanOrEqual(300);
    expect(report.job!.lateEvents).toBe(0);
    expect(report.job!.signals.lapsed).toBeGreaterThan(0);
    expect(report.job!.signals.ready_to_buy).toBeGreaterThan(0);
    expect(report.throughput['1']!.stopSeconds!.median).toBeGreaterThan(0);
    expect(report.notes.filter((note) => note.includes('SIGTERM'))).toEqual([]);
    expect(['rocksdb', 'memory']).toContain(report.peer!.store);
    expect(report.peer!.eventsPerSecond.median).toBeGreaterThan(0);
    expect(report.peer!.job.signals.lapsed).toBeGreaterThan(0);
    expect(report.peer!.job.lateEvents).toBe(0);
    for (const instances of ['1', '2']) {
      expect(report.throughput[instances]?.eventsPerSecond.runs).toHaveLength(1);
      expect(report.throughput[instances]!.eventsPerSecond.median).toBeGreaterThan(0);
      // Redis worked for the drain: its CPU per event is measured, not zero.
      expect(report.throughput[instances]!.redisCpuMicrosPerEvent!.median).toBeGreaterThan(0);
    }
    expect(report.memory!.bytesPerCustomer.median).toBeGreaterThan(0);
    expect(report.memory!.breakdownBytesPerCustomer.profiles).toBeGreaterThan(0);
    expect(report.replay!.eventsPerSecond.median).toBeGreaterThan(0);
    // The step alone ran over the records of its two partitions only, once per run.
    expect(report.step!.partitions).toEqual([0, 1]);
    expect(report.step!.events).toBeGreaterThan(0);
    expect(report.step!.events).toBeLessThan(3000);
    expect(report.step!.eventsPerSecond.runs).toHaveLength(1);
    expect(report.step!.eventsPerSecond.median).toBeGreaterThan(0);
    const shares = Object.values(report.cpuProfile!.share);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1);
    expect(
      report.cpuProfile!.share['core (profile update, rules, codec, hashing)'],
    ).toBeGreaterThan(0);
    expect(report.naive!.eventsPerRun[0]).toBeGreaterThan(0);
    expect(report.rawConsume.kafkajs!.median).toBeGreaterThan(0);
    expect(report.rawConsume.platformatic!.median).toBeGreaterThan(0);
    expect(report.latency).toHaveLength(1);
    expect(report.latency[0]!.p99Ms.median).toBeGreaterThanOrEqual(report.latency[0]!.p50Ms.median);
    expect(report.signalDelay!.signals[0]).toBeGreaterThan(0);
    expect(report.ceilings!.kafkaProducerRecordsPerSecond).toBeGreaterThan(0);
    expect(report.ceilings!.kafkaConsumerRecordsPerSecond).toBeGreaterThan(0);
    expect(Object.keys(report.ceilings!.redis ?? {})).toContain('GET');

    const markdown = readFileSync(join(out, files[1]!), 'utf8');
    expect(markdown).toContain('naive baseline');
    expect(markdown).toContain('Kafka Streams peer');
    expect(markdown).toContain(`${report.workload.spanDays.toFixed(1)} days of event time`);
    expect(markdown).toContain('@platformatic/kafka');
    expect(markdown).toContain("Where one profiler's time goes");
    expect(result.stdout).toContain(markdown.split('\n')[0]!);
  }, 600_000);
});
