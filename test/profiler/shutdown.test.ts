/*
 * SIGTERM mid-stream: the profiler finishes the batch in hand, commits, leaves the group and
 * exits 0 within its shutdown timeout (and once drained, with nothing in flight, exits 0 too); a new process continues from the positions in Redis
 * with nothing lost or counted twice. Leaving the group (rather than vanishing) shows in the
 * restart: the new member is not kept waiting for the old one's session to expire.
 * The dedup memory is cut to one event (oracle likewise) so that a replay cannot hide as
 * tracker retries.
 */
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import { generatePopulation } from '@pulse/test-kit';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
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
const RULES = { dedupMemorySize: 1 };

describe('profiler shutdown (SIGTERM)', () => {
  it('exits 0 within the shutdown timeout and a restart continues exactly', async () => {
    const rules = parseRulesConfig(RULES);
    const topics = await createProfilerTopics(PARTITIONS);
    // A long session: a member that vanished without leaving would hold the restart this long.
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 1_000,
    });
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 1_000,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 40,
        seed: 59,
        shuffleWithinMs: 6 * 3_600_000,
      }).events(),
    ];
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    const file = rulesFile(RULES);
    const first = await spawnProfiler({ config, rulesFile: file, name: 'first' });

    let productionError: Error | undefined;
    const chunkEvents = 300;
    const production = produceStream(producer, events, topics, {
      chunkEvents,
      pauseMs: Math.round(20_000 / (events.length / chunkEvents)),
    }).catch((error: unknown) => {
      productionError = error as Error;
    });
    await explained(
      () => [first],
      waitFor(
        'a third of the stream committed',
        async () =>
          offsetsTotal(await readCommittedOffsets(config, PARTITIONS)) >= events.length / 3
            ? true
            : undefined,
        { timeoutMs: 60_000, intervalMs: 100, failFast: first.failIfExited },
      ),
    );

    const termAtMs = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    const exitMs = exit.atMs - termAtMs;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(config.shutdownTimeoutMs);
    expect(first.logs.map((line) => line.msg)).toContain('stopped');
    const atExit = offsetsTotal(await readCommittedOffsets(config, PARTITIONS));

    const second = await spawnProfiler({ config, rulesFile: file, name: 'second' });
    const assigned = await waitFor(
      'the new process to get its assignment',
      () => second.logs.find((line) => line.msg === 'assignment'),
      { timeoutMs: 60_000, failFast: second.failIfExited },
    );
    const joinMs = Number(assigned.time) - second.spawnedAtMs;
    expect(joinMs).toBeLessThan(config.sessionTimeoutMs);
    await production;
    expect(productionError).toBeUndefined();
    await explained(
      () => [second],
      waitForDrained(admin, config, PARTITIONS, {
        timeoutMs: 60_000,
        failFast: second.failIfExited,
      }),
    );
    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS), rules);
    expect(second.exitStatus()).toBeUndefined();

    // Drained, nothing in flight: it exits 0 on its own. A tick or relay pass that used a Kafka
    // client after its disconnect reconnected it, and the socket kept the process alive until
    // the shutdown timeout ended it with exit code 1.
    const idleTermAtMs = Date.now();
    second.kill('SIGTERM');
    const idleExit = await second.exited;
    expect(idleExit).toMatchObject({ code: 0, signal: null });
    expect(second.logs.map((line) => line.msg)).toContain('stopped');
    console.log(
      `shutdown test: SIGTERM → exit 0 in ${exitMs} ms (limit ${config.shutdownTimeoutMs} ms) ` +
        `at ${atExit}/${events.length} committed; restart joined the group in ${joinMs} ms; ` +
        `drained: SIGTERM → exit 0 in ${idleExit.atMs - idleTermAtMs} ms`,
    );
  });
});
