/*
 * `pulse demo` end to end, small: a few hundred customers over two months of event time against
 * the shared test stack (KAFKA_BROKERS / REDIS_URL / SCHEMA_REGISTRY_URL in its environment, so
 * it starts no stack and names its topics and keys after a run id). Run twice with the same
 * seed, the second time with --keep (which also starts the example shop): the same signals and
 * the same report. The report is opened in headless Chromium.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildScenario,
  CLOCK_CUSTOMER_PREFIX,
  FOUNDING_EXAMPLE_ID,
  SHOP_DEMO_CUSTOMER,
  type DemoSummary,
} from '@pulse/demo';
import { launchChromium, renderReport } from '../../packages/demo/src/chromium.ts';
import { DEMO_COUNTRIES, OTHER_SOURCES, RISKY_SOURCE } from '../../packages/demo/src/scenario.ts';
import { connectedAdmin, onCleanup, testProcessEnv, testRedisClient } from '../support/infra.ts';
import { waitFor } from '../support/wait.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const SEED = 11;
const CUSTOMERS = 250;
const MONTHS = 2;
const PARTITIONS = 6;

interface DemoJson {
  summary: DemoSummary;
  signals: {
    signalId: string;
    kind: string;
    customerId: string;
    detectedAt: string;
    evidence: Record<string, unknown>;
    traits?: {
      country: string | null;
      acquisitionSource: string | null;
      customerType: string | null;
    };
  }[];
  names: { visits: string; keyPrefix: string };
  origin: string;
}

const dir = mkdtempSync(join(tmpdir(), 'pulse-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runDemo(
  name: string,
  extra: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    join(REPO_ROOT, 'bin/pulse.mjs'),
    'demo',
    '--seed',
    String(SEED),
    '--customers',
    String(CUSTOMERS),
    '--months',
    String(MONTHS),
    '--partitions',
    String(PARTITIONS),
    '--report',
    join(dir, `${name}.html`),
    '--json',
    join(dir, `${name}.json`),
    ...extra,
  ];
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      args,
      { cwd: dir, env: testProcessEnv(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/** Stops the processes a --keep run left (SIGTERM) and waits until they are gone. */
async function stopKept(pids: number[]): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGTERM');
  await waitFor('the kept processes to stop', () => (pids.some(alive) ? undefined : true));
}

/** What a --keep run leaves on the shared stack: its topics and Redis keys. */
async function dropRun(run: DemoJson): Promise<void> {
  const admin = await connectedAdmin();
  const prefix = run.names.visits.split('.')[0]!;
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  const redis = testRedisClient(undefined, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${run.names.keyPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('pulse demo', () => {
  it('flags the founding example, sums up, cleans up, and gives the same signals for the same seed', async () => {
    const first = await runDemo('first');
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    // The second run keeps everything running and starts the example shop beside it: its
    // signals must still equal the first run's.
    const second = await runDemo('second', ['--keep']);
    const keptPids = (/^ {2}kill ([\d ]+)$/m.exec(second.stdout)?.[1] ?? '')
      .split(' ')
      .filter(Boolean)
      .map(Number);
    onCleanup(() => stopKept(keptPids));
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    const [a, b] = ['first', 'second'].map(
      (name) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as DemoJson,
    ) as [DemoJson, DemoJson];
    onCleanup(async () => {
      await stopKept(keptPids);
      await dropRun(b);
    });
    expect(keptPids, second.stdout).toHaveLength(3); // profiler, collector, shop

    // --keep: the shop's address, its pages loading the tracker from the kept collector.
    const shopUrl = /example shop pid \d+: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(second.stdout)?.[1];
    expect(shopUrl, second.stdout).toBeDefined();
    expect(second.stdout).toContain(`npx pulse profile ${SHOP_DEMO_CUSTOMER}`);
    const home = await fetch(shopUrl!);
    expect(home.status).toBe(200);
    const trackerUrl = /<script src="(http:\/\/127\.0\.0\.1:\d+\/v1\/tracker\.js)"/.exec(
      await home.text(),
    )?.[1];
    expect(second.stdout).toContain(`${trackerUrl!.replace('/tracker.js', '/events')}`);
    const tracker = await fetch(trackerUrl!);
    expect(tracker.status).toBe(200);
    expect(tracker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');

    // It used the stack of the environment, under names of its own.
    expect(a.origin).toBe('env');
    expect(a.names.keyPrefix).not.toBe(b.names.keyPrefix);

    // The founding example: a daily visitor gone silent, flagged within two weeks.
    const lapse = a.signals.find(
      (signal) => signal.customerId === FOUNDING_EXAMPLE_ID && signal.kind === 'lapsed',
    );
    expect(lapse, 'the founding example lapsed').toBeDefined();
    expect(lapse!.evidence.usualLatencyDays).toBe(1);
    expect(lapse!.evidence.daysSilent).toBeGreaterThanOrEqual(lapse!.evidence.hurdleDays as number);
    expect(lapse!.evidence.daysSilent).toBeLessThan(14);
    expect(a.summary.foundingExample).toEqual({
      flagged: true,
      daysSilent: lapse!.evidence.daysSilent,
      detectedAt: lapse!.detectedAt,
    });
    expect(first.stdout).toContain('the founding example: a daily visitor gone silent');

    // The summary: statuses of every customer with events, signals by kind, the dead letters.
    const scenario = buildScenario({
      seed: SEED,
      customers: CUSTOMERS,
      days: Math.round(MONTHS * 30.5),
      collectorShare: 0.3,
      partitions: PARTITIONS,
    });
    const withEvents = scenario.customers.filter((c) => c.firstSeenMs !== null).length;
    const { statuses, signals } = a.summary;
    expect(statuses.active + statuses.lapsed + statuses.unknown).toBe(withEvents);
    expect(statuses.cameBack).toBeLessThanOrEqual(statuses.active);
    const counted = { lapsed: 0, reactivated: 0, ready_to_buy: 0 } as Record<string, number>;
    for (const signal of a.signals) counted[signal.kind]! += 1;
    expect(signals).toEqual(counted);
    expect(signals.lapsed).toBeGreaterThan(0);
    expect(signals.reactivated).toBeGreaterThan(0);
    // Every open episode is a lapsed profile, and every lapsed profile has its alert. The
    // statuses are the scenario's customers'; the clock customers (one visit at each end of the
    // period, which the population's latency judges like any one-time visitor) are left out.
    const scenarioSignals = a.signals.filter(
      (signal) => !signal.customerId.startsWith(CLOCK_CUSTOMER_PREFIX),
    );
    const netLapses =
      scenarioSignals.filter((signal) => signal.kind === 'lapsed').length -
      scenarioSignals.filter((signal) => signal.kind === 'reactivated').length;
    expect(statuses.lapsed).toBe(netLapses);
    expect(a.summary.deadLetters).toEqual({
      total: 4,
      byKind: { 'future-timestamp': 1, 'missing-id': 1, 'not-json': 1, 'schema-violation': 1 },
    });
    expect(a.summary.collectorRejected).toBe(1);
    expect(a.summary.events.viaCollector).toBeGreaterThan(0);
    expect(a.summary.events.direct).toBeGreaterThan(0);
    expect(first.stdout).toContain('customers by status');
    expect(first.stdout).toContain('signals by kind');

    // Every signal carries the traits the demo stated for its customer (through pulse.traits,
    // at the decision): one of the demo's values in each dimension, the same on every signal.
    const traitsByCustomer = new Map<string, string>();
    for (const signal of a.signals) {
      const traits = signal.traits;
      expect(traits, signal.signalId).toBeTruthy();
      if (signal.customerId.startsWith(CLOCK_CUSTOMER_PREFIX)) {
        // The clock customers are the demo's own, stated nothing: known to be unknown.
        expect(traits).toMatchObject({
          country: null,
          acquisitionSource: null,
          customerType: null,
        });
        continue;
      }
      expect([RISKY_SOURCE, ...OTHER_SOURCES]).toContain(traits!.acquisitionSource);
      expect(DEMO_COUNTRIES.map(([country]) => country)).toContain(traits!.country);
      expect(['consumer', 'business']).toContain(traits!.customerType);
      const key = JSON.stringify(traits);
      expect(traitsByCustomer.get(signal.customerId) ?? key, signal.customerId).toBe(key);
      traitsByCustomer.set(signal.customerId, key);
    }

    // Same seed, same signals (ids, kinds, customers, detectedAt, evidence) and the same report.
    expect(b.signals).toEqual(a.signals);
    expect(b.summary).toEqual(a.summary);
    expect(readFileSync(join(dir, 'second.html'), 'utf8')).toBe(
      readFileSync(join(dir, 'first.html'), 'utf8'),
    );

    // Nothing left behind on the shared stack by the run without --keep: no topic, no key.
    const admin = await connectedAdmin();
    const topics = await admin.listTopics();
    const redis = testRedisClient(undefined, { maxRetriesPerRequest: 2 });
    try {
      for (const run of [a]) {
        expect(topics.filter((topic) => topic.startsWith(run.names.visits.split('.')[0]!))).toEqual(
          [],
        );
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, page] = await redis.scan(cursor, 'MATCH', `${run.names.keyPrefix}:*`);
          keys.push(...page);
          cursor = next;
        } while (cursor !== '0');
        expect(keys).toEqual([]);
      }
    } finally {
      redis.disconnect();
    }

    // The report as a browser draws it.
    const browser = await launchChromium();
    try {
      const rendered = await renderReport(browser, join(dir, 'first.html'));
      expect(rendered.errors).toEqual([]);
      expect(rendered.externalRequests).toEqual([]);
      expect(rendered.timelineAreas).toBeGreaterThanOrEqual(2);
      expect(rendered.episodeLines).toBe(2);
      expect(rendered.activityBars).toBeGreaterThan(20);
      expect(rendered.alertMarkers).toBe(1);
      expect(rendered.hurdleBands).toBe(1);
      expect(rendered.segmentLines).toBe(1 + OTHER_SOURCES.length);
      expect(rendered.segmentRows).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 480_000);
});
