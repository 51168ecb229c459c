import { isDeepStrictEqual } from 'node:util';
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import { dueTimeMs, parseRulesConfig, type CustomerEvent, type RulesConfig } from '@pulse/core';
import type { ProfilerConfig } from '@pulse/profiler';
import { readPartitionDue, readPartitionHealth } from '@pulse/store';
import { generatePopulation } from '@pulse/test-kit';
import { testRedisClient } from './infra.ts';
import {
  createProfilerTopics,
  expectedProfiles,
  expectProfilesMatchOracle,
  readStoredState,
  settled,
  testProfilerConfig,
  waitForDrained,
  type ProfilerTopics,
} from './profiler.ts';
import {
  explained,
  failIfAnyExited,
  rulesFile,
  spawnProfiler,
  type ProfilerProcess,
} from './profiler-process.ts';
import { collectSignals, expectedSignals, type ReceivedSignal } from './signal-oracle.ts';
import { waitFor } from './wait.ts';

/**
 * What the scale suites share: twelve partitions, profiler processes on the Redis Cluster, and
 * the whole check against the oracle (the core alone over each partition's events) — profiles,
 * the due index and the signal ids on the topics.
 */
export const SCALE_PARTITIONS = 12;

/** Dedup memory of one event (oracle alike): an event applied twice cannot pass as a retry. */
export const SCALE_RULES_INPUT = { dedupMemorySize: 1 };

export interface ScaleRun {
  topics: ProfilerTopics;
  config: ProfilerConfig;
  rules: RulesConfig;
  events: CustomerEvent[];
  /** Every signal on the signal topics since the start, repeats included. */
  received: ReceivedSignal[];
  processes: ProfilerProcess[];
  spawn(name: string): Promise<ProfilerProcess>;
  /** SIGKILLs a profiler of the run (from then on failFast no longer watches it). */
  kill(target: ProfilerProcess): void;
  /** Fails a wait as soon as a process that should run has exited. */
  failFast(): Error | undefined;
  wait<T>(what: Promise<T>): Promise<T>;
}

export async function startScaleRun(options: {
  customers: number;
  days: number;
  seed: number;
  namespace?: string;
}): Promise<ScaleRun> {
  const topics = await createProfilerTopics(SCALE_PARTITIONS);
  const rules = parseRulesConfig(SCALE_RULES_INPUT);
  // Idle partitions must not follow the group's clock while the test reads the final state:
  // the oracle runs each partition to the stream time read at the end.
  const config = testProfilerConfig(topics, {
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    idleAfterMs: 3_600_000,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
  const events: CustomerEvent[] = [
    ...generatePopulation({
      customers: options.customers,
      startMs: Date.UTC(2026, 0, 1),
      durationDays: options.days,
      seed: options.seed,
      shuffleWithinMs: 6 * 3_600_000,
    }).events(),
  ];
  const received = await collectSignals([topics.lapse, topics.readyToBuy]);
  const file = rulesFile(SCALE_RULES_INPUT);
  const processes: ProfilerProcess[] = [];
  const killed = new Set<ProfilerProcess>();
  const run: ScaleRun = {
    topics,
    config,
    rules,
    events,
    received,
    processes,
    async spawn(name) {
      const started = await spawnProfiler({ config, rulesFile: file, name });
      processes.push(started);
      return started;
    },
    kill(target) {
      killed.add(target);
      target.kill('SIGKILL');
    },
    failFast: () => failIfAnyExited(() => processes.filter((each) => !killed.has(each)))(),
    wait: (what) => explained(() => processes, what),
  };
  return run;
}

/**
 * The whole check once the input is drained: every partition swept (no timer due left, no
 * held lapse, outboxes empty), then profiles, due index and signal ids against the oracle.
 * Signals may repeat (a failover can roll a partition back to an earlier commit whose signals
 * the relay had already produced): a consumer recognises them by id, so the check is on the
 * set of ids, and the count of repeats is returned.
 */
export async function expectRunMatchesOracle(run: ScaleRun, admin: Admin): Promise<number> {
  const { config, rules, events } = run;
  await run.wait(
    waitForDrained(admin, config, SCALE_PARTITIONS, { timeoutMs: 120_000, failFast: run.failFast }),
  );
  const redis = testRedisClient();
  try {
    await run.wait(
      waitFor(
        'every timer due swept, no held lapse, every outbox relayed',
        async () => {
          const health = await readPartitionHealth(
            redis,
            config.namespace,
            SCALE_PARTITIONS,
            config.keyPrefix,
          );
          return health.partitions.every(
            (partition) =>
              partition.timersDue === 0 &&
              partition.heldLapses === 0 &&
              partition.outboxEntries === 0,
          )
            ? true
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, failFast: run.failFast },
      ),
    );
    const state = await readStoredState(config, SCALE_PARTITIONS);
    const partitionOf = new Map<string, number>();
    for (const [partition, stored] of state)
      for (const customerId of stored.profiles.keys()) partitionOf.set(customerId, partition);
    const finalStreamTime = (partition: number) => state.get(partition)?.streamTimeMs ?? 0;
    const oracle = expectedProfiles(
      events,
      (customerId) => partitionOf.get(customerId) ?? -1,
      finalStreamTime,
      rules,
    );
    const differing = [...oracle]
      .filter(([customerId, profile]) => {
        const partition = partitionOf.get(customerId) as number;
        const stored = state.get(partition)?.profiles.get(customerId);
        return (
          !stored || !isDeepStrictEqual(settled(stored, finalStreamTime(partition), rules), profile)
        );
      })
      .map(([customerId]) => `${customerId} (partition ${partitionOf.get(customerId)})`);
    if (differing.length > 0)
      console.log(`profiles that differ from the oracle: ${differing.join(', ')}`);
    expectProfilesMatchOracle(events, state, rules);

    // The due index. The partition step caps every timer at just before the next weekly
    // refresh of the population table (so each timed customer is looked at once a week of
    // stream time) and times customers judged by the population alone, so a timer is not
    // exactly the profile's own due time. What must hold: every customer the oracle has a
    // personal due time for has a timer; no timer is overdue (the sweep ran them all); none is
    // later than what the rules say for the stored profile with its partition's table.
    const expectedTimed = [...oracle]
      .filter(([, profile]) => dueTimeMs(profile, rules) !== null)
      .map(([id]) => id);
    const storedDue = new Map<string, number>();
    for (let partition = 0; partition < SCALE_PARTITIONS; partition += 1) {
      const context = { population: state.get(partition)?.populationHurdles ?? null };
      for (const [customerId, due] of await readPartitionDue(
        redis,
        config.namespace,
        partition,
        config.keyPrefix,
      )) {
        const stored = state.get(partition)?.profiles.get(customerId);
        expect(stored, `${customerId} has a timer and a profile`).toBeDefined();
        const ruleDue = dueTimeMs(stored!, rules, context);
        if (ruleDue !== null) expect(due, `due time of ${customerId}`).toBeLessThanOrEqual(ruleDue);
        expect(due, `${customerId} overdue`).toBeGreaterThan(finalStreamTime(partition));
        storedDue.set(customerId, due);
      }
    }
    expect(expectedTimed.filter((id) => !storedDue.has(id))).toEqual([]);

    const expected = expectedSignals(
      events,
      (customerId) => partitionOf.get(customerId) ?? -1,
      finalStreamTime,
      rules,
    );
    await waitFor(
      `all ${expected.size} expected signal ids on the topics`,
      () =>
        [...expected.keys()].every((id) => run.received.some((each) => each.signalId === id))
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch(async (error: unknown) => {
      const seen = new Set(run.received.map((signal) => signal.signalId));
      const missing = [...expected.values()].filter((signal) => !seen.has(signal.signalId));
      let held = 0;
      let discarded = 0;
      for (const running of run.processes) {
        if (running.exitStatus()) continue;
        held += (await running.metric('pulse_signals_held_total').catch(() => 0)) ?? 0;
        discarded +=
          (await running.metric('pulse_signals_held_discarded_total').catch(() => 0)) ?? 0;
      }
      throw new Error(
        `${(error as Error).message}: ${missing.length} missing, e.g. ` +
          missing
            .slice(0, 5)
            .map(
              (signal) =>
                `${signal.kind} of ${signal.customerId} (partition ${partitionOf.get(signal.customerId)}) at ${new Date(signal.detectedAtMs).toISOString()}`,
            )
            .join('; ') +
          `; held ${held}, discarded ${discarded} (living processes)`,
        { cause: error },
      );
    });
    const ids = new Set(run.received.map((signal) => signal.signalId));
    expect(ids).toEqual(new Set(expected.keys()));
    for (const signal of run.received) {
      const want = expected.get(signal.signalId);
      expect(signal.kind, signal.signalId).toBe(want?.kind);
      expect(signal.customerId, signal.signalId).toBe(want?.customerId);
    }
    return run.received.length - ids.size;
  } finally {
    redis.disconnect();
  }
}
