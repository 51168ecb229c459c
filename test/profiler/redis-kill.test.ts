/*
 * Redis killed with -9 right after commits, under `appendfsync everysec`, then restarted from
 * its AOF: the profiles equal one clean pass.
 *
 * What can be lost, and what cannot. Redis answers a commit (one Lua script) once its effects
 * are in the AOF buffer; the buffer is written to the AOF file — the kernel's page cache — before
 * Redis waits for clients again, and fsynced to disk once a second in the background. Killing
 * the *process* loses nothing that reached the page cache; it loses what Redis answered but had
 * not written yet, which happens when a background fsync is slow (Redis then postpones the write
 * up to two seconds and keeps answering). A crash of the machine loses up to about one more
 * second (written, not fsynced). What cannot be lost is *half* a commit: a script goes into the
 * AOF as one MULTI/EXEC block, and a restart loads a cut-short AOF up to its last complete block.
 * So a loss is always a suffix of whole commits: profiles, due index, outbox, held lapses and the
 * partition's next offsets roll back together to an earlier commit. The profiler re-reads Kafka
 * from the rolled-back offsets and decides those batches again, identically (event-time clock,
 * deterministic signal ids); a signal relayed before the loss goes out again with its id.
 *
 * Each kill comes the moment a new commit is seen, so the AOF's tail is as fresh as it gets.
 * The dedup memory is cut to one event (oracle likewise) so that a batch applied twice cannot
 * hide as tracker retries.
 */
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import type { ProfilerConfig } from '@pulse/profiler';
import { partitionKeys, type RedisClient } from '@pulse/store';
import { generatePopulation } from '@pulse/test-kit';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer, testRedisClient } from '../support/infra.ts';
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
import { explained, rulesFile, spawnProfiler } from '../support/profiler-process.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const KILLS = 3;
const RULES = { dedupMemorySize: 1 };

/** Sum of every partition's commit version: grows by one with each commit. */
async function versionsTotal(redis: RedisClient, config: ProfilerConfig): Promise<number> {
  const pipeline = redis.pipeline();
  for (let partition = 0; partition < PARTITIONS; partition += 1)
    pipeline.hget(partitionKeys(config.namespace, partition, config.keyPrefix).meta, 'version');
  let total = 0;
  for (const [error, value] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    total += Number(value ?? 0);
  }
  return total;
}

describe('Redis killed with -9 under appendfsync everysec', () => {
  it('ends with the profiles of one clean pass: state, offsets and outbox roll back together', async () => {
    const rules = parseRulesConfig(RULES);
    const redis = await privateRedis();
    const redisUrl = redis.current().url;
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics, { maxEventsPerCommit: 300 });
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 1_000,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 40,
        seed: 79,
        shuffleWithinMs: 6 * 3_600_000,
      }).events(),
    ];
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    const profiler = await spawnProfiler({ config, redisUrl, rulesFile: rulesFile(RULES) });
    let productionError: Error | undefined;
    const chunkEvents = 300;
    const production = produceStream(producer, events, topics, {
      chunkEvents,
      pauseMs: Math.round(30_000 / (events.length / chunkEvents)),
    }).catch((error: unknown) => {
      productionError = error as Error;
    });
    const failFast = () => productionError ?? profiler.failIfExited();
    const wait = <T>(what: Promise<T>) => explained(() => [profiler], what);

    const rolledBack: number[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      const watcher = testRedisClient(redisUrl, { maxRetriesPerRequest: 0 });
      watcher.on('error', () => undefined);
      let seen: { versions: number; offsets: number };
      try {
        const before = await versionsTotal(watcher, config);
        // Right after a commit: the moment the versions move, no sleep in between.
        seen = await wait(
          waitFor(
            `a commit to kill Redis after (kill ${kill + 1})`,
            async () => {
              const versions = await versionsTotal(watcher, config);
              if (versions <= before) return undefined;
              return {
                versions,
                offsets: offsetsTotal(await readCommittedOffsets(config, PARTITIONS, redisUrl)),
              };
            },
            { timeoutMs: 60_000, intervalMs: 5, failFast },
          ),
        );
        await redis.kill9();
      } finally {
        watcher.disconnect();
      }
      await redis.start();
      const after = offsetsTotal(await readCommittedOffsets(config, PARTITIONS, redisUrl));
      rolledBack.push(Math.max(0, seen.offsets - after));
      await wait(
        waitFor(
          `progress after restart ${kill + 1}`,
          async () => {
            const now = offsetsTotal(await readCommittedOffsets(config, PARTITIONS, redisUrl));
            return now > seen.offsets || now === events.length ? true : undefined;
          },
          { timeoutMs: 90_000, intervalMs: 100, failFast },
        ),
      );
    }

    await production;
    expect(productionError).toBeUndefined();
    await wait(
      waitForDrained(admin, config, PARTITIONS, { redisUrl, timeoutMs: 90_000, failFast }),
    );
    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS, redisUrl), rules);
    // Rode it out in one process.
    expect(profiler.exitStatus()).toBeUndefined();
    expect(profiler.logs.filter((line) => line.msg === 'profiler started')).toHaveLength(1);
    console.log(
      `redis kill -9: ${events.length} events, ${KILLS} kills right after a commit; committed records rolled back per kill (seen before the kill − found after the restart): ${rolledBack.join(', ')}`,
    );
  });
});
