import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { cacheDir } from '@pulse/local-stack';
import {
  createTopicsWithLeaders,
  REPO_ROOT,
  type BenchContext,
  type TopicNames,
} from './context.ts';
import { endOffsets, reached, stopChild, totalOf, type Offsets } from './drain.ts';

/**
 * The Kafka Streams peer (bench/peers/kafka-streams): the same job written the Kafka Streams
 * way, built with Maven into the git-ignored cache and drained over the same log as Pulse, so
 * the report can put the two rates side by side.
 */
export const PEER_SOURCE = resolve(REPO_ROOT, 'bench/peers/kafka-streams');

/** Why the peer cannot run here (null: it can). */
export function peerUnavailable(): string | null {
  const missing = ['java', 'mvn'].filter((tool) => {
    const probe = spawnSync(tool, [tool === 'java' ? '-version' : '-v'], { stdio: 'ignore' });
    return probe.error !== undefined || probe.status !== 0;
  });
  return missing.length === 0
    ? null
    : `${missing.join(' and ')} not found on the PATH (the peer needs Java 17 and Maven)`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (name === 'target') return [];
      return statSync(path).isDirectory() ? sourceFiles(path) : [path];
    });
}

/**
 * Compiles the peer once per version of its sources (a hash of them names the build folder)
 * and copies its runtime jars beside the classes; returns the Java classpath.
 */
export function ensurePeerBuilt(log: (line: string) => void): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(PEER_SOURCE)) {
    hash.update(relative(PEER_SOURCE, file)).update('\0').update(readFileSync(file));
  }
  const dir = join(cacheDir(), `kafka-streams-peer-${hash.digest('hex').slice(0, 12)}`);
  const classpath = `${join(dir, 'classes')}:${join(dir, 'libs', '*')}`;
  if (existsSync(join(dir, '.complete'))) return classpath;
  log('building the Kafka Streams peer with Maven (first run of this version only)…');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(PEER_SOURCE, 'pom.xml'),
      `-Dpeer.buildDir=${dir}`,
      'compile',
      'dependency:copy-dependencies',
      `-DoutputDirectory=${join(dir, 'libs')}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`building the Kafka Streams peer failed (mvn exit ${result.status})\n${tail}`);
  }
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return classpath;
}

export interface PeerDrainResult {
  /** rocksdb, or memory where RocksDB's native library does not load. */
  store: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  steadySeconds: number;
  steadyEventsPerSecond: number;
  /** What the peer did (its own counters, printed when it stops). */
  job: { signals: Record<string, number>; lateEvents: number; deadLetters: number };
}

/** The positions the peer's consumer group committed (in its transactions, with its output). */
async function peerOffsets(
  context: BenchContext,
  groupId: string,
  topics: TopicNames,
): Promise<Offsets> {
  const offsets: Offsets = new Map();
  const fetched = await context.admin.fetchOffsets({
    groupId,
    topics: [topics.visits, topics.purchases],
  });
  for (const { topic, partitions } of fetched) {
    for (const { partition, offset } of partitions) {
      const byTopic = offsets.get(partition) ?? new Map<string, number>();
      byTopic.set(topic, Math.max(0, Number(offset)));
      offsets.set(partition, byTopic);
    }
  }
  return offsets;
}

/**
 * Starts the peer on the pre-produced log and clocks it like Pulse's drain: from spawning the
 * JVM until its consumer group's committed positions reach the end of every input partition
 * (with exactly-once v2 they commit in the same transaction as the store changelogs and the
 * output), then stops it (SIGTERM) and reads its counters.
 */
export async function drainPeer(
  context: BenchContext,
  options: {
    classpath: string;
    topics: TopicNames;
    label: string;
    partitions: number;
    onProgress?: (committed: number, wanted: number) => void;
  },
): Promise<PeerDrainResult> {
  const applicationId = `bench-${context.runId}-${options.label}`;
  const output = {
    signals: `bench.${context.runId}.${options.label}.signals`,
    deadLetters: `bench.${context.runId}.${options.label}.dlq`,
  };
  await createTopicsWithLeaders(
    context,
    Object.values(output).map((topic) => ({
      topic,
      numPartitions: options.partitions,
      replicationFactor: 1,
    })),
  );
  const stateDir = mkdtempSync(join(tmpdir(), 'pulse-bench-peer-'));
  const wanted = await endOffsets(context, options.topics);
  const events = totalOf(wanted);
  const startedAt = performance.now();
  const child = spawn('java', ['-cp', options.classpath, 'pulse.peer.PeerApp'], {
    env: {
      ...process.env,
      PEER_BOOTSTRAP_SERVERS: context.settings.KAFKA_BROKERS,
      PEER_APPLICATION_ID: applicationId,
      PEER_VISITS_TOPIC: options.topics.visits,
      PEER_PURCHASES_TOPIC: options.topics.purchases,
      PEER_SIGNALS_TOPIC: output.signals,
      PEER_DLQ_TOPIC: output.deadLetters,
      PEER_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  let firstCommitAt: number | undefined;
  let firstCommitted = 0;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `the Kafka Streams peer stopped before the log was drained: ${stderr.trim()}`,
        );
      }
      const committed = await peerOffsets(context, applicationId, options.topics);
      const done = totalOf(committed);
      if (done > 0 && firstCommitAt === undefined) {
        firstCommitAt = performance.now();
        firstCommitted = done;
      }
      options.onProgress?.(done, events);
      if (reached(committed, wanted)) break;
      await new Promise((resume) => setTimeout(resume, 200));
    }
    const endedAt = performance.now();
    const seconds = (endedAt - startedAt) / 1000;
    const steadySeconds = Math.max(0.001, (endedAt - (firstCommitAt ?? startedAt)) / 1000);
    const code = await stopChild(child);
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const stopped = lines.find((line) => line.peer === 'stopped');
    // A JVM ended by SIGTERM exits 143 once its shutdown hook (closing the streams) returns.
    if ((code !== 0 && code !== 143) || !stopped) {
      throw new Error(
        `the Kafka Streams peer did not stop cleanly (exit ${code}): ${stderr.trim()}`,
      );
    }
    return {
      store: String(stopped.store),
      events,
      seconds,
      eventsPerSecond: events / seconds,
      steadySeconds,
      steadyEventsPerSecond: (events - firstCommitted) / steadySeconds,
      job: {
        signals: stopped.signals as Record<string, number>,
        lateEvents: Number(stopped.lateEvents),
        deadLetters: Number(stopped.deadLetters),
      },
    };
  } finally {
    await stopChild(child);
    rmSync(stateDir, { recursive: true, force: true });
    const internal = (await context.admin.listTopics().catch(() => [] as string[])).filter(
      (topic) => topic.startsWith(`${applicationId}-`),
    );
    await context.admin
      .deleteTopics({ topics: [...Object.values(output), ...internal] })
      .catch(() => undefined);
  }
}
