import type { Ceilings } from './ceilings.ts';
import type { CpuBreakdown } from './cpu-profile.ts';
import type { JobCounts } from './drain.ts';
import type { RawConsumeResult } from './raw-consume.ts';
import type { Spread } from './stats.ts';

/** Everything one `pulse bench` run measured; written as bench/results/<date>.json. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  /** One Redis node, or the cluster the run used. */
  redis?: string;
  workload: {
    customers: number;
    events: number;
    seed: number;
    customersWithEvents: number;
    /** Event time from the first to the last event of the log. */
    spanDays: number;
    firstEventAt: string;
    lastEventAt: string;
    /** Shares of the customers by kind (daily, weekly, monthly, irregular, accelerating-buyer). */
    customerShares: Record<string, number>;
    /** How the pre-producer kept each partition in event-time order. */
    produceOrdering: string;
    meanEventBytes: number;
    partitions: number;
    runs: number;
    /**
     * Whether the log went onto the input topics: not when no phase of the run reads it (the
     * figures above are then the workload's as built). Absent in reports that predate it.
     */
    logProduced?: boolean;
    /** How fast the log was produced (when it was). */
    preproduceEventsPerSecond?: number;
  };
  /** What the job did on the drained log (the first drain's profiler counters). */
  job?: JobCounts;
  throughput: Record<
    string,
    {
      eventsPerSecond: Spread;
      steadyEventsPerSecond: Spread;
      stopSeconds?: Spread;
      /** Redis CPU (INFO cpu, user + system, every data node) per drained event, µs. */
      redisCpuMicrosPerEvent?: Spread;
      /**
       * Per Redis command (INFO commandstats; a script's commands also count inside its
       * evalsha): calls and µs per drained event, medians of the runs.
       */
      redisCommandsPerEvent?: Record<string, { calls: number; usec: number }>;
      /** The profilers' own CPU (/proc, user + system, all threads) per drained event, µs. */
      profilerCpuMicrosPerEvent?: Spread;
      /** The whole machine's busy CPU (/proc/stat, all cores) per drained event, µs. */
      machineCpuMicrosPerEvent?: Spread;
    }
  >;
  /** The Kafka Streams peer (bench/peers/kafka-streams) draining the same log. */
  peer?: {
    store: string;
    eventsPerSecond: Spread;
    steadyEventsPerSecond: Spread;
    job: { signals: Record<string, number>; lateEvents: number; deadLetters: number };
  };
  memory?: { bytesPerCustomer: Spread; breakdownBytesPerCustomer: Record<string, number> };
  replay?: { eventsPerSecond: Spread };
  /** The partition step alone on a few partitions of the log, in process (step-phase.ts). */
  step?: {
    partitions: number[];
    events: number;
    signals: number;
    /** Customers the timers advanced over the pass, and those whose clock alone moved (older records lack it). */
    timerLooks?: { total: number; clockOnly: number };
    eventsPerSecond: Spread;
  };
  naive?: { eventsPerSecond: Spread; eventsPerRun: number[] };
  rawConsume: Partial<Record<RawConsumeResult['client'], Spread>>;
  latency: {
    offeredRate: number;
    achievedRate: Spread;
    p50Ms: Spread;
    p99Ms: Spread;
    maxMs: Spread;
    /** Length of the measured window (absent in reports written before it was stated). */
    seconds?: number;
    /** The first seconds at the rate after the profiler started, measured apart. */
    start?: { seconds: number; p99Ms: Spread };
    /** Profiler CPU per event in the measured window, µs (absent in earlier reports). */
    profilerCpuUsPerEvent?: Spread;
    /** The benchmark's own CPU per event in the window (load generator and reader), µs. */
    harnessCpuUsPerEvent?: Spread;
  }[];
  signalDelay?: { signals: number[]; p50Ms: Spread; p99Ms: Spread; maxMs: Spread; rate: number };
  ceilings?: Partial<Ceilings>;
  /** One profiled drain (node --cpu-prof) of the 1-profiler run. */
  cpuProfile?: CpuBreakdown & { eventsPerSecond: number };
  notes: string[];
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => (value < 10 ? value.toFixed(1) : int(value));
const cell = (s: Spread, format: (v: number) => string) =>
  `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

/** The job's counts in words: signals by kind, late events, dead letters, held lapses. */
function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${int(count)} ${name}`)
    .join(', ');
}

export function describeJobCounts(job: JobCounts): string {
  const list = describeCounts;
  const total = (counts: Record<string, number>) =>
    Object.values(counts).reduce((sum, count) => sum + count, 0);
  const parts = [
    `signals ${list(job.signals) || 'none'}`,
    `${int(job.lateEvents)} late events`,
    `${int(total(job.deadLetters))} dead letters${total(job.deadLetters) > 0 ? ` (${list(job.deadLetters)})` : ''}`,
    `${int(total(job.heldLapses))} lapses held by the outage guard${total(job.heldLapses) > 0 ? ` (${list(job.heldLapses)})` : ''}`,
  ];
  return parts.join('; ');
}

/** Commits, and the profiles and timers they wrote, in all and per drained event. */
function storeWritesLine(
  writes: Record<string, number>,
  commits: number | undefined,
  events: number,
): string {
  const per = (count: number) => (count / Math.max(1, events)).toFixed(2);
  const profiles = writes['profile'] ?? 0;
  const timers = writes['timer'] ?? 0;
  // Records made before the commits were counted have none.
  const inCommits =
    commits === undefined || commits === 0
      ? ''
      : `in ${int(commits)} commits (${int(events / commits)} events each), `;
  return (
    `${inCommits}${int(profiles)} profiles (${per(profiles)} per event) and ${int(timers)} timers ` +
    `(${per(timers)} per event; a customer waiting for a lapse has their timer moved at each weekly look)`
  );
}

/** The short markdown table of a report: medians with (min–max) of the runs. */
export function renderMarkdown(report: BenchReport): string {
  const w = report.workload;
  const lines: string[] = [
    `# Pulse benchmark — ${report.startedAt.slice(0, 10)}`,
    '',
    `${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}; ` +
      `broker, ${report.redis ?? 'one Redis node'} and profilers on the same machine.`,
    `Workload: ${int(w.customers)} customers (${int(w.customersWithEvents)} with events), ${int(w.events)} events over ` +
      `${w.spanDays.toFixed(1)} days of event time (${w.firstEventAt.slice(0, 10)} to ${w.lastEventAt.slice(0, 10)}, seed ${w.seed}), ` +
      `${int(w.meanEventBytes)} B per event on average, ${w.partitions} partitions, ` +
      (w.logProduced === false
        ? 'built, not produced (no phase of this run reads it); '
        : `produced in order per partition (${w.produceOrdering}); `) +
      `median of ${w.runs} runs (min–max).`,
    ...(report.job ? [`What the drain did: ${describeJobCounts(report.job)}.`] : []),
    ...(report.job?.storeWrites
      ? [
          `What its commits wrote to Redis: ${storeWritesLine(report.job.storeWrites, report.job.commits, w.events)}.`,
        ]
      : []),
    '',
    '| figure | value |',
    '| --- | --- |',
  ];
  const pulse1 = report.throughput['1']?.eventsPerSecond.median ?? 0;
  for (const [instances, figure] of Object.entries(report.throughput)) {
    lines.push(
      `| throughput, ${instances} profiler${instances === '1' ? '' : 's'} (events/s, start to drained) | ${cell(figure.eventsPerSecond, int)} |`,
      `| throughput, ${instances} profiler${instances === '1' ? '' : 's'} (events/s, first to last commit) | ${cell(figure.steadyEventsPerSecond, int)} |`,
    );
    if (figure.stopSeconds)
      lines.push(
        `| SIGTERM → exit once drained, ${instances} profiler${instances === '1' ? '' : 's'} (ms) | ${cell(figure.stopSeconds, (v) => int(v * 1000))} |`,
      );
    if (figure.redisCpuMicrosPerEvent)
      lines.push(
        `| Redis CPU per event, ${instances} profiler${instances === '1' ? '' : 's'} (µs, INFO cpu user + system over the drain) | ${cell(figure.redisCpuMicrosPerEvent, (v) => v.toFixed(1))} |`,
      );
    if (figure.redisCommandsPerEvent) {
      const commands = figure.redisCommandsPerEvent;
      const scripts = commands['evalsha'];
      const inner = Object.entries(commands)
        .filter(([command]) => command !== 'evalsha' && command !== 'eval')
        .sort(([, a], [, b]) => b.usec - a.usec)
        .slice(0, 6)
        .map(
          ([command, { calls, usec }]) =>
            `${command} ${usec.toFixed(1)} (${calls.toFixed(2)} calls)`,
        );
      lines.push(
        `| … Redis time per event by command, ${instances} profiler${instances === '1' ? '' : 's'} (µs, INFO commandstats; the scripts as a whole, then the most costly commands, those run inside the scripts included) | ${scripts ? `scripts ${scripts.usec.toFixed(1)} (${scripts.calls.toFixed(3)} calls); ` : ''}${inner.join(', ')} |`,
      );
    }
    if (figure.profilerCpuMicrosPerEvent)
      lines.push(
        `| profiler CPU per event, ${instances} profiler${instances === '1' ? '' : 's'} (µs, /proc user + system of the profiler processes, all threads) | ${cell(figure.profilerCpuMicrosPerEvent, (v) => v.toFixed(1))} |`,
      );
    if (figure.machineCpuMicrosPerEvent) {
      const machine = figure.machineCpuMicrosPerEvent;
      lines.push(
        `| machine CPU per event, ${instances} profiler${instances === '1' ? '' : 's'} (µs, /proc/stat busy time of all ${report.machine.cpus} cores: profilers, Redis, broker, the rest) | ${cell(machine, (v) => v.toFixed(1))} |`,
        `| … what the ${report.machine.cpus} cores could drain at that cost with nothing else running (events/s, ${report.machine.cpus} × 10⁶ µs / median) | ${int((report.machine.cpus * 1e6) / machine.median)} |`,
      );
    }
  }
  for (const figure of report.latency) {
    lines.push(
      `| produce → committed at ${int(figure.offeredRate)} events/s offered (achieved ${int(figure.achievedRate.median)}${figure.seconds ? ` over ${figure.seconds} s` : ''}): p50 / p99 / max ms | ${ms(figure.p50Ms.median)} / ${ms(figure.p99Ms.median)} / ${ms(figure.maxMs.median)} (p99 ${ms(figure.p99Ms.min)}–${ms(figure.p99Ms.max)}) |`,
    );
    if (figure.profilerCpuUsPerEvent)
      lines.push(
        `| … profiler CPU per event at that rate (µs, /proc user + system of the profiler over the window; caught up, it reads every batch's profiles from Redis) | ${cell(figure.profilerCpuUsPerEvent, (v) => v.toFixed(1))} |`,
      );
    if (figure.harnessCpuUsPerEvent)
      lines.push(
        `| … the benchmark's own CPU per event at that rate (µs: the load generator's event JSON and produce requests, the reader of committed positions; on the same cores) | ${cell(figure.harnessCpuUsPerEvent, (v) => v.toFixed(1))} |`,
      );
    if (figure.start)
      lines.push(
        `| … the first ${figure.start.seconds} s at that rate after the profiler started, before the window above (JIT, heap growth): p99 ms | ${cell(figure.start.p99Ms, ms)} |`,
      );
  }
  if (report.memory) {
    const parts = Object.entries(report.memory.breakdownBytesPerCustomer)
      .map(([name, bytes]) => `${name} ${int(bytes)}`)
      .join(', ');
    lines.push(
      `| Redis bytes per customer (INFO used_memory delta) | ${cell(report.memory.bytesPerCustomer, int)}; by key type: ${parts} |`,
    );
  }
  if (report.step) {
    const { step } = report;
    lines.push(
      `| partition step alone, in process: no Kafka, Redis or decoding (events/s over the ${int(step.events)} events of partitions ${step.partitions.join(' and ')}; µs per event) | ${cell(step.eventsPerSecond, int)}; ${(1e6 / step.eventsPerSecond.median).toFixed(1)} µs |`,
    );
    if (step.timerLooks) {
      const { total, clockOnly } = step.timerLooks;
      lines.push(
        `| … customers the timers advanced, per event (due, or before and after a weekly refresh of the population table; the share that only moved a clock) | ${(total / step.events).toFixed(2)}; ${total === 0 ? '–' : `${((100 * clockOnly) / total).toFixed(0)} %`} clock only |`,
      );
    }
  }
  if (report.replay)
    lines.push(
      `| \`pulse replay\` (events/s, start to exit) | ${cell(report.replay.eventsPerSecond, int)} |`,
    );
  if (report.signalDelay) {
    const d = report.signalDelay;
    lines.push(
      `| signal delay, stream time crossing the due time → signal on its topic (${int(d.signals[0] ?? 0)} signals, live at ${int(d.rate)} events/s): p50 / p99 / max ms | ${ms(d.p50Ms.median)} / ${ms(d.p99Ms.median)} / ${ms(d.maxMs.median)} (p99 ${ms(d.p99Ms.min)}–${ms(d.p99Ms.max)}) |`,
    );
  }
  // The comparison table, left out when no phase gave it a row.
  const sideBySide = [
    '',
    '## Side by side',
    '',
    '| compared with | events/s | Pulse (1 profiler) as a share |',
    '| --- | --- | --- |',
  ];
  const sideBySideAt = lines.length;
  lines.push(...sideBySide);
  if (report.peer) {
    const peer = report.peer;
    lines.push(
      `| Kafka Streams peer (1 stream thread, exactly-once v2, ${peer.store === 'rocksdb' ? 'RocksDB' : 'in-memory'} store), start to drained | ${cell(peer.eventsPerSecond, int)} | ${ratio(pulse1, peer.eventsPerSecond.median)} |`,
      `| Kafka Streams peer, first to last commit | ${cell(peer.steadyEventsPerSecond, int)} | ${ratio(report.throughput['1']?.steadyEventsPerSecond.median ?? 0, peer.steadyEventsPerSecond.median)} |`,
    );
  }
  if (report.naive) {
    lines.push(
      `| naive baseline (eachMessage, GET+SET per event) | ${cell(report.naive.eventsPerSecond, int)} | ${ratio(pulse1, report.naive.eventsPerSecond.median)} |`,
    );
  }
  for (const [client, figure] of Object.entries(report.rawConsume)) {
    lines.push(
      `| raw consume, ${client === 'platformatic' ? '@platformatic/kafka' : client}, no processing | ${cell(figure, int)} | ${ratio(pulse1, figure.median)} |`,
    );
  }
  const c = report.ceilings;
  if (c?.kafkaProducerRecordsPerSecond)
    lines.push(
      `| kafka-producer-perf-test (acks=1) | ${int(c.kafkaProducerRecordsPerSecond)} | ${ratio(pulse1, c.kafkaProducerRecordsPerSecond)} |`,
    );
  if (c?.kafkaConsumerRecordsPerSecond)
    lines.push(
      `| kafka-consumer-perf-test | ${int(c.kafkaConsumerRecordsPerSecond)} | ${ratio(pulse1, c.kafkaConsumerRecordsPerSecond)} |`,
    );
  for (const [command, rps] of Object.entries(c?.redis ?? {})) {
    lines.push(
      `| redis-benchmark ${command} (requests/s, 50 clients) | ${int(rps)} | ${ratio(pulse1, rps)} |`,
    );
  }
  if (lines.length === sideBySideAt + sideBySide.length) lines.splice(sideBySideAt);
  if (report.cpuProfile) {
    const profile = report.cpuProfile;
    lines.push(
      '',
      `## Where one profiler's time goes (node --cpu-prof, one drain at ${int(profile.eventsPerSecond)} events/s)`,
      '',
      '| part | share of wall time | µs per event |',
      '| --- | --- | --- |',
      ...Object.entries(profile.share)
        .filter(([, share]) => share > 0)
        .sort(([, a], [, b]) => b - a)
        .map(
          ([part, share]) =>
            `| ${part} | ${(share * 100).toFixed(1)} % | ${(profile.microsecondsPerEvent[part] ?? 0).toFixed(1)} |`,
        ),
    );
  }
  if (report.peer) {
    const peer = report.peer.job;
    lines.push(
      '',
      `Kafka Streams peer on the same log (its simpler rules, see bench/peers/kafka-streams): signals ${describeCounts(peer.signals) || 'none'}; ${int(peer.lateEvents)} late events; ${int(peer.deadLetters)} dead letters.`,
    );
  }
  if (report.notes.length > 0) lines.push('', ...report.notes.map((note) => `- ${note}`));
  return `${lines.join('\n')}\n`;
}
