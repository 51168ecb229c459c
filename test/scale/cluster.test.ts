/*
 * Pulse at scale on a real Redis Cluster (3 masters + 3 replicas) with three profiler
 * processes, checked against the oracle (the core alone over each partition's events):
 * profiles, the due index and the signal ids on the topics.
 *
 * - steady: a pre-produced log drained by three profilers, then `pulse status --json` says
 *   healthy with every partition owned and caught up (each partition's health read on the
 *   master of its slot);
 * - resharding under load: `redis-cli --cluster reshard` moves the slots of three partitions
 *   to another master (MIGRATE key by key; the profilers follow MOVED / ASK) while events flow,
 *   a profiler is SIGKILLed and another joins: no batch lost or applied twice (the dedup memory
 *   is one event, so a replayed event shows in the counters);
 * - failover: the master holding a partition's slot is SIGKILLed while events flow; its replica
 *   is promoted, and may lack the last commits (replication is asynchronous): the partition
 *   then resumes from the consistent earlier state the replica has (every key of a partition is
 *   on one master, so the replica holds a prefix of its commits) and re-applies the events
 *   after it. Profiles equal the oracle, every expected signal id is on the topic, and repeats
 *   carry the same id. An earlier attempt lost events here: a partition whose state the replica
 *   never got resumed at the consumer group's committed offset instead of the log start.
 *
 * Runs in one file, in this order: the failover leaves a master without replica.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { startRedis, stopPid } from '@pulse/local-stack';
import { produceStream } from '../support/events.ts';
import { runPulse } from '../support/cli.ts';
import { parseStatusReport } from '../support/status-report.ts';
import {
  connectedAdmin,
  connectedProducer,
  testProcessEnv,
  testRedisClient,
} from '../support/infra.ts';
import { offsetsTotal, readCommittedOffsets } from '../support/profiler.ts';
import { profilerEnv, type ProfilerProcess } from '../support/profiler-process.ts';
import {
  clusterNodes,
  histogramBuckets,
  killNode,
  masterOfSlot,
  partitionSlot,
  planReshard,
  reshard,
  waitForFailover,
} from '../support/cluster.ts';
import {
  expectRunMatchesOracle,
  SCALE_PARTITIONS,
  startScaleRun,
  type ScaleRun,
} from '../support/scale.ts';
import { waitFor } from '../support/wait.ts';
import { partitionKeys } from '@pulse/store';

/**
 * The run's log produced live over about 30 s, chunks of 400 events; `failFast` fails a wait as
 * soon as the production or a profiler of the run fails.
 */
function streamOverThirtySeconds(
  run: ScaleRun,
  producer: Producer,
): {
  production: Promise<void>;
  productionError: () => Error | undefined;
  failFast: () => Error | undefined;
} {
  let productionError: Error | undefined;
  const chunkEvents = 400;
  const production = produceStream(producer, run.events, run.topics, {
    chunkEvents,
    pauseMs: Math.round(30_000 / (run.events.length / chunkEvents)),
  }).catch((error: unknown) => {
    productionError = error as Error;
  });
  return {
    production,
    productionError: () => productionError,
    failFast: () => productionError ?? run.failFast(),
  };
}

/**
 * Of the commits between two readings of each process's histogram (a process killed meanwhile
 * is left out, one started meanwhile counts from zero): how many, and the slowest's bound.
 */
function commitsBetween(
  before: Map<number, Map<number, number>>,
  after: Map<number, Map<number, number>>,
): { commits: number; slowestAtMostSeconds: number } {
  const diff = new Map<number, number>();
  for (const [pid, buckets] of after)
    for (const [le, count] of buckets)
      diff.set(le, (diff.get(le) ?? 0) + count - (before.get(pid)?.get(le) ?? 0));
  const bounds = [...diff.keys()].sort((a, b) => a - b);
  const total = diff.get(Infinity) ?? 0;
  const bound = bounds.find((le) => diff.get(le) === total);
  return { commits: total, slowestAtMostSeconds: bound ?? Infinity };
}

/** Each living process's commit-duration histogram, by pid. */
async function commitHistograms(
  processes: ProfilerProcess[],
): Promise<Map<number, Map<number, number>>> {
  const byProcess = new Map<number, Map<number, number>>();
  for (const running of processes) {
    if (running.exitStatus()) continue;
    byProcess.set(
      running.pid,
      await histogramBuckets(running.opsPort, 'pulse_commit_duration_seconds').catch(
        () => new Map<number, number>(),
      ),
    );
  }
  return byProcess;
}

describe('Pulse on a Redis Cluster with three profilers', () => {
  it('turns a stream into the oracle’s profiles, due index and signals', async () => {
    const run = await startScaleRun({ customers: 1_200, days: 50, seed: 45 });
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    await Promise.all(['a', 'b', 'c'].map((name) => run.spawn(`profiler-${name}`)));
    const startedAt = Date.now();
    const chunkEvents = 400;
    await produceStream(producer, run.events, run.topics, {
      chunkEvents,
      pauseMs: Math.round(20_000 / (run.events.length / chunkEvents)),
    });
    await run.wait(
      waitFor(
        'every event committed',
        async () =>
          offsetsTotal(await readCommittedOffsets(run.config, SCALE_PARTITIONS)) ===
          run.events.length
            ? true
            : undefined,
        { timeoutMs: 120_000, intervalMs: 200, failFast: run.failFast },
      ),
    );
    const drainMs = Date.now() - startedAt;
    const repeats = await expectRunMatchesOracle(run, admin);
    expect(repeats, 'signals produced twice without any crash').toBe(0);

    // What the engineer on call reads: `pulse status` against the cluster (each partition's
    // health from the master of its slot) says healthy, every partition owned and caught up.
    const env = testProcessEnv(profilerEnv(run.config));
    const report = await run.wait(
      waitFor(
        'pulse status healthy on the cluster',
        async () => {
          const result = await runPulse(['status', '--json', '--interval', '1'], env);
          const parsed = parseStatusReport(result);
          return result.code === 0 && parsed.healthy ? parsed : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1_000, failFast: run.failFast },
      ),
    );
    expect(report.partitions.map((partition) => partition.partition)).toEqual(
      Array.from({ length: SCALE_PARTITIONS }, (_, partition) => partition),
    );
    for (const partition of report.partitions) {
      expect(partition.member, `partition ${partition.partition} owned`).not.toBeNull();
      expect(partition.inputLag, `partition ${partition.partition} caught up`).toBe(0);
    }

    const nodes = await clusterNodes();
    const masters = new Set<string>();
    for (let partition = 0; partition < SCALE_PARTITIONS; partition += 1)
      masters.add(masterOfSlot(nodes, await partitionSlot(run.config.namespace, partition)).id);
    console.log(
      `cluster steady: ${run.events.length} events, ${SCALE_PARTITIONS} partitions on ` +
        `${masters.size} masters, 3 profilers: produced and committed in ${drainMs} ms ` +
        `(${Math.round((run.events.length * 1000) / drainMs)} events/s, from the first produced)`,
    );
  });

  it('loses and doubles nothing while slots of three partitions move and profilers come and go', async () => {
    const plan = planReshard(await clusterNodes(), SCALE_PARTITIONS, 3);
    const target = (await clusterNodes()).find(
      (node) => node.role === 'master' && !node.failed && node.id !== plan.source.id,
    );
    if (!target) throw new Error('no second master');
    const run = await startScaleRun({
      customers: 1_200,
      days: 50,
      seed: 43,
      namespace: plan.namespace,
    });
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    const [a] = await Promise.all([run.spawn('profiler-a'), run.spawn('profiler-b')]);
    const { production, productionError, failFast } = streamOverThirtySeconds(run, producer);
    const committed = async () =>
      offsetsTotal(await readCommittedOffsets(run.config, SCALE_PARTITIONS));
    await run.wait(
      waitFor(
        'a fifth of the stream committed',
        async () => ((await committed()) >= run.events.length / 5 ? true : undefined),
        { timeoutMs: 90_000, intervalMs: 100, failFast },
      ),
    );

    const before = await commitHistograms(run.processes);
    const resharding = reshard(plan.source.id, target.id, plan.slots);
    // Members change while the slots move: one killed, one joining.
    run.kill(a as ProfilerProcess);
    await run.spawn('profiler-c');
    const reshardMs = await resharding;
    const after = await commitHistograms(run.processes);

    // Every node learns the new owners by gossip: wait until the one asked knows them all.
    await waitFor(
      `partitions ${plan.moved.join(', ')} served by ${target.address}`,
      async () => {
        const nodes = await clusterNodes();
        for (const partition of plan.moved) {
          const slot = await partitionSlot(plan.namespace, partition);
          if (masterOfSlot(nodes, slot).id !== target.id) return undefined;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    await production;
    expect(productionError()).toBeUndefined();
    const repeats = await expectRunMatchesOracle(run, admin);
    const during = commitsBetween(before, after);
    console.log(
      `cluster reshard: ${plan.slots} slots (partitions ${plan.moved.join(', ')} of ` +
        `${plan.namespace}) moved in ${reshardMs} ms while ${run.events.length} events flowed; ` +
        `${during.commits} commits meanwhile, the slowest ≤ ${during.slowestAtMostSeconds} s; ` +
        `signals repeated after the SIGKILL: ${repeats}`,
    );
  });

  it('recovers the oracle after the master of a partition is SIGKILLed under load', async () => {
    const run = await startScaleRun({ customers: 1_200, days: 50, seed: 47 });
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    await Promise.all(['a', 'b', 'c'].map((name) => run.spawn(`profiler-${name}`)));
    const { production, productionError, failFast } = streamOverThirtySeconds(run, producer);
    await run.wait(
      waitFor(
        'a quarter of the stream committed',
        async () =>
          offsetsTotal(await readCommittedOffsets(run.config, SCALE_PARTITIONS)) >=
          run.events.length / 4
            ? true
            : undefined,
        { timeoutMs: 90_000, intervalMs: 100, failFast },
      ),
    );

    const slot = await partitionSlot(run.config.namespace, 0);
    const master = masterOfSlot(await clusterNodes(), slot);
    const killedAt = Date.now();
    killNode(master.address);
    const promoted = await waitForFailover(slot, master.address);
    const promotedAt = Date.now();
    // Commits resume: the partition's version moves past what the promoted replica holds.
    const redis = testRedisClient();
    let resumedAt: number;
    try {
      const meta = partitionKeys(run.config.namespace, 0, run.config.keyPrefix).meta;
      const versionAfter = Number(await redis.hget(meta, 'version'));
      await run.wait(
        waitFor(
          'commits on partition 0 after the failover',
          async () => (Number(await redis.hget(meta, 'version')) > versionAfter ? true : undefined),
          { timeoutMs: 60_000, intervalMs: 50, failFast },
        ),
      );
      resumedAt = Date.now();
    } finally {
      redis.disconnect();
    }

    await production;
    expect(productionError()).toBeUndefined();
    const repeats = await expectRunMatchesOracle(run, admin);
    console.log(
      `cluster failover: master ${master.address} of slot ${slot} SIGKILLed; replica ` +
        `${promoted} promoted after ${promotedAt - killedAt} ms; partition 0 committing again ` +
        `${resumedAt - killedAt} ms after the kill; ${repeats} signals repeated (same ids)`,
    );
  });

  it('measures the pause one MIGRATE makes: a profiles bucket against a whole partition in one hash', async () => {
    // MIGRATE blocks the source master while it serializes and ships one key: the largest key
    // of a slot is the longest pause a resharding makes on that master. Sizes at 10 M customers
    // over 12 partitions: a bucket holds ~13,000 profiles of ~145 bytes, the single-key layout
    // held ~830,000 in one hash. Two private redis-servers, as a measurement (nothing asserted
    // but that the keys arrived whole).
    const workDir = mkdtempSync(join(tmpdir(), 'pulse-migrate-'));
    const [from, to] = await Promise.all([
      startRedis({ workDir, detached: false }),
      startRedis({ workDir, detached: false }),
    ]);
    const source = testRedisClient(from.url);
    const target = testRedisClient(to.url);
    try {
      const timings: string[] = [];
      for (const [key, fields] of [
        ['bucket', 13_000],
        ['partition', 830_000],
      ] as const) {
        const value = Buffer.alloc(145, 7);
        for (let start = 0; start < fields; start += 5_000) {
          const pairs: (string | Buffer)[] = [];
          for (let index = start; index < Math.min(fields, start + 5_000); index += 1)
            pairs.push(`customer-${index}`, value);
          await source.hset(key, ...pairs);
        }
        const bytes = Number(await source.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        const startedAt = process.hrtime.bigint();
        await source.call('MIGRATE', '127.0.0.1', String(to.port), key, '0', '120000');
        const migrateMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
        expect(await target.hlen(key)).toBe(fields);
        timings.push(
          `${key} (${fields} profiles, ${(bytes / 2 ** 20).toFixed(1)} MiB): ${Math.round(migrateMs)} ms`,
        );
      }
      console.log(`MIGRATE of one key between two local redis-servers: ${timings.join('; ')}`);
    } finally {
      source.disconnect();
      target.disconnect();
      await Promise.all([stopPid(from.process.pid), stopPid(to.process.pid)]);
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
