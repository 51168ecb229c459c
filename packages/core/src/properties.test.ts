// Property tests of the invariants replays and the due index rely on (fast-check).
import { customerEventList, mulberry32, type RhythmSegment } from '@pulse/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile } from './codec.ts';
import { defaultRulesConfig as config, type RulesConfig } from './config.ts';
import type { CustomerEvent } from './events.ts';
import { POPULATION_STEPS, type PopulationHurdles } from './population.ts';
import type { Profile } from './profile.ts';
import { replay } from './replay.test-support.ts';
import { earliestLapseDueDay, lapseDueDay, lapsePlanAsOf, lapseSilentDaysAsOf } from './rules.ts';
import { DAY_MS, streamTimeFor } from './time.ts';
import { advance, applyEvent, dueTimeMs, nextDecisionMs } from './timeline.ts';
import { deriveView } from './view.ts';
import { oracleLocalDay } from './zone.test-support.ts';

const START_MS = Date.UTC(2024, 2, 1);
const RUNS = { numRuns: 100 };

const segmentArbitrary: fc.Arbitrary<RhythmSegment> = fc.record({
  days: fc.integer({ min: 1, max: 70 }),
  visitEveryDays: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
  visitJitterDays: fc.integer({ min: 0, max: 3 }),
  maxVisitsPerActiveDay: fc.integer({ min: 1, max: 3 }),
  purchaseEveryDays: fc.option(fc.integer({ min: 3, max: 40 }), { nil: null }),
  purchaseJitterDays: fc.integer({ min: 0, max: 3 }),
});

/** Zones of customers whose events state one (null: none, UTC days); DST in March included. */
const timeZoneArbitrary = fc.constantFrom(
  null,
  null,
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kathmandu',
  'Pacific/Auckland',
);

/** One customer's history, in time order. */
const historyArbitrary = fc
  .record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    segments: fc.array(segmentArbitrary, { minLength: 1, maxLength: 4 }),
    timeZone: timeZoneArbitrary,
  })
  .map(({ seed, segments, timeZone }) =>
    customerEventList({ customerId: 'prop', startMs: START_MS, seed, segments }).map((event) =>
      timeZone === null ? event : { ...event, timeZone },
    ),
  )
  .filter((events) => events.length > 0);

/** Apply events on one partition clock, no timer pops in between (applyEvent advances). */
function applyAll(events: readonly CustomerEvent[]): { profile: Profile; streamTimeMs: number } {
  const state = replay(events, config);
  return { profile: state.profiles.get('prop')!, streamTimeMs: state.streamTimeMs };
}

/** Deliver out of order: hold each event back by a delay < allowed lateness (see test-kit). */
function jitter(events: readonly CustomerEvent[], seed: number): CustomerEvent[] {
  const random = mulberry32(seed);
  return events
    .map((event, index) => ({
      event,
      index,
      releaseMs: event.occurredAtMs + Math.floor(random() * config.allowedLatenessMs),
    }))
    .sort((a, b) => a.releaseMs - b.releaseMs || a.index - b.index)
    .map((entry) => entry.event);
}

const lastEventMs = (events: readonly CustomerEvent[]) =>
  Math.max(...events.map((event) => event.occurredAtMs));

describe('properties', () => {
  it('no population table brings a lapse before earliestLapseDueDay', () => {
    // The partition step leaves a customer without a look at the weekly refreshes of the
    // population table until the week their lapse can first come due in: that is only exact if
    // no table whatever makes it due earlier. Tables here go from far below any real hurdle
    // (0.01 days) to far above, with steps the table knows nothing of; the model is there or not.
    const hurdle = fc.option(fc.double({ min: 0.01, max: 400, noNaN: true }), { nil: null });
    const tableArbitrary: fc.Arbitrary<PopulationHurdles | null> = fc.option(
      fc.record({
        hurdleDays: fc.array(hurdle, { minLength: POPULATION_STEPS, maxLength: POPULATION_STEPS }),
        pooledHurdleDays: hurdle,
        gaps: fc.constant(Array.from({ length: POPULATION_STEPS }, () => 0)),
      }),
      { nil: null },
    );
    const modelArbitrary = fc.option(
      fc.record({
        version: fc.constant('prop'),
        parameters: fc.record({
          kind: fc.constantFrom('bgnbd' as const, 'mbgnbd' as const),
          r: fc.double({ min: 0.1, max: 5, noNaN: true }),
          alpha: fc.double({ min: 1, max: 100, noNaN: true }),
          a: fc.double({ min: 0.1, max: 5, noNaN: true }),
          b: fc.double({ min: 0.1, max: 10, noNaN: true }),
        }),
      }),
      { nil: null },
    );
    const rulesArbitrary: fc.Arbitrary<RulesConfig> = fc
      .record({
        lapseRule: fc.constantFrom(
          'hurdle' as const,
          'model' as const,
          'earlier' as const,
          'later' as const,
        ),
        populationPriorGaps: fc.constantFrom(0, 1, 3, 10),
      })
      .map((overrides) => ({ ...config, ...overrides }));
    fc.assert(
      fc.property(
        historyArbitrary,
        fc.array(tableArbitrary, { minLength: 1, maxLength: 4 }),
        modelArbitrary,
        rulesArbitrary,
        (events, tables, model, rules) => {
          const { profile } = applyAll(events);
          const anchorDay = profile.anchorDay;
          if (anchorDay === null) return;
          const earliest = earliestLapseDueDay(profile, anchorDay, rules, model);
          for (const population of tables) {
            const plan = lapsePlanAsOf(profile, anchorDay, rules, { population, model });
            if (plan === null) continue;
            expect(earliest).not.toBeNull();
            expect(plan.dueDay).toBeGreaterThanOrEqual(earliest!);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a lapse plan read through the memo of its active-day list is the one computed afresh', () => {
    // The inputs of a plan are memoized on the profile's active-day list, a few anchor days per
    // list: asked for more anchors than that, in any order, with tables and without, every
    // answer must be the fresh one (a copy of the list carries no memo), and the due day alone
    // must be the plan's.
    const tableArbitrary = fc.option(
      fc.record({
        hurdleDays: fc.array(
          fc.option(fc.double({ min: 0.5, max: 90, noNaN: true }), { nil: null }),
          {
            minLength: POPULATION_STEPS,
            maxLength: POPULATION_STEPS,
          },
        ),
        pooledHurdleDays: fc.option(fc.double({ min: 0.5, max: 90, noNaN: true }), { nil: null }),
        gaps: fc.constant(Array.from({ length: POPULATION_STEPS }, () => 0)),
      }),
      { nil: null },
    );
    fc.assert(
      fc.property(
        historyArbitrary,
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.array(tableArbitrary, { minLength: 1, maxLength: 3 }),
        (events, picks, tables) => {
          const { profile } = applyAll(events);
          const days = profile.activeDays;
          if (days.length === 0) return;
          for (const pick of picks) {
            const anchorDay = days[pick % days.length]!;
            const population = tables[pick % tables.length]!;
            const context = { population, model: null };
            const fresh = { ...profile, activeDays: [...days] };
            const expected = lapsePlanAsOf(fresh, anchorDay, config, context);
            const plan = lapsePlanAsOf(profile, anchorDay, config, context);
            expect(plan?.dueDay ?? null).toBe(expected?.dueDay ?? null);
            expect(plan?.evidence ?? null).toEqual(expected?.evidence ?? null);
            const silentDays = lapseSilentDaysAsOf(profile, anchorDay, config, context);
            expect(silentDays).toBe(expected?.silentDays ?? null);
            if (silentDays !== null) {
              expect(lapseDueDay(anchorDay, silentDays)).toBe(expected!.dueDay);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('permutations within the allowed lateness give equal profiles', () => {
    // Invariant: the commutative part is a set function of the on-time events, and decisions
    // only read sealed days, so arrival order within the lateness bound cannot show.
    fc.assert(
      fc.property(
        historyArbitrary,
        fc.integer(),
        fc.integer({ min: 0, max: 60 }),
        (events, seed, extraDays) => {
          const shuffled = jitter(events, seed);
          const finalMs = streamTimeFor(lastEventMs(events), config) + extraDays * DAY_MS;
          const inOrder = advance(applyAll(events).profile, finalMs, config).profile;
          const outOfOrder = advance(applyAll(shuffled).profile, finalMs, config).profile;
          expect(outOfOrder).toEqual(inOrder);
        },
      ),
      RUNS,
    );
  });

  it('re-applying an event is a no-op', () => {
    // Invariant: a remembered event id changes nothing, not even the timers.
    fc.assert(
      fc.property(historyArbitrary, fc.nat(), (events, pick) => {
        const { profile, streamTimeMs } = applyAll(events);
        // The newest events by time are the ones the dedup memory guarantees.
        const newest = [...events]
          .sort((a, b) => b.occurredAtMs - a.occurredAtMs)
          .slice(0, config.dedupMemorySize);
        const again = applyEvent(profile, newest[pick % newest.length]!, streamTimeMs, config);
        expect(again.outcome).toBe('duplicate');
        expect(again.profile).toBe(profile);
        expect(again.signals).toEqual([]);
      }),
      RUNS,
    );
  });

  it('an event delivered twice in a row counts once', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.nat(), (events, pick) => {
        const index = pick % events.length;
        const doubled = [...events.slice(0, index + 1), events[index]!, ...events.slice(index + 1)];
        const state = replay(doubled, config);
        expect(state.outcomes.duplicate).toBe(1);
        expect(state.profiles.get('prop')).toEqual(applyAll(events).profile);
      }),
      RUNS,
    );
  });

  it('window counts equal a brute-force recount of the raw events', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.integer({ min: 0, max: 120 }), (events, daysAfter) => {
        const { profile } = applyAll(events);
        const asOfMs = lastEventMs(events) + daysAfter * DAY_MS;
        // The customer's calendar days, asked of Intl directly (UTC days without a zone).
        const zone = events[0]!.timeZone;
        const dayOf = (ms: number) => oracleLocalDay(ms, zone);
        const asOfDay = dayOf(asOfMs);
        const within = (days: number) =>
          events.filter((event) => {
            const day = dayOf(event.occurredAtMs);
            return day > asOfDay - days && day <= asOfDay;
          });
        const activeDays = (days: number) =>
          new Set(within(days).map((event) => dayOf(event.occurredAtMs))).size;
        const visits = (days: number) => within(days).filter((e) => e.kind === 'visit').length;
        const purchases = (days: number) =>
          within(days).filter(
            (e): e is Extract<CustomerEvent, { kind: 'purchase' }> => e.kind === 'purchase',
          );
        const spend = (days: number) => purchases(days).reduce((sum, e) => sum + e.amountMinor, 0);

        const view = deriveView(profile, asOfMs, config);
        expect(view.windows).toMatchObject({
          visits7d: visits(7),
          visits30d: visits(30),
          visits90d: visits(90),
          activeDays7d: activeDays(7),
          activeDays30d: activeDays(30),
          activeDays90d: activeDays(90),
          purchases30d: purchases(30).length,
          purchases90d: purchases(90).length,
          purchases365d: purchases(365).length,
          spend30dMinor: spend(30),
          spend90dMinor: spend(90),
          spend365dMinor: spend(365),
        });
        expect(view.lifetime.visits).toBe(events.filter((e) => e.kind === 'visit').length);
        expect(view.lifetime.activeDays).toBe(
          new Set(events.map((event) => dayOf(event.occurredAtMs))).size,
        );
        expect(view.timeZone).toBe(zone ?? 'UTC');
      }),
      RUNS,
    );
  });

  it('the due time never precedes the last activity and always lies after the clock', () => {
    // Invariant: a due-index pop always makes progress (due > stream time advanced to), and no
    // timer is set in the customer's past.
    fc.assert(
      fc.property(historyArbitrary, fc.integer({ min: 0, max: 200 }), (events, hoursAfter) => {
        const state = replay(events, config);
        let profile = state.profiles.get('prop')!;
        let clockMs = state.streamTimeMs;
        for (let step = 0; step < 50; step += 1) {
          const due = dueTimeMs(profile, config);
          if (due === null) break;
          const lastActivityMs = Math.max(
            profile.lastVisitMs ?? -Infinity,
            profile.lastPurchaseMs ?? -Infinity,
          );
          expect(due).toBeGreaterThanOrEqual(lastActivityMs);
          expect(due).toBeGreaterThan(clockMs);
          clockMs = due + hoursAfter * 3_600_000;
          profile = advance(profile, clockMs, config).profile;
        }
      }),
      RUNS,
    );
  });

  it('advance decides nothing before nextDecisionMs, and something at it', () => {
    // The partition step leaves a customer as they are when a look could only move their clock:
    // exact only if nextDecisionMs is the first instant advance() decides anything at.
    fc.assert(
      fc.property(historyArbitrary, (events) => {
        let { profile } = applyAll(events);
        for (let step = 0; step < 50; step += 1) {
          const decisionMs = nextDecisionMs(profile, config);
          const clockMs = profile.clockMs ?? Number.NEGATIVE_INFINITY;
          const before = decisionMs === null ? clockMs + 400 * DAY_MS : decisionMs - 1;
          if (before > clockMs) {
            const idle = advance(profile, before, config);
            expect(idle.clockOnly).toBe(true);
            expect(idle.signals).toEqual([]);
            expect({ ...idle.profile, clockMs: profile.clockMs }).toEqual(profile);
          }
          if (decisionMs === null) break;
          const decided = advance(profile, decisionMs, config);
          expect(decided.clockOnly).toBe(false);
          profile = decided.profile;
        }
      }),
      RUNS,
    );
  });

  it('advance is composable: advance(advance(p, t1), t2) equals advance(p, t2)', () => {
    // Invariant: batch boundaries do not matter; the same signals come out, split differently.
    fc.assert(
      fc.property(
        historyArbitrary,
        fc.integer({ min: 0, max: 90 * 24 }),
        fc.integer({ min: 0, max: 90 * 24 }),
        (events, hours1, hours2) => {
          const { profile, streamTimeMs } = applyAll(events);
          const t1 = streamTimeMs + Math.min(hours1, hours2) * 3_600_000;
          const t2 = streamTimeMs + Math.max(hours1, hours2) * 3_600_000;
          const direct = advance(profile, t2, config);
          const first = advance(profile, t1, config);
          const second = advance(first.profile, t2, config);
          expect(second.profile).toEqual(direct.profile);
          expect([...first.signals, ...second.signals]).toEqual(direct.signals);
          expect(advance(direct.profile, t2, config).signals).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('encode / decode round-trips', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.integer({ min: 0, max: 100 }), (events, daysAfter) => {
        const { profile, streamTimeMs } = applyAll(events);
        const advanced = advance(profile, streamTimeMs + daysAfter * DAY_MS, config).profile;
        expect(decodeProfile(encodeProfile(advanced))).toEqual(advanced);
        expect(decodeProfile(encodeProfile(profile))).toEqual(profile);
      }),
      RUNS,
    );
  });
});
