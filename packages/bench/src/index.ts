// @pulse/bench: `pulse bench` — throughput, latency, memory, replay and signal delay of Pulse on
// this machine, side by side with a naive baseline, raw Kafka clients and the servers' own
// perf tools. A benchmark, not a test: nothing here asserts a timing.
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionKeys } from '@pulse/store';
import { generatePopulation } from '@pulse/test-kit';
import { kafkaCeilings, redisCeilings, type Ceilings } from './ceilings.ts';
import {
  createTopics,
  deleteTopics,
  dropKeys,
  kafkaLibsDir,
  openContext,
  topicNames,
  type BenchContext,
} from './context.ts';
import { readLargestProfile, summarizeCpuProfile } from './cpu-profile.ts';
import { runStepPass, stepLogsOf } from './step-phase.ts';
import { commandsPerEvent, drain, usedMemory, type CommandStats } from './drain.ts';
import { measureLatency } from './latency.ts';
import { drainPeer, ensurePeerBuilt, peerUnavailable } from './peer.ts';
import { runNaive } from './naive.ts';
import { DEFAULT_ORDERING, describeLog, preproduce, type ProducedLog } from './produce.ts';
import { rawConsume, type KafkaClientName } from './raw-consume.ts';
import { runReplayPhase } from './replay-phase.ts';
import { describeJobCounts, renderMarkdown, type BenchReport } from './report.ts';
import { measureSignalDelay } from './signal-delay.ts';
import { spread } from './stats.ts';
import {
  buildWorkload,
  DAY_MS,
  DEFAULT_MIN_SPAN_DAYS,
  DEFAULT_START_MS,
  wireJson,
  type WireRecord,
} from './workload.ts';

export { renderMarkdown, type BenchReport } from './report.ts';
export { latencySummary, percentile, spread, type Spread } from './stats.ts';

export const PHASES = [
  'throughput',
  'peer',
  'profile',
  'step',
  'replay',
  'naive',
  'raw',
  'latency',
  'signals',
  'ceilings',
] as const;
export type Phase = (typeof PHASES)[number];

/** The phases that read the pre-produced log; without them it is only built, not produced. */
const LOG_PHASES: readonly Phase[] = ['throughput', 'peer', 'profile', 'replay', 'naive', 'raw'];

export interface BenchOptions {
  customers: number;
  events: number;
  runs: number;
  seed: number;
  /** Event time the pre-produced log spans at least. */
  minSpanDays: number;
  /** Profiler instance counts to drain the log with. */
  instances: number[];
  latencyRates: number[];
  /** Measured window of each latency run, after `latencyWarmupSeconds` at the same rate. */
  latencySeconds: number;
  latencyWarmupSeconds: number;
  naiveSeconds: number;
  signalCustomers: number;
  signalRate: number;
  phases: Phase[];
  outDir: string;
  /** Where to keep the profile phase's .cpuprofile (for a flame graph); not kept when unset. */
  cpuProfileOut?: string;
  /** On a local Redis Cluster (3 masters + 3 replicas) instead of one Redis node. */
  redisCluster?: boolean;
  log: (line: string) => void;
  progress?: (line: string) => void;
}

export const benchDefaults: Omit<BenchOptions, 'log'> = {
  customers: 1_000_000,
  events: 5_000_000,
  runs: 3,
  seed: 7,
  minSpanDays: DEFAULT_MIN_SPAN_DAYS,
  instances: [1, 2],
  latencyRates: [5_000, 10_000, 20_000],
  // A window a full collection of the profiler's heap falls in more than once at 10,000 events/s.
  latencySeconds: 60,
  latencyWarmupSeconds: 5,
  naiveSeconds: 30,
  signalCustomers: 5_000,
  signalRate: 5_000,
  phases: [...PHASES],
  outDir: 'bench/results',
};

const PARTITIONS = 12;

export interface BenchOutcome {
  report: BenchReport;
  jsonPath: string;
  markdownPath: string;
}

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const { log } = options;
  const progress = options.progress ?? (() => undefined);
  const wants = (phase: Phase) => options.phases.includes(phase);
  const startedAt = new Date();
  const context = await openContext(log, { redisCluster: options.redisCluster ?? false });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const main = topicNames(context, 'main');

    log(`building the workload: ${options.customers} customers, ${options.events} events…`);
    const workload = buildWorkload({
      customers: options.customers,
      events: options.events,
      seed: options.seed,
      minSpanDays: options.minSpanDays,
    });
    // Latency, signal delay and the ceilings produce their own traffic; the step reads the
    // workload in memory: a run of those alone does not wait for the log to be produced.
    const logProduced = LOG_PHASES.some(wants);
    let produced: ProducedLog;
    if (logProduced) {
      await createTopics(context, main, PARTITIONS);
      cleanups.push(() => deleteTopics(context, main));
      log(
        `pre-producing ${options.events} events (about ${Math.round(workload.plan.expectedSpanDays)} days of event time)…`,
      );
      produced = await preproduce(context, main, workload.records(), (events) =>
        progress(`pre-producing: ${events} / ${options.events} events`),
      );
    } else {
      log('no phase of this run reads the pre-produced log: built, not produced');
      produced = describeLog(workload.records());
    }
    const spanDays = (produced.lastEventMs - produced.firstEventMs) / DAY_MS;
    log(`  ${produced.customers} customers with events, ${spanDays.toFixed(1)} days of event time`);
    const customersSeen = produced.customers;
    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
        platform: `${process.platform} ${process.arch}`,
      },
      redis: context.connection.REDIS_CLUSTER_NODES
        ? `Redis Cluster of ${context.connection.REDIS_CLUSTER_NODES.length} nodes (${context.connection.REDIS_CLUSTER_NODES.length / 2} masters, 1 replica each)`
        : 'one Redis node',
      workload: {
        customers: options.customers,
        events: produced.events,
        seed: options.seed,
        customersWithEvents: produced.customers,
        spanDays,
        firstEventAt: new Date(produced.firstEventMs).toISOString(),
        lastEventAt: new Date(produced.lastEventMs).toISOString(),
        customerShares: workload.plan.shares,
        produceOrdering: DEFAULT_ORDERING,
        meanEventBytes: produced.bytes / produced.events,
        partitions: PARTITIONS,
        runs: options.runs,
        logProduced,
        ...(logProduced ? { preproduceEventsPerSecond: produced.events / produced.seconds } : {}),
      },
      throughput: {},
      rawConsume: {},
      latency: [],
      notes: [],
    };
    const runs = Array.from({ length: options.runs }, (_, index) => index + 1);
    mkdirSync(options.outDir, { recursive: true });
    const stamp = startedAt.toISOString().slice(0, 10);
    const jsonPath = join(options.outDir, `${stamp}.json`);
    const markdownPath = join(options.outDir, `${stamp}.md`);
    // Written after every phase, so a long run that fails late keeps what it measured.
    const save = (): void => {
      writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(markdownPath, renderMarkdown(report));
    };
    const prefix = (label: string) => `bench-${context.runId}-${label}`;

    if (wants('throughput')) {
      const perCustomer: number[] = [];
      let breakdown: Record<string, number> = {};
      for (const instances of options.instances) {
        const rates: number[] = [];
        const steady: number[] = [];
        const stops: number[] = [];
        const redisCpu: number[] = [];
        const profilerCpu: number[] = [];
        const machineCpu: number[] = [];
        const commandRuns: CommandStats[] = [];
        let drained = 0;
        for (const run of runs) {
          const keyPrefix = prefix(`t${instances}r${run}`);
          const before = await usedMemory(context.redis);
          log(`throughput: ${instances} profiler(s), run ${run}/${options.runs}…`);
          const result = await drain(context, {
            instances,
            partitions: PARTITIONS,
            settings: {
              namespace: 'v1',
              keyPrefix,
              groupId: keyPrefix,
              topics: main,
              ...cpuProfArgsFromEnv(),
            },
            onProgress: (done, wanted) => progress(`draining: ${done} / ${wanted} events`),
          });
          rates.push(result.eventsPerSecond);
          steady.push(result.steadyEventsPerSecond);
          stops.push(result.stopSeconds);
          redisCpu.push((result.redisCpuSeconds * 1e6) / result.events);
          commandRuns.push(result.redisCommands);
          drained = result.events;
          if (result.profilerCpuSeconds !== undefined)
            profilerCpu.push((result.profilerCpuSeconds * 1e6) / result.events);
          if (result.machineCpuSeconds !== undefined)
            machineCpu.push((result.machineCpuSeconds * 1e6) / result.events);
          if (result.stopExitCodes.some((code) => code !== 0)) {
            report.notes.push(
              `throughput, ${instances} profiler(s), run ${run}: exit codes after SIGTERM ${result.stopExitCodes.join(', ')}`,
            );
          }
          // The same log gives the same decisions: the first drain's counts stand for all.
          report.job ??= result.job;
          if (instances === options.instances[0]) {
            perCustomer.push(((await usedMemory(context.redis)) - before) / customersSeen);
            if (run === 1) breakdown = await memoryBreakdown(context, keyPrefix, customersSeen);
          }
          await dropKeys(context.redis, keyPrefix);
          log(
            `  ${Math.round(result.eventsPerSecond)} events/s (${result.seconds.toFixed(1)} s); ${describeJobCounts(result.job)}; SIGTERM to exit ${(result.stopSeconds * 1000).toFixed(0)} ms (exit ${result.stopExitCodes.join(', ')})`,
          );
        }
        report.throughput[String(instances)] = {
          eventsPerSecond: spread(rates),
          steadyEventsPerSecond: spread(steady),
          stopSeconds: spread(stops),
          redisCpuMicrosPerEvent: spread(redisCpu),
          redisCommandsPerEvent: commandsPerEvent(commandRuns, drained),
          ...(profilerCpu.length === runs.length
            ? { profilerCpuMicrosPerEvent: spread(profilerCpu) }
            : {}),
          ...(machineCpu.length === runs.length
            ? { machineCpuMicrosPerEvent: spread(machineCpu) }
            : {}),
        };
      }
      report.memory = {
        bytesPerCustomer: spread(perCustomer),
        breakdownBytesPerCustomer: breakdown,
      };
    }

    save();
    if (wants('peer')) {
      const unavailable = peerUnavailable();
      if (unavailable) {
        log(`Kafka Streams peer: skipped, ${unavailable}`);
        report.notes.push(`Kafka Streams peer skipped: ${unavailable}`);
      } else {
        const classpath = ensurePeerBuilt(log);
        const rates: number[] = [];
        const steady: number[] = [];
        for (const run of runs) {
          log(`Kafka Streams peer: run ${run}/${options.runs}…`);
          const result = await drainPeer(context, {
            classpath,
            topics: main,
            label: `peer${run}`,
            partitions: PARTITIONS,
            onProgress: (done, wanted) => progress(`peer draining: ${done} / ${wanted} events`),
          });
          rates.push(result.eventsPerSecond);
          steady.push(result.steadyEventsPerSecond);
          report.peer = {
            store: result.store,
            eventsPerSecond: spread(rates),
            steadyEventsPerSecond: spread(steady),
            job: result.job,
          };
          const signals = Object.entries(result.job.signals)
            .map(([kind, count]) => `${count} ${kind}`)
            .join(', ');
          log(
            `  ${Math.round(result.eventsPerSecond)} events/s (${result.seconds.toFixed(1)} s, ${result.store} store); signals ${signals || 'none'}; ${result.job.lateEvents} late events, ${result.job.deadLetters} dead letters`,
          );
        }
      }
    }

    save();
    if (wants('profile')) {
      // One more drain with `node --cpu-prof`: where one profiler's time goes, per event.
      const keyPrefix = prefix('cpu');
      const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-cpu-'));
      log('CPU profile: 1 profiler with --cpu-prof…');
      try {
        const result = await drain(context, {
          instances: 1,
          partitions: PARTITIONS,
          settings: {
            namespace: 'v1',
            keyPrefix,
            groupId: keyPrefix,
            topics: main,
            nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
          },
          onProgress: (done, wanted) => progress(`draining (profiled): ${done} / ${wanted} events`),
        });
        const profile = readLargestProfile(dir);
        if (options.cpuProfileOut) writeFileSync(options.cpuProfileOut, JSON.stringify(profile));
        report.cpuProfile = {
          eventsPerSecond: result.eventsPerSecond,
          ...summarizeCpuProfile(profile, result.events),
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await dropKeys(context.redis, keyPrefix);
      }
    }

    save();
    if (wants('step')) {
      // The core alone on two partitions of the same log: one pass to warm the JIT, then the runs.
      const measured = [0, 1];
      log(`partition step alone (partitions ${measured.join(' and ')}, in process)…`);
      const logs = stepLogsOf(workload, PARTITIONS, measured);
      runStepPass(logs);
      const rates: number[] = [];
      let signals = 0;
      let timerLooks = { total: 0, clockOnly: 0 };
      for (const run of runs) {
        const pass = runStepPass(logs);
        rates.push(pass.eventsPerSecond);
        signals = pass.signals;
        timerLooks = pass.timerLooks;
        log(`  run ${run}/${options.runs}: ${Math.round(pass.eventsPerSecond)} events/s`);
      }
      report.step = {
        partitions: measured,
        events: logs.events,
        signals,
        timerLooks,
        eventsPerSecond: spread(rates),
      };
    }

    save();
    if (wants('replay')) {
      const rates: number[] = [];
      for (const run of runs) {
        const keyPrefix = prefix(`replay${run}`);
        log(`replay: run ${run}/${options.runs}…`);
        const result = await runReplayPhase(context, {
          topics: main,
          keyPrefix,
          namespace: 'v2',
          events: produced.events,
        });
        rates.push(result.eventsPerSecond);
        await dropKeys(context.redis, keyPrefix);
        log(`  ${Math.round(result.eventsPerSecond)} events/s`);
      }
      report.replay = { eventsPerSecond: spread(rates) };
    }

    save();
    if (wants('naive')) {
      const rates: number[] = [];
      const counts: number[] = [];
      for (const run of runs) {
        const keyPrefix = prefix(`naive${run}`);
        log(`naive baseline: run ${run}/${options.runs} (at most ${options.naiveSeconds} s)…`);
        const result = await runNaive(context, {
          topics: main,
          keyPrefix,
          maxSeconds: options.naiveSeconds,
          events: produced.events,
        });
        rates.push(result.eventsPerSecond);
        counts.push(result.events);
        await dropKeys(context.redis, keyPrefix);
        log(`  ${Math.round(result.eventsPerSecond)} events/s`);
      }
      report.naive = { eventsPerSecond: spread(rates), eventsPerRun: counts };
    }

    save();
    if (wants('raw')) {
      for (const client of ['kafkajs', 'platformatic'] as KafkaClientName[]) {
        const rates: number[] = [];
        for (const run of runs) {
          log(`raw consume with ${client}: run ${run}/${options.runs}…`);
          rates.push((await rawConsume(context, client, main, produced.events)).eventsPerSecond);
          log(`  ${Math.round(rates[rates.length - 1]!)} events/s`);
        }
        report.rawConsume[client] = spread(rates);
      }
    }

    save();
    if (wants('latency')) {
      for (const rate of options.latencyRates) {
        const achieved: number[] = [];
        const p50: number[] = [];
        const p99: number[] = [];
        const max: number[] = [];
        const startP99: number[] = [];
        const cpu: number[] = [];
        const harnessCpu: number[] = [];
        for (const run of runs) {
          const topics = topicNames(context, `lat${rate}r${run}`);
          await createTopics(context, topics, PARTITIONS);
          cleanups.push(() => deleteTopics(context, topics));
          const keyPrefix = prefix(`lat${rate}r${run}`);
          log(
            `latency at ${rate} events/s: run ${run}/${options.runs} (${options.latencyWarmupSeconds} s start, then ${options.latencySeconds} s measured)…`,
          );
          const result = await measureLatency(context, {
            rate,
            seconds: options.latencySeconds,
            warmupSeconds: options.latencyWarmupSeconds,
            partitions: PARTITIONS,
            settings: {
              namespace: 'v1',
              keyPrefix,
              groupId: keyPrefix,
              topics,
              ...cpuProfArgsFromEnv(),
            },
            customers: 100_000,
            seed: options.seed + run,
          });
          achieved.push(result.achievedRate);
          p50.push(result.p50Ms);
          p99.push(result.p99Ms);
          max.push(result.maxMs);
          startP99.push(result.start.p99Ms);
          if (result.profilerCpuUsPerEvent !== undefined) cpu.push(result.profilerCpuUsPerEvent);
          if (result.harnessCpuUsPerEvent !== undefined)
            harnessCpu.push(result.harnessCpuUsPerEvent);
          await dropKeys(context.redis, keyPrefix);
          log(
            `  ack p50 ${result.produceAck.p50Ms.toFixed(1)} p99 ${result.produceAck.p99Ms.toFixed(1)}; p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms; start p99 ${result.start.p99Ms.toFixed(1)} ms; profiler CPU ${result.profilerCpuUsPerEvent?.toFixed(1) ?? '–'} µs/event, load generator ${result.harnessCpuUsPerEvent?.toFixed(1) ?? '–'} µs/event`,
          );
        }
        report.latency.push({
          offeredRate: rate,
          achievedRate: spread(achieved),
          p50Ms: spread(p50),
          p99Ms: spread(p99),
          maxMs: spread(max),
          seconds: options.latencySeconds,
          start: { seconds: options.latencyWarmupSeconds, p99Ms: spread(startP99) },
          ...(cpu.length > 0 ? { profilerCpuUsPerEvent: spread(cpu) } : {}),
          ...(harnessCpu.length > 0 ? { harnessCpuUsPerEvent: spread(harnessCpu) } : {}),
        });
      }
    }

    save();
    if (wants('signals')) {
      const counts: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      const max: number[] = [];
      for (const run of runs) {
        const topics = topicNames(context, `sig${run}`);
        await createTopics(context, topics, PARTITIONS);
        cleanups.push(() => deleteTopics(context, topics));
        const keyPrefix = prefix(`sig${run}`);
        log(`signal delay: run ${run}/${options.runs}…`);
        const population = generatePopulation({
          customers: options.signalCustomers,
          startMs: DEFAULT_START_MS,
          durationDays: 150,
          seed: options.seed + run,
          lapseShare: 0.3,
        });
        const records = (function* (): Generator<WireRecord> {
          for (const event of population.events()) {
            yield {
              kind: event.kind,
              key: event.customerId,
              value: wireJson(event),
              occurredAtMs: event.occurredAtMs,
            };
          }
        })();
        const result = await measureSignalDelay(context, {
          // Default settings: the outage guard learns that the synthetic nights are quiet.
          settings: {
            namespace: 'v1',
            keyPrefix,
            groupId: keyPrefix,
            topics,
          },
          partitions: PARTITIONS,
          liveFromMs: DEFAULT_START_MS + 120 * DAY_MS,
          records,
          rate: options.signalRate,
        });
        await dropKeys(context.redis, keyPrefix);
        if (result.p99Ms === undefined) {
          report.notes.push(`signal delay run ${run}: no signal was decided by the live part`);
          continue;
        }
        counts.push(result.signals);
        p50.push(result.p50Ms!);
        p99.push(result.p99Ms);
        max.push(result.maxMs!);
        log(
          `  ${result.signals} signals: p50 ${result.p50Ms!.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms`,
        );
      }
      if (p99.length > 0) {
        report.signalDelay = {
          signals: counts,
          p50Ms: spread(p50),
          p99Ms: spread(p99),
          maxMs: spread(max),
          rate: options.signalRate,
        };
      }
    }

    save();
    if (wants('ceilings')) {
      const ceilings: Partial<Ceilings> = {};
      log('ceilings: kafka-producer-perf-test and kafka-consumer-perf-test…');
      Object.assign(
        ceilings,
        await kafkaCeilings(
          context,
          kafkaLibsDir(log),
          Math.min(produced.events, 2_000_000),
          Math.round(report.workload.meanEventBytes),
        ),
      );
      log('ceilings: redis-benchmark…');
      ceilings.redis = await redisCeilings(
        context,
        Math.min(200_000, Math.max(10_000, produced.events)),
      );
      report.ceilings = ceilings;
    }

    report.finishedAt = new Date().toISOString();
    save();
    return { report, jsonPath, markdownPath };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await context.close();
  }
}

/** Redis bytes per customer by key type (MEMORY USAGE of every key of the namespace). */
async function memoryBreakdown(
  context: BenchContext,
  keyPrefix: string,
  customers: number,
): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (let partition = 0; partition < PARTITIONS; partition += 1) {
    const keys = partitionKeys('v1', partition, keyPrefix);
    // Profiles and timers are cut into buckets: counted by kind, summed over the buckets.
    const byKind: [string, readonly string[]][] = [
      ['meta', [keys.meta]],
      ['held', [keys.held]],
      ['outbox', [keys.outbox]],
      ['profiles', keys.profiles],
      ['due', keys.due],
    ];
    for (const [name, list] of byKind) {
      for (const key of list) {
        const bytes = Number(
          (await context.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0,
        );
        totals[name] = (totals[name] ?? 0) + bytes / customers;
      }
    }
  }
  return totals;
}

/** With PULSE_BENCH_CPU_PROF=<dir>, the profilers it starts write `node --cpu-prof` profiles there. */
function cpuProfArgsFromEnv(): { nodeArgs?: string[] } {
  const dir = process.env.PULSE_BENCH_CPU_PROF;
  return dir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] } : {};
}
