/*
 * Partitions change hands mid-stream and the profiles still equal one clean pass (a
 * partition is the unit of work and state; its effect on state is exactly once). Two profiler processes share the group; a third joins (every member's
 * partitions move, possibly while a batch is in hand) and then one is SIGKILLed (its
 * partitions wait for its session to expire, then go to the survivors). A writer that lost a
 * partition must fail the CAS and drop its batch; the new owner must continue from the
 * position Redis holds, so no event is applied twice or skipped at a handover.
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
import {
  explained,
  failIfAnyExited,
  rulesFile,
  spawnProfiler,
  type ProfilerProcess,
} from '../support/profiler-process.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 6;
const RULES = { dedupMemorySize: 1 };

/** The partitions of a process's latest 'assignment' log line. */
function assignedTo(running: ProfilerProcess): number[] {
  const line = running.logs.findLast((entry) => entry.msg === 'assignment');
  return (line?.partitions as number[] | undefined) ?? [];
}

describe('profiler rebalance', () => {
  it('keeps one clean pass while a member joins and another is killed mid-stream', async () => {
    const rules = parseRulesConfig(RULES);
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
    });
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 1_500,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 40,
        seed: 31,
        shuffleWithinMs: 6 * 3_600_000,
      }).events(),
    ];
    const admin = await connectedAdmin();
    const producer = await connectedProducer();
    const file = rulesFile(RULES);
    const spawn = (name: string) => spawnProfiler({ config, rulesFile: file, name });
    const committed = async () => offsetsTotal(await readCommittedOffsets(config, PARTITIONS));

    const [first, second] = await Promise.all([spawn('member-a'), spawn('member-b')]);
    const a = first as ProfilerProcess;
    const b = second as ProfilerProcess;
    const survivors: ProfilerProcess[] = [a, b];
    let productionError: Error | undefined;
    const chunkEvents = 400;
    const production = produceStream(producer, events, topics, {
      chunkEvents,
      pauseMs: Math.round(25_000 / (events.length / chunkEvents)),
    }).catch((error: unknown) => {
      productionError = error as Error;
    });
    const failFast = () => productionError ?? failIfAnyExited(() => survivors)();
    const wait = <T>(what: Promise<T>) => explained(() => [a, b, ...survivors.slice(2)], what);

    await wait(
      waitFor(
        'a fifth of the stream committed by two members',
        async () => ((await committed()) >= events.length / 5 ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 100, failFast },
      ),
    );
    const c = await spawn('member-c');
    survivors.push(c);
    await wait(
      waitFor(
        'the third member to own partitions and all three to agree',
        () => {
          const owned = [a, b, c].map(assignedTo);
          const all = owned.flat().sort((x, y) => x - y);
          return owned.every((list) => list.length === PARTITIONS / 3) &&
            all.join() === [...Array(PARTITIONS).keys()].join()
            ? true
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, failFast },
      ),
    );
    const atJoin = await committed();
    await wait(
      waitFor(
        'progress with three members',
        async () => ((await committed()) > atJoin + events.length / 10 ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 100, failFast },
      ),
    );

    survivors.splice(survivors.indexOf(a), 1);
    a.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    await wait(
      waitFor(
        "the survivors to take over the killed member's partitions",
        () => {
          const all = [b, c].flatMap(assignedTo).sort((x, y) => x - y);
          return all.join() === [...Array(PARTITIONS).keys()].join() ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, failFast },
      ),
    );

    await production;
    expect(productionError).toBeUndefined();
    await wait(waitForDrained(admin, config, PARTITIONS, { timeoutMs: 60_000, failFast }));
    expect(b.exitStatus()).toBeUndefined();
    expect(c.exitStatus()).toBeUndefined();

    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS), rules);
    const fenced = (await b.metric('pulse_fenced_total')) ?? 0;
    const fencedC = (await c.metric('pulse_fenced_total')) ?? 0;
    console.log(
      `rebalance test: ${events.length} events over ${PARTITIONS} partitions; member-c joined at ` +
        `${atJoin} committed; batches fenced after handovers: member-b ${fenced}, member-c ${fencedC}`,
    );
  });
});
