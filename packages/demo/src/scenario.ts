// The demo's synthetic world, as pure data: the seeded population of @pulse/test-kit, the
// founding example (a daily visitor who goes silent), a few buyers whose visits speed up before
// a purchase, a handful of bad records for the dead-letter topic, and the final "clock" events
// that bring every partition's stream time to the same instant. Nothing here reads the wall
// clock or the environment: the same options always give the same events, in the same order.
import { DAY_MS, defaultRulesConfig, type CustomerEvent } from '@pulse/core';
import { partitionForKey } from '@pulse/stream';
import {
  customerEventList,
  deriveSeed,
  generatePopulation,
  mulberry32,
  randomInt,
  type Archetype,
} from '@pulse/test-kit';

/** Event time of the demo's first day: fixed, so the data never depends on when it runs. */
export const DEMO_START_MS = Date.UTC(2025, 0, 6);

/** The founding example of Pulse: a daily visitor who goes silent. */
export const FOUNDING_EXAMPLE_ID = 'daily-regular-dana';

export interface ScenarioOptions {
  seed: number;
  customers: number;
  days: number;
  /** Share of customers whose events go through the collector's HTTP API (0..1). */
  collectorShare: number;
  /** Partitions of the input topics (the clock events need one customer per partition). */
  partitions: number;
  startMs?: number;
}

/** A record the profiler must dead-letter: raw bytes on an input topic. */
export interface BadRecord {
  topic: 'visits' | 'purchases';
  key: string;
  value: string;
  /** The dead-letter kind the profiler is expected to give it. */
  expectedKind: string;
}

export interface PlaybackDay {
  /** Start of the UTC day these events happen on. */
  dayMs: number;
  /** Events sent straight to Kafka, in time order. */
  direct: CustomerEvent[];
  /** Events sent through the collector (POST /v1/events), in time order. */
  viaCollector: CustomerEvent[];
  /** Broken records sent straight to Kafka on this day. */
  badRecords: BadRecord[];
  /** Malformed events posted to the collector on this day (it must reject them). */
  collectorRejects: Record<string, unknown>[];
}

export type CustomerKind = Archetype | 'founding-example' | 'accelerating-buyer';

export interface DemoCustomer {
  customerId: string;
  kind: CustomerKind;
  /** The day of the customer's first event (start of the UTC day, ms). */
  firstSeenMs: number | null;
  viaCollector: boolean;
}

export interface DailyActivity {
  dayMs: number;
  visits: number;
  purchases: number;
}

export interface Scenario {
  seed: number;
  startMs: number;
  /** First instant after the last played day. */
  endMs: number;
  days: number;
  customers: DemoCustomer[];
  playback: PlaybackDay[];
  /** One visit per partition at `startMs`, played and applied before anything else (see demo.ts). */
  openingEvents: CustomerEvent[];
  /** One visit per partition at `endMs`: every partition's stream time ends at the same instant. */
  clockEvents: CustomerEvent[];
  /** The stream time every partition ends at: endMs minus the allowed lateness. */
  finalStreamTimeMs: number;
  /** The founding example's visits and purchases per day (every day of the period). */
  foundingExampleActivity: DailyActivity[];
  totals: { events: number; viaCollector: number; badRecords: number; collectorRejects: number };
}

/** Customer ids of the clock events start with this; they are not part of the population. */
export const CLOCK_CUSTOMER_PREFIX = 'demo-clock-';

/** Whether a customer's events go through the collector: a fixed share, chosen by a hash of the id. */
export function routedViaCollector(customerId: string, seed: number, share: number): boolean {
  let hash = deriveSeed(seed, 7);
  for (let index = 0; index < customerId.length; index += 1) {
    hash = Math.imul(hash ^ customerId.charCodeAt(index), 0x01000193) >>> 0;
  }
  return (deriveSeed(hash, 11) % 10_000) / 10_000 < share;
}

/** Where the founding example starts and how long it visits daily, for a period of `days`. */
export function foundingExamplePlan(days: number): { startDay: number; activeDays: number } {
  return {
    startDay: Math.floor(days * 0.15),
    activeDays: Math.min(60, Math.floor(days * 0.4)),
  };
}

export function buildScenario(options: ScenarioOptions): Scenario {
  const startMs = Math.floor((options.startMs ?? DEMO_START_MS) / DAY_MS) * DAY_MS;
  const days = options.days;
  if (!Number.isInteger(days) || days < 45) throw new RangeError('the demo needs at least 45 days');
  const endMs = startMs + days * DAY_MS;
  const population = generatePopulation({
    customers: options.customers,
    startMs,
    durationDays: days,
    seed: options.seed,
  });

  const kinds = new Map<string, CustomerKind>();
  for (const truth of population.customers) kinds.set(truth.customerId, truth.archetype);

  // The founding example: daily (one or two visits) for up to 60 days, then not at all.
  const founding = foundingExamplePlan(days);
  const foundingEvents = customerEventList({
    customerId: FOUNDING_EXAMPLE_ID,
    startMs,
    seed: deriveSeed(options.seed, -100),
    segments: [
      { days: founding.startDay },
      { days: founding.activeDays, visitEveryDays: 1, maxVisitsPerActiveDay: 2 },
    ],
  });
  kinds.set(FOUNDING_EXAMPLE_ID, 'founding-example');

  // Buyers on a 30-day cycle who visit every 3 days, then daily in the run-up to a purchase:
  // "give me a push". They need four purchases of history first, so only longer runs have them.
  const buyerEvents: CustomerEvent[] = [];
  const buyerCount = days >= 150 ? Math.max(3, Math.round(options.customers / 150)) : 0;
  const random = mulberry32(deriveSeed(options.seed, -200));
  for (let index = 0; index < buyerCount; index += 1) {
    const customerId = `buyer-${String(index + 1).padStart(2, '0')}`;
    const offset = randomInt(random, 0, Math.max(0, days - 150));
    buyerEvents.push(
      ...customerEventList({
        customerId,
        startMs,
        seed: deriveSeed(options.seed, -300 - index),
        segments: [
          { days: offset },
          { days: 91, visitEveryDays: 3, purchaseEveryDays: 30, maxVisitsPerActiveDay: 2 },
          { days: 17, visitEveryDays: 3 },
          { days: 8, visitEveryDays: 1, maxVisitsPerActiveDay: 2 },
          {
            days: Math.max(1, days - offset - 116),
            visitEveryDays: 3,
            purchaseEveryDays: 30,
          },
        ],
      }),
    );
    kinds.set(customerId, 'accelerating-buyer');
  }

  const all: CustomerEvent[] = [...population.events(), ...foundingEvents, ...buyerEvents].filter(
    (event) => event.occurredAtMs < endMs,
  );
  // Stable sort: equal instants keep the generator's order, so the log is the same every time.
  all.sort((a, b) => a.occurredAtMs - b.occurredAtMs);

  const firstSeen = new Map<string, number>();
  for (const event of all) {
    if (!firstSeen.has(event.customerId)) {
      firstSeen.set(event.customerId, Math.floor(event.occurredAtMs / DAY_MS) * DAY_MS);
    }
  }
  const customers: DemoCustomer[] = [...kinds].map(([customerId, kind]) => ({
    customerId,
    kind,
    firstSeenMs: firstSeen.get(customerId) ?? null,
    viaCollector: routedViaCollector(customerId, options.seed, options.collectorShare),
  }));
  const viaCollector = new Set(customers.filter((c) => c.viaCollector).map((c) => c.customerId));

  const playback: PlaybackDay[] = [];
  for (let day = 0; day < days; day += 1) {
    playback.push({
      dayMs: startMs + day * DAY_MS,
      direct: [],
      viaCollector: [],
      badRecords: [],
      collectorRejects: [],
    });
  }
  let collectorEvents = 0;
  for (const event of all) {
    const day = playback[Math.floor((event.occurredAtMs - startMs) / DAY_MS)]!;
    if (viaCollector.has(event.customerId)) {
      day.viaCollector.push(event);
      collectorEvents += 1;
    } else {
      day.direct.push(event);
    }
  }

  // Bad input, a third of the way in: it must reach the dead-letter topic, and nothing stops.
  const badDay = playback[Math.floor(days / 3)]!;
  const badAt = new Date(badDay.dayMs + 12 * 3_600_000).toISOString();
  badDay.badRecords.push(
    { topic: 'visits', key: 'dlq-sample-1', value: 'this is not JSON', expectedKind: 'not-json' },
    {
      topic: 'visits',
      key: 'dlq-sample-2',
      value: JSON.stringify({ eventId: 'dlq-sample-2-e1', occurredAt: badAt }),
      expectedKind: 'missing-id',
    },
    {
      topic: 'visits',
      key: 'dlq-sample-3',
      value: JSON.stringify({
        eventId: 'dlq-sample-3-e1',
        customerId: 'dlq-sample-3',
        occurredAt: '2999-01-01T00:00:00.000Z',
      }),
      expectedKind: 'future-timestamp',
    },
    {
      topic: 'purchases',
      key: 'dlq-sample-4',
      value: JSON.stringify({
        eventId: 'dlq-sample-4-e1',
        customerId: 'dlq-sample-4',
        occurredAt: badAt,
        orderId: 'dlq-sample-4-o1',
        amountMinor: -500,
        currency: 'EUR',
      }),
      expectedKind: 'schema-violation',
    },
  );
  // And one malformed event for the collector, which answers it with a rejection.
  badDay.collectorRejects.push({
    type: 'visit',
    eventId: 'collector-reject-1',
    customerId: 'collector-reject-1',
    occurredAt: 'yesterday, around noon',
  });

  const clockEvents = clockEventsFor(options.partitions, endMs, 'close');

  return {
    seed: options.seed,
    startMs,
    endMs,
    days,
    customers,
    playback,
    openingEvents: clockEventsFor(options.partitions, startMs, 'open'),
    clockEvents,
    finalStreamTimeMs: endMs - defaultRulesConfig.allowedLatenessMs,
    foundingExampleActivity: dailyActivity(foundingEvents, startMs, days),
    totals: {
      events: all.length,
      viaCollector: collectorEvents,
      badRecords: badDay.badRecords.length,
      collectorRejects: badDay.collectorRejects.length,
    },
  };
}

/**
 * One visit per input partition, all at `atMs`, from customers chosen so that the producers'
 * partitioner puts each on a different partition. Every partition's newest event is then the
 * same instant, so every partition ends at the same stream time: the signals do not depend on
 * which partition happened to see the last event of the period.
 */
export function clockEventsFor(partitions: number, atMs: number, label: string): CustomerEvent[] {
  const byPartition = new Map<number, string>();
  for (let candidate = 0; byPartition.size < partitions; candidate += 1) {
    const customerId = `${CLOCK_CUSTOMER_PREFIX}${candidate}`;
    const partition = partitionForKey(customerId, partitions);
    if (!byPartition.has(partition)) byPartition.set(partition, customerId);
  }
  return [...byPartition]
    .sort(([a], [b]) => a - b)
    .map(([partition, customerId]) => ({
      kind: 'visit' as const,
      eventId: `${customerId}-p${partition}-${label}`,
      customerId,
      occurredAtMs: atMs,
    }));
}

/** Visits and purchases per day of one customer's events, for every day of the period. */
export function dailyActivity(
  events: readonly CustomerEvent[],
  startMs: number,
  days: number,
): DailyActivity[] {
  const activity = Array.from({ length: days }, (_, day) => ({
    dayMs: startMs + day * DAY_MS,
    visits: 0,
    purchases: 0,
  }));
  for (const event of events) {
    const entry = activity[Math.floor((event.occurredAtMs - startMs) / DAY_MS)];
    if (!entry) continue;
    if (event.kind === 'visit') entry.visits += 1;
    else entry.purchases += 1;
  }
  return activity;
}
