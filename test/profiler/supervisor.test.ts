/*
 * `pulse run profiler --processes 2`: two profiler processes under one parent share the
 * partitions as two members of the group; a child killed with -9 is replaced and the group
 * carries on with nothing lost or counted twice; SIGTERM to the parent stops every child and
 * the parent exits 0.
 */
import { describe, expect, it } from 'vitest';
import { produceStream } from '../support/events.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
import {
  createProfilerTopics,
  expectProfilesMatchOracle,
  readStoredState,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import { spawnProfiler, type LogLine } from '../support/profiler-process.ts';
import { replayPopulation } from '../support/replay.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
// Produced live, in event-time order, both inputs of a chunk in one request: a chunk spans far
// less event time than the allowed lateness, so no event is late.
const STREAM = { chunkEvents: 200, pauseMs: 0 };

const startedPids = (logs: readonly LogLine[]): number[] => [
  ...new Set(
    logs.filter((line) => line.msg === 'profiler started').map((line) => Number(line.pid)),
  ),
];

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('pulse run profiler --processes 2', () => {
  it('shares the partitions between two children, replaces one killed with -9, and stops both on SIGTERM', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    // A member killed with -9 holds its partitions until its session expires: keep it short.
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      idleAfterMs: 600_000,
    });
    const supervisor = await spawnProfiler({ config, args: ['--processes', '2'] });
    const [first, second] = await waitFor(
      'two profiler processes started',
      () => {
        const pids = startedPids(supervisor.logs);
        return pids.length >= 2 ? pids : undefined;
      },
      { failFast: supervisor.failIfExited },
    );
    expect(first).not.toBe(supervisor.pid);
    expect(second).not.toBe(supervisor.pid);

    const events = replayPopulation({ customers: 300, durationDays: 60, seed: 17 });
    const half = Math.floor(events.length / 2);
    const producer = await connectedProducer();
    const admin = await connectedAdmin();
    await produceStream(producer, events.slice(0, half), topics, STREAM);
    await waitForDrained(admin, config, PARTITIONS);
    expectProfilesMatchOracle(events.slice(0, half), await readStoredState(config, PARTITIONS));

    // Both children took part: each one's latest assignment holds partitions.
    for (const pid of [first!, second!]) {
      const assignments = supervisor.logs.filter(
        (line) => line.msg === 'assignment' && line.pid === pid,
      );
      expect(assignments.at(-1)?.partitions, `assignment of ${pid}`).not.toEqual([]);
      expect(assignments.length, `assignments of ${pid}`).toBeGreaterThan(0);
    }
    process.kill(first!, 'SIGKILL');
    const replacement = await waitFor(
      'a replacement for the killed child',
      () => startedPids(supervisor.logs).find((pid) => pid !== first && pid !== second),
      { failFast: supervisor.failIfExited },
    );
    expect(
      supervisor.logs.some(
        (line) =>
          line.msg === 'profiler process died; starting a new one' && line.childPid === first,
      ),
    ).toBe(true);

    await produceStream(producer, events.slice(half), topics, STREAM);
    await waitForDrained(admin, config, PARTITIONS);
    expectProfilesMatchOracle(events, await readStoredState(config, PARTITIONS));

    supervisor.kill('SIGTERM');
    const status = await supervisor.exited;
    expect(status).toMatchObject({ code: 0, signal: null });
    expect([second!, replacement].filter(alive)).toEqual([]);
  });
});
