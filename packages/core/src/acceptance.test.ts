// The product's acceptance scenarios, one test each, driven by @pulse/test-kit customers and a
// single-partition clock that fires timers only through dueTimeMs (as the profiler's due index).
import { customerEventList, generatePopulation, type CustomerScript } from '@pulse/test-kit';
import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as config } from './config.ts';
import type { CustomerEvent } from './events.ts';
import { newProfile } from './profile.ts';
import { replay, runClock } from './replay.test-support.ts';
import { DAY_MS, dayOf } from './time.ts';
import { advance, applyEvent } from './timeline.ts';
import { startOfLocalDayMs } from './zone.ts';
import { oracleLocalDay } from './zone.test-support.ts';

const START_MS = Date.UTC(2024, 0, 1);
const HOUR_MS = 3_600_000;

function lastActiveDayOf(events: readonly CustomerEvent[]): number {
  return dayOf(Math.max(...events.map((event) => event.occurredAtMs)));
}

function script(
  customerId: string,
  segments: CustomerScript['segments'],
  seed = 7,
): CustomerScript {
  return { customerId, startMs: START_MS, seed, segments };
}

describe('acceptance: lapse', () => {
  it('a daily visitor of 60 days who goes silent lapses once, between the hurdle and 14 silent days', () => {
    const events = customerEventList(
      script('daily', [
        { days: 60, visitEveryDays: 1, maxVisitsPerActiveDay: 3, skipProbability: 0.03 },
        { days: 40 },
      ]),
    );
    const state = replay(events, config);
    const lastDay = lastActiveDayOf(events);
    runClock(state, (lastDay + 30) * DAY_MS, HOUR_MS, config);

    const lapses = state.signals.filter((signal) => signal.kind === 'lapsed');
    expect(lapses).toHaveLength(1);
    const lapse = lapses[0]!;
    const index = state.signals.indexOf(lapse);
    const silentDaysWhenFired = (state.emittedAtStreamMs[index]! - (lastDay + 1) * DAY_MS) / DAY_MS;
    expect(lapse.evidence.usualLatencyDays).toBe(1);
    expect(silentDaysWhenFired).toBeGreaterThanOrEqual(lapse.evidence.hurdleDays as number);
    expect(silentDaysWhenFired).toBeLessThan(14);
    expect(lapse.evidence.daysSilent).toBeGreaterThanOrEqual(3);
    expect(lapse.evidence.daysSilent).toBeLessThan(14);
    // detectedAt is the due instant, not whenever the hourly clock happened to pop it.
    expect(lapse.detectedAtMs).toBe((lastDay + 1 + (lapse.evidence.daysSilent as number)) * DAY_MS);
    expect(lapse.customerId).toBe('daily');
    expect(lapse.rulesVersion).toMatch(/^r[0-9a-f]{12}$/);
  });

  it('a weekly visitor silent 10 days has not lapsed; silent 5 weeks has', () => {
    const events = customerEventList(
      script('weekly', [
        { days: 140, visitEveryDays: 7, visitJitterDays: 1, maxVisitsPerActiveDay: 2 },
        { days: 60 },
      ]),
    );
    const state = replay(events, config);
    const endOfLastDayMs = (lastActiveDayOf(events) + 1) * DAY_MS;

    runClock(state, endOfLastDayMs + 10 * DAY_MS, HOUR_MS, config);
    expect(state.signals.filter((signal) => signal.kind === 'lapsed')).toEqual([]);

    runClock(state, endOfLastDayMs + 35 * DAY_MS, HOUR_MS, config);
    const lapses = state.signals.filter((signal) => signal.kind === 'lapsed');
    expect(lapses).toHaveLength(1);
    expect(lapses[0]!.evidence.usualLatencyDays).toBeGreaterThanOrEqual(6);
    expect(lapses[0]!.evidence.usualLatencyDays).toBeLessThanOrEqual(8);
  });

  it('a lapsed customer who comes back gives one reactivated signal; a later lapse is a new episode', () => {
    const events = customerEventList(
      script('returner', [
        { days: 60, visitEveryDays: 1 },
        { days: 20 },
        { days: 30, visitEveryDays: 1 },
        { days: 40 },
      ]),
    );
    const state = replay(events, config);
    runClock(state, (lastActiveDayOf(events) + 30) * DAY_MS, 6 * HOUR_MS, config);

    expect(state.signals.map((signal) => [signal.kind, signal.evidence.episode])).toEqual([
      ['lapsed', 1],
      ['reactivated', 1],
      ['lapsed', 2],
    ]);
    const [firstLapse, reactivated, secondLapse] = state.signals;
    expect(new Set(state.signals.map((signal) => signal.signalId)).size).toBe(3);
    expect(secondLapse!.signalId).not.toBe(firstLapse!.signalId);
    // The comeback is stamped with the returning event's own time.
    const comeback = events.find((event) => event.occurredAtMs >= firstLapse!.detectedAtMs)!;
    // The start of the return day, however the return was noticed (on arrival or by a sweep).
    expect(reactivated!.detectedAtMs).toBe(dayOf(comeback.occurredAtMs) * DAY_MS);
    expect(reactivated!.evidence.daysSilent).toBe(20);
    expect(state.profiles.get('returner')!.openEpisodeSinceMs).toBe(secondLapse!.detectedAtMs);
  });
});

describe.each([
  // The test kit's activity is at 08:00–22:00 UTC; shifted so it is daytime where they live.
  ['Pacific/Auckland', -12 * HOUR_MS],
  ['America/Los_Angeles', 8 * HOUR_MS],
] as const)('acceptance: lapse in local days (%s)', (timeZone, shiftMs) => {
  const local = (events: readonly CustomerEvent[]): CustomerEvent[] =>
    events.map((event) => ({ ...event, occurredAtMs: event.occurredAtMs + shiftMs, timeZone }));
  /** The customer's calendar day of their last activity (Intl asked directly). */
  const lastLocalDayOf = (events: readonly CustomerEvent[]) =>
    oracleLocalDay(Math.max(...events.map((event) => event.occurredAtMs)), timeZone);

  it('a daily visitor who goes silent lapses once, at a local midnight within 14 silent days', () => {
    const events = local(
      customerEventList(
        script('daily', [
          { days: 60, visitEveryDays: 1, maxVisitsPerActiveDay: 3, skipProbability: 0.03 },
          { days: 40 },
        ]),
      ),
    );
    const state = replay(events, config);
    expect(state.profiles.get('daily')!.timeZone).toBe(timeZone);
    const lastDay = lastLocalDayOf(events);
    const endOfLastDayMs = startOfLocalDayMs(lastDay + 1, timeZone);
    expect(oracleLocalDay(endOfLastDayMs, timeZone)).toBe(lastDay + 1);
    expect(oracleLocalDay(endOfLastDayMs - 1, timeZone)).toBe(lastDay);
    runClock(state, endOfLastDayMs + 30 * DAY_MS, HOUR_MS, config);

    const lapses = state.signals.filter((signal) => signal.kind === 'lapsed');
    expect(lapses).toHaveLength(1);
    const lapse = lapses[0]!;
    expect(lapse.evidence.usualLatencyDays).toBe(1);
    const daysSilent = lapse.evidence.daysSilent as number;
    expect(daysSilent).toBeGreaterThanOrEqual(lapse.evidence.hurdleDays as number);
    expect(daysSilent).toBeLessThan(14);
    // Detected at the customer's midnight that starts the due day.
    const dueDay = lastDay + 1 + daysSilent;
    expect(oracleLocalDay(lapse.detectedAtMs, timeZone)).toBe(dueDay);
    expect(oracleLocalDay(lapse.detectedAtMs - 1, timeZone)).toBe(dueDay - 1);
    expect(lapse.evidence.lastActiveDay).toBe(
      new Date(lastDay * DAY_MS).toISOString().slice(0, 10),
    );
    expect(lapse.detectedAtMs - endOfLastDayMs).toBeLessThan(14 * DAY_MS);
  });

  it('a weekly visitor silent 9 days has not lapsed; silent 5 weeks has', () => {
    const events = local(
      customerEventList(
        script('weekly', [
          { days: 140, visitEveryDays: 7, visitJitterDays: 1, maxVisitsPerActiveDay: 2 },
          { days: 60 },
        ]),
      ),
    );
    const state = replay(events, config);
    const endOfLastDayMs = startOfLocalDayMs(lastLocalDayOf(events) + 1, timeZone);

    runClock(state, endOfLastDayMs + 9 * DAY_MS, HOUR_MS, config);
    expect(state.signals.filter((signal) => signal.kind === 'lapsed')).toEqual([]);

    runClock(state, endOfLastDayMs + 35 * DAY_MS, HOUR_MS, config);
    const lapses = state.signals.filter((signal) => signal.kind === 'lapsed');
    expect(lapses).toHaveLength(1);
    expect(lapses[0]!.evidence.usualLatencyDays).toBeGreaterThanOrEqual(6);
    expect(lapses[0]!.evidence.usualLatencyDays).toBeLessThanOrEqual(8);
  });
});

describe('acceptance: ready to buy', () => {
  // Purchases on days 0, 30, 60, 90, 120; visits every 3 days; from day 138 daily visits.
  const buyer = script('buyer', [
    { days: 121, visitEveryDays: 3, purchaseEveryDays: 30 },
    { days: 17, visitEveryDays: 3 },
    { days: 20, visitEveryDays: 1 },
  ]);
  const lastPurchaseDay = dayOf(START_MS) + 120;

  it('fires once with both reasons when visits double around 25 days after the last purchase', () => {
    const events = customerEventList(buyer);
    const state = replay(events, config);
    runClock(state, (lastActiveDayOf(events) + 2) * DAY_MS, 6 * HOUR_MS, config);

    const ready = state.signals.filter((signal) => signal.kind === 'ready_to_buy');
    expect(ready).toHaveLength(1);
    const signal = ready[0]!;
    expect(signal.evidence.reasons).toBe('visitAcceleration,repurchaseWindow');
    expect(signal.evidence.usualPurchaseGapDays).toBe(30);
    const daysSincePurchase = signal.evidence.daysSinceLastPurchase as number;
    expect(daysSincePurchase).toBeGreaterThanOrEqual(24);
    expect(daysSincePurchase).toBeLessThanOrEqual(26);
    expect(signal.detectedAtMs).toBe((lastPurchaseDay + daysSincePurchase + 1) * DAY_MS);
    // The cooldown holds for the 13 daily-visit days that follow.
    expect(lastActiveDayOf(events) - dayOf(signal.detectedAtMs - 1)).toBeGreaterThanOrEqual(12);
  });

  it('does not fire for the same customer without the visit acceleration', () => {
    const steady = customerEventList(
      script('steady', [{ days: 180, visitEveryDays: 3, purchaseEveryDays: 30 }]),
    );
    const state = replay(steady, config);
    expect(state.signals.filter((signal) => signal.kind === 'ready_to_buy')).toEqual([]);
  });

  it("with readyToBuyRequires 'any', either reason alone fires", () => {
    const any = { ...config, readyToBuyRequires: 'any' as const };
    const steady = customerEventList(
      script('steady', [{ days: 180, visitEveryDays: 3, purchaseEveryDays: 30 }]),
    );
    const windowOnly = replay(steady, any).signals.filter((s) => s.kind === 'ready_to_buy');
    expect(windowOnly.length).toBeGreaterThan(0);
    expect(windowOnly.map((signal) => signal.evidence.reasons)).toEqual(
      windowOnly.map(() => 'repurchaseWindow'),
    );

    const browser = customerEventList(
      script('browser', [
        { days: 138, visitEveryDays: 3 },
        { days: 20, visitEveryDays: 1 },
      ]),
    );
    const state = replay(browser, any);
    runClock(state, (lastActiveDayOf(browser) + 2) * DAY_MS, 6 * HOUR_MS, any);
    const accelerating = state.signals.filter((signal) => signal.kind === 'ready_to_buy');
    // Once, and once more after the cooldown: 20 days of daily visits.
    expect(accelerating).toHaveLength(2);
    expect(accelerating.map((signal) => signal.evidence.reasons)).toEqual([
      'visitAcceleration',
      'visitAcceleration',
    ]);
    // The default ('all') needs the window too: the same visits alone fire nothing.
    expect(replay(browser, config).signals.filter((s) => s.kind === 'ready_to_buy')).toEqual([]);
  });
});

describe('acceptance: order and duplicates', () => {
  it('out-of-order delivery within the allowed lateness gives the same profiles and signals', () => {
    const options = { customers: 40, startMs: START_MS, durationDays: 150, seed: 11 };
    const inOrder = generatePopulation(options);
    const shuffled = generatePopulation({ ...options, shuffleWithinMs: config.allowedLatenessMs });
    const inOrderEvents = [...inOrder.events()];
    const shuffledEvents = [...shuffled.events()];
    expect(shuffledEvents.map((event) => event.eventId)).not.toEqual(
      inOrderEvents.map((event) => event.eventId),
    );

    const a = replay(inOrderEvents, config);
    const b = replay(shuffledEvents, config);
    expect(b.outcomes.late).toBe(0);
    const finalMs = START_MS + 200 * DAY_MS;
    runClock(a, finalMs, DAY_MS, config);
    runClock(b, finalMs, DAY_MS, config);
    expect(b.profiles).toEqual(a.profiles);
    const byId = (signals: typeof a.signals) =>
      [...signals].sort((x, y) => (x.signalId < y.signalId ? -1 : 1));
    // Signals must match in full: reactivations are stamped with the start of the return day
    // whichever way the return was noticed.
    expect(byId(b.signals)).toEqual(byId(a.signals));
    expect(a.signals.some((signal) => signal.kind === 'lapsed')).toBe(true);
  });

  it('the same event delivered twice counts once', () => {
    const events = customerEventList(
      script('retried', [{ days: 20, visitEveryDays: 1, purchaseEveryDays: 5 }]),
    );
    let profile = newProfile('retried');
    for (const event of events) {
      const first = applyEvent(profile, event, event.occurredAtMs, config);
      const again = applyEvent(first.profile, event, event.occurredAtMs, config);
      expect(first.outcome).toBe('applied');
      expect(again.outcome).toBe('duplicate');
      expect(again.profile).toEqual(first.profile);
      profile = again.profile;
    }
    expect(profile.lifetimeVisits).toBe(events.filter((event) => event.kind === 'visit').length);
    expect(profile.lifetimePurchases).toBe(4);
  });

  it('a late event updates lifetime totals only', () => {
    const events = customerEventList(script('late', [{ days: 10, visitEveryDays: 1 }]));
    const state = replay(events, config);
    const before = advance(state.profiles.get('late')!, state.streamTimeMs, config).profile;
    const stale: CustomerEvent = {
      kind: 'purchase',
      eventId: 'late-old-order',
      customerId: 'late',
      occurredAtMs: START_MS + 2 * DAY_MS,
      orderId: 'o-1',
      amountMinor: 4_200,
      currency: 'EUR',
    };
    const result = applyEvent(before, stale, state.streamTimeMs, config);
    expect(result.outcome).toBe('late');
    expect(result.profile.lifetimePurchases).toBe(1);
    expect(result.profile.lifetimeSpend).toEqual([
      { currency: 'EUR', purchases: 1, spendMinor: 4_200 },
    ]);
    expect(result.profile.lateEvents).toBe(1);
    expect(result.profile.purchasesByDay).toEqual([]);
    expect(result.profile.lastPurchaseMs).toBeNull();
  });
});
