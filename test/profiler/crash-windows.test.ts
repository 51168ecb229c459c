/*
 * Faults aimed at the exact windows where exactly-once could break, instead of random moments
 * (a random SIGKILL mostly lands while a batch is being computed, where nothing is at stake).
 * The profiler's test-only failpoint (PULSE_TEST_FAILPOINT, services/profiler/src/failpoints.ts)
 * makes the process stop itself at the named point.
 *
 * - SIGKILL after the Redis commit, before the Kafka position hint: Redis already holds the
 *   batch and its offsets, Kafka's group offset is behind. The restarted member gets its
 *   partitions at Kafka's older position; Redis's position must win (seek on claim, skip what
 *   Redis has), or the batch would count twice.
 * - A zombie: SIGSTOP just before the compare-and-set commit of a batch in hand, held past the
 *   session timeout (the group gives its partitions to the other member, which claims them in
 *   Redis), then SIGCONT. The woken member's commit must fail the CAS (the owner token changed)
 *   and be dropped — counted by its pulse_fenced_total — or it would overwrite newer state.
 *
 * Both end with the profiles of one clean pass. The dedup memory is cut to one event (oracle
 * likewise) so that a batch applied twice cannot hide as tracker retries.
 */
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import type { ProfilerConfig } from '@pulse/profiler';
import { generatePopulation } from '@pulse/test-kit';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  readCommittedOffsets,
  readStoredState,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import {
  explained,
  failIfAnyExited,
  rulesFile,
  spawnProfiler,
  type ProfilerProcess,
} from '../support/profiler-process.ts';
import { produceLog } from '../support/signal-topics.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const RULES = { dedupMemorySize: 1 };

function population(seed: number): CustomerEvent[] {
  return [
    ...generatePopulation({
      customers: 1_000,
      startMs: Date.UTC(2026, 0, 1),
      durationDays: 40,
      seed,
      shuffleWithinMs: 6 * 3_600_000,
    }).events(),
  ];
}

/** The group's committed Kafka offsets: partition → topic → next offset (absent: none). */
async function kafkaGroupOffsets(
  admin: Admin,
  config: ProfilerConfig,
): Promise<Map<number, Map<string, string>>> {
  const result = new Map<number, Map<string, string>>();
  const replies = await admin.fetchOffsets({
    groupId: config.groupId,
    topics: [config.visitsTopic, config.purchasesTopic],
  });
  for (const { topic, partitions } of replies) {
    for (const { partition, offset } of partitions) {
      const byTopic = result.get(partition) ?? new Map<string, string>();
      if (offset !== '-1') byTopic.set(topic, offset);
      result.set(partition, byTopic);
    }
  }
  return result;
}

const failpointLine = (running: ProfilerProcess) =>
  running.logs.find((line) => line.msg === 'test failpoint reached; stopping the process');

describe('faults at exact windows', () => {
  it('SIGKILL after the Redis commit and before the Kafka position hint: Redis’s position wins, nothing counts twice', async () => {
    const rules = parseRulesConfig(RULES);
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      // Small commits: many windows to aim at before the log is done.
      maxEventsPerCommit: 200,
    });
    const events = population(71);
    await produceLog(await connectedProducer(), events, topics);
    const admin = await connectedAdmin();
    const file = rulesFile(RULES);
    const processes: ProfilerProcess[] = [];

    const ahead: string[] = [];
    // Each run dies at a later commit: the kills land at different points of the log.
    for (const hit of [3, 9, 15]) {
      const running = await spawnProfiler({
        config,
        rulesFile: file,
        name: `profiler-kill@${hit}`,
        extraEnv: { PULSE_TEST_FAILPOINT: `kill-after-commit@${hit}` },
      });
      processes.push(running);
      const exit = await explained(() => [running], running.exited);
      expect(exit.signal, `${running.name} stopped by its failpoint`).toBe('SIGKILL');
      expect(failpointLine(running), running.name).toBeDefined();
      // In the window: Redis holds a position Kafka's group offset has not reached.
      const redis = await readCommittedOffsets(config, PARTITIONS);
      const kafka = await kafkaGroupOffsets(admin, config);
      for (const [partition, byTopic] of redis)
        for (const [topic, offset] of byTopic) {
          const hint = kafka.get(partition)?.get(topic);
          if (hint === undefined || BigInt(hint) < BigInt(offset))
            ahead.push(`p${partition} ${topic}: Redis ${offset}, Kafka ${hint ?? 'none'}`);
        }
      expect(ahead.length, `Redis ahead of Kafka after ${running.name}`).toBeGreaterThan(0);
      ahead.length = 0;
    }

    const last = await spawnProfiler({ config, rulesFile: file, name: 'profiler-last' });
    processes.push(last);
    await explained(
      () => [last],
      waitForDrained(admin, config, PARTITIONS, {
        timeoutMs: 90_000,
        failFast: last.failIfExited,
      }),
    );
    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS), rules);
  });

  it('a zombie (SIGSTOP before its commit, past the session timeout, SIGCONT) fails the CAS and is counted as fenced', async () => {
    const rules = parseRulesConfig(RULES);
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      maxEventsPerCommit: 200,
    });
    const events = population(73);
    const file = rulesFile(RULES);
    const healthy = await spawnProfiler({ config, rulesFile: file, name: 'healthy' });
    const zombie = await spawnProfiler({
      config,
      rulesFile: file,
      name: 'zombie',
      extraEnv: { PULSE_TEST_FAILPOINT: 'stop-before-commit@4' },
    });
    const processes = [healthy, zombie];
    let production: Promise<void> = Promise.resolve();
    let productionError: Error | undefined;
    const failFast = () => productionError ?? failIfAnyExited(() => processes)();
    const wait = <T>(what: Promise<T>) => explained(() => processes, what);
    const assignedTo = (running: ProfilerProcess): number[] =>
      (running.logs.findLast((line) => line.msg === 'assignment')?.partitions as number[]) ?? [];
    try {
      await wait(
        waitFor(
          'both members to share the partitions',
          () => (assignedTo(healthy).length === PARTITIONS / 2 ? true : undefined),
          { timeoutMs: 60_000, failFast },
        ),
      );
      // A live stream, both inputs interleaved in event-time order, while both members consume.
      const producer = await connectedProducer();
      production = produceStream(producer, events, topics, {
        chunkEvents: 400,
        pauseMs: 200,
      }).catch((error: unknown) => {
        productionError = error as Error;
      });
      // The zombie stopped itself holding a loaded batch, its commit not yet sent.
      await wait(
        waitFor('the zombie to stop before a commit', () => failpointLine(zombie), {
          timeoutMs: 60_000,
          failFast,
        }),
      );
      const zombiePartitions = assignedTo(zombie);
      expect(zombiePartitions.length).toBeGreaterThan(0);
      // Past its session timeout the group moves its partitions, and the healthy member claims
      // them in Redis (a new owner token) and carries on.
      await wait(
        waitFor(
          "the healthy member to claim the zombie's partitions",
          () => {
            const claimedAfterStop = healthy.logs.filter(
              (line) =>
                line.msg === 'partition claimed' &&
                Number(line.time) >= Number(failpointLine(zombie)?.time),
            );
            return zombiePartitions.every((partition) =>
              claimedAfterStop.some((line) => line.partition === partition),
            )
              ? true
              : undefined;
          },
          { timeoutMs: 60_000, failFast },
        ),
      );
      expect(assignedTo(healthy)).toHaveLength(PARTITIONS);
      expect(await zombie.readyz(), 'the zombie is frozen').toBeUndefined();
    } finally {
      zombie.kill('SIGCONT');
    }

    // Woken, the zombie sends the commit it was holding: the CAS must refuse it.
    const fenced = await wait(
      waitFor(
        "the zombie's late commit to be fenced",
        async () => {
          const count = (await zombie.metric('pulse_fenced_total')) ?? 0;
          return count >= 1 ? count : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, failFast },
      ),
    );
    expect(fenced).toBeGreaterThanOrEqual(1);
    expect(
      zombie.logs.some((line) => line.msg === 'fenced: another member owns this partition now'),
    ).toBe(true);

    await production;
    expect(productionError).toBeUndefined();
    const admin = await connectedAdmin();
    await wait(waitForDrained(admin, config, PARTITIONS, { timeoutMs: 90_000, failFast }));
    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS), rules);
    expect(healthy.exitStatus()).toBeUndefined();
    expect(zombie.exitStatus()).toBeUndefined();
  });
});
