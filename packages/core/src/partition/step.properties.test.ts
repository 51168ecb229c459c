/*
 * The partition step's contract with subscribers, as properties over whole partition logs.
 *
 * For any log of visits and purchases (rhythms that start, stop and come back, a tracker
 * outage of some days, a few undecodable records, events out of order within the lateness) and
 * any way of reading it — one record per step, random chunk sizes, one topic far ahead of the
 * other — the partition publishes, per customer, the same signals in the same order as a run
 * that reads one record at a time; on the lapse topic they alternate lapsed → reactivated →
 * lapsed …, starting with lapsed, and a signal's detectedAt never goes back. The profiles are
 * equal too. This once failed: a timer sweep that found a customer's lapse and their return
 * together published the reactivation at once and the lapse at the end of the batch.
 *
 * Traits ride along on a third topic, read in any order against the other two and in no
 * particular order of their own: every profile's traits are the merge of all its statements and
 * of its visits' sources, whatever the batching, and every signal carries the customer's
 * behavioural segment as of its decision — the same in every run.
 *
 * The storm guard is left out here (a threshold no log reaches): by design it judges the sweeps
 * of a caught-up partition only, whose size depends on batching; guard.test.ts covers it.
 */
import fc from 'fast-check';
import { customerEventList, mulberry32, type RhythmSegment } from '@pulse/test-kit';
import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as rules } from '../config.ts';
import type { CustomerEvent, Signal } from '../events.ts';
import { newProfile } from '../profile.ts';
import { DAY_MS } from '../time.ts';
import { advance } from '../timeline.ts';
import {
  applyTraitsStatement,
  observeVisitSource,
  type CustomerTraits,
  type TraitsEvent,
} from '../traits.ts';
import {
  oneRecordPlan,
  randomChunkPlan,
  roundRobinPlan,
  simulatePartition,
  type ChunkPlan,
  type SimulationResult,
} from './simulator.ts';
import type { StepRecord } from './step.ts';
import { logsOf, propertySettings, TRAITS } from './test-support.ts';

const START_MS = Date.UTC(2025, 0, 6);

const rhythmArbitrary: fc.Arbitrary<Omit<RhythmSegment, 'days'>> = fc.record({
  visitEveryDays: fc.option(fc.constantFrom(1, 1, 2, 3, 7), { nil: null }),
  visitJitterDays: fc.integer({ min: 0, max: 2 }),
  skipProbability: fc.constantFrom(0, 0.1),
  maxVisitsPerActiveDay: fc.integer({ min: 1, max: 3 }),
  purchaseEveryDays: fc.option(fc.integer({ min: 5, max: 30 }), { nil: null }),
  purchaseJitterDays: fc.integer({ min: 0, max: 3 }),
});

/** A customer: active, maybe silent for a while (or for good), maybe active again. */
const customerArbitrary = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  rhythm: rhythmArbitrary,
  activeDays: fc.integer({ min: 10, max: 70 }),
  silentDays: fc.integer({ min: 0, max: 40 }),
  returnDays: fc.integer({ min: 0, max: 30 }),
  /** A customer whose events state their time zone (null: none, their days are UTC days). */
  timeZone: fc.constantFrom(
    null,
    null,
    'Europe/Berlin',
    'America/Los_Angeles',
    'Asia/Kathmandu',
    'Pacific/Auckland',
  ),
});

const logArbitrary = fc.record({
  customers: fc.array(customerArbitrary, { minLength: 2, maxLength: 8 }),
  /** A tracker outage: no event at all from this day for this many days (0: none). */
  outageStartDay: fc.integer({ min: 42, max: 70 }),
  outageDays: fc.constantFrom(0, 0, 1, 3, 6),
  shuffleSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  badRecords: fc.integer({ min: 0, max: 3 }),
  /** Traits statements: whose (index modulo the customers), when, what. */
  statements: fc.array(
    fc.record({
      customer: fc.nat(),
      day: fc.integer({ min: -5, max: 150 }),
      country: fc.constantFrom(null, 'DE', 'FR', ''),
      plan: fc.constantFrom(null, 'free', 'pro'),
      attribute: fc.option(fc.constantFrom('gold', 'silver', ''), { nil: null }),
    }),
    { maxLength: 24 },
  ),
});

type LogSpec = typeof logArbitrary extends fc.Arbitrary<infer T> ? T : never;

function eventsOf(spec: LogSpec): CustomerEvent[] {
  const outageFrom = START_MS + spec.outageStartDay * DAY_MS;
  const outageTo = outageFrom + spec.outageDays * DAY_MS;
  return spec.customers
    .flatMap((customer, index) =>
      customerEventList({
        customerId: `c${index}`,
        startMs: START_MS,
        seed: customer.seed,
        segments: [
          { days: customer.activeDays, ...customer.rhythm },
          { days: customer.silentDays },
          { days: customer.returnDays, ...customer.rhythm },
        ],
      }).map((event) =>
        customer.timeZone === null ? event : { ...event, timeZone: customer.timeZone },
      ),
    )
    .filter((event) => event.occurredAtMs < outageFrom || event.occurredAtMs >= outageTo);
}

const SOURCES = ['web', 'ads', 'email'];

/** Visits name a source now and then (the first visit's feeds acquisitionSource). */
function withSources(events: CustomerEvent[], seed: number): CustomerEvent[] {
  const random = mulberry32(seed);
  return events.map((event) =>
    event.kind === 'visit' && random() < 0.3
      ? { ...event, source: SOURCES[Math.floor(random() * SOURCES.length)]! }
      : event,
  );
}

function statementsOf(spec: LogSpec): TraitsEvent[] {
  return spec.statements.map((statement, index): TraitsEvent => ({
    kind: 'traits',
    eventId: `t${index}`,
    customerId: `c${statement.customer % spec.customers.length}`,
    occurredAtMs: START_MS + statement.day * DAY_MS + index,
    country: statement.country,
    region: null,
    acquisitionSource: null,
    customerType: null,
    plan: statement.plan,
    attributes:
      statement.attribute === null ? {} : ({ tier: statement.attribute } as Record<string, string>),
  }));
}

/** The traits log: the statements in a random order (their merge does not care). */
function traitsLog(statements: readonly TraitsEvent[], seed: number): StepRecord[] {
  const random = mulberry32(seed);
  return statements
    .map((event) => ({ event, at: random() }))
    .sort((a, b) => a.at - b.at)
    .map(({ event }, offset) => ({
      offset: String(offset),
      key: null,
      value: null,
      verdict: { ok: true, event },
    }));
}

/** What every customer's traits must be: all their statements and visit sources merged. */
function expectedTraits(
  events: readonly CustomerEvent[],
  statements: readonly TraitsEvent[],
): Map<string, CustomerTraits> {
  const traits = new Map<string, CustomerTraits>();
  const of = (id: string) => traits.get(id) ?? newProfile(id).traits;
  for (const event of events) {
    if (event.kind === 'visit' && event.source !== undefined)
      traits.set(
        event.customerId,
        observeVisitSource(of(event.customerId), event.occurredAtMs, event.source),
      );
  }
  for (const statement of statements)
    traits.set(statement.customerId, applyTraitsStatement(of(statement.customerId), statement));
  return traits;
}

function run(
  logs: Map<string, StepRecord[]>,
  plan: ChunkPlan,
  maxDuePerSweep?: number,
  takeReach = false,
) {
  return simulatePartition({
    takeReach,
    rules,
    settings: propertySettings,
    logs,
    plan,
    nowMs: START_MS + 400 * DAY_MS,
    // Past every event, as the group's clock would take the partition once the log ends.
    finalStreamTimeMs: START_MS + 300 * DAY_MS,
    ...(maxDuePerSweep !== undefined ? { maxDuePerSweep } : {}),
  });
}

/** Per customer, the signals published on each topic, in publish order. */
function signalsByCustomer(result: SimulationResult): Map<string, string[]> {
  const byCustomer = new Map<string, string[]>();
  for (const item of result.outbox) {
    if (item.type !== 'signal') continue;
    const key = `${item.signal.customerId}@${item.topic}`;
    const list = byCustomer.get(key) ?? [];
    const { segment } = item.signal;
    list.push(
      `${item.signal.kind}:${item.signal.signalId}:${item.signal.detectedAtMs}:${segment?.segment}/${segment?.latencyBand}`,
    );
    byCustomer.set(key, list);
  }
  return byCustomer;
}

function deadLetterOffsets(result: SimulationResult): string[] {
  return result.outbox.flatMap((item) =>
    item.type === 'dead-letter' ? [`${item.reason.sourceTopic}/${item.reason.sourceOffset}`] : [],
  );
}

/** The lapse topic's contract: lapsed, reactivated, lapsed … per customer; time never goes back. */
function expectSubscriberOrder(result: SimulationResult): void {
  const lapseSignals = new Map<string, Signal[]>();
  for (const item of result.outbox) {
    if (item.type !== 'signal' || item.topic !== 'lapse') continue;
    const list = lapseSignals.get(item.signal.customerId) ?? [];
    list.push(item.signal);
    lapseSignals.set(item.signal.customerId, list);
  }
  for (const [customerId, signals] of lapseSignals) {
    signals.forEach((signal, index) => {
      const expected = index % 2 === 0 ? 'lapsed' : 'reactivated';
      if (signal.kind !== expected) {
        throw new Error(
          `${customerId}: signal ${index} is ${signal.kind}, expected ${expected} (${signals.map((each) => each.kind).join(' > ')})`,
        );
      }
      if (index > 0)
        expect(signal.detectedAtMs).toBeGreaterThanOrEqual(signals[index - 1]!.detectedAtMs);
      if (index % 2 === 1)
        expect(signal.evidence.episode).toBe(signals[index - 1]!.evidence.episode);
    });
  }
}

/**
 * Profiles brought to the same stream time: how far a profile was advanced depends on when it
 * was last touched, and advancing is composable, so equal decisions show as equal profiles.
 */
function comparable(result: SimulationResult) {
  const untilMs = result.state.streamTimeMs ?? 0;
  return new Map(
    [...result.profiles].map(([id, profile]) => {
      const { clockMs: _clockMs, ...rest } = advance(profile, untilMs, rules).profile;
      return [id, rest];
    }),
  );
}

/** Held lapses without the stream time they were held at (that depends on the batching). */
function heldLapses(result: SimulationResult) {
  return new Map([...result.held].map(([id, { signal, reason }]) => [id, { signal, reason }]));
}

describe('the partition step, over whole logs', () => {
  it('publishes the same signals in the same order, and keeps the same profiles, whatever the batching', () => {
    // What the generated logs exercised, so that a generator gone dull fails the test.
    const seen = { lapses: 0, reactivations: 0, held: 0, discarded: 0, released: 0, traits: 0 };
    fc.assert(
      fc.property(logArbitrary, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (spec, planSeed) => {
        const events = withSources(eventsOf(spec), spec.shuffleSeed);
        const statements = statementsOf(spec);
        const logs = logsOf(events, spec.shuffleSeed, spec.badRecords);
        logs.set(TRAITS, traitsLog(statements, spec.shuffleSeed + 1));
        const reference = run(logs, oneRecordPlan(mulberry32(planSeed)));
        // Every customer's traits: all their statements and visits' sources, merged. A statement
        // that states nothing writes no profile, so no profile is the same as no traits.
        for (const [customerId, traits] of expectedTraits(events, statements)) {
          const kept = reference.profiles.get(customerId)?.traits ?? newProfile(customerId).traits;
          expect(kept, customerId).toEqual(traits);
        }
        // Every signal says who the customer was and their segment.
        for (const item of reference.outbox) {
          if (item.type !== 'signal') continue;
          expect(item.signal.traits).toBeDefined();
          expect(item.signal.segment).toBeDefined();
          if (item.signal.kind === 'lapsed') expect(item.signal.segment!.segment).toBe('lapsed');
        }
        seen.traits += reference.counts.traits;
        expectSubscriberOrder(reference);
        seen.lapses += reference.counts.signals.get('lapsed') ?? 0;
        seen.reactivations += reference.counts.signals.get('reactivated') ?? 0;
        seen.held += reference.counts.held.get('input-silence') ?? 0;
        seen.discarded += reference.counts.discarded;
        seen.released += reference.counts.released;
        const random = mulberry32(planSeed + 1);
        const others = [
          run(logs, oneRecordPlan(random)),
          run(logs, randomChunkPlan(random, 40)),
          run(logs, randomChunkPlan(random, 400), 3),
          run(logs, roundRobinPlan(100_000)),
          // As the profiler hands chunks over: only up to where the step would cut them.
          run(logs, randomChunkPlan(random, 400), undefined, true),
          run(logs, roundRobinPlan(100_000), 3, true),
        ];
        for (const other of others) {
          expectSubscriberOrder(other);
          expect(signalsByCustomer(other)).toEqual(signalsByCustomer(reference));
          expect(deadLetterOffsets(other).sort()).toEqual(deadLetterOffsets(reference).sort());
          expect(comparable(other)).toEqual(comparable(reference));
          expect(heldLapses(other)).toEqual(heldLapses(reference));
          // The table decisions read: frozen from the same gaps whatever the batching.
          expect(other.state.populationHurdles).toEqual(reference.state.populationHurdles);
        }
      }),
      { numRuns: 60 },
    );
    expect(seen.lapses).toBeGreaterThan(0);
    expect(seen.reactivations).toBeGreaterThan(0);
    expect(seen.held).toBeGreaterThan(0);
    expect(seen.discarded).toBeGreaterThan(0);
    expect(seen.released).toBeGreaterThan(0);
    expect(seen.traits).toBeGreaterThan(0);
  }, 600_000);
});
