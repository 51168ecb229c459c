// `pulse demo`: the whole system on real components. Starts (or finds) Kafka, Redis and the
// schema registry, creates the topics, runs the profiler and the collector as child processes,
// plays a seeded synthetic population through both front doors, prints the signals as they
// arrive, then a summary and an HTML report. Cleans up after itself unless told to keep.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConnectionEnv, redisConnection } from '@pulse/config';
import type { SignalWire } from '@pulse/contracts';
import { defaultRulesConfig } from '@pulse/core';
import { freePort, guardStack } from '@pulse/local-stack';
import { withProfilerNodeFlags } from '@pulse/profiler';
import { createRedisClient, type RedisClient } from '@pulse/store';
import { createKafka, quietKafkaLogs, type KafkaAdmin, type KafkaProducer } from '@pulse/stream';
import {
  day,
  describeCustomerKind,
  formatProgress,
  formatSignalLine,
  formatSummary,
  foundingExampleNote,
  type DemoSummary,
} from './format.ts';
import { acquireInfra, demoNames, newRunId, type DemoInfra, type DemoNames } from './infra.ts';
import {
  dropDemoKeys,
  endOffsets,
  readProgress,
  readStatuses,
  startSignalReader,
  type ProfilerProgress,
  type SignalReader,
} from './observe.ts';
import { collectorClient, sendDirect } from './playback.ts';
import { buildReport } from './report.ts';
import { segmentReport } from './segments.ts';
import {
  buildScenario,
  FOUNDING_EXAMPLE_ID,
  routedViaCollector,
  type CustomerKind,
  type Scenario,
} from './scenario.ts';
import { startService, waitUntilReady, type ServiceProcess } from './services.ts';
import { SHOP_DEMO_CUSTOMER } from './shop-server.ts';
import {
  canonicalSignals,
  signalDecision,
  signalsFingerprint,
  statusTimeline,
} from './timeline.ts';

export interface DemoOptions {
  seed: number;
  customers: number;
  /** Length of the period in days of event time. */
  days: number;
  partitions: number;
  /** Share of customers whose events go through the collector (0..1). */
  collectorShare: number;
  keep: boolean;
  reportPath: string;
  /** Where to write the run's summary and signals as JSON (for scripts and tests). */
  jsonPath?: string;
  /** Print every signal, not a sample. */
  allSignals: boolean;
  /** Run on a Redis Cluster (3 masters + 3 replicas) instead of one Redis node. */
  redisCluster?: boolean;
}

export const demoDefaults = {
  seed: 42,
  customers: 3_000,
  months: 6,
  partitions: 12,
  collectorShare: 0.3,
  reportPath: 'demo-report.html',
};

export interface DemoIo {
  /** Human output (progress, signals, summary). */
  write(text: string): void;
  /** Whether `write` goes to a terminal (one redrawn progress line) or a log (plain lines). */
  isTty: boolean;
  columns: number;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM: the run stops and cleans up. */
  signal: AbortSignal;
}

export interface DemoResult {
  summary: DemoSummary;
  signals: SignalWire[];
  reportPath: string;
  wallTimeMs: number;
}

export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const startedAt = Date.now();
  const say = (line: string) => io.write(`${line}\n`);
  const scenario = buildScenario({
    seed: options.seed,
    customers: options.customers,
    days: options.days,
    collectorShare: options.collectorShare,
    partitions: options.partitions,
  });
  const kindOf = new Map<string, CustomerKind>(
    scenario.customers.map((customer) => [customer.customerId, customer.kind]),
  );
  say(
    `Pulse demo · seed ${options.seed} · ${scenario.customers.length.toLocaleString('en-US')} customers · ` +
      `${scenario.days} days of event time from ${day(scenario.startMs)} · ` +
      `${scenario.totals.events.toLocaleString('en-US')} events, ` +
      `${scenario.totals.viaCollector.toLocaleString('en-US')} of them through the collector's HTTP API`,
  );

  const cleanups: { what: string; run: () => Promise<unknown> }[] = [];
  let infra: DemoInfra | undefined;
  let names: DemoNames | undefined;
  let profiler: ServiceProcess | undefined;
  let collector: ServiceProcess | undefined;
  let shop: ServiceProcess | undefined;
  let shopPort = 0;
  let shopWriteKey = '';
  let collectorUrl = '';
  let metricsUrl = '';
  let completed = false;
  const logDir = mkdtempSync(join(tmpdir(), 'pulse-demo-'));
  try {
    // 1. Infrastructure.
    const stackStartedAt = Date.now();
    infra = await acquireInfra({
      env: io.env,
      keep: options.keep,
      redisCluster: options.redisCluster ?? false,
      log: (line) => say(`  [stack] ${line}`),
    });
    const isolated = infra.origin === 'env' || infra.origin === 'infra-up';
    names = demoNames(isolated ? newRunId() : null);
    const demoInfra = infra;
    if (!options.keep) cleanups.push({ what: 'the stack', run: () => demoInfra.release() });
    say(
      `  Kafka ${infra.settings.KAFKA_BROKERS} · ${redisText(infra.settings)}` +
        (infra.settings.SCHEMA_REGISTRY_URL
          ? ` · schema registry ${infra.settings.SCHEMA_REGISTRY_URL}`
          : '') +
        ` (${describeOrigin(infra.origin)}, ready after ${seconds(Date.now() - stackStartedAt)})`,
    );
    io.signal.throwIfAborted();

    const connection = loadConnectionEnv({ ...io.env, ...infra.settings });
    const kafka = createKafka(connection, {
      clientId: `pulse-demo-${randomBytes(3).toString('hex')}`,
      ...quietKafkaLogs,
    });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push({ what: 'the admin client', run: () => admin.disconnect() });
    const redis = createRedisClient(redisConnection(connection), { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    cleanups.push({ what: 'the Redis client', run: async () => redis.disconnect() });

    // 2. Topics.
    await createDemoTopics(admin, names, options.partitions, io.signal);
    if (isolated && !options.keep) {
      const demoNamesNow = names;
      cleanups.push({
        what: "the demo's topics and keys",
        run: async () => {
          await admin.deleteTopics({ topics: topicsOf(demoNamesNow) });
          await dropDemoKeys(redis, demoNamesNow.keyPrefix);
        },
      });
    }
    say(`  topics: ${topicsOf(names).join(', ')} (${options.partitions} input partitions)`);

    // 3. The profiler and the collector, as child processes.
    const servicesStartedAt = Date.now();
    const metricsPort = await freePort();
    const collectorPort = await freePort();
    // The example shop (started after the summary with --keep) posts from its own origin: the
    // collector allows it for the demo's key. Nothing of the run itself goes through it.
    shopPort = await freePort();
    const writeKey = randomBytes(16).toString('hex');
    shopWriteKey = writeKey;
    const childEnv = serviceEnv(io.env, infra.settings, names, {
      PULSE_METRICS_HOST: '127.0.0.1',
      PULSE_METRICS_PORT: String(metricsPort),
      PULSE_COLLECTOR_HOST: '127.0.0.1',
      PULSE_COLLECTOR_WRITE_KEYS: `demo-site:${writeKey}`,
      PULSE_COLLECTOR_CORS_ORIGINS: `demo-site=http://127.0.0.1:${shopPort}`,
      PULSE_COLLECTOR_RATE_LIMIT_PER_SECOND: '100000',
      PULSE_COLLECTOR_RATE_LIMIT_BURST: '100000',
    });
    profiler = startService({
      name: 'profiler',
      args: ['run', 'profiler'],
      // As `npx pulse run profiler` runs it.
      nodeArgs: withProfilerNodeFlags([]),
      env: childEnv,
      logFile: join(logDir, 'profiler.log'),
    });
    collector = startService({
      name: 'collector',
      args: ['run', 'collector', '--port', String(collectorPort)],
      env: childEnv,
      logFile: join(logDir, 'collector.log'),
    });
    const children = [profiler, collector];
    if (!options.keep) {
      // A watchdog stops them if the demo is killed before it can.
      const watchdogDir = mkdtempSync(join(tmpdir(), 'pulse-demo-watch-'));
      guardStack({
        settings: infra.settings,
        workDir: watchdogDir,
        processes: children.map((child) => ({ name: child.name, pid: child.pid })),
        stop: async () => undefined,
      });
      cleanups.push({
        what: 'the profiler and the collector',
        run: () => Promise.all(children.map((child) => child.stop())),
      });
    }
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    await Promise.all([
      waitUntilReady(profiler, `http://127.0.0.1:${metricsPort}/readyz`, {
        timeoutMs: 90_000,
        signal: io.signal,
      }),
      waitUntilReady(collector, `${collectorUrl}/readyz`, {
        timeoutMs: 90_000,
        signal: io.signal,
      }),
    ]);
    say(
      `  profiler pid ${profiler.pid} (metrics ${metricsUrl}) · collector pid ${collector.pid} (${collectorUrl}) · ` +
        `ready after ${seconds(Date.now() - servicesStartedAt)}`,
    );
    const failIfExited = () => {
      for (const child of children) {
        const exited = child.exited();
        if (exited) throw new Error(`${exited}\n${child.logTail()}`);
      }
    };

    // 4. Watch the signal topics, print what arrives.
    const counts: Record<SignalWire['kind'], number> = {
      lapsed: 0,
      reactivated: 0,
      ready_to_buy: 0,
    };
    let progressLine = '';
    const print = (line: string) => {
      if (io.isTty && progressLine) io.write(`\r\x1b[2K${line}\n${progressLine}`);
      else say(line);
    };
    const shown = (customerId: string) =>
      options.allSignals ||
      customerId === FOUNDING_EXAMPLE_ID ||
      kindOf.get(customerId) === 'accelerating-buyer' ||
      routedViaCollector(customerId, options.seed + 1, 0.1);
    let hidden = 0;
    const reader: SignalReader = await startSignalReader(kafka, names, (signal) => {
      counts[signal.kind] += 1;
      if (!shown(signal.customerId)) {
        hidden += 1;
        return;
      }
      const note =
        signal.customerId === FOUNDING_EXAMPLE_ID && signal.kind === 'lapsed'
          ? foundingExampleNote(signal)
          : undefined;
      print(formatSignalLine(signal, kindOf.get(signal.customerId), note));
    });
    cleanups.push({ what: 'the signal reader', run: () => reader.stop() });
    say(
      options.allSignals
        ? 'Signals as they arrive:'
        : 'Signals as they arrive (the founding example, the buyers and 1 customer in 10; --all-signals for every one):',
    );

    // 5. Playback.
    const producer: KafkaProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push({ what: 'the producer', run: () => producer.disconnect() });
    const client = collectorClient({ url: collectorUrl, writeKey, signal: io.signal });

    const playbackStartedAt = Date.now();
    let sent = 0;
    let dayPlayed = 0;
    let latest: ProfilerProgress | undefined;
    const rate = { at: Date.now(), committed: 0n, perSecond: 0 };
    let lastPlainAt = 0;
    const refresh = async () => {
      latest = await readProgress(redis, names!, options.partitions);
      const now = Date.now();
      if (now - rate.at >= 1_000) {
        rate.perSecond = (Number(latest.committed - rate.committed) * 1000) / (now - rate.at);
        rate.at = now;
        rate.committed = latest.committed;
      }
      progressLine = formatProgress(
        {
          dayPlayed,
          days: scenario.days,
          appliedUpToMs: latest.appliedUpToMs,
          eventsSent: sent,
          eventsApplied: Number(latest.committed),
          eventsPerSecond: rate.perSecond,
          signals: counts,
          deadLetters: reader.deadLetters.total,
          elapsedMs: now - startedAt,
        },
        io.columns,
      );
      if (io.isTty) io.write(`\r\x1b[2K${progressLine}`);
      else if (now - lastPlainAt >= 5_000) {
        lastPlainAt = now;
        say(progressLine);
      }
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await refresh().catch(() => undefined);
        await sleep(io.isTty ? 250 : 1_000);
      }
    })();
    cleanups.push({
      what: 'the progress poller',
      run: async () => {
        polling = false;
        await poller;
      },
    });

    // Every partition applies one event before the playback starts, so every partition is
    // claimed and its clock starts at the same instant before the timed playback. (It was first
    // needed because the profiler counted a partition that had applied nothing as idle and moved
    // its clock up to the others'; the profiler no longer does, the opening stays as a guard.)
    await sendDirect(producer, names, scenario.openingEvents);
    sent += scenario.openingEvents.length;
    const openingDeadline = Date.now() + 90_000;
    while (
      latest === undefined ||
      Array.from({ length: options.partitions }, (_, p) => `${names!.visits}/${p}`).some(
        (slot) => (latest!.positions.get(slot) ?? 0n) < 1n,
      )
    ) {
      io.signal.throwIfAborted();
      failIfExited();
      if (Date.now() > openingDeadline) {
        throw new Error('the profiler did not claim every partition within 90s');
      }
      await sleep(50);
    }

    // At most two days of events are in flight: day D is sent once everything up to day D-2
    // is applied. Events happen 08:00–22:00 UTC, so what is pending spans less than the 2 days
    // of allowed lateness and no event can arrive "late", however the profiler's fetches of the
    // two topics interleave. (With a longer lead, the profiler was seen to apply a few events
    // late on a live stream, and runs then differed.)
    let previousDayEnds: Map<string, bigint> | undefined;
    for (const playDay of scenario.playback) {
      io.signal.throwIfAborted();
      failIfExited();
      await Promise.all([
        sendDirect(producer, names, playDay.direct, playDay.badRecords, playDay.traits),
        client.send(playDay.viaCollector, playDay.collectorRejects),
      ]);
      sent += playDay.direct.length + playDay.viaCollector.length + playDay.badRecords.length;
      dayPlayed += 1;
      if (previousDayEnds) {
        const target = previousDayEnds;
        while (
          latest === undefined ||
          [...target].some(([slot, end]) => (latest!.positions.get(slot) ?? 0n) < end)
        ) {
          io.signal.throwIfAborted();
          failIfExited();
          await sleep(20);
          latest = await readProgress(redis, names, options.partitions);
        }
      }
      previousDayEnds = await endOffsets(admin, [names.visits, names.purchases]);
    }
    // Every partition ends on the same instant (see clockEventsFor).
    await sendDirect(producer, names, scenario.clockEvents);
    sent += scenario.clockEvents.length;

    // 6. Wait until the profiler has applied everything and its signals are on the topics.
    const settled = await waitForSettled({
      admin,
      redis,
      names,
      partitions: options.partitions,
      reader,
      failIfExited,
      signal: io.signal,
    });
    polling = false;
    await poller;
    if (io.isTty) io.write(`\r\x1b[2K`);
    if (hidden > 0) say(`(${hidden} more signals not printed; --all-signals prints every one)`);
    if (reader.invalid > 0) say(`WARNING: ${reader.invalid} records broke the signal contract`);

    // 7. Summary and report.
    const population = (customerId: string) => kindOf.has(customerId);
    const statuses = await readStatuses(
      redis,
      names,
      options.partitions,
      defaultRulesConfig,
      population,
    );
    const signals = canonicalSignals(reader.signals);
    const summary = summarize(scenario, signals, statuses, reader, client.rejected.length, settled);
    say('');
    say(formatSummary(summary));
    const reportPath = resolve(options.reportPath);
    writeFileSync(reportPath, buildReport(reportData(scenario, signals, summary, kindOf)));
    say(`report: ${reportPath}`);
    if (options.jsonPath) {
      writeFileSync(
        options.jsonPath,
        `${JSON.stringify(
          {
            summary,
            // The decision (what the fingerprint covers) and who the customer was at it.
            signals: signals.map((signal) => ({
              ...signalDecision(signal),
              traits: signal.traits ?? null,
            })),
            names,
            origin: infra.origin,
            wallTimeMs: Date.now() - startedAt,
          },
          null,
          2,
        )}\n`,
      );
    }
    say(
      `done in ${seconds(Date.now() - startedAt)} (playback and processing ${seconds(Date.now() - playbackStartedAt)})`,
    );
    completed = true;
    return { summary, signals, reportPath, wallTimeMs: Date.now() - startedAt };
  } finally {
    if (io.isTty) io.write(`\r\x1b[2K`);
    if (!completed && profiler && collector) {
      say(`logs of the profiler and the collector: ${logDir}`);
    }
    // Undo in reverse order; one failing step does not stop the others.
    for (const cleanup of cleanups.reverse()) {
      await cleanup.run().catch((error: unknown) => {
        say(`could not stop ${cleanup.what}: ${(error as Error).message}`);
      });
    }
    if (options.keep && infra && names) {
      if (completed && collector && !collector.exited()) {
        shop = await startShop(collectorUrl, shopPort, shopWriteKey, logDir, io).catch(
          (error: unknown) => {
            say(`could not start the example shop: ${(error as Error).message}`);
            return undefined;
          },
        );
      }
      say(
        keepHelp({
          infra,
          names,
          profiler,
          collector,
          shop,
          shopUrl: `http://127.0.0.1:${shopPort}/`,
          collectorUrl,
          metricsUrl,
          logDir,
        }),
      );
    } else if (completed) {
      rmSync(logDir, { recursive: true, force: true });
    }
  }
}

function describeOrigin(origin: DemoInfra['origin']): string {
  switch (origin) {
    case 'env':
      return 'from KAFKA_BROKERS / REDIS_URL';
    case 'infra-up':
      return 'the stack `pulse infra up` started';
    case 'own':
      return 'started for this demo, stopped at the end';
    case 'own-kept':
      return 'started for this demo, kept (--keep)';
  }
}

function seconds(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)}s`
    : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function topicsOf(names: DemoNames): string[] {
  return [
    names.visits,
    names.purchases,
    names.traits,
    names.lapse,
    names.readyToBuy,
    names.deadLetter,
  ];
}

/** How the summary names the Redis in use: one node by URL, a cluster by its nodes. */
function redisText(settings: DemoInfra['settings']): string {
  return settings.REDIS_CLUSTER_NODES
    ? `Redis Cluster ${settings.REDIS_CLUSTER_NODES}`
    : `Redis ${settings.REDIS_URL}`;
}

/** The services' environment: connections, the demo's names; no inherited PULSE_* setting. */
function serviceEnv(
  env: NodeJS.ProcessEnv,
  settings: DemoInfra['settings'],
  names: DemoNames,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.startsWith('PULSE_')),
  );
  return {
    ...inherited,
    ...settings,
    PULSE_LOG_LEVEL: 'info',
    PULSE_NAMESPACE: names.namespace,
    PULSE_KEY_PREFIX: names.keyPrefix,
    PULSE_GROUP_ID: names.profilerGroup,
    PULSE_VISITS_TOPIC: names.visits,
    PULSE_PURCHASES_TOPIC: names.purchases,
    PULSE_TRAITS_TOPIC: names.traits,
    PULSE_LAPSE_TOPIC: names.lapse,
    PULSE_READY_TO_BUY_TOPIC: names.readyToBuy,
    PULSE_DLQ_TOPIC: names.deadLetter,
    ...extra,
  };
}

/**
 * Creates the topics (inputs co-partitioned) and waits for every partition's leader by polling
 * metadata: kafkajs's own leader wait can fail on a busy broker while a topic is being created.
 */
async function createDemoTopics(
  admin: KafkaAdmin,
  names: DemoNames,
  partitions: number,
  signal: AbortSignal,
): Promise<void> {
  const wanted = new Map([
    [names.visits, partitions],
    [names.purchases, partitions],
    [names.traits, partitions],
    [names.lapse, 3],
    [names.readyToBuy, 3],
    [names.deadLetter, 1],
  ]);
  const existing = new Set(await admin.listTopics());
  const missing = [...wanted].filter(([topic]) => !existing.has(topic));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map(([topic, numPartitions]) => ({
        topic,
        numPartitions,
        replicationFactor: 1,
      })),
      waitForLeaders: false,
    });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    signal.throwIfAborted();
    const metadata = await admin
      .fetchTopicMetadata({ topics: [...wanted.keys()] })
      .catch(() => undefined);
    const ready =
      metadata !== undefined &&
      [...wanted].every(([topic, count]) => {
        const found = metadata.topics.find((entry) => entry.name === topic);
        return found?.partitions.length === count && found.partitions.every((p) => p.leader >= 0);
      });
    if (ready) return;
    if (Date.now() > deadline) throw new Error('the demo topics did not get leaders within 60s');
    await sleep(100);
  }
}

/**
 * Settled: Redis holds the log end of every input partition as its position (all applied), the
 * outboxes are empty (every signal and dead letter produced), and the reader has read the
 * signal and dead-letter topics up to their ends.
 */
async function waitForSettled(options: {
  admin: KafkaAdmin;
  redis: RedisClient;
  names: DemoNames;
  partitions: number;
  reader: SignalReader;
  failIfExited: () => void;
  signal: AbortSignal;
}): Promise<ProfilerProgress> {
  const { admin, redis, names } = options;
  const inputEnds = await endOffsets(admin, [names.visits, names.purchases]);
  const deadline = Date.now() + 10 * 60_000;
  let progress: ProfilerProgress;
  for (;;) {
    options.signal.throwIfAborted();
    options.failIfExited();
    progress = await readProgress(redis, names, options.partitions);
    const applied = [...inputEnds].every(
      ([slot, end]) => (progress.positions.get(slot) ?? 0n) >= end,
    );
    if (applied && progress.outbox === 0) break;
    if (Date.now() > deadline) throw new Error('the profiler did not finish within 10 minutes');
    await sleep(200);
  }
  const outputEnds = await endOffsets(admin, [names.lapse, names.readyToBuy, names.deadLetter]);
  while (!options.reader.caughtUp(outputEnds)) {
    options.signal.throwIfAborted();
    if (Date.now() > deadline) throw new Error('the signal reader did not catch up');
    await sleep(100);
  }
  return progress;
}

function summarize(
  scenario: Scenario,
  signals: SignalWire[],
  statuses: DemoSummary['statuses'],
  reader: SignalReader,
  collectorRejected: number,
  settled: ProfilerProgress,
): DemoSummary {
  const kinds: Record<SignalWire['kind'], number> = { lapsed: 0, reactivated: 0, ready_to_buy: 0 };
  for (const signal of signals) kinds[signal.kind] += 1;
  const foundingLapse = signals.find(
    (signal) => signal.customerId === FOUNDING_EXAMPLE_ID && signal.kind === 'lapsed',
  );
  const streamTimes = settled.streamTimes.filter((time): time is number => time !== null);
  return {
    seed: scenario.seed,
    customers: scenario.customers.length,
    startMs: scenario.startMs,
    endMs: scenario.endMs,
    decidedUpToMs: streamTimes.length > 0 ? Math.min(...streamTimes) : scenario.finalStreamTimeMs,
    events: {
      total: scenario.totals.events,
      viaCollector: scenario.totals.viaCollector,
      direct: scenario.totals.events - scenario.totals.viaCollector,
    },
    statuses,
    signals: kinds,
    deadLetters: { total: reader.deadLetters.total, byKind: { ...reader.deadLetters.byKind } },
    collectorRejected,
    signalsFingerprint: signalsFingerprint(signals),
    foundingExample: {
      flagged: foundingLapse !== undefined,
      daysSilent:
        typeof foundingLapse?.evidence.daysSilent === 'number'
          ? foundingLapse.evidence.daysSilent
          : null,
      detectedAt: foundingLapse?.detectedAt ?? null,
    },
  };
}

function reportData(
  scenario: Scenario,
  signals: SignalWire[],
  summary: DemoSummary,
  kindOf: Map<string, CustomerKind>,
) {
  return {
    summary,
    timeline: statusTimeline(
      scenario.customers,
      signals,
      scenario.startMs,
      Math.min(scenario.endMs, summary.decidedUpToMs),
    ),
    spotlight: {
      customerId: FOUNDING_EXAMPLE_ID,
      description: describeCustomerKind('founding-example'),
      activity: scenario.foundingExampleActivity.filter(
        (entry) => entry.dayMs < summary.decidedUpToMs,
      ),
      lapse:
        signals.find(
          (signal) => signal.customerId === FOUNDING_EXAMPLE_ID && signal.kind === 'lapsed',
        ) ?? null,
    },
    readyToBuy: signals
      .filter((signal) => signal.kind === 'ready_to_buy')
      .map((signal) => ({
        signal,
        description: describeCustomerKind(kindOf.get(signal.customerId)),
      })),
    segments: segmentReport(
      scenario.customers,
      signals,
      scenario.startMs,
      Math.min(scenario.endMs, summary.decidedUpToMs),
    ),
  };
}

/**
 * The example shop (`pulse shop`) beside the kept collector, as a child process of its own so
 * that it outlives the demo; started only after the summary, so no run can see it.
 */
async function startShop(
  collectorUrl: string,
  port: number,
  writeKey: string,
  logDir: string,
  io: Pick<DemoIo, 'env' | 'signal'>,
): Promise<ServiceProcess> {
  const shop = startService({
    name: 'shop',
    args: ['shop', '--port', String(port), '--collector', collectorUrl],
    env: { ...io.env, PULSE_SHOP_WRITE_KEY: writeKey },
    logFile: join(logDir, 'shop.log'),
  });
  await waitUntilReady(shop, `http://127.0.0.1:${port}/`, { timeoutMs: 30_000, signal: io.signal });
  return shop;
}

function keepHelp(kept: {
  infra: DemoInfra;
  names: DemoNames;
  profiler: ServiceProcess | undefined;
  collector: ServiceProcess | undefined;
  shop: ServiceProcess | undefined;
  shopUrl: string;
  collectorUrl: string;
  metricsUrl: string;
  logDir: string;
}): string {
  const { infra, names, profiler, collector, shop, shopUrl, collectorUrl, metricsUrl, logDir } =
    kept;
  const standard = names.keyPrefix === 'pulse';
  const connection =
    infra.origin === 'env'
      ? `KAFKA_BROKERS=${infra.settings.KAFKA_BROKERS} ${
          infra.settings.REDIS_CLUSTER_NODES
            ? `REDIS_CLUSTER_NODES=${infra.settings.REDIS_CLUSTER_NODES}`
            : `REDIS_URL=${infra.settings.REDIS_URL}`
        } `
      : '';
  const scoped = standard
    ? connection
    : `${connection}PULSE_KEY_PREFIX=${names.keyPrefix} PULSE_VISITS_TOPIC=${names.visits} `;
  const pids = [profiler, collector, shop].filter(
    (child) => child !== undefined && !child.exited(),
  );

  const lines = [
    '',
    'Kept running (--keep):',
    `  Kafka ${infra.settings.KAFKA_BROKERS}, ${redisText(infra.settings)}` +
      (infra.settings.SCHEMA_REGISTRY_URL
        ? `, schema registry ${infra.settings.SCHEMA_REGISTRY_URL}`
        : ''),
    `  topics: ${topicsOf(names).join(', ')}; Redis keys ${names.keyPrefix}:{${names.namespace}:p*}:*`,
    ...(profiler && !profiler.exited()
      ? [`  profiler pid ${profiler.pid}: metrics ${metricsUrl}, log ${profiler.logFile}`]
      : []),
    ...(collector && !collector.exited()
      ? [`  collector pid ${collector.pid}: ${collectorUrl}/v1/events, log ${collector.logFile}`]
      : []),
    ...(shop && !shop.exited()
      ? [
          `  example shop pid ${shop.pid}: ${shopUrl} (loads the tracker from the collector), log ${shop.logFile}`,
          'Try the tracker:',
          `  open ${shopUrl} in a browser, accept, log in as ${SHOP_DEMO_CUSTOMER}, click around, then:`,
          `  ${scoped}npx pulse profile ${SHOP_DEMO_CUSTOMER}`,
        ]
      : []),
    'Inspect:',
    `  ${scoped}npx pulse profile ${FOUNDING_EXAMPLE_ID}`,
    `  ${scoped}npx pulse status`,
    `  curl -s ${metricsUrl} | grep pulse_signals`,
    ...(infra.origin === 'own-kept' || infra.origin === 'infra-up'
      ? ['  npx pulse infra status']
      : []),
    'Stop:',
    ...(pids.length > 0 ? [`  kill ${pids.map((child) => child!.pid).join(' ')}`] : []),
    ...(infra.origin === 'own-kept' ? ['  npx pulse infra down'] : []),
    `  rm -rf ${logDir}`,
  ];
  return lines.join('\n');
}
