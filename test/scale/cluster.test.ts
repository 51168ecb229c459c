/*
 * Pulse at scale on a real Redis Cluster (3 masters + 3 replicas) with three profiler
 * processes, checked against the oracle (the core alone over each partition's events):
 * profiles, the due index and the signal ids on the topics.
 *
 * - steady: a pre-produced log drained by three profilers;
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
import { describe, expect, it } from 'vitest';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer, onCleanup, testRedisClient } from '../support/infra.ts';
import { offsetsTotal, readCommittedOffsets } from '../support/profiler.ts';
import type { ProfilerProcess } from '../support/profiler-process.ts';
import {
  clusterNodes,
  moveSlotTimed,
  type ClusterNodeView,
  histogramBuckets,
  killNode,
  masterOfSlot,
  partitionSlot,
  planReshard,
  reshard,
  waitForFailover,
} from '../support/cluster.ts';
import { expectRunMatchesOracle, SCALE_PARTITIONS, startScaleRun } from '../support/scale.ts';
import { waitFor } from '../support/wait.ts';
import { partitionKeys } from '@pulse/store';

/** Of the commits between two readings of the histogram: how many, and the slowest's bound. */
function commitsBetween(
  before: Map<number, number>,
  after: Map<number, number>,
): { commits: number; slowestAtMostSeconds: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  const bound = bounds.find((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0) === total);
  return { commits: total, slowestAtMostSeconds: bound ?? Infinity };
}

async function commitHistograms(processes: ProfilerProcess[]): Promise<Map<number, number>> {
  const total = new Map<number, number>();
  for (const running of processes) {
    if (running.exitStatus()) continue;
    const buckets = await histogramBuckets(running.opsPort, 'pulse_commit_duration_seconds').catch(
      () => new Map<number, number>(),
    );
    for (const [le, count] of buckets) total.set(le, (total.get(le) ?? 0) + count);
  }
  return total;
}

describe('Pulse on a Redis Cluster with three profilers', () => {
  it('turns a stream into the oracle’s profiles, due index and signals', async () => {
    const run = await startScaleRun({ customers: 1_200, days: 60, seed: 41 });
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    await Promise.all(['a', 'b', 'c'].map((name) => run.spawn(`profiler-${name}`)));
    // As fast as the producer goes, in event-time order. (A log produced before the profilers
    // start is not used here: there one input can hold a partition's clock back while the
    // other has run ahead, and a reactivation whose return day the clock reaches only at the
    // very end waits for the customer's next touch, where the oracle emits it at once.)
    const startedAt = Date.now();
    await produceStream(producer, run.events, run.topics, { chunkEvents: 2_000, pauseMs: 0 });
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
    // Ballast for the MIGRATE measurement, in the slot of a partition the reshard leaves alone:
    // a key of a profiles bucket's size at 10 M customers over 12 partitions (13,000 profiles
    // of 145 bytes, ~2 MB) and the single-key layout's profiles hash of such a partition
    // (830,000 profiles, ~120 MB).
    const measured = [...Array(SCALE_PARTITIONS).keys()].find(
      (partition) => !plan.moved.includes(partition),
    ) as number;
    const ballast = {
      bucket: `ballast:{${plan.namespace}:p${measured}}:bucket`,
      single: `ballast:{${plan.namespace}:p${measured}}:single`,
    };
    const redis = testRedisClient();
    onCleanup(async () => redis.disconnect());
    for (const [key, fields] of [
      [ballast.bucket, 13_000],
      [ballast.single, 830_000],
    ] as const) {
      const value = Buffer.alloc(145, 7);
      for (let from = 0; from < fields; from += 5_000) {
        const pairs: (string | Buffer)[] = [];
        for (let index = from; index < Math.min(fields, from + 5_000); index += 1)
          pairs.push(`customer-${index}`, value);
        await redis.hset(key, ...pairs);
      }
    }
    onCleanup(() => redis.unlink(ballast.bucket, ballast.single));
    const [a] = await Promise.all([run.spawn('profiler-a'), run.spawn('profiler-b')]);
    let productionError: Error | undefined;
    const chunkEvents = 400;
    const production = produceStream(producer, run.events, run.topics, {
      chunkEvents,
      pauseMs: Math.round(30_000 / (run.events.length / chunkEvents)),
    }).catch((error: unknown) => {
      productionError = error as Error;
    });
    const failFast = () => productionError ?? run.failFast();
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

    // One slot moved by hand while the stream still flows, each key's MIGRATE timed.
    const measuredSlot = await partitionSlot(plan.namespace, measured);
    const measuredFrom = masterOfSlot(await clusterNodes(), measuredSlot);
    const measuredTo = (await clusterNodes()).find(
      (node) =>
        node.role === 'master' &&
        !node.failed &&
        node.id !== measuredFrom.id &&
        node.id !== target.id,
    ) as ClusterNodeView;
    const beforeMove = await commitHistograms(run.processes);
    const migrations = await moveSlotTimed(measuredSlot, measuredTo.id);
    const duringMove = commitsBetween(beforeMove, await commitHistograms(run.processes));
    const migrateMsOf = (key: string) =>
      Math.round(migrations.find((entry) => entry.key === key)?.migrateMs ?? NaN);
    const otherKeys = migrations.filter(
      (entry) => entry.key !== ballast.bucket && entry.key !== ballast.single,
    );
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
    expect(productionError).toBeUndefined();
    const repeats = await expectRunMatchesOracle(run, admin);
    const during = commitsBetween(before, after);
    console.log(
      `cluster reshard: ${plan.slots} slots (partitions ${plan.moved.join(', ')} of ` +
        `${plan.namespace}) moved in ${reshardMs} ms while ${run.events.length} events flowed; ` +
        `${during.commits} commits meanwhile, the slowest ≤ ${during.slowestAtMostSeconds} s; ` +
        `signals repeated after the SIGKILL: ${repeats}`,
    );
    console.log(
      `cluster MIGRATE of slot ${measuredSlot} (partition ${measured}) under load: ` +
        `${migrations.length} keys; a bucket-sized key (13,000 profiles) ${migrateMsOf(ballast.bucket)} ms, ` +
        `the single-key layout's hash (830,000 profiles) ${migrateMsOf(ballast.single)} ms, ` +
        `the partition's own ${otherKeys.length} keys ≤ ${Math.round(Math.max(0, ...otherKeys.map((entry) => entry.migrateMs)))} ms each; ` +
        `${duringMove.commits} commits meanwhile, the slowest ≤ ${duringMove.slowestAtMostSeconds} s`,
    );
  });

  it('recovers the oracle after the master of a partition is SIGKILLed under load', async () => {
    const run = await startScaleRun({ customers: 1_200, days: 50, seed: 47 });
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    await Promise.all(['a', 'b', 'c'].map((name) => run.spawn(`profiler-${name}`)));
    let productionError: Error | undefined;
    const chunkEvents = 400;
    const production = produceStream(producer, run.events, run.topics, {
      chunkEvents,
      pauseMs: Math.round(30_000 / (run.events.length / chunkEvents)),
    }).catch((error: unknown) => {
      productionError = error as Error;
    });
    const failFast = () => productionError ?? run.failFast();
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
    expect(productionError).toBeUndefined();
    const repeats = await expectRunMatchesOracle(run, admin);
    console.log(
      `cluster failover: master ${master.address} of slot ${slot} SIGKILLed; replica ` +
        `${promoted} promoted after ${promotedAt - killedAt} ms; partition 0 committing again ` +
        `${resumedAt - killedAt} ms after the kill; ${repeats} signals repeated (same ids)`,
    );
  });
});
