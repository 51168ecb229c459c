/*
 * Redis goes away mid-stream and comes back: no event lost, none counted twice, readiness
 * false while it is gone, and the profiler process rides it out (no exit, no crash loop).
 * Each case runs the profiler against its own redis-server (AOF on, as startRedis starts it),
 * so stopping or freezing it disturbs no other test.
 * - restarted: SIGTERM (Redis writes its AOF on the way down), then started again on the
 *   same port and data folder; clients see closed connections and reconnect.
 * - frozen: SIGSTOP for 25 s, then SIGCONT. Connections stay open but nothing answers:
 *   calls time out client-side while Redis may still run them on waking, so a commit the
 *   profiler gave up on can land after all. The CAS (version + stored offsets) must make the
 *   retry see it instead of applying the batch twice.
 * The dedup memory is cut to one event (oracle likewise) so that a replay cannot hide as
 * tracker retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import { stopPid, type RedisServer } from '@pulse/local-stack';
import { generatePopulation } from '@pulse/test-kit';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
import { privateRedis } from '../support/private-redis.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  offsetsTotal,
  readCommittedOffsets,
  readStoredState,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import {
  explained,
  rulesFile,
  spawnProfiler,
  type ProfilerProcess,
} from '../support/profiler-process.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const RULES = { dedupMemorySize: 1 };

interface OutageContext {
  redis: { current: () => RedisServer; restart: () => Promise<void> };
  profiler: ProfilerProcess;
  /** Waits for /readyz to answer `status`, failing fast if the profiler exits. */
  readyzBecomes(status: number, what: string): Promise<void>;
}

/**
 * Streams events to a profiler on a private Redis, runs `fault` once a quarter of the stream
 * is committed, then checks recovery: ready again, drained, profiles equal to one clean pass,
 * one process throughout.
 */
async function outageScenario(fault: (context: OutageContext) => Promise<void>, seed: number) {
  const rules = parseRulesConfig(RULES);
  const redis = await privateRedis();
  const redisUrl = redis.current().url;
  const topics = await createProfilerTopics(PARTITIONS);
  const config = testProfilerConfig(topics);
  const events: CustomerEvent[] = [
    ...generatePopulation({
      customers: 1_000,
      startMs: Date.UTC(2026, 0, 1),
      durationDays: 40,
      seed,
      shuffleWithinMs: 6 * 3_600_000,
    }).events(),
  ];
  const admin = await connectedAdmin();
  const producer = await connectedProducer();
  const profiler = await spawnProfiler({ config, redisUrl, rulesFile: rulesFile(RULES) });
  const failFast = profiler.failIfExited;
  const wait = <T>(what: Promise<T>) => explained(() => [profiler], what);
  const readyzBecomes = (status: number, what: string) =>
    wait(
      waitFor(
        `/readyz ${status} ${what}`,
        async () => ((await profiler.readyz()) === status ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 200, failFast },
      ),
    ).then(() => undefined);

  await readyzBecomes(200, 'at start');
  let productionError: Error | undefined;
  const chunkEvents = 300;
  const production = produceStream(producer, events, topics, {
    chunkEvents,
    pauseMs: Math.round(20_000 / (events.length / chunkEvents)),
  }).catch((error: unknown) => {
    productionError = error as Error;
  });
  await wait(
    waitFor(
      'a quarter of the stream committed',
      async () =>
        offsetsTotal(await readCommittedOffsets(config, PARTITIONS, redisUrl)) >= events.length / 4
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 100, failFast },
    ),
  );

  await fault({ redis, profiler, readyzBecomes });
  expect(profiler.exitStatus()).toBeUndefined();
  await readyzBecomes(200, 'after recovery');

  await production;
  expect(productionError).toBeUndefined();
  await wait(waitForDrained(admin, config, PARTITIONS, { redisUrl, timeoutMs: 60_000, failFast }));
  expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS, redisUrl), rules);
  // Rode it out in one process: never exited, started once.
  expect(profiler.exitStatus()).toBeUndefined();
  expect(profiler.logs.filter((line) => line.msg === 'profiler started')).toHaveLength(1);
  const retries = await profiler.metric('pulse_store_retries_total');
  console.log(`redis outage: ${events.length} events; store retries during the outage: ${retries}`);
}

describe('profiler with Redis unavailable', () => {
  it('loses and double-counts nothing when Redis restarts mid-stream (same port, same AOF)', async () => {
    await outageScenario(async ({ redis, readyzBecomes }) => {
      const port = redis.current().port;
      await stopPid(redis.current().process.pid, 10_000);
      await readyzBecomes(503, 'while Redis is down');
      await sleep(3_000);
      await redis.restart();
      expect(redis.current().port).toBe(port);
    }, 47);
  });

  it('loses and double-counts nothing when Redis is frozen for 25 s (SIGSTOP, SIGCONT)', async () => {
    await outageScenario(async ({ redis, profiler, readyzBecomes }) => {
      const pid = redis.current().process.pid;
      const frozenAtMs = Date.now();
      process.kill(pid, 'SIGSTOP');
      try {
        await readyzBecomes(503, 'while Redis is frozen');
        await sleep(Math.max(0, 25_000 - (Date.now() - frozenAtMs)));
        // Still not ready at the end of the freeze, not just for a moment.
        expect(await profiler.readyz()).toBe(503);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    }, 53);
  });
});
