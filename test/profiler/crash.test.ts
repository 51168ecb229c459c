/*
 * Kill -9 at any moment, then restart: profiles equal one clean pass, nothing counted twice,
 * nothing lost (exactly-once effect on state). A live stream is produced while a profiler
 * child process consumes it; the process is SIGKILLed at random moments and restarted. The
 * invariant rests on profiles, due index, outbox and next offset committing in one CAS script:
 * a commit that landed without its offset would replay the batch, one whose offset landed
 * without its profiles would lose it.
 *
 * The rules keep a dedup memory of one event (dedupMemorySize 1, oracle likewise): with the
 * default 32, a replayed batch would be absorbed as tracker retries and a broken commit would
 * go unseen; with 1, a replayed event shows up in its customer's counters.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import { generatePopulation, mulberry32 } from '@pulse/test-kit';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  offsetsTotal,
  ProgressSampler,
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
const KILLS = 4;
const RULES = { dedupMemorySize: 1 };

const seconds = (list: number[]): string =>
  list.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ');

describe('profiler crash (SIGKILL) and restart', () => {
  it('ends with the profiles of one clean pass after repeated kill -9', async () => {
    const seed = Number(process.env.PULSE_FAULT_SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    const rules = parseRulesConfig(RULES);
    const topics = await createProfilerTopics(PARTITIONS);
    // A member killed with -9 holds its partitions until its session expires: keep it short.
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
    });
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 2_000,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 40,
        seed: 29,
        shuffleWithinMs: 6 * 3_600_000,
      }).events(),
    ];
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    const sampler = new ProgressSampler(config, PARTITIONS);
    const file = rulesFile(RULES);
    const spawn = () => spawnProfiler({ config, rulesFile: file, name: 'profiler' });

    let current: ProfilerProcess = await spawn();
    const firstReadyAtMs = Date.now();

    // About 40 s of stream: long enough for every kill to land while events still arrive.
    const chunkEvents = 400;
    let productionDone = false;
    let productionError: Error | undefined;
    const production = produceStream(producer, events, topics, {
      chunkEvents,
      pauseMs: Math.round(25_000 / (events.length / chunkEvents)),
    }).then(
      () => {
        productionDone = true;
      },
      (error: unknown) => {
        productionError = error as Error;
      },
    );
    const failFast = () => productionError ?? current.failIfExited();

    const resumeTimesMs: number[] = [];
    const joinTimesMs: number[] = [];
    const killedAtCommitted: number[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      // A random moment while the process works: between 0.5 and 4 s after it made progress.
      const before = offsetsTotal(await readCommittedOffsets(config, PARTITIONS));
      await waitFor(
        'progress before the kill',
        async () =>
          offsetsTotal(await readCommittedOffsets(config, PARTITIONS)) > before ? true : undefined,
        { timeoutMs: 60_000, intervalMs: 100, failFast },
      );
      await sleep(500 + random() * 3_500);
      current.kill('SIGKILL');
      const exit = await current.exited;
      expect(exit.signal).toBe('SIGKILL');
      const atKill = offsetsTotal(await readCommittedOffsets(config, PARTITIONS));
      killedAtCommitted.push(atKill);

      current = await spawn();
      const restarted = current;
      const resumedAtMs = await explained(
        () => [restarted],
        waitFor(
          `restart ${kill + 1} to resume`,
          async () => {
            const committed = offsetsTotal(await readCommittedOffsets(config, PARTITIONS));
            if (committed > atKill) return Date.now();
            // Nothing left to do is no failure: the stream may have ended meanwhile.
            return productionDone && committed === events.length ? -1 : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 50, failFast },
        ),
      );
      if (resumedAtMs > 0) {
        resumeTimesMs.push(resumedAtMs - restarted.spawnedAtMs);
        const assigned = restarted.logs.find((line) => line.msg === 'assignment');
        if (assigned) joinTimesMs.push(Number(assigned.time) - restarted.spawnedAtMs);
      }
    }

    await production;
    expect(productionError).toBeUndefined();
    await explained(
      () => [current],
      waitForDrained(admin, config, PARTITIONS, { timeoutMs: 60_000, failFast }),
    );
    const drainedAtMs = Date.now();
    expect(current.exitStatus()).toBeUndefined();

    const state = await readStoredState(config, PARTITIONS);
    expectProfilesMatchOracle(events, state, rules);
    expect(resumeTimesMs.length).toBeGreaterThanOrEqual(3);

    console.log(
      [
        `crash test (seed ${seed}): ${events.length} events, ${KILLS} SIGKILLs at committed ${killedAtCommitted.join(', ')}`,
        `  throughput: peak ${Math.round(sampler.peakRate(2_000))} events/s over 2 s, ` +
          `${Math.round((events.length * 1000) / (drainedAtMs - firstReadyAtMs))} events/s overall (kills and restarts included)`,
        `  restart to resume (spawn → first committed progress): ${seconds(resumeTimesMs)}`,
        `    of which spawn → assignment from the group: ${seconds(joinTimesMs)} ` +
          `(the killed member holds its partitions until its ${config.sessionTimeoutMs} ms session expires)`,
      ].join('\n'),
    );
  });
});
