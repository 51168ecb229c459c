/*
 * The purchase model from the command to the signals: `pulse model fit` reads every stored
 * profile of a running profiler's namespace (HSCAN, per partition), fits MBG/NBD and stores it
 * with a version; the running profiler picks the version up on its tick, without a restart, and
 * the lapses it then decides — here of one-time visitors, whom nothing else could judge before
 * the population's statistics and the model reached the live decisions — carry the version and
 * P(alive) in their evidence. `pulse model show` prints the stored model and the population's
 * hurdles.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import type { CustomerEvent } from '@pulse/core';
import { readModel } from '@pulse/store';
import { customerEventList } from '@pulse/test-kit';
import { connectedProducer, testProcessEnv } from '../support/infra.ts';
import { toMessages } from '../support/events.ts';
import {
  committedTotal,
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
} from '../support/profiler.ts';
import { collectSignals } from '../support/signal-oracle.ts';
import { waitFor } from '../support/wait.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const START_MS = Date.UTC(2026, 0, 5);
const DAY_MS = 86_400_000;
const PARTITIONS = 2;

function pulse(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve(REPO_ROOT, 'bin/pulse.mjs'), ...args],
      { cwd: REPO_ROOT, env: testProcessEnv(env), timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the purchase model', () => {
  it('is fitted from the live profiles, picked up without a restart, and named by the signals', async () => {
    const regulars = Array.from({ length: 40 }, (_, index) =>
      customerEventList({
        customerId: `weekly-${index}`,
        startMs: START_MS,
        seed: index,
        segments: [{ days: 120, visitEveryDays: 7, visitJitterDays: 1 }],
      }),
    ).flat();
    const onceAfterFit = Array.from({ length: 10 }, (_, index) =>
      customerEventList({
        customerId: `once-${index}`,
        startMs: START_MS + (62 + index) * DAY_MS,
        seed: 50 + index,
        segments: [{ days: 1, visitEveryDays: 1 }],
      }),
    ).flat();
    const all = [...regulars, ...onceAfterFit].sort((a, b) => a.occurredAtMs - b.occurredAtMs);
    const before = all.filter((event) => event.occurredAtMs < START_MS + 60 * DAY_MS);
    const after = all.filter((event) => event.occurredAtMs >= START_MS + 60 * DAY_MS);

    const topics = await createProfilerTopics(PARTITIONS);
    const received = await collectSignals([topics.lapse]);
    const config = testProfilerConfig(topics);
    const producer = await connectedProducer();
    const send = async (events: CustomerEvent[]) => {
      for (const batch of toMessages(events, topics))
        await producer.send({ topic: batch.topic, acks: -1, messages: batch.messages });
    };
    const committed = (count: number) =>
      waitFor(
        `${count} events committed`,
        async () => {
          const stored = await readStoredState(config, PARTITIONS);
          return committedTotal(stored) === BigInt(count) ? stored : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );

    const profiler = await startTestProfiler(config);
    await send(before);
    await committed(before.length);

    const env = { PULSE_KEY_PREFIX: config.keyPrefix };
    const fit = await pulse(['model', 'fit', '--namespace', config.namespace], env);
    expect(fit.code, fit.out).toBe(0);
    const redis = new Redis(inject('redisUrl'));
    const stored = await readModel(redis, config.namespace, config.keyPrefix);
    redis.disconnect();
    expect(stored).not.toBeNull();
    expect(stored!.customers).toBe(40);
    expect(stored!.parameters.kind).toBe('mbgnbd');
    expect(stored!.comparison?.parameters.kind).toBe('bgnbd');
    expect(fit.out).toContain(stored!.version);

    // The running profiler takes the new version on a tick.
    await waitFor(
      'the profiler to use the fitted model',
      async () => {
        const metric = (await profiler.metrics.registry.getMetricsAsJSON()).find(
          (each) => each.name === 'pulse_purchase_model_fitted_at_seconds',
        );
        return metric?.values[0]?.value === stored!.fittedAtMs / 1000 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );

    await send(after);
    await committed(all.length);
    const lapsesOfOnce = () =>
      received.filter(
        (signal) => signal.kind === 'lapsed' && signal.customerId.startsWith('once-'),
      );
    await waitFor('a lapse of every one-time visitor', () =>
      new Set(lapsesOfOnce().map((signal) => signal.customerId)).size === 10 ? true : undefined,
    );
    for (const lapse of lapsesOfOnce()) {
      expect(lapse.evidence.modelVersion).toBe(stored!.version);
      expect(lapse.evidence.pAlive).toEqual(expect.any(Number));
      expect(lapse.evidence.activeDaysSoFar).toBe(1);
    }

    const show = await pulse(['model', 'show', '--namespace', config.namespace], env);
    expect(show.code, show.out).toBe(0);
    expect(show.out).toContain(`model ${stored!.version}`);
    expect(show.out).toContain('population latency of 2 partitions merged');
  }, 240_000);
});
