/*
 * Crashes on both sides of the relay (SIGKILL): after restart every signal is delivered, and
 * every repeat on the topics shares its signalId and decision. Signals leave through the outbox:
 * committed with the batch, produced by the relay, then trimmed.
 *
 * A profiler child process (`node bin/pulse.mjs run profiler`) consumes a whole input log
 * while its signal topics do not exist yet (the broker does not create topics on demand), so
 * every signal its CAS commits write to the per-partition Redis outbox stays there: the relay
 * cannot deliver. The outboxes are read directly (XRANGE on `<prefix>:{<ns>:p<n>}:outbox`) and
 * must already hold every expected signal. Then the process is killed with SIGKILL (the window
 * between commit and relay) and the signal topics are created. A second process aims at the
 * other window: its test failpoint (PULSE_TEST_FAILPOINT=kill-after-relay-produce) SIGKILLs it
 * right after its relay's first produce is acknowledged, before that send is trimmed from the
 * outbox. Nothing may have been trimmed, and what it produced is on the topics: those records
 * must come again (a random kill hit this window too rarely: the test used to pass with zero
 * repeats). A third process takes over; once its outboxes are
 * empty, the topics (de-duplicated by signalId) must hold exactly the signals of the outbox
 * snapshot, and exactly those an independent run computed: a second profiler in this process
 * over the same input, in its own namespace, key prefix and group, its signals redirected to a
 * topic of its own. Every repeat of a signalId must carry the same kind, detectedAt and
 * decision, and every record must go to its kind's topic, keyed by customer, with the id header.
 *
 * The input has visits only: with purchases on a second topic, two runs over the same log can
 * decide differently today (see the report: the partition clock falls behind the events a
 * sparse purchases topic lets through), and this test is about delivery, not about that.
 * idleAfterMs is long (no wall-clock driven idle advance); the outage guard runs with its
 * defaults (the input has no outage; see replay-determinism.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import { generatePopulation } from '@pulse/test-kit';
import { connectedAdmin, connectedProducer, uniqueName } from '../support/infra.ts';
import { startTestProfiler, testProfilerConfig, type ProfilerTopics } from '../support/profiler.ts';
import {
  explained,
  failIfAnyExited,
  rulesFile,
  spawnProfiler,
  type ProfilerProcess,
} from '../support/profiler-process.ts';
import {
  bySignalId,
  createTopicsNamed,
  expectSameDecisions,
  kindCounts,
  produceLog,
  readBacklog,
  readOutboxSignals,
  readSignals,
  total,
  waitForInputCommitted,
  waitForSignalsSettled,
} from '../support/signal-topics.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const HOUR_MS = 3_600_000;
const IDLE_AFTER_MS = 600_000;
const RULES_INPUT = { readyToBuyRequires: 'any' as const };
const RULES = parseRulesConfig(RULES_INPUT);

describe('outbox relay after a crash', () => {
  it('delivers every committed signal after SIGKILL and restart; repeats share their signalId', async ({
    annotate,
  }) => {
    const topics: ProfilerTopics = {
      visits: uniqueName('visits'),
      purchases: uniqueName('purchases'),
      traits: uniqueName('traits'),
      lapse: uniqueName('lapse'),
      readyToBuy: uniqueName('rtb'),
      deadLetter: uniqueName('dlq'),
    };
    const oracleOut = uniqueName('signals-oracle');
    // The signal topics are left out on purpose: created only after the crash.
    await createTopicsNamed([
      { topic: topics.visits, partitions: PARTITIONS },
      { topic: topics.purchases, partitions: PARTITIONS },
      { topic: topics.traits, partitions: PARTITIONS },
      { topic: topics.deadLetter, partitions: 1 },
      { topic: oracleOut, partitions: 2 },
    ]);
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 300,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 120,
        seed: 43,
        lapseShare: 0.6,
        returnShare: 0.7,
        buyerShare: 0,
        shuffleWithinMs: 6 * HOUR_MS,
      }).events(),
    ];
    await produceLog(await connectedProducer(), events, topics);
    const admin = await connectedAdmin();

    // The independent run: same input, own namespace, signals redirected to oracleOut.
    const oracle = testProfilerConfig(topics, {
      namespace: 'oracle',
      signalMode: 'redirect',
      redirectTopic: oracleOut,
      idleAfterMs: IDLE_AFTER_MS,
    });
    const oracleProfiler = await startTestProfiler(oracle, RULES);

    // The crashing one: a real process; a member killed with -9 keeps its partitions until
    // its session expires, so the session is short.
    const config = testProfilerConfig(topics, {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      idleAfterMs: IDLE_AFTER_MS,
    });
    const rules = rulesFile(RULES_INPUT);
    const processes: ProfilerProcess[] = [];
    const spawn = async (name: string, failpoint?: string) => {
      const started = await spawnProfiler({
        config,
        name,
        rulesFile: rules,
        extraEnv: {
          PULSE_IDLE_AFTER_MS: String(IDLE_AFTER_MS),
          ...(failpoint ? { PULSE_TEST_FAILPOINT: failpoint } : {}),
        },
      });
      processes.push(started);
      return started;
    };
    const failFast = failIfAnyExited(() => processes);
    const first = await spawn('profiler-1');

    await waitForSignalsSettled(admin, oracle, PARTITIONS);
    const expected = (await readSignals(admin, [oracleOut])).map((observed) => observed.signal);
    // The input has neither an outage nor a storm: the guard must hold nothing (in either run).
    const held =
      (await oracleProfiler.metrics.registry.getSingleMetric('pulse_signals_held_total')?.get())
        ?.values ?? [];
    expect(total(held.map((sample) => sample.value)), `held ${JSON.stringify(held)}`).toBe(0);
    const counts = kindCounts(expected);
    expect(counts.lapsed, 'lapsed signals expected').toBeGreaterThanOrEqual(50);
    expect(counts.reactivated, 'reactivated signals expected').toBeGreaterThanOrEqual(20);
    expect(counts.ready_to_buy, 'ready_to_buy signals expected').toBeGreaterThanOrEqual(5);
    const expectedIds = [...new Set(expected.map((signal) => signal.signalId))].sort();

    // Everything committed, nothing deliverable: the outboxes hold every expected signal.
    await explained(
      () => processes,
      waitForInputCommitted(admin, config, PARTITIONS, { failFast }),
    );
    let outboxed: { topic: string; signalId: string }[] = [];
    await explained(
      () => processes,
      waitFor(
        'the outboxes to hold every expected signal',
        async () => {
          outboxed = await readOutboxSignals(config, PARTITIONS);
          const ids = [...new Set(outboxed.map((entry) => entry.signalId))].sort();
          return JSON.stringify(ids) === JSON.stringify(expectedIds) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, failFast },
      ),
    ).catch((error: unknown) => {
      const ids = new Set(outboxed.map((entry) => entry.signalId));
      throw new Error(
        `${(error as Error).message}; outbox has ${ids.size} ids, ${expectedIds.filter((id) => !ids.has(id)).length} expected ones missing`,
        { cause: error },
      );
    });
    const backlogBeforeKill = await readBacklog(config, PARTITIONS);
    expect(total(backlogBeforeKill.held), 'lapses held by the crashing profiler').toBe(0);
    const lengthsBeforeKill = backlogBeforeKill.outbox;
    expect(total(lengthsBeforeKill), 'one outbox entry per signal').toBe(outboxed.length);
    expect(lengthsBeforeKill.filter((length) => length > 0).length).toBeGreaterThan(1);
    for (const entry of outboxed) {
      const kind = entry.signalId.slice(0, entry.signalId.lastIndexOf('-'));
      expect(entry.topic).toBe(kind === 'ready_to_buy' ? topics.readyToBuy : topics.lapse);
    }

    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect((await readBacklog(config, PARTITIONS)).outbox, 'outboxes after the crash').toEqual(
      lengthsBeforeKill,
    );

    await createTopicsNamed([
      { topic: topics.lapse, partitions: 2 },
      { topic: topics.readyToBuy, partitions: 2 },
    ]);
    // The window after the relay's produce, before the trim.
    const second = await spawn('profiler-2', 'kill-after-relay-produce');
    expect((await explained(() => [second], second.exited)).signal).toBe('SIGKILL');
    expect(
      second.logs.find((line) => line.msg === 'test failpoint reached; stopping the process'),
    ).toBeDefined();
    expect(
      (await readBacklog(config, PARTITIONS)).outbox,
      'outboxes after the relay crash',
    ).toEqual(lengthsBeforeKill);
    const producedBeforeTrim = (await readSignals(admin, [topics.lapse, topics.readyToBuy])).length;
    expect(producedBeforeTrim, 'records produced before the kill').toBeGreaterThan(0);

    await spawn('profiler-3');
    await explained(
      () => processes.slice(2),
      waitForSignalsSettled(admin, config, PARTITIONS, {
        timeoutMs: 60_000,
        failFast: failIfAnyExited(() => processes.slice(2)),
      }),
    );

    const delivered = await readSignals(admin, [topics.lapse, topics.readyToBuy]);
    for (const record of delivered) {
      const { signal } = record;
      expect(record.topic, signal.signalId).toBe(
        signal.kind === 'ready_to_buy' ? topics.readyToBuy : topics.lapse,
      );
      expect(record.key, signal.signalId).toBe(signal.customerId);
      expect(record.headers['pulse-signal-id'], signal.signalId).toBe(signal.signalId);
      expect(record.headers['pulse-signal-kind'], signal.signalId).toBe(signal.kind);
    }
    const groups = bySignalId(delivered);
    expect([...groups.keys()].sort(), 'delivered ids = the outbox snapshot').toEqual(
      [...new Set(outboxed.map((entry) => entry.signalId))].sort(),
    );
    let repeats = 0;
    for (const [signalId, group] of groups) {
      repeats += group.length - 1;
      const decisions = group.map(({ emittedAt: _emittedAt, ...decision }) => decision);
      for (const decision of decisions.slice(1))
        expect(decision, `repeat of ${signalId}`).toEqual(decisions[0]);
    }
    // Everything produced before the trim came again, and nothing else did.
    expect(repeats, 'repeats = records produced before the untrimmed kill').toBe(
      producedBeforeTrim,
    );
    const restamped = expectSameDecisions(
      delivered.map((record) => record.signal),
      expected,
      events,
      'delivered vs independent run',
    );
    await annotate(
      `${groups.size} signals ${JSON.stringify(counts)} delivered after the crash; ${repeats} repeat(s) on the topics; ${restamped.length} reactivation(s) stamped differently from the independent run`,
    );
  });
});
