/*
 * The broker stopped, frozen, or refusing the login: what the collector and the profiler tell
 * a load balancer, a tracker and an operator. These tests stop and freeze a broker, so they use
 * one of their own (test/support/private-broker.ts), never the shared one other suites use.
 *
 * What they once caught:
 * - with the broker stopped, the collector's /readyz stayed 200 {"kafka":"connected"} and the
 *   profiler's stayed 200: readiness looked at "was connected once", not at the broker;
 * - eight valid 421 KB batches sent during a 3 s broker pause were grouped into produce requests
 *   over the broker's message.max.bytes: seven 503s, and afterwards every one-event batch for a
 *   partition whose records had been written (but reported failed) got 503 for good, because
 *   the idempotent producer's sequence numbers no longer matched the broker's;
 * - a wrong SASL password left the collector running and answering 503 as if Kafka were down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse } from '@pulse/collector';
import { loadConnectionEnv } from '@pulse/config';
import { partitionForKey } from '@pulse/stream';
import { runPulse } from '../support/cli.ts';
import { bearer, get, post, recordCount, startTestCollector, testKey } from '../support/http.ts';
import { testProcessEnv, uniqueName } from '../support/infra.ts';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.ts';
import { explained, spawnProfiler } from '../support/profiler-process.ts';
import { testProfilerConfig } from '../support/profiler.ts';
import { waitFor } from '../support/wait.ts';

const SASL_USER = { username: 'pulse-test', password: uniqueName('right-password') };
const shopKey = testKey('shop');
const run = uniqueName('x').slice(2);
let broker: PrivateBroker;

beforeAll(async () => {
  broker = await startPrivateBroker({ saslUsers: [SASL_USER] });
});

async function readyzStatus(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return response.status;
  } catch {
    return undefined;
  }
}

describe('readiness reflects the broker', () => {
  it('the collector and the profiler answer /readyz 503 while the broker is stopped and 200 once it is back', async () => {
    const [visits, purchases, traits, lapse, readyToBuy, deadLetter] = (await broker.createTopics([
      { prefix: 'ready-visits', partitions: 2 },
      { prefix: 'ready-purchases', partitions: 2 },
      { prefix: 'ready-traits', partitions: 2 },
      { prefix: 'ready-lapse', partitions: 1 },
      { prefix: 'ready-rtb', partitions: 1 },
      { prefix: 'ready-dlq', partitions: 1 },
    ])) as [string, string, string, string, string, string];
    const collector = await startTestCollector(
      {
        visitsTopic: visits,
        purchasesTopic: purchases,
        writeKeys: [{ source: 'shop', key: shopKey }],
      },
      { connection: broker.env() },
    );
    // The profiler as production runs it, a child process (its kafkajs logs stay in its output).
    const profiler = await spawnProfiler({
      config: testProfilerConfig({ visits, purchases, traits, lapse, readyToBuy, deadLetter }),
      extraEnv: { KAFKA_BROKERS: broker.brokers },
    });
    const endpoints = {
      collector: `${collector.url}/readyz`,
      profiler: `http://127.0.0.1:${profiler.opsPort}/readyz`,
    };
    const allAnswer = (status: number) => async () => {
      const answers = await Promise.all(Object.values(endpoints).map(readyzStatus));
      return answers.every((answer) => answer === status) ? true : undefined;
    };

    const failFast = profiler.failIfExited;
    await waitFor('both services ready', allAnswer(200), { timeoutMs: 60_000, failFast });
    await broker.stop();
    await explained(
      () => [profiler],
      waitFor('both services to answer 503 with the broker stopped', allAnswer(503), {
        timeoutMs: 30_000,
        failFast,
      }),
    );
    const collectorAnswer = await get<{ kafka: string }>(endpoints.collector);
    expect(collectorAnswer.body.kafka).toBe('unreachable');

    await broker.start();
    await explained(
      () => [profiler],
      waitFor('both services ready again with the broker back', allAnswer(200), {
        timeoutMs: 120_000,
        failFast,
      }),
    );
    expect(profiler.exitStatus()).toBeUndefined();
  }, 300_000);
});

describe('the collector under a broker pause', () => {
  it('takes eight concurrent 421 KB batches during a 3 s pause, and every partition takes one-event batches afterwards', async () => {
    const PARTITIONS = 6;
    const [visits, purchases] = (await broker.createTopics([
      { prefix: 'burst-visits', partitions: PARTITIONS },
      { prefix: 'burst-purchases', partitions: PARTITIONS },
    ])) as [string, string];
    const collector = await startTestCollector(
      {
        visitsTopic: visits,
        purchasesTopic: purchases,
        writeKeys: [{ source: 'shop', key: shopKey }],
      },
      { connection: broker.env() },
    );
    const url = `${collector.url}/v1/events`;
    // Customers of given partitions, by the producers' partitioner.
    const customerOn = (partition: number, nth = 0): string => {
      let found = -1;
      for (let n = 0; ; n += 1) {
        const id = `burst-${run}-${n}`;
        if (partitionForKey(id, PARTITIONS) === partition && ++found === nth) return id;
      }
    };
    // A burst of one customer: 201 visits of about 2.1 KB (within the 500-event, 512 KB limits).
    const burst = (customerId: string, batch: number) => ({
      events: Array.from({ length: 201 }, (_, n) => ({
        type: 'visit',
        eventId: `${customerId}-${batch}-${n}`,
        customerId,
        occurredAt: new Date(Date.UTC(2025, 2, 1) + n * 60_000).toISOString(),
        page: `/catalogue/${'p'.repeat(2000)}`,
      })),
    });
    // Six batches for partition 0 and two for partition 1: grouped together, partition 0's
    // share is far over 1 MB while partition 1's is not.
    const bodies = [0, 0, 0, 0, 0, 0, 1, 1].map((partition, batch) =>
      burst(customerOn(partition, batch), batch),
    );
    const bodyBytes = Buffer.byteLength(JSON.stringify(bodies[0]));
    expect(bodyBytes).toBeGreaterThan(420_000);
    expect(bodyBytes).toBeLessThan(512 * 1024);
    await waitFor('the collector connected', async () =>
      (await readyzStatus(`${collector.url}/readyz`)) === 200 ? true : undefined,
    );

    broker.freeze();
    let answers: number[];
    try {
      const sending = bodies.map((body) =>
        post<BatchResponse>(url, body, bearer(shopKey)).then((answer) => answer.status),
      );
      // The pause itself is the fault under test (a broker stalled for 3 s), not a wait.
      await sleep(3_000);
      broker.thaw();
      answers = await Promise.all(sending);
    } finally {
      broker.thaw();
    }
    expect(answers).toEqual(Array.from({ length: 8 }, () => 202));

    const single = [];
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const customerId = customerOn(partition, 10);
      const answer = await post<BatchResponse>(
        url,
        {
          events: [
            {
              type: 'visit',
              eventId: `${customerId}-single`,
              customerId,
              occurredAt: '2025-03-02T09:00:00.000Z',
            },
          ],
        },
        bearer(shopKey),
      );
      single.push({ partition, status: answer.status });
    }
    expect(single).toEqual(
      Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, status: 202 })),
    );
    const admin = await broker.admin();
    expect(await recordCount(admin, visits)).toBe(8 * 201 + PARTITIONS);
  });
});

describe('a refused Kafka login', () => {
  const saslEnv = (password: string, extra: Record<string, string> = {}) =>
    testProcessEnv({
      KAFKA_BROKERS: broker.saslBrokers as string,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: SASL_USER.username,
      KAFKA_SASL_PASSWORD: password,
      PULSE_LOG_LEVEL: 'info',
      ...extra,
    });

  it('stops `pulse run profiler` and `pulse run collector` with a clear error and no secret in the output', async () => {
    const wrongPassword = uniqueName('wrong-password-secret');
    const [profiler, collector] = await Promise.all([
      runPulse(
        ['run', 'profiler', '--metrics-port', '0'],
        saslEnv(wrongPassword, {
          PULSE_KEY_PREFIX: uniqueName('t'),
          PULSE_GROUP_ID: uniqueName('sasl-profiler'),
        }),
      ),
      runPulse(
        ['run', 'collector', '--port', '0'],
        saslEnv(wrongPassword, { PULSE_COLLECTOR_WRITE_KEYS: `shop:${shopKey}` }),
      ),
    ]);
    for (const [name, result] of Object.entries({ profiler, collector })) {
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.code, `${name}: ${output}`).toBe(1);
      expect(result.stderr, name).toContain(
        `pulse: Kafka refused the login (SASL scram-sha-256 as user "${SASL_USER.username}")`,
      );
      expect(output, name).toMatch(/authentication failed/i);
      expect(output, name).not.toContain(wrongPassword);
      expect(output, name).not.toContain(SASL_USER.password);
    }
  });

  it('with the right password the same settings connect (the listener and the user are sound)', async () => {
    const [visits, purchases] = await broker.createTopics([
      { prefix: 'sasl-visits', partitions: 1 },
      { prefix: 'sasl-purchases', partitions: 1 },
    ]);
    const env = saslEnv(SASL_USER.password);
    const collector = await startTestCollector(
      {
        visitsTopic: visits as string,
        purchasesTopic: purchases as string,
        writeKeys: [{ source: 'shop', key: shopKey }],
      },
      { connection: loadConnectionEnv(env) },
    );
    await waitFor('the collector ready over SASL', async () =>
      (await readyzStatus(`${collector.url}/readyz`)) === 200 ? true : undefined,
    );
    const answer = await post<BatchResponse>(
      `${collector.url}/v1/events`,
      {
        events: [
          {
            type: 'visit',
            eventId: `sasl-${run}`,
            customerId: `sasl-${run}`,
            occurredAt: '2025-03-01T09:00:00.000Z',
          },
        ],
      },
      bearer(shopKey),
    );
    expect(answer.status).toBe(202);
  });
});
