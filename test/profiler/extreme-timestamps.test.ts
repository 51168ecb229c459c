/*
 * Timestamps a year ahead and in 1970, in the same produce request (so the same fetched batch)
 * as good events of the same partition, change nothing for anyone else. A year-ahead event
 * accepted would move the partition's clock a year forward and fire every customer's timer at
 * once (a lapse storm); a 1970 event accepted as on time would give its customer a 56-year
 * rhythm. The rule: a timestamp beyond the allowed clock skew is a dead letter
 * (`future-timestamp`); a 1970 one is far older than the stream time, so it is late (lifetime
 * totals only) like any late event. Checked: the two year-ahead events on the dead-letter topic,
 * exactly two events counted late, each partition's stream time exactly where its good events
 * put it, every profile equal to one clean pass (the 1970 events late in it too) and exactly
 * the signals that pass decides.
 */
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, type SignalWire } from '@pulse/contracts';
import { applyEvent, defaultRulesConfig, type CustomerEvent, type Signal } from '@pulse/core';
import { partitionForKey } from '@pulse/stream';
import { generatePopulation } from '@pulse/test-kit';
import { collectRecords } from '../support/dead-letters.ts';
import { toWire } from '../support/events.ts';
import { connectedAdmin, connectedProducer } from '../support/infra.ts';
import {
  createProfilerTopics,
  expectedProfiles,
  readStoredState,
  settled,
  startTestProfiler,
  testProfilerConfig,
} from '../support/profiler.ts';
import { expectedSignals } from '../support/signal-oracle.ts';
import {
  expectSameDecisions,
  produceLog,
  readSignals,
  waitForSignalsSettled,
} from '../support/signal-topics.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 2;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const asWire = (signal: Signal): SignalWire => ({
  signalId: signal.signalId,
  kind: signal.kind,
  customerId: signal.customerId,
  detectedAt: new Date(signal.detectedAtMs).toISOString(),
  emittedAt: new Date(0).toISOString(),
  evidence: signal.evidence,
  rulesVersion: signal.rulesVersion,
  // Who the customer was at the decision, as the core stamps it on every signal.
  ...(signal.traits ? { traits: signal.traits } : {}),
  ...(signal.segment ? { segment: signal.segment } : {}),
});

describe('extreme timestamps', () => {
  it('a year ahead is dead-lettered, 1970 is late; neither moves the clock nor touches anyone else', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    // No outage guard and no wall-clock idling on a preloaded log: every decided signal is sent.
    const config = testProfilerConfig(topics, { idleAfterMs: 600_000 });
    const good: CustomerEvent[] = [
      ...generatePopulation({
        customers: 120,
        startMs: Date.UTC(2026, 0, 1),
        durationDays: 100,
        seed: 89,
        lapseShare: 0.6,
        returnShare: 0.5,
        buyerShare: 0,
        shuffleWithinMs: 6 * HOUR_MS,
      }).events(),
    ];
    const partitionOf = (customerId: string) => partitionForKey(customerId, PARTITIONS);
    const target = 0;
    const ofTarget = good.filter((event) => partitionOf(event.customerId) === target);
    const someone = (ofTarget[0] as CustomerEvent).customerId;
    const fresh = (prefix: string): string => {
      for (let index = 0; ; index += 1)
        if (partitionOf(`${prefix}-${index}`) === target) return `${prefix}-${index}`;
    };
    const newcomerAhead = fresh('from-the-future');
    const newcomer1970 = fresh('from-1970');
    const yearAheadMs = Date.now() + 365 * DAY_MS;
    const extreme = (customerId: string, occurredAtMs: number, tag: string): CustomerEvent => ({
      kind: 'visit',
      eventId: `${customerId}-${tag}`,
      customerId,
      occurredAtMs,
    });
    const ahead = [
      extreme(someone, yearAheadMs, 'ahead'),
      extreme(newcomerAhead, yearAheadMs, 'ahead'),
    ];
    const epoch = [extreme(someone, 0, '1970'), extreme(newcomer1970, 0, '1970')];

    // The whole log but the last 100 good visits of the target partition, then those 100 in
    // one request with the four extreme ones in their middle.
    const tail = new Set(ofTarget.slice(-100));
    const producer = await connectedProducer();
    await produceLog(
      producer,
      good.filter((event) => !tail.has(event)),
      topics,
    );
    const last = [...tail];
    const mixed = [...last.slice(0, 50), ...ahead, ...epoch, ...last.slice(50)];
    const [metadata] = await producer.send({
      topic: topics.visits,
      acks: -1,
      messages: mixed.map((event) => ({
        key: event.customerId,
        value: JSON.stringify(toWire(event)),
      })),
    });
    expect(metadata?.partition).toBe(target);
    const aheadOffsets = ahead.map((event) =>
      String(BigInt(metadata?.baseOffset as string) + BigInt(mixed.indexOf(event))),
    );

    const deadLetters = await collectRecords([topics.deadLetter]);
    const profiler = await startTestProfiler(config);
    const admin = await connectedAdmin();
    await waitForSignalsSettled(admin, config, PARTITIONS, { timeoutMs: 90_000 });
    await waitFor('the year-ahead dead letters', () =>
      deadLetters.length >= ahead.length ? true : undefined,
    );

    expect(deadLetters).toHaveLength(ahead.length);
    expect(
      deadLetters.map((record) => [
        record.headers[DLQ_HEADERS.errorKind],
        record.headers[DLQ_HEADERS.sourcePartition],
        record.headers[DLQ_HEADERS.sourceOffset],
      ]),
    ).toEqual(aheadOffsets.map((offset) => ['future-timestamp', String(target), offset]));
    const late =
      (await profiler.metrics.registry.getSingleMetric('pulse_events_late_total')?.get())?.values ??
      [];
    expect(
      late.reduce((sum, sample) => sum + sample.value, 0),
      'events counted late',
    ).toBe(epoch.length);

    // The clock is where the good events put it: newest good event minus the allowed lateness.
    const state = await readStoredState(config, PARTITIONS);
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const newest = Math.max(
        ...good
          .filter((event) => partitionOf(event.customerId) === partition)
          .map((event) => event.occurredAtMs),
      );
      expect(state.get(partition)?.streamTimeMs, `stream time of partition ${partition}`).toBe(
        newest - defaultRulesConfig.allowedLatenessMs,
      );
    }
    // One clean pass over the good events (in event-time order, which has no late events),
    // then the 1970 ones applied late, as they arrived: every profile equal.
    const finalStreamTimeOf = (partition: number) => Number(state.get(partition)?.streamTimeMs);
    const expectedState = expectedProfiles(good, partitionOf, finalStreamTimeOf);
    for (const event of epoch) {
      const atMs = finalStreamTimeOf(partitionOf(event.customerId));
      const applied = applyEvent(
        expectedState.get(event.customerId),
        event,
        atMs,
        defaultRulesConfig,
      );
      expect(applied.outcome, `${event.customerId} in 1970`).toBe('late');
      const table = state.get(partitionOf(event.customerId))?.populationHurdles ?? null;
      expectedState.set(
        event.customerId,
        settled(applied.profile, atMs, undefined, { population: table }),
      );
    }
    const storedProfiles = new Map(
      [...state].flatMap(([partition, { profiles }]) =>
        [...profiles].map(([customerId, profile]) => [
          customerId,
          settled(profile, finalStreamTimeOf(partition), undefined, {
            population: state.get(partition)?.populationHurdles ?? null,
          }),
        ]),
      ),
    );
    expect(new Set(storedProfiles.keys())).toEqual(new Set(expectedState.keys()));
    for (const [customerId, profile] of expectedState)
      expect(storedProfiles.get(customerId), customerId).toEqual(profile);
    // The signals of that pass, exactly: the late 1970 events decide nothing.
    const expected = expectedSignals(good, partitionOf, finalStreamTimeOf);
    expect(expected.size, 'signals the clean pass decides').toBeGreaterThan(10);
    const delivered = await readSignals(admin, [topics.lapse, topics.readyToBuy]);
    expectSameDecisions(
      delivered.map((observed) => observed.signal),
      [...expected.values()].map(asWire),
      good,
      'signals with extreme timestamps vs the clean pass',
    );
  });
});
