import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@pulse/local-stack';
import { pulseLaunchArgs } from '@pulse/profiler';
import {
  maxEventField,
  namespaceOutboxLength,
  offsetField,
  partitionKeys,
  redisNodes,
  type RedisClient,
} from '@pulse/store';
import { PULSE_BIN, REPO_ROOT, type BenchContext, type TopicNames } from './context.ts';
import { machineBusySeconds, processCpuSeconds } from './machine-cpu.ts';
import { spread } from './stats.ts';

/** Next offset to read, per input partition and topic. */
export type Offsets = Map<number, Map<string, number>>;

export async function endOffsets(context: BenchContext, topics: TopicNames): Promise<Offsets> {
  const ends: Offsets = new Map();
  for (const topic of [topics.visits, topics.purchases]) {
    for (const { partition, high } of await context.admin.fetchTopicOffsets(topic)) {
      const byTopic = ends.get(partition) ?? new Map<string, number>();
      byTopic.set(topic, Number(high));
      ends.set(partition, byTopic);
    }
  }
  return ends;
}

export function totalOf(offsets: Offsets): number {
  let total = 0;
  for (const byTopic of offsets.values()) for (const offset of byTopic.values()) total += offset;
  return total;
}

/** The positions the profiler committed to Redis (with its profiles, in the same script). */
export async function committedOffsets(
  redis: RedisClient,
  settings: Pick<ProfilerSettings, 'keyPrefix' | 'namespace' | 'topics'>,
  partitions: number,
): Promise<{ offsets: Offsets; streamTimeMs: Map<number, number> }> {
  const { keyPrefix, namespace, topics } = settings;
  // Sent together, not pipelined: on a cluster the partitions' metas live on several masters.
  const reads: Promise<(string | null)[]>[] = [];
  for (let partition = 0; partition < partitions; partition += 1) {
    reads.push(
      redis.hmget(
        partitionKeys(namespace, partition, keyPrefix).meta,
        offsetField(topics.visits),
        offsetField(topics.purchases),
        'streamTimeMs',
        maxEventField(topics.visits),
      ),
    );
  }
  const replies = await Promise.all(reads);
  const offsets: Offsets = new Map();
  const streamTimeMs = new Map<number, number>();
  replies.forEach((reply, partition) => {
    const [visits, purchases, stream] = reply;
    offsets.set(
      partition,
      new Map([
        [topics.visits, Number(visits ?? 0)],
        [topics.purchases, Number(purchases ?? 0)],
      ]),
    );
    if (stream !== null && stream !== undefined) streamTimeMs.set(partition, Number(stream));
  });
  return { offsets, streamTimeMs };
}

export function reached(committed: Offsets, wanted: Offsets): boolean {
  for (const [partition, byTopic] of wanted) {
    for (const [topic, offset] of byTopic) {
      if ((committed.get(partition)?.get(topic) ?? 0) < offset) return false;
    }
  }
  return true;
}

export interface ProfilerSettings {
  namespace: string;
  keyPrefix: string;
  groupId: string;
  topics: TopicNames;
  /** Extra PULSE_* settings. */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** `pulse run profiler` as production runs it: a child process configured by env. */
export function spawnProfiler(context: BenchContext, settings: ProfilerSettings): ChildProcess {
  const child = spawn(
    process.execPath,
    // PULSE_BENCH_PROFILER_BIN: another checkout's bin/pulse.mjs, to drain the same log with an
    // earlier version of the profiler (how a change's before/after is measured).
    pulseLaunchArgs(
      process.env.PULSE_BENCH_PROFILER_BIN ?? PULSE_BIN,
      ['run', 'profiler'],
      settings.nodeArgs,
    ),
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...context.settings,
        PULSE_NAMESPACE: settings.namespace,
        PULSE_KEY_PREFIX: settings.keyPrefix,
        PULSE_GROUP_ID: settings.groupId,
        PULSE_VISITS_TOPIC: settings.topics.visits,
        PULSE_PURCHASES_TOPIC: settings.topics.purchases,
        PULSE_TRAITS_TOPIC: settings.topics.traits,
        PULSE_LAPSE_TOPIC: settings.topics.lapseSignals,
        PULSE_READY_TO_BUY_TOPIC: settings.topics.readyToBuySignals,
        PULSE_DLQ_TOPIC: settings.topics.deadLetter,
        PULSE_METRICS_PORT: '0',
        PULSE_LOG_LEVEL: 'warn',
        ...settings.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Its log (stdout, warnings and errors only) and stderr: the last lines say why it failed.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null)
      context.log(
        `a profiler exited with code ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`,
      );
  });
  return child;
}

/** SIGTERM (SIGKILL after 30 s); resolves with the exit code (null: ended by a signal). */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/**
 * CPU seconds (user + system, `INFO cpu`) every node that holds data (each master of a cluster)
 * has used since it started, summed: read before and after a drain, what Redis spent on it.
 */
export async function redisCpuSeconds(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const node of redisNodes(redis)) {
    const info = await node.info('cpu');
    total += infoNumber(info, 'used_cpu_user') + infoNumber(info, 'used_cpu_sys');
  }
  return total;
}

/** Per Redis command: calls and microseconds spent in it (`INFO commandstats`). */
export type CommandStats = Record<string, { calls: number; usec: number }>;

/**
 * Pure: an `INFO commandstats` reply as calls and microseconds per command (lower-case; a
 * subcommand as `config|get`). Commands a script runs count under their own names as well as
 * inside the script's `evalsha`.
 */
export function parseCommandStats(info: string): CommandStats {
  const stats: CommandStats = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}

/** Pure: what `after` adds to `before`, per command (commands with no new calls left out). */
export function commandStatsSince(before: CommandStats, after: CommandStats): CommandStats {
  const since: CommandStats = {};
  for (const [command, { calls, usec }] of Object.entries(after)) {
    const earlier = before[command] ?? { calls: 0, usec: 0 };
    if (calls > earlier.calls)
      since[command] = { calls: calls - earlier.calls, usec: usec - earlier.usec };
  }
  return since;
}

/**
 * Pure: per command, the median over the runs of its calls and microseconds per drained event
 * (a run where the command did not run counts as zero).
 */
export function commandsPerEvent(
  runs: readonly CommandStats[],
  events: number,
): Record<string, { calls: number; usec: number }> {
  const commands = new Set(runs.flatMap((run) => Object.keys(run)));
  const perEvent: Record<string, { calls: number; usec: number }> = {};
  const median = (values: number[]) => spread(values).median;
  for (const command of commands) {
    perEvent[command] = {
      calls: median(runs.map((run) => (run[command]?.calls ?? 0) / events)),
      usec: median(runs.map((run) => (run[command]?.usec ?? 0) / events)),
    };
  }
  return perEvent;
}

/** Command statistics of every node that holds data (each master of a cluster), summed. */
export async function redisCommandStats(redis: RedisClient): Promise<CommandStats> {
  const total: CommandStats = {};
  for (const node of redisNodes(redis)) {
    for (const [command, { calls, usec }] of Object.entries(
      parseCommandStats(await node.info('commandstats')),
    )) {
      const sum = (total[command] ??= { calls: 0, usec: 0 });
      sum.calls += calls;
      sum.usec += usec;
    }
  }
  return total;
}

/** A numeric field of an INFO reply; throws when the reply has none. */
function infoNumber(info: string, field: string): number {
  const match = new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info);
  if (!match) throw new Error(`INFO has no ${field}`);
  return Number(match[1]);
}

/** Memory in use on every node that holds data (each master of a cluster), summed. */
export async function usedMemory(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const node of redisNodes(redis)) total += await nodeUsedMemory(node);
  return total;
}

async function nodeUsedMemory(redis: RedisClient): Promise<number> {
  // Objects still being freed in the background would count against the next figure.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const pending = /lazyfree_pending_objects:(\d+)/.exec(await redis.info('memory'));
    if (!pending || pending[1] === '0') break;
    await new Promise((done) => setTimeout(done, 100));
  }
  return infoNumber(await redis.info('memory'), 'used_memory');
}

/**
 * Waits until the profiler has committed (to Redis, with its profiles) every record the input
 * topics hold now; fails when the profiler process stops or the time is up.
 */
export async function waitForCommitted(
  context: BenchContext,
  settings: ProfilerSettings,
  partitions: number,
  options: { profiler: ChildProcess; timeoutMs: number; what: string },
): Promise<void> {
  const wanted = await endOffsets(context, settings.topics);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { offsets } = await committedOffsets(context.redis, settings, partitions);
    if (reached(offsets, wanted)) return;
    if (options.profiler.exitCode !== null) {
      throw new Error(`the profiler stopped before ${options.what} was committed`);
    }
    if (Date.now() > deadline)
      throw new Error(`the profiler did not commit ${options.what} in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface DrainOptions {
  instances: number;
  settings: ProfilerSettings;
  partitions: number;
  onProgress?: (committed: number, wanted: number) => void;
}

/**
 * What the job did while draining, from the profilers' own counters (summed over the
 * processes): signals decided by kind, events applied late, dead letters by reason, lapses held
 * by the outage guard (by reason).
 */
export interface JobCounts {
  signals: Record<string, number>;
  lateEvents: number;
  deadLetters: Record<string, number>;
  heldLapses: Record<string, number>;
  /** Entries the profilers' commits wrote to Redis, by kind (profile, timer). */
  storeWrites?: Record<string, number>;
  /** Commit script calls the profilers made (one per step that changed something). */
  commits?: number;
}

export interface DrainResult {
  job: JobCounts;
  events: number;
  /** From spawning the profilers to the last committed offset. */
  seconds: number;
  eventsPerSecond: number;
  /** From the first commit to the last one (start-up and group join left out). */
  steadySeconds: number;
  steadyEventsPerSecond: number;
  /** SIGTERM to exit of the slowest profiler, once drained (nothing in flight). */
  stopSeconds: number;
  /** Exit codes after SIGTERM (0 expected). */
  stopExitCodes: (number | null)[];
  /** CPU seconds Redis used from spawning the profilers to the last committed offset. */
  redisCpuSeconds: number;
  /** Over the same span: Redis's time per command (the scripts, and the commands inside them). */
  redisCommands: CommandStats;
  /**
   * Over the same span: busy seconds of the whole machine (all cores, every process) and the
   * profilers' own CPU seconds; absent where /proc cannot be read (not Linux).
   */
  machineCpuSeconds?: number;
  profilerCpuSeconds?: number;
}

/**
 * Starts `instances` profilers on a pre-produced log and clocks them until Redis holds the
 * positions of every record (the profiles of a batch commit in the same script as its
 * positions, so this is "drained to the last committed offset"). The profilers are stopped
 * (SIGTERM) before returning; their state stays in Redis.
 */
export async function drain(context: BenchContext, options: DrainOptions): Promise<DrainResult> {
  const { settings } = options;
  const wanted = await endOffsets(context, settings.topics);
  const events = totalOf(wanted);
  const ports: number[] = [];
  // Distinct ports: the OS may hand the port it just gave back out again.
  while (ports.length < options.instances) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const redisCpuBefore = await redisCpuSeconds(context.redis);
  const commandsBefore = await redisCommandStats(context.redis);
  const machineBefore = machineBusySeconds();
  const startedAt = performance.now();
  const children = ports.map((port) =>
    spawnProfiler(context, {
      ...settings,
      env: { ...settings.env, PULSE_METRICS_PORT: String(port) },
    }),
  );
  let firstCommitAt: number | undefined;
  let firstCommitted = 0;
  try {
    for (;;) {
      const dead = children.find((child) => child.exitCode !== null || child.signalCode !== null);
      if (dead) throw new Error('a profiler stopped before the log was drained');
      const { offsets } = await committedOffsets(context.redis, settings, options.partitions);
      const committed = totalOf(offsets);
      if (committed > 0 && firstCommitAt === undefined) {
        firstCommitAt = performance.now();
        firstCommitted = committed;
      }
      options.onProgress?.(committed, events);
      if (reached(offsets, wanted)) break;
      // Coarse enough to take little CPU from the processes being measured.
      await new Promise((done) => setTimeout(done, 200));
    }
    const endedAt = performance.now();
    // Read while the profilers live (their /proc entries go with them); they started at zero.
    const machineAfter = machineBusySeconds();
    const profilerCpu = children.map((child) => processCpuSeconds(child.pid));
    const redisCpu = (await redisCpuSeconds(context.redis)) - redisCpuBefore;
    const redisCommands = commandStatsSince(commandsBefore, await redisCommandStats(context.redis));
    const seconds = (endedAt - startedAt) / 1000;
    const steadySeconds = Math.max(0.001, (endedAt - (firstCommitAt ?? startedAt)) / 1000);
    // Off the clock: the relay delivers what the last commits decided, then the counters are read.
    await waitForEmptyOutbox(context, settings, options.partitions);
    const job = sumJobCounts(await Promise.all(ports.map((port) => scrapeMetrics(port))));
    const stopStartedAt = performance.now();
    const stopExitCodes = await Promise.all(children.map((child) => stopChild(child)));
    const stopSeconds = (performance.now() - stopStartedAt) / 1000;
    return {
      stopSeconds,
      stopExitCodes,
      job,
      events,
      seconds,
      eventsPerSecond: events / seconds,
      steadySeconds,
      steadyEventsPerSecond: (events - firstCommitted) / steadySeconds,
      redisCpuSeconds: redisCpu,
      redisCommands,
      ...(machineBefore !== undefined && machineAfter !== undefined
        ? { machineCpuSeconds: machineAfter - machineBefore }
        : {}),
      ...(profilerCpu.every((seconds) => seconds !== undefined)
        ? { profilerCpuSeconds: profilerCpu.reduce((sum, seconds) => sum + seconds!, 0) }
        : {}),
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}

async function waitForEmptyOutbox(
  context: BenchContext,
  settings: ProfilerSettings,
  partitions: number,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (
    (await namespaceOutboxLength(
      context.redis,
      settings.namespace,
      partitions,
      settings.keyPrefix,
    )) > 0
  ) {
    if (Date.now() > deadline) throw new Error('the outbox did not drain within 60 s');
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A profiler's Prometheus text, as `name{labels}` → value. */
async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  // A profiler that had no work left may still be starting its ops server: ask again a while.
  const deadline = Date.now() + 60_000;
  for (;;) {
    let response: Response;
    try {
      response = await fetch(`http://127.0.0.1:${port}/metrics`);
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`a profiler's /metrics on port ${port} did not answer`, { cause: error });
      await new Promise((done) => setTimeout(done, 200));
      continue;
    }
    if (!response.ok) throw new Error(`a profiler's /metrics answered ${response.status}`);
    return parsePrometheus(await response.text());
  }
}

export function parsePrometheus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** Pure: the job's counts from the samples of one or more profilers. */
export function sumJobCounts(samples: Map<string, number>[]): JobCounts {
  const job: JobCounts = { signals: {}, lateEvents: 0, deadLetters: {}, heldLapses: {} };
  const label = (series: string, name: string) =>
    new RegExp(`${name}="([^"]*)"`).exec(series)?.[1] ?? 'unknown';
  const add = (into: Record<string, number>, key: string, value: number) => {
    into[key] = (into[key] ?? 0) + value;
  };
  for (const sample of samples) {
    for (const [series, value] of sample) {
      if (series.startsWith('pulse_signals_total{')) add(job.signals, label(series, 'kind'), value);
      else if (series.startsWith('pulse_events_late_total{')) job.lateEvents += value;
      else if (series.startsWith('pulse_events_dead_lettered_total{'))
        add(job.deadLetters, label(series, 'reason'), value);
      else if (series.startsWith('pulse_signals_held_total{'))
        add(job.heldLapses, label(series, 'reason'), value);
      else if (series.startsWith('pulse_store_writes_total{'))
        add((job.storeWrites ??= {}), label(series, 'entry'), value);
      else if (series === 'pulse_commit_duration_seconds_count')
        job.commits = (job.commits ?? 0) + value;
    }
  }
  return job;
}
