// The partition step on hand-made states: the cases a whole log makes hard to aim at.
import { customerEventList } from '@pulse/test-kit';
import { describe, expect, it } from 'vitest';
import { defaultRulesConfig as rules } from '../config.ts';
import type { Profile } from '../profile.ts';
import { DAY_MS } from '../time.ts';
import { advance, applyEvent, nextDecisionMs } from '../timeline.ts';
import { newInputView } from './clock.ts';
import type { HeldSignal } from './guard.ts';
import { nextSegmentChangeMs } from '../segment-figures.ts';
import {
  chunkReach,
  emptyPartitionState,
  nextPopulationRefreshMs,
  stepPartition,
  type RecordVerdict,
  type StepChunk,
  type StepInput,
  type StepOutcome,
  type StepRecord,
} from './step.ts';
import { PURCHASES, propertySettings, TRAITS, VISITS } from './test-support.ts';
import { applyTraitsStatement, observeVisitSource, type TraitsEvent } from '../traits.ts';

const START_MS = Date.UTC(2025, 5, 2);

/** A daily visitor of `activeDays` days, then silent, then back on `returnDay` (if given). */
function profileOf(customerId: string, activeDays: number, returnDay?: number): Profile {
  const events = customerEventList({
    customerId,
    startMs: START_MS,
    seed: 3,
    segments: [
      { days: activeDays, visitEveryDays: 1 },
      ...(returnDay === undefined
        ? []
        : [{ days: returnDay - activeDays }, { days: 1, visitEveryDays: 1 }]),
    ],
  });
  let profile: Profile | undefined;
  // Applied while the clock is still at the start: nothing is decided yet.
  for (const event of events) profile = applyEvent(profile, event, START_MS, rules).profile;
  return profile!;
}

function tick(
  profiles: Map<string, Profile>,
  streamTimeMs: number,
  overrides: Partial<StepInput> = {},
  settings = propertySettings,
): StepOutcome {
  const result = stepPartition(
    {
      state: { ...emptyPartitionState(), streamTimeMs },
      view: newInputView([VISITS, PURCHASES]),
      profiles: { get: (id) => profiles.get(id) },
      due: [...profiles.keys()],
      held: new Map(),
      timedCustomers: profiles.size,
      nowMs: streamTimeMs + 10 * DAY_MS,
      ...overrides,
    },
    rules,
    settings,
  );
  if (result.kind !== 'step') throw new Error('unexpected reposition');
  return result;
}

const published = (result: StepOutcome) =>
  result.outbox.flatMap((item) => (item.type === 'signal' ? [item.signal] : []));

describe('stepPartition', () => {
  it('publishes a lapse before the return a sweep found with it (regression: the return went first)', () => {
    // Daily for 30 days, silent, back on day 40: the lapse was due on day 34 (hurdle 4).
    const profiles = new Map([['c', profileOf('c', 30, 40)]]);
    const result = tick(profiles, START_MS + 41 * DAY_MS);
    expect(published(result).map((signal) => signal.kind)).toEqual(['lapsed', 'reactivated']);
    expect(result.outbox.map((item) => item.type === 'signal' && item.topic)).toEqual([
      'lapse',
      'lapse',
    ]);
  });

  it('counts the customers its timers looked at, and those whose clock alone moved', () => {
    // Daily for 30 days: the first look seals them (a decision); an hour later nothing is due.
    const first = tick(new Map([['q', profileOf('q', 30)]]), START_MS + 31 * DAY_MS);
    expect(first.counts.timerLooks).toEqual({ total: 1, clockOnly: 0 });
    const sealed = first.profiles.get('q')!;
    expect(sealed.anchorDay).not.toBeNull();
    const again = tick(new Map([['q', sealed]]), START_MS + 31 * DAY_MS + 3_600_000);
    expect(again.counts.timerLooks).toEqual({ total: 1, clockOnly: 1 });
    expect(published(again)).toEqual([]);
  });

  it('writes a customer a look at a refresh leaves undecided when their segment moves by then', () => {
    // One visit 30 days (the `new` segment's span) before 2 h after a refresh of the population
    // table: at the refresh nothing is to be decided for them, but at the sweep after it their
    // segment has moved on with time alone, so the look must advance and write them.
    const refreshMs = nextPopulationRefreshMs(START_MS + 60 * DAY_MS);
    const changeMs = refreshMs + 2 * 3_600_000;
    const firstSeenMs = changeMs - rules.segments.newCustomerDays * DAY_MS;
    const [visit] = customerEventList({
      customerId: 'n',
      startMs: firstSeenMs,
      seed: 5,
      segments: [{ days: 1, visitEveryDays: 1 }],
    });
    const fresh = applyEvent(
      undefined,
      { ...visit!, occurredAtMs: firstSeenMs },
      firstSeenMs,
      rules,
    );
    const before = advance(fresh.profile, refreshMs - 3 * 3_600_000, rules).profile;
    expect(nextSegmentChangeMs(before, rules)).toBe(changeMs);
    expect(nextDecisionMs(before, rules)).toBeNull();
    const result = tick(new Map([['n', before]]), refreshMs - 3 * 3_600_000, {
      idleStreamTimeMs: changeMs,
    });
    expect(result.state.streamTimeMs).toBe(changeMs);
    expect(result.counts.timerLooks).toEqual({ total: 2, clockOnly: 2 });
    expect(result.profiles.get('n')?.clockMs).toBe(changeMs);
    expect(result.figuresChanged).toBe(true);
  });

  describe('the storm guard', () => {
    const stormSettings = {
      ...propertySettings,
      guard: { ...propertySettings.guard, stormMinLapses: 5, stormMaxLapseShare: 0.2 },
    };
    const customers = new Map(
      Array.from({ length: 10 }, (_, index) => [`c${index}`, profileOf(`c${index}`, 30)]),
    );
    const dueAtMs = START_MS + 34 * DAY_MS;

    it('holds a sweep that would lapse an abnormal share of a caught-up partition', () => {
      const result = tick(customers, dueAtMs + 3_600_000, { timedCustomers: 40 }, stormSettings);
      expect(published(result)).toEqual([]);
      expect(result.storm).toEqual({ lapses: 10, timedCustomers: 40 });
      expect(result.counts.held.get('storm')).toBe(10);
      // Each hold comes due at its deadline: two days after the lapse, day-aligned.
      for (const [, dueMs] of result.due) expect(dueMs).toBe(dueAtMs + 3 * DAY_MS);
    });

    it('does not judge a partition that is catching up: a backlog lapses many at once by nature', () => {
      const catchingUp = newInputView([VISITS, PURCHASES], [VISITS]);
      const result = tick(
        customers,
        dueAtMs + 3_600_000,
        { timedCustomers: 40, view: catchingUp },
        stormSettings,
      );
      expect(result.storm).toBeUndefined();
      expect(published(result)).toHaveLength(10);
    });

    it('releases the held lapses of customers still away at the deadline, and drops the rest', () => {
      const held = new Map<string, HeldSignal>();
      const first = tick(customers, dueAtMs + 3_600_000, { timedCustomers: 40 }, stormSettings);
      for (const [id, entry] of first.held) if (entry) held.set(id, entry);
      // c0 comes back on day 35, before the deadline (day 37); the others do not.
      const profiles = new Map(first.profiles);
      const returnMs = START_MS + 35 * DAY_MS + 10 * 3_600_000;
      const back = {
        kind: 'visit' as const,
        eventId: 'back',
        customerId: 'c0',
        occurredAtMs: returnMs,
      };
      profiles.set('c0', applyEvent(profiles.get('c0'), back, dueAtMs + 3_600_000, rules).profile);
      const later = tick(
        profiles,
        dueAtMs + 3 * DAY_MS,
        { held, timedCustomers: 40 },
        stormSettings,
      );
      const signals = published(later);
      expect(signals.map((signal) => signal.customerId).sort()).toEqual(
        Array.from({ length: 9 }, (_, index) => `c${index + 1}`),
      );
      expect(signals.every((signal) => signal.kind === 'lapsed')).toBe(true);
      expect(signals.every((signal) => signal.detectedAtMs === dueAtMs)).toBe(true);
      expect(later.counts.released).toBe(9);
      expect(later.counts.discarded).toBe(1);
      expect([...later.held.values()]).toEqual(Array.from({ length: 10 }, () => null));
    });
  });

  it('routes by mode: suppressed signals and dead letters are counted, redirected ones share a topic', () => {
    const profiles = new Map([['c', profileOf('c', 30, 40)]]);
    const chunk = {
      topic: VISITS,
      reachesLogEnd: true,
      records: [
        {
          offset: '0',
          key: null,
          value: new Uint8Array([0xff]),
          verdict: { ok: false as const, kind: 'not-json', message: 'not JSON' },
        },
      ],
    };
    const suppress = {
      ...propertySettings,
      routing: { ...propertySettings.routing, signalMode: 'suppress' as const },
    };
    const suppressed = tick(profiles, START_MS + 41 * DAY_MS, { chunk }, suppress);
    expect(suppressed.outbox).toEqual([]);
    expect(suppressed.counts.signals.get('lapsed')).toBe(1);
    expect(suppressed.counts.deadLetters.get('not-json')).toBe(1);

    const redirect = {
      ...propertySettings,
      routing: {
        ...propertySettings.routing,
        signalMode: 'redirect' as const,
        redirectTopic: 'replay-out',
      },
    };
    const redirected = tick(profiles, START_MS + 41 * DAY_MS, { chunk }, redirect);
    expect(redirected.outbox.map((item) => `${item.type}@${item.topic}`)).toEqual([
      'dead-letter@replay-out',
      'signal@replay-out',
      'signal@replay-out',
    ]);
  });
});

describe('the traits input', () => {
  const statement = (
    customerId: string,
    occurredAtMs: number,
    fields: Partial<TraitsEvent> = {},
  ): TraitsEvent => ({
    kind: 'traits',
    eventId: `${customerId}-${occurredAtMs}`,
    customerId,
    occurredAtMs,
    country: null,
    region: null,
    acquisitionSource: null,
    customerType: null,
    plan: null,
    attributes: {},
    ...fields,
  });
  const records = (events: RecordVerdict[]): StepRecord[] =>
    events.map((verdict, offset) => ({ offset: String(offset), key: null, value: null, verdict }));

  it('merges statements by their own time and moves, holds or cuts nothing of the clock', () => {
    const streamTimeMs = START_MS + 5 * DAY_MS;
    const view = {
      ...newInputView([VISITS, PURCHASES], [VISITS]),
      paused: new Map([[PURCHASES, streamTimeMs]]),
    };
    const result = tick(new Map(), streamTimeMs, {
      view,
      due: [],
      // The wall clock: a statement 60 days ahead of the stream is not in the future.
      nowMs: START_MS + 100 * DAY_MS,
      chunk: {
        topic: TRAITS,
        reachesLogEnd: true,
        records: records([
          { ok: true, event: statement('c', START_MS + 60 * DAY_MS, { plan: 'pro' }) },
          { ok: true, event: statement('c', START_MS, { plan: 'free', country: 'DE' }) },
          { ok: false, kind: 'not-json', message: 'not JSON' },
          { ok: true, event: statement('c', START_MS + 10_000 * DAY_MS, { plan: 'future' }) },
        ]),
      },
    });
    const traits = result.profiles.get('c')!.traits;
    expect(traits.plan).toEqual({ value: 'pro', asOfMs: START_MS + 60 * DAY_MS });
    expect(traits.country).toEqual({ value: 'DE', asOfMs: START_MS });
    expect(result.counts.traits).toBe(2);
    // Far in the future (by the wall clock) and undecodable: dead letters from the traits topic.
    expect(
      result.outbox.map((item) => item.type === 'dead-letter' && item.reason.kind).sort(),
    ).toEqual(['future-timestamp', 'not-json']);
    // The clock did not follow the statement 60 days ahead; the view is untouched.
    expect(result.state.streamTimeMs).toBe(streamTimeMs);
    expect(result.state.newestAppliedMs.size).toBe(0);
    expect(result.state.traffic.size).toBe(0);
    expect(result.state.lastEventWallMs).toBeNull();
    expect(result.resume).toEqual([]);
    expect(result.view.paused.get(PURCHASES)).toBe(streamTimeMs);
    expect(result.view.lagging.get(VISITS)).toBe(true);
    expect(result.offsets.get(TRAITS)).toBe('4');
    expect(result.cut).toBeUndefined();
  });

  it('dead-letters a behavioural record on the traits topic, and a statement on another', () => {
    const visit = {
      kind: 'visit' as const,
      eventId: 'v',
      customerId: 'c',
      occurredAtMs: START_MS,
    };
    const onTraits = tick(new Map(), START_MS, {
      due: [],
      chunk: { topic: TRAITS, reachesLogEnd: true, records: records([{ ok: true, event: visit }]) },
    });
    const onVisits = tick(new Map(), START_MS, {
      due: [],
      chunk: {
        topic: VISITS,
        reachesLogEnd: true,
        records: records([{ ok: true, event: statement('c', START_MS) }]),
      },
    });
    for (const result of [onTraits, onVisits]) {
      expect(result.profiles.size).toBe(0);
      expect(result.outbox.map((item) => item.type === 'dead-letter' && item.reason.kind)).toEqual([
        'schema-violation',
      ]);
    }
  });

  it('gives every signal the traits and segment of its customer at the decision', () => {
    const profile = profileOf('c', 30);
    const withTraits = {
      ...profile,
      traits: applyTraitsStatement(
        observeVisitSource(profile.traits, START_MS, 'web'),
        statement('c', START_MS, {
          country: 'FR',
          customerType: 'business',
          attributes: { a: 'b' },
        }),
      ),
    };
    const [lapse] = published(tick(new Map([['c', withTraits]]), START_MS + 36 * DAY_MS));
    expect(lapse?.kind).toBe('lapsed');
    expect(lapse?.traits).toEqual({
      country: 'FR',
      region: null,
      acquisitionSource: 'web',
      customerType: 'business',
      plan: null,
      attributes: { a: 'b' },
    });
    expect(lapse?.segment).toEqual({ segment: 'lapsed', latencyBand: 'daily' });
    // Lapse and return found in one sweep: each says what the customer was at its own decision.
    const both = published(tick(new Map([['c', profileOf('c', 30, 40)]]), START_MS + 41 * DAY_MS));
    expect(both.map((signal) => signal.segment?.segment)).toEqual(['lapsed', 'reactivated']);
  });
});

describe('chunkReach', () => {
  const visitAt = (id: string, occurredAtMs: number): RecordVerdict => ({
    ok: true,
    event: { kind: 'visit', eventId: id, customerId: id, occurredAtMs },
  });
  const chunkOf = (verdicts: RecordVerdict[]): StepChunk => ({
    topic: VISITS,
    reachesLogEnd: false,
    records: verdicts.map((verdict, offset) => ({
      offset: String(offset),
      key: null,
      value: null,
      verdict,
    })),
  });
  const streamTimeMs = START_MS + 5 * DAY_MS;
  const slack = rules.allowedLatenessMs / 2;
  const state = {
    ...emptyPartitionState(),
    streamTimeMs,
    newestAppliedMs: new Map([
      [VISITS, streamTimeMs],
      [PURCHASES, streamTimeMs],
    ]),
  };
  const nowMs = START_MS + 30 * DAY_MS;

  it('ends at the record the step cuts the topic at, and the step does cut there', () => {
    // The purchases have more to deliver: visits may run half the lateness past them.
    const view = newInputView([VISITS, PURCHASES], [PURCHASES]);
    const chunk = chunkOf([
      visitAt('a', streamTimeMs),
      { ok: false, kind: 'not-json', message: 'not JSON' },
      // Far in the future by the wall clock: dead-lettered, never a cut.
      visitAt('b', nowMs + 400 * DAY_MS),
      visitAt('c', streamTimeMs + slack),
      visitAt('d', streamTimeMs + slack + 1),
      visitAt('e', streamTimeMs + slack + 2),
    ]);
    const reach = chunkReach(chunk, state, view, nowMs, rules);
    expect(reach).toBe(5);
    const result = stepPartition(
      {
        state,
        view,
        chunk,
        profiles: { get: () => undefined },
        due: [],
        held: new Map(),
        timedCustomers: 0,
        nowMs,
      },
      rules,
      propertySettings,
    );
    if (result.kind !== 'step') throw new Error('unexpected reposition');
    expect(result.cut?.offset).toBe(chunk.records[reach - 1]!.offset);
  });

  it('takes the whole chunk when no other input holds it back', () => {
    const chunk = chunkOf([visitAt('a', streamTimeMs), visitAt('b', streamTimeMs + 20 * DAY_MS)]);
    expect(chunkReach(chunk, state, newInputView([VISITS, PURCHASES]), nowMs, rules)).toBe(2);
  });
});
