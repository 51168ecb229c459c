/*
 * The population table in the partition step: the live profiler judges every customer.
 *
 * A one-time buyer has no rhythm of their own; before the population statistics became part of
 * the partition's state the profiler never judged them (no table, no model reached the
 * decisions). These tests run whole logs through the step, as the profiler and `pulse evaluate`
 * do, and check that the step counts the gaps, freezes the table at its refresh instants, and
 * judges one-time buyers by it (or by the purchase model it is given).
 */
import { customerEventList, mulberry32 } from '@pulse/test-kit';
import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as rules } from '../config.ts';
import type { CustomerEvent } from '../events.ts';
import {
  decodePopulationHurdles,
  encodePopulationHurdles,
  frozenPopulationHurdles,
} from '../population.ts';
import { DAY_MS } from '../time.ts';
import { newInputView } from './clock.ts';
import { randomChunkPlan, simulatePartition } from './simulator.ts';
import {
  emptyPartitionState,
  nextPopulationRefreshMs,
  POPULATION_REFRESH_MS,
  stepPartition,
} from './step.ts';
import { logsOf, propertySettings, published, PURCHASES, VISITS } from './test-support.ts';

const START_MS = Date.UTC(2025, 0, 6);

/** 40 weekly buyers for 150 days and 20 customers who buy once, in the first 20 days. */
function buyers(): CustomerEvent[] {
  const weekly = Array.from({ length: 40 }, (_, index) =>
    customerEventList({
      customerId: `weekly${index}`,
      startMs: START_MS,
      seed: index,
      segments: [{ days: 150, purchaseEveryDays: 7, purchaseJitterDays: 1 }],
    }),
  );
  const once = Array.from({ length: 20 }, (_, index) =>
    customerEventList({
      customerId: `once${index}`,
      startMs: START_MS + index * DAY_MS,
      seed: 100 + index,
      segments: [{ days: 1, purchaseEveryDays: 30 }],
    }),
  );
  return [...weekly, ...once].flat();
}

function run(events: CustomerEvent[], model?: Parameters<typeof simulatePartition>[0]['model']) {
  return simulatePartition({
    rules,
    settings: propertySettings,
    logs: logsOf(events, 5),
    plan: randomChunkPlan(mulberry32(11), 60),
    nowMs: START_MS + 400 * DAY_MS,
    finalStreamTimeMs: START_MS + 200 * DAY_MS,
    ...(model ? { model } : {}),
  });
}

describe('the population table in the partition step', () => {
  it('is learnt from the gaps the partition sees and judges one-time buyers by it', () => {
    const result = run(buyers());
    const hurdles = result.state.populationHurdles;
    expect(hurdles).not.toBeNull();
    // Weekly buyers' gaps: the table's hurdle lies around their rhythm.
    expect(hurdles!.pooledHurdleDays).toBeGreaterThanOrEqual(7);
    expect(hurdles!.pooledHurdleDays).toBeLessThanOrEqual(10);
    const lapses = published(result, 'lapsed').filter((signal) =>
      signal.customerId.startsWith('once'),
    );
    expect(new Set(lapses.map((signal) => signal.customerId)).size).toBe(20);
    for (const lapse of lapses) {
      expect(lapse.evidence.populationHurdleDays).not.toBeNull();
      expect(lapse.evidence.populationWeight).toBe(1);
    }
  });

  it('passes the purchase model to the decisions, its version and P(alive) in the evidence', () => {
    const model = {
      version: 'mbgnbd-test',
      parameters: { kind: 'mbgnbd' as const, r: 0.5, alpha: 40, a: 0.9, b: 1.6 },
    };
    const result = run(buyers(), model);
    const lapse = published(result, 'lapsed').find((signal) => signal.customerId === 'once0')!;
    expect(lapse.evidence.modelVersion).toBe('mbgnbd-test');
    expect(lapse.evidence.pAlive).toEqual(expect.any(Number));
  });

  it('stops a chunk before a refresh while customers due before it were not all loaded', () => {
    const refreshMs = nextPopulationRefreshMs(START_MS);
    const events = customerEventList({
      customerId: 'c',
      startMs: refreshMs - 3 * DAY_MS,
      seed: 1,
      segments: [{ days: 10, visitEveryDays: 1 }],
    });
    const records = events.map((event, index) => ({
      offset: String(index),
      key: null,
      value: null,
      verdict: { ok: true as const, event },
    }));
    const input = (dueListComplete: boolean) => ({
      state: { ...emptyPartitionState(), streamTimeMs: refreshMs - 4 * DAY_MS },
      view: newInputView([VISITS, PURCHASES]),
      chunk: { topic: VISITS, records, reachesLogEnd: true },
      profiles: { get: () => undefined },
      due: [],
      held: new Map(),
      timedCustomers: 0,
      nowMs: refreshMs + 30 * DAY_MS,
      dueListComplete,
    });
    const cutShort = stepPartition(input(false), rules, propertySettings);
    if (cutShort.kind !== 'step') throw new Error('unexpected reposition');
    expect(cutShort.stopped?.topic).toBe(VISITS);
    // The records before the stop moved the clock; it stays where they put it, before the refresh.
    expect(cutShort.state.streamTimeMs).toBeGreaterThan(refreshMs - 4 * DAY_MS);
    expect(cutShort.state.streamTimeMs).toBeLessThan(refreshMs);
    expect(cutShort.state.populationHurdles).toBeNull();
    expect(cutShort.offsets.get(VISITS)).toBe(cutShort.stopped!.offset);

    const complete = stepPartition(input(true), rules, propertySettings);
    if (complete.kind !== 'step') throw new Error('unexpected reposition');
    expect(complete.stopped).toBeUndefined();
    expect(complete.state.streamTimeMs).toBeGreaterThanOrEqual(refreshMs);
    expect(complete.state.streamTimeMs).toBeLessThan(refreshMs + POPULATION_REFRESH_MS);
    expect(complete.state.populationHurdles).not.toBeNull();
    expect(complete.populationChanged).toBe(true);
  });

  it('keeps the frozen table exactly through its stored form', () => {
    const result = run(buyers());
    const table = frozenPopulationHurdles(result.state.population, rules);
    expect(decodePopulationHurdles(encodePopulationHurdles(table))).toEqual(table);
  });
});

describe('ready to buy for customers who only buy', () => {
  // Before the window had a timer of its own it was judged at the end of active days only —
  // the purchase days themselves, 0 days after the last purchase — so a buyer never was.
  const buyer = customerEventList({
    customerId: 'buyer',
    startMs: START_MS,
    seed: 3,
    segments: [{ days: 61, purchaseEveryDays: 10 }],
  });
  const model = {
    version: 'mbgnbd-rtb',
    parameters: { kind: 'mbgnbd' as const, r: 0.5, alpha: 20, a: 0.5, b: 3 },
  };

  it('is judged when the repurchase window opens, with the expected purchases as a reason', () => {
    const result = run(buyer, model);
    const ready = published(result, 'ready_to_buy');
    expect(ready.length).toBeGreaterThan(0);
    const first = ready[0]!;
    expect(first.evidence.trigger).toBe('windowOpening');
    expect(first.evidence.reasons).toBe('expectedPurchases,repurchaseWindow');
    expect(first.evidence.expectedPurchases).toBeGreaterThanOrEqual(
      rules.readyToBuyExpectedPurchases,
    );
    expect(first.evidence.modelVersion).toBe('mbgnbd-rtb');
    // The window opens at 0.8 of the usual 10-day gap after a purchase day.
    expect(first.evidence.daysSinceLastPurchase).toBe(8);
  });

  it('needs an intent besides the window when every reason is required (no model: none)', () => {
    expect(published(run(buyer), 'ready_to_buy')).toEqual([]);
  });
});
