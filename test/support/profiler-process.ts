import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pulseLaunchArgs, type ProfilerConfig } from '@pulse/profiler';
import type { RulesConfig } from '@pulse/core';
import { onCleanup, testProcessEnv } from './infra.ts';
import { waitFor } from './wait.ts';

/**
 * The profiler as production runs it: `node bin/pulse.mjs run profiler` in a child process,
 * configured by env, so fault tests can SIGKILL, SIGTERM or SIGSTOP a real process. Every child
 * is killed after the test file (and when the test worker exits), so none outlives its test.
 */

const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const PULSE_BIN = join(REPO_ROOT, 'bin/pulse.mjs');

/** The PULSE_* variables that carry a test's profiler settings (see profilerConfigFromEnv). */
export function profilerEnv(config: ProfilerConfig): Record<string, string> {
  return {
    PULSE_GROUP_ID: config.groupId,
    PULSE_NAMESPACE: config.namespace,
    PULSE_KEY_PREFIX: config.keyPrefix,
    PULSE_VISITS_TOPIC: config.visitsTopic,
    PULSE_PURCHASES_TOPIC: config.purchasesTopic,
    PULSE_TRAITS_TOPIC: config.traitsTopic,
    PULSE_LAPSE_TOPIC: config.lapseTopic,
    PULSE_READY_TO_BUY_TOPIC: config.readyToBuyTopic,
    PULSE_DLQ_TOPIC: config.deadLetterTopic,
    PULSE_METRICS_PORT: String(config.metricsPort),
    PULSE_SESSION_TIMEOUT_MS: String(config.sessionTimeoutMs),
    PULSE_HEARTBEAT_INTERVAL_MS: String(config.heartbeatIntervalMs),
    PULSE_TICK_INTERVAL_MS: String(config.tickIntervalMs),
    PULSE_MAX_EVENTS_PER_COMMIT: String(config.maxEventsPerCommit),
    PULSE_PROFILE_CACHE_BYTES_PER_PARTITION: String(config.profileCacheBytesPerPartition),
    PULSE_PROFILE_CACHE_MIN_LAG: String(config.profileCacheMinLag),
    PULSE_PARTITIONS_CONCURRENTLY: String(config.partitionsConsumedConcurrently),
    PULSE_REDIS_COMMAND_TIMEOUT_MS: String(config.redisCommandTimeoutMs),
  };
}

/** Writes rules to a file for PULSE_RULES_FILE; removed after the test file. */
export function rulesFile(rules: Partial<RulesConfig>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-rules-'));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify(rules));
  return file;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

export interface LogLine {
  msg?: string;
  level?: number;
  [field: string]: unknown;
}

export interface ProfilerProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly spawnedAtMs: number;
  /** When its 'profiler started' line appeared (it has joined the group by then). */
  readonly startedAtMs: number;
  /** Port of /healthz, /readyz and /metrics (from the 'profiler started' log line). */
  readonly opsPort: number;
  /** Structured log lines so far (pino JSON on stdout). */
  readonly logs: LogLine[];
  /** Set once the process has exited. */
  exitStatus(): ExitStatus | undefined;
  /** Resolves when the process has exited. */
  exited: Promise<ExitStatus>;
  kill(signal: NodeJS.Signals): void;
  /** HTTP status of /readyz, or undefined when the ops server does not answer. */
  readyz(): Promise<number | undefined>;
  /** One Prometheus sample (sum over label sets) from /metrics. */
  metric(name: string): Promise<number | undefined>;
  /** Fails a waitFor as soon as this process exits unexpectedly. */
  failIfExited(): Error | undefined;
  /** stderr output, for failure messages. */
  stderr(): string;
}

const live = new Set<ChildProcess>();
// A worker that dies without running afterAll must not leave profilers consuming behind it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts a profiler child and waits for its 'profiler started' line. `redisUrl` overrides the
 * shared test Redis (a test with a private redis-server); `extraEnv` adds PULSE_* settings.
 */
export async function spawnProfiler(options: {
  config: ProfilerConfig;
  name?: string;
  redisUrl?: string;
  rulesFile?: string;
  extraEnv?: Record<string, string>;
  /** More arguments of `pulse run profiler` (e.g. --processes 2). */
  args?: readonly string[];
  startTimeoutMs?: number;
}): Promise<ProfilerProcess> {
  const name = options.name ?? 'profiler';
  const env = testProcessEnv({
    ...profilerEnv(options.config),
    PULSE_LOG_LEVEL: 'info',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl, REDIS_CLUSTER_NODES: '' } : {}),
    ...(options.rulesFile ? { PULSE_RULES_FILE: options.rulesFile } : {}),
    ...options.extraEnv,
  });
  const spawnedAtMs = Date.now();
  const args = pulseLaunchArgs(PULSE_BIN, ['run', 'profiler', ...(options.args ?? [])]);
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name} could not start`);
  live.add(child);
  let status: ExitStatus | undefined;
  onCleanup(async () => {
    if (status === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const logs: LogLine[] = [];
  let stderrText = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    // Keep the tail only: kafkajs can be chatty while a broker connection is refused.
    stderrText = (stderrText + chunk).slice(-20_000);
  });

  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.on('exit', (code, signal) => {
      status = { code, signal, atMs: Date.now() };
      live.delete(child);
      resolveExit(status);
    });
  });

  const failIfExited = (): Error | undefined =>
    status === undefined
      ? undefined
      : new Error(
          `${name} (pid ${child.pid}) exited with ${status.signal ?? `code ${status.code}`}; stderr: ${stderrText.slice(-2_000)}`,
        );

  const started = await waitFor(
    `${name} to log 'profiler started'`,
    () => logs.find((line) => line.msg === 'profiler started'),
    { timeoutMs: options.startTimeoutMs ?? 60_000, intervalMs: 50, failFast: failIfExited },
  );
  const startedAtMs = Date.now();
  const opsPort = Number(started.opsPort);
  const base = `http://127.0.0.1:${opsPort}`;

  return {
    name,
    pid: child.pid,
    child,
    spawnedAtMs,
    startedAtMs,
    opsPort,
    logs,
    exitStatus: () => status,
    exited,
    kill(signal) {
      if (status === undefined) child.kill(signal);
    },
    async readyz() {
      try {
        const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) });
        return response.status;
      } catch {
        return undefined;
      }
    },
    async metric(metricName) {
      const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2_000) });
      let total: number | undefined;
      for (const line of (await response.text()).split('\n')) {
        if (line.startsWith('#')) continue;
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (match?.[1] === metricName) total = (total ?? 0) + Number(match[3]);
      }
      return total;
    },
    failIfExited,
    stderr: () => stderrText,
  };
}

/** Fails fast as soon as any of the processes exited (none of them should, unless killed). */
export function failIfAnyExited(
  processes: () => Iterable<ProfilerProcess>,
): () => Error | undefined {
  return () => {
    for (const running of processes()) {
      const failure = running.failIfExited();
      if (failure) return failure;
    }
    return undefined;
  };
}

/** The last log lines of some processes, to explain a failed wait. */
export function recentLogs(processes: Iterable<ProfilerProcess>, lines = 25): string {
  return [...processes]
    .map(
      (running) =>
        `--- ${running.name} (pid ${running.pid}) ---\n` +
        running.logs
          .slice(-lines)
          .map((line) => JSON.stringify(line))
          .join('\n'),
    )
    .join('\n');
}

/** Runs a wait; on failure, adds the processes' recent logs to the error. */
export async function explained<T>(
  processes: () => Iterable<ProfilerProcess>,
  wait: Promise<T>,
): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${recentLogs(processes())}`, { cause: error });
  }
}
