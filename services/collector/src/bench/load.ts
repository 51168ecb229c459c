// Load check of the collector (not a test): `npx tsx services/collector/src/bench/load.ts`.
//
// Starts `pulse run collector` as its own process (so the load generator does not share its
// event loop), against the stack `pulse infra up` runs, or a private one started here. Then
// CONNECTIONS concurrent senders post batches of BATCH visits for DURATION_S seconds, and the
// script prints requests/s, events/s and latency percentiles. Every batch must get a 202 with
// all events accepted: an error is counted and printed, never hidden in the averages.
//
// Settings: BENCH_CONNECTIONS (default 32), BENCH_BATCH (20), BENCH_DURATION_S (15),
// BENCH_PARTITIONS (12).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConnectionEnv } from '@pulse/config';
import { freePort, readStackState, startStack, type RunningStack } from '@pulse/local-stack';
import { createKafka } from '@pulse/stream';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const batchEvents = Number(process.env.BENCH_BATCH ?? 20);
const durationMs = Number(process.env.BENCH_DURATION_S ?? 15) * 1000;
const partitions = Number(process.env.BENCH_PARTITIONS ?? 12);
const writeKey = `bench-${randomBytes(12).toString('hex')}`;

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;
}

async function main(): Promise<void> {
  let stack: RunningStack | undefined;
  let settings: Record<string, string | undefined> = {
    ...(readStackState()?.settings ?? {}),
    ...process.env,
  };
  if (!settings.KAFKA_BROKERS || !settings.REDIS_URL) {
    process.stderr.write('no running stack: starting a private one (about a minute)\n');
    stack = await startStack({ detached: false, log: () => undefined });
    settings = { ...settings, ...stack.settings };
  }
  const connection = loadConnectionEnv(settings);
  const admin = createKafka(connection).admin();
  await admin.connect();
  const suffix = randomBytes(4).toString('hex');
  const topics = { visits: `bench-visits-${suffix}`, purchases: `bench-purchases-${suffix}` };
  await admin.createTopics({
    topics: Object.values(topics).map((topic) => ({
      topic,
      numPartitions: partitions,
      replicationFactor: 1,
    })),
    waitForLeaders: true,
  });

  const port = await freePort();
  const pulse = fileURLToPath(new URL('../../../../bin/pulse.mjs', import.meta.url));
  const child = spawn(process.execPath, [pulse, 'run', 'collector', '--port', String(port)], {
    env: {
      ...process.env,
      ...settings,
      PULSE_COLLECTOR_HOST: '127.0.0.1',
      PULSE_COLLECTOR_WRITE_KEYS: `bench:${writeKey}`,
      PULSE_COLLECTOR_RATE_LIMIT_PER_SECOND: '1000000',
      PULSE_COLLECTOR_RATE_LIMIT_BURST: '1000000',
      PULSE_VISITS_TOPIC: topics.visits,
      PULSE_PURCHASES_TOPIC: topics.purchases,
      PULSE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let waited = 0; ; waited += 200) {
      const ready = await fetch(`${url}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (waited > 60_000) throw new Error('the collector did not become ready');
      await sleep(200);
    }

    const latenciesMs: number[] = [];
    const failures = new Map<string, number>();
    let sequence = 0;
    const endAt = performance.now() + durationMs;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async (_, worker) => {
        while (performance.now() < endAt) {
          const events = Array.from({ length: batchEvents }, () => {
            sequence += 1;
            return {
              type: 'visit',
              eventId: `${suffix}-${sequence}`,
              customerId: `customer-${(sequence * 7919 + worker) % 50_000}`,
              occurredAt: new Date().toISOString(),
              page: '/products/42',
            };
          });
          const sentAt = performance.now();
          try {
            const response = await fetch(`${url}/v1/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${writeKey}` },
              body: JSON.stringify({ events }),
            });
            const body = (await response.json()) as { accepted?: number };
            latenciesMs.push(performance.now() - sentAt);
            if (response.status !== 202 || body.accepted !== batchEvents) {
              const key = `HTTP ${response.status}`;
              failures.set(key, (failures.get(key) ?? 0) + 1);
            }
          } catch (error) {
            const key = (error as Error).message;
            failures.set(key, (failures.get(key) ?? 0) + 1);
          }
        }
      }),
    );
    const elapsedS = (performance.now() - startedAt) / 1000;
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const offsets = await Promise.all(
      Object.values(topics).map((topic) => admin.fetchTopicOffsets(topic)),
    );
    const stored = offsets.flat().reduce((total, entry) => total + Number(entry.high), 0);
    const result = {
      connections,
      batchEvents,
      partitions,
      durationS: Number(elapsedS.toFixed(1)),
      requests: latenciesMs.length,
      requestsPerS: Math.round(latenciesMs.length / elapsedS),
      eventsPerS: Math.round((latenciesMs.length * batchEvents) / elapsedS),
      latencyMs: {
        p50: Number(percentile(sorted, 0.5).toFixed(1)),
        p90: Number(percentile(sorted, 0.9).toFixed(1)),
        p99: Number(percentile(sorted, 0.99).toFixed(1)),
        max: Number((sorted.at(-1) ?? Number.NaN).toFixed(1)),
      },
      failures: Object.fromEntries(failures),
      recordsOnTopics: stored,
      acceptedEvents:
        (latenciesMs.length - [...failures.values()].reduce((a, b) => a + b, 0)) * batchEvents,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await stack?.stop();
  }
}

await main();
