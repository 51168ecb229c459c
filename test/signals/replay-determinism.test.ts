/*
 * Replaying the same input into a fresh namespace gives the same signal ids and detectedAt
 * values (event time, deterministic signal ids). Two profilers in this process read the same
 * input log (a population of daily, weekly, monthly and irregular visitors, many of whom lapse
 * and some return; half of them buy), each into a namespace, key prefix and consumer group of
 * its own, each with its signals redirected to a topic of its own. Their signals must agree:
 * same ids (as multisets), and for each id the same kind, customer, evidence, rules version
 * and detectedAt. The one tolerated difference is the core's documented double stamping of a
 * reactivation (event time, or start of the return day), checked strictly in
 * expectSameDecisions; lapsed and ready_to_buy detectedAt must match exactly.
 *
 * The runs differ on purpose in what must not matter: batch size (maxEventsPerCommit 2000 vs
 * 150, so timer sweeps run at other stream times) and, being concurrent, in how the two input
 * topics' fetches interleave.
 *
 * Settings: idleAfterMs is long, so no partition follows the group's low watermark (a
 * wall-clock rule, not part of a replay). The outage guard runs with its defaults. The input
 * has no outage and no storm, so the guard must hold nothing — checked, so a misfiring guard
 * fails here by name.
 */
import { describe, expect, it } from 'vitest';
import { parseRulesConfig, type CustomerEvent } from '@pulse/core';
import { generatePopulation } from '@pulse/test-kit';
import { connectedAdmin, connectedProducer, uniqueName } from '../support/infra.ts';
import { startTestProfiler, testProfilerConfig, type ProfilerTopics } from '../support/profiler.ts';
import {
  bySignalId,
  createTopicsNamed,
  expectSameDecisions,
  kindCounts,
  produceLog,
  readBacklog,
  readSignals,
  total,
  waitForSignalsSettled,
} from '../support/signal-topics.ts';

const PARTITIONS = 4;
const HOUR_MS = 3_600_000;
// 'any': ready-to-buy fires on either reason, so the population yields enough of them.
const RULES = parseRulesConfig({ readyToBuyRequires: 'any' });

describe('signal replay determinism', () => {
  it('gives the same signal ids and detectedAt values when replayed into a fresh namespace', async ({
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
    const firstOut = uniqueName('signals-first');
    const replayOut = uniqueName('signals-replay');
    await createTopicsNamed([
      { topic: topics.visits, partitions: PARTITIONS },
      { topic: topics.purchases, partitions: PARTITIONS },
      { topic: topics.traits, partitions: PARTITIONS },
      { topic: topics.lapse, partitions: 1 },
      { topic: topics.readyToBuy, partitions: 1 },
      { topic: topics.deadLetter, partitions: 1 },
      { topic: firstOut, partitions: 2 },
      { topic: replayOut, partitions: 2 },
    ]);
    const events: CustomerEvent[] = [
      ...generatePopulation({
        customers: 300,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 120,
        seed: 41,
        lapseShare: 0.6,
        returnShare: 0.7,
        shuffleWithinMs: 6 * HOUR_MS,
      }).events(),
    ];
    await produceLog(await connectedProducer(), events, topics);

    const shared = {
      signalMode: 'redirect' as const,
      idleAfterMs: 600_000,
    };
    const first = testProfilerConfig(topics, { ...shared, redirectTopic: firstOut });
    const replay = testProfilerConfig(topics, {
      ...shared,
      redirectTopic: replayOut,
      namespace: 'replay',
      maxEventsPerCommit: 150,
    });
    const profilers = await Promise.all([
      startTestProfiler(first, RULES),
      startTestProfiler(replay, RULES),
    ]);

    const admin = await connectedAdmin();
    await Promise.all([
      waitForSignalsSettled(admin, first, PARTITIONS),
      waitForSignalsSettled(admin, replay, PARTITIONS),
    ]);

    // Nothing held: the input has neither an outage nor a storm.
    for (const [config, profiler] of [
      [first, profilers[0]],
      [replay, profilers[1]],
    ] as const) {
      const held =
        (await profiler.metrics.registry.getSingleMetric('pulse_signals_held_total')?.get())
          ?.values ?? [];
      expect(
        total(held.map((sample) => sample.value)),
        `${config.namespace}: lapses held by the outage guard ${JSON.stringify(held)}`,
      ).toBe(0);
      expect(total((await readBacklog(config, PARTITIONS)).held)).toBe(0);
    }

    const [firstSignals, replaySignals] = await Promise.all([
      readSignals(admin, [firstOut]),
      readSignals(admin, [replayOut]),
    ]);
    const counts = kindCounts(firstSignals.map((observed) => observed.signal));
    expect(counts.lapsed, 'lapsed signals in the first run').toBeGreaterThanOrEqual(50);
    expect(counts.reactivated, 'reactivated signals in the first run').toBeGreaterThanOrEqual(20);
    expect(counts.ready_to_buy, 'ready_to_buy signals in the first run').toBeGreaterThanOrEqual(20);

    // Multisets of ids: how often each id appears must agree too.
    const multiplicity = (observed: typeof firstSignals) =>
      Object.fromEntries([...bySignalId(observed)].map(([id, group]) => [id, group.length]));
    expect(multiplicity(replaySignals)).toEqual(multiplicity(firstSignals));
    const restamped = expectSameDecisions(
      replaySignals.map((observed) => observed.signal),
      firstSignals.map((observed) => observed.signal),
      events,
      'replay vs first run',
    );
    await annotate(
      `${firstSignals.length} signals (${JSON.stringify(counts)}); ${restamped.length} reactivation(s) stamped differently (event time vs start of the return day): ${restamped.join(', ') || 'none'}`,
    );
  });
});
