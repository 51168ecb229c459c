/*
 * pulse.traits through real Kafka and Redis: the profiler reads the traits topic as a third
 * input, co-partitioned with visits and purchases.
 *  - statements update the stored profiles, last value by event time (produced out of order
 *    here), also for a customer with no events at all; a visit's source is the first visit's
 *    source, which acquisitionSource falls back to;
 *  - bad traits records follow the inputs' dead-letter rules: not JSON, a schema violation, a
 *    far-future time, a record keyed by another customer — each on the dead-letter topic once,
 *    with the traits topic as its source, and positions committed past them;
 *  - a lapse decided afterwards carries, on the signal topic, the customer's traits and
 *    behavioural segment at the decision; a statement read after the decision changes the
 *    profile, not the signal already sent;
 *  - a replay from a point in time (after the first statements were produced) still reads every statement (traits are read from the log
 *    start) and rebuilds the same traits.
 * The traits are produced and committed before the visits that lead to the lapse: traits are not
 * ordered against the behavioural inputs (docs/architecture.md), so this is what makes "the
 * traits at the decision" a fixed expectation.
 */
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@pulse/contracts';
import { CUSTOMER_SEGMENTS, type Profile } from '@pulse/core';
import type { ProfileResponse } from '@pulse/profile-api';
import { partitionForKey } from '@pulse/stream';
import { collectRecords } from '../support/dead-letters.ts';
import { bearer, get, startTestProfileApi, testKey } from '../support/http.ts';
import { connectedAdmin, connectedProducer, uniqueName } from '../support/infra.ts';
import {
  createProfilerTopics,
  readStoredState,
  startTestProfiler,
  testProfilerConfig,
  waitForDrained,
} from '../support/profiler.ts';
import { inNamespace, replayInProcess } from '../support/replay.ts';
import { readSignals } from '../support/signal-topics.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 2;
const START_MS = Date.UTC(2026, 0, 5, 10);
const DAY_MS = 86_400_000;
const at = (day: number) => new Date(START_MS + day * DAY_MS).toISOString();

const traits = (customerId: string, day: number, tag: string, fields: Record<string, unknown>) =>
  JSON.stringify({ eventId: `${customerId}-t-${tag}`, customerId, occurredAt: at(day), ...fields });
const visit = (customerId: string, day: number, source?: string) =>
  JSON.stringify({
    eventId: `${customerId}-v-${day}`,
    customerId,
    occurredAt: at(day),
    ...(source ? { source } : {}),
  });

describe('customer traits through the profiler', () => {
  it('updates profiles, dead-letters bad statements, and signals carry traits and segment', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const config = testProfilerConfig(topics);
    const admin = await connectedAdmin();
    const lapser = uniqueName('lapser');
    const home = partitionForKey(lapser, PARTITIONS);
    const sameHome = (prefix: string) => {
      let id = uniqueName(prefix);
      while (partitionForKey(id, PARTITIONS) !== home) id = uniqueName(prefix);
      return id;
    };
    // Another customer of the same partition, whose visits move its stream time on.
    const clock = sameHome('clock');
    const known = sameHome('known-only');
    const deadLetters = await collectRecords([topics.deadLetter]);

    const producer = await connectedProducer();
    const send = (topic: string, messages: { key: string | null; value: string }[]) =>
      producer.send({ topic, acks: -1, messages });
    // Out of event-time order on purpose: the plan stated on day 5 wins over days -10 and -1.
    await send(topics.traits, [
      {
        key: lapser,
        value: traits(lapser, -1, 'signup', {
          country: 'DE',
          region: 'BY',
          customerType: 'consumer',
          plan: 'pro',
          attributes: { tier: 'gold' },
        }),
      },
      { key: lapser, value: traits(lapser, 5, 'upgrade', { plan: 'plus' }) },
      { key: lapser, value: traits(lapser, -10, 'old', { plan: 'free', country: 'AT' }) },
      { key: known, value: traits(known, 0, 'crm', { country: 'FR', customerType: 'business' }) },
      // Bad records, each a dead letter.
      { key: lapser, value: '{not json' },
      { key: lapser, value: traits(lapser, 1, 'bad-country', { country: 'Germany' }) },
      {
        key: lapser,
        value: JSON.stringify({
          eventId: `${lapser}-t-future`,
          customerId: lapser,
          occurredAt: '2100-01-01T00:00:00.000Z',
          plan: 'future',
        }),
      },
      { key: clock, value: traits(lapser, 2, 'miskeyed', { plan: 'stolen' }) },
    ]);

    await startTestProfiler(config);
    await waitForDrained(admin, config, PARTITIONS);

    const profileOf = async (customerId: string): Promise<Profile | undefined> => {
      const state = await readStoredState(config, PARTITIONS);
      return state.get(partitionForKey(customerId, PARTITIONS))?.profiles.get(customerId);
    };
    const stated = (await profileOf(lapser))!;
    expect(stated.traits.country).toEqual({ value: 'DE', asOfMs: START_MS - DAY_MS });
    expect(stated.traits.plan).toEqual({ value: 'plus', asOfMs: START_MS + 5 * DAY_MS });
    expect(stated.traits.attributes).toEqual([
      { name: 'tier', value: 'gold', asOfMs: START_MS - DAY_MS },
    ]);
    expect(stated.lifetimeVisits).toBe(0);
    const knownOnly = (await profileOf(known))!;
    expect(knownOnly.traits.country?.value).toBe('FR');
    expect(knownOnly.firstSeenMs).toBeNull();

    const letters = await waitFor('four dead letters', () =>
      deadLetters.length >= 4 ? deadLetters : undefined,
    );
    expect(letters).toHaveLength(4);
    expect(letters.map((record) => record.headers[DLQ_HEADERS.errorKind]).sort()).toEqual([
      'future-timestamp',
      'key-mismatch',
      'not-json',
      'schema-violation',
    ]);
    for (const record of letters) {
      expect(record.headers[DLQ_HEADERS.sourceTopic]).toBe(topics.traits);
      expect(record.headers[DLQ_HEADERS.sourcePartition]).toBe(String(home));
    }

    // Kafka's record time (produce time) after which only behaviour was produced: a replay
    // from here would miss the statements above, were traits not read from the log start.
    const behaviourFromMs = Date.now() + 1;
    await waitFor('the wall clock past the statements', () =>
      Date.now() > behaviourFromMs ? true : undefined,
    );

    // Behaviour: the lapser visits daily for 20 days (the first visit from paid search), then
    // goes silent; the other customer's visits take the stream time past the lapse.
    await send(
      topics.visits,
      Array.from({ length: 20 }, (_, day) => ({
        key: lapser,
        value: visit(lapser, day, day === 0 ? 'paid-search' : day === 3 ? 'email' : undefined),
      })),
    );
    await send(
      topics.visits,
      Array.from({ length: 45 }, (_, day) => ({ key: clock, value: visit(clock, day) })),
    );
    await waitForDrained(admin, config, PARTITIONS);
    const lapses = await waitFor('the lapse signal', async () => {
      const observed = await readSignals(admin, [topics.lapse]);
      const mine = observed.filter(
        ({ signal }) => signal.customerId === lapser && signal.kind === 'lapsed',
      );
      return mine.length > 0 ? mine : undefined;
    });
    expect(lapses).toHaveLength(1);
    const [{ signal }] = lapses as [(typeof lapses)[number]];
    expect(signal.traits).toEqual({
      country: 'DE',
      region: 'BY',
      acquisitionSource: 'paid-search',
      customerType: 'consumer',
      plan: 'plus',
      attributes: { tier: 'gold' },
    });
    expect(signal.segment).toEqual({ segment: 'lapsed', latencyBand: 'daily' });

    // A statement read after the decision: the profile follows, the sent signal stays.
    await send(topics.traits, [
      { key: lapser, value: traits(lapser, 30, 'later', { plan: 'max' }) },
    ]);
    await waitForDrained(admin, config, PARTITIONS);
    const after = (await profileOf(lapser))!;
    expect(after.traits.plan?.value).toBe('max');
    expect(after.traits.firstVisitSource).toEqual({ value: 'paid-search', asOfMs: START_MS });
    expect(after.lifetimeVisits).toBe(20);

    // The profile API answers who the customer is and their behavioural segment.
    const readKey = testKey('read');
    const api = await startTestProfileApi(config, { readKeys: [{ name: 'crm', key: readKey }] });
    const served = await get<ProfileResponse>(
      `${api.url}/v1/profiles/${encodeURIComponent(lapser)}`,
      bearer(readKey),
    );
    expect(served.status).toBe(200);
    expect(served.body.traits).toEqual({
      country: 'DE',
      region: 'BY',
      acquisitionSource: 'paid-search',
      acquisitionSourceFrom: 'first-visit',
      customerType: 'consumer',
      plan: 'max',
      attributes: { tier: 'gold' },
    });
    expect(CUSTOMER_SEGMENTS).toContain(served.body.segment.segment);
    expect(served.body.segment.latencyBand).toBe('daily');

    // A replay from the time the behaviour was produced still reads every statement (traits
    // from the log start): the same traits in v2, the traits-only customer included.
    const replayConfig = inNamespace(config, 'v2', {
      groupId: uniqueName('replay'),
      signalMode: 'suppress',
    });
    await replayInProcess(replayConfig, { from: { kind: 'time', timeMs: behaviourFromMs } });
    const replayed = await readStoredState(replayConfig, PARTITIONS);
    const replayedLapser = replayed.get(home)?.profiles.get(lapser);
    expect(replayedLapser?.traits.plan?.value).toBe('max');
    expect(replayedLapser?.traits.country?.value).toBe('DE');
    expect(replayed.get(home)?.profiles.get(known)?.traits).toEqual(knownOnly.traits);
  });
});
