/*
 * Live segment figures through real Kafka and Redis: after a profiler run over a log of visits,
 * purchases and traits, GET /v1/segments (every partition merged) answers exactly what an oracle
 * computes from the input log — each partition's events through the core alone (clean-pass.ts),
 * every final profile settled to the partition's stream time and keyed as of it, every signal
 * counted on its event-time day within the 90 days kept. Then `pulse replay` rebuilds them in a
 * new namespace, and `pulse segments --namespace v2 --json` gives the same figures.
 *
 * Signals are compared by segment and band: the traits a signal carries are those the partition
 * knew at its decision, and traits are not ordered against visits and purchases, so which of a
 * customer's statements a decision saw may differ between two reads of the same log.
 */
import { describe, expect, it } from 'vitest';
import {
  customerKeyOf,
  defaultRulesConfig as rules,
  emptyFigureTable,
  FigureTableDraft,
  parseDimensions,
  signalKeyOf,
  type CustomerEvent,
  type SegmentFigureTable,
  type TraitsEvent,
} from '@pulse/core';
import { segmentsAnswer, type SegmentsResponse } from '@pulse/profile-api';
import { runPulse } from '../support/cli.ts';
import { cleanPass, settled } from '../support/clean-pass.ts';
import { bearer, get, startTestProfileApi, testKey } from '../support/http.ts';
import { connectedProducer } from '../support/infra.ts';
import { createProfilerTopics, readStoredState } from '../support/profiler.ts';
import { cliEnv, inNamespace, replayPopulation, runLiveToEnd } from '../support/replay.ts';
import { waitFor } from '../support/wait.ts';

const PARTITIONS = 4;
const DAY_MS = 86_400_000;
const COUNTRIES = ['DE', 'FR', 'IT'];
const TYPES = ['consumer', 'business'];
const readKey = testKey('crm');

/** A traits statement for most customers, stated a day before their first event. */
function statementsFor(events: readonly CustomerEvent[]): TraitsEvent[] {
  const first = new Map<string, number>();
  for (const event of events)
    first.set(
      event.customerId,
      Math.min(first.get(event.customerId) ?? Infinity, event.occurredAtMs),
    );
  return [...first].flatMap(([customerId, firstMs], index) =>
    index % 7 === 6
      ? [] // some customers nobody described: (unknown)
      : [
          {
            kind: 'traits' as const,
            eventId: `traits-${index}`,
            customerId,
            occurredAtMs: firstMs - DAY_MS,
            country: COUNTRIES[index % COUNTRIES.length]!,
            region: null,
            acquisitionSource: null,
            customerType: TYPES[index % TYPES.length]!,
            plan: null,
            attributes: {},
          },
        ],
  );
}

/** The oracle's figures of each partition, from the clean pass settled to its stream time. */
function oracleTables(
  events: readonly CustomerEvent[],
  statements: readonly TraitsEvent[],
  partitionOf: (customerId: string) => number,
  streamTimeOf: (partition: number) => number,
): SegmentFigureTable[] {
  const tables: SegmentFigureTable[] = [];
  for (const [partition, pass] of cleanPass(events, partitionOf, streamTimeOf, rules, statements)) {
    const draft = new FigureTableDraft(emptyFigureTable());
    const streamTimeMs = streamTimeOf(partition);
    const context = { population: pass.populationHurdles };
    for (const profile of pass.profiles.values()) {
      const key = customerKeyOf(
        settled(profile, streamTimeMs, rules, context),
        rules,
        draft.values,
        true,
      );
      if (key !== null) draft.moveCustomer(null, key);
    }
    for (const signal of pass.signals) {
      const profile = pass.profiles.get(signal.customerId)!;
      const key = signalKeyOf(signal, profile, rules, draft.values);
      draft.countSignal(Math.floor(signal.detectedAtMs / DAY_MS), key, null);
    }
    draft.retain(streamTimeMs);
    tables.push(draft.freeze());
  }
  return tables;
}

/** The figures without where they were read (namespace), for comparing two answers. */
const figuresOf = (answer: SegmentsResponse) => ({
  by: answer.by,
  complete: answer.complete,
  groups: answer.groups,
});

describe('live segment figures', () => {
  it('equal the oracle computed from the input log, after a run and after a replay into a new namespace', async () => {
    const topics = await createProfilerTopics(PARTITIONS);
    const traitsTopic = topics.traits;
    const events = replayPopulation({
      customers: 160,
      durationDays: 140,
      seed: 29,
      lapseShare: 0.5,
      returnShare: 0.5,
    });
    const statements = statementsFor(events);
    const producer = await connectedProducer();
    await producer.send({
      topic: traitsTopic,
      acks: -1,
      messages: statements.map((statement) => ({
        key: statement.customerId,
        value: JSON.stringify({
          eventId: statement.eventId,
          customerId: statement.customerId,
          occurredAt: new Date(statement.occurredAtMs).toISOString(),
          country: statement.country,
          customerType: statement.customerType,
        }),
      })),
    });
    // The traits are on their topic before the live run starts reading the log.
    const { live } = await runLiveToEnd(topics, events, PARTITIONS);

    const api = await startTestProfileApi(live, {
      readKeys: [{ name: 'crm', key: readKey }],
    });
    const state = await readStoredState(live, PARTITIONS);
    const partitionOf = new Map<string, number>();
    for (const [partition, stored] of state)
      for (const customerId of stored.profiles.keys()) partitionOf.set(customerId, partition);
    const streamTimeOf = (partition: number) => state.get(partition)?.streamTimeMs ?? 0;
    const tables = oracleTables(
      events,
      statements,
      (customerId) => partitionOf.get(customerId) ?? -1,
      streamTimeOf,
    );
    const oracle = (by: string) =>
      figuresOf(segmentsAnswer('oracle', tables, parseDimensions(by), null, null));

    const byTraits = 'segment,band,country,customerType';
    const bySegment = 'segment,band';
    const served = async (by: string) => {
      const response = await get<SegmentsResponse>(
        `${api.url}/v1/segments?by=${by}`,
        bearer(readKey),
      );
      expect(response.status).toBe(200);
      return response.body;
    };
    // The API reads what is committed; the last sweeps of a drained log may still be on their
    // way (a tick after the last record), so the answer is awaited, and must then be exact.
    const customersOf = (answer: { groups: SegmentsResponse['groups'] }) =>
      answer.groups.map(({ signals: _signals, ...group }) => group);
    const expectedCustomers = customersOf(oracle(byTraits));
    await waitFor(
      'the served figures to equal the oracle',
      async () =>
        JSON.stringify(customersOf(await served(byTraits))) === JSON.stringify(expectedCustomers)
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(async () => {
      expect(customersOf(await served(byTraits))).toEqual(expectedCustomers);
    });
    const answer = await served(byTraits);
    expect(answer.complete).toBe(true);
    expect(answer.namespace).toBe('v1');
    const customers = answer.groups.reduce((sum, group) => sum + group.customers, 0);
    expect(customers).toBe(new Set(events.map((event) => event.customerId)).size);
    // The log reaches several segments, countries and signals, or the comparison is dull.
    expect(new Set(answer.groups.map((group) => group.group.segment)).size).toBeGreaterThan(2);
    expect(new Set(answer.groups.map((group) => group.group.country))).toEqual(
      new Set([...COUNTRIES, '(unknown)']),
    );
    const signalsServed = figuresOf(await served(bySegment));
    expect(signalsServed).toEqual(oracle(bySegment));
    const signalTotal = signalsServed.groups.reduce(
      (sum, group) => sum + group.signals.lapsed + group.signals.reactivated,
      0,
    );
    expect(signalTotal).toBeGreaterThan(10);

    // The same figures after a replay of the log into a new namespace (signals suppressed).
    const env = cliEnv(live);
    const replay = await runPulse(['replay', '--namespace', 'v2', '--signals', 'suppress'], env);
    expect(replay.code, replay.stderr).toBe(0);
    const replayed = async (by: string) => {
      const shown = await runPulse(['segments', '--namespace', 'v2', '--by', by, '--json'], env);
      expect(shown.code, shown.stderr).toBe(0);
      return JSON.parse(shown.stdout) as SegmentsResponse;
    };
    const v2 = await replayed(byTraits);
    expect(v2.namespace).toBe('v2');
    expect(customersOf(v2)).toEqual(expectedCustomers);
    expect(figuresOf(await replayed(bySegment))).toEqual(signalsServed);
    const v2State = await readStoredState(inNamespace(live, 'v2'), PARTITIONS);
    for (const [partition, stored] of v2State)
      expect(stored.streamTimeMs, `stream time of partition ${partition}`).toBe(
        streamTimeOf(partition),
      );

    // And as a table: one line per country.
    const table = await runPulse(['segments', '--by', 'country'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^country\s+customers\s+lapsed/);
    for (const country of COUNTRIES) expect(table.stdout).toMatch(new RegExp(`^${country} `, 'm'));
  }, 300_000);
});
