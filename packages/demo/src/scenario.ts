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
  /** Traits statements sent straight to pulse.traits (each customer's, on their first day). */
  traits: TraitsRecord[];
}

export type CustomerKind = Archetype | 'founding-example' | 'accelerating-buyer';

/** Who a demo customer is (sent once to pulse.traits, as of their first event). */
export interface DemoTraits {
  country: string;
  acquisitionSource: string;
  customerType: string;
}

/** A traits statement of the demo, as the JSON an order system or CRM would produce. */
export interface TraitsRecord {
  eventId: string;
  customerId: string;
  occurredAt: string;
  country: string;
  acquisitionSource: string;
  customerType: string;
}

export interface DemoCustomer {
  customerId: string;
  kind: CustomerKind;
  /** Stated to Pulse on the customer's first day (null for the clock customers). */
  traits: DemoTraits;
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
  totals: {
    events: number;
    viaCollector: number;
    badRecords: number;
    collectorRejects: number;
    traits: number;
  };
}

/** Customer ids of the clock events start with this; they are not part of the population. */
export const CLOCK_CUSTOMER_PREFIX = 'demo-clock-';

/** Whether a customer's events go through the collector: a fixed share, chosen by a hash of the id. */
export function routedViaCollector(customerId: string, seed: number, share: number): boolean {
  return (deriveSeed(idHash(customerId, seed, 7), 11) % 10_000) / 10_000 < share;
}

/** FNV-style hash of a customer id, started from the seed and a salt (no shared random stream). */
function idHash(customerId: string, seed: number, salt: number): number {
  let hash = deriveSeed(seed, salt);
  for (let index = 0; index < customerId.length; index += 1) {
    hash = Math.imul(hash ^ customerId.charCodeAt(index), 0x01000193) >>> 0;
  }
  return hash;
}

/** A uniform draw in [0, 1) fixed by the customer id, the seed and a salt (no shared stream). */
function unitDraw(customerId: string, seed: number, salt: number): number {
  return (deriveSeed(idHash(customerId, seed, salt), 13) % 1_000_000) / 1_000_000;
}

export const DEMO_COUNTRIES = [
  ['DE', 0.3],
  ['FR', 0.2],
  ['GB', 0.2],
  ['US', 0.2],
  ['NL', 0.1],
] as const;
/** The acquisition source whose customers lapse twice as often as everyone else's. */
export const RISKY_SOURCE = 'paid-social';
/** Share of the customers acquired through RISKY_SOURCE. */
export const RISKY_SOURCE_SHARE = 0.25;
export const OTHER_SOURCES = ['newsletter', 'organic-search', 'referral'] as const;
export const BUSINESS_SHARE = 0.2;

function pick<T>(weighted: readonly (readonly [T, number])[], draw: number): T {
  let left = draw;
  for (const [value, weight] of weighted) {
    if (left < weight) return value;
    left -= weight;
  }
  return weighted[weighted.length - 1]![0];
}

/**
 * The demo's traits, drawn so that the segment chart has a difference to show: customers
 * acquired through RISKY_SOURCE go silent twice as often as the others. The events are the test
 * kit's (whether a customer goes silent is its draw); the source is drawn given that outcome, by
 * Bayes: with a share s of risky customers and an overall silent share p, the others' silent
 * rate is q = p / (1 + s), the risky ones' 2q, so P(risky | silent) = 2s / (1 + s) and
 * P(risky | not silent) = s (1 − 2q) / (1 − p). Country and customer type are independent of
 * behaviour.
 */
export function demoTraitsFor(
  customerId: string,
  goesSilent: boolean,
  silentShare: number,
  seed: number,
): DemoTraits {
  const s = RISKY_SOURCE_SHARE;
  const q = Math.min(0.5, silentShare / (1 + s));
  const riskyGivenSilent = Math.min(1, (2 * s * q) / Math.max(silentShare, 1e-9));
  const riskyGivenStaying = Math.max(0, (s * (1 - 2 * q)) / Math.max(1 - silentShare, 1e-9));
  const risky =
    unitDraw(customerId, seed, 31) < (goesSilent ? riskyGivenSilent : riskyGivenStaying);
  const other = OTHER_SOURCES[Math.floor(unitDraw(customerId, seed, 37) * OTHER_SOURCES.length)]!;
  return {
    country: pick(DEMO_COUNTRIES, unitDraw(customerId, seed, 41)),
    acquisitionSource: risky ? RISKY_SOURCE : other,
    customerType: unitDraw(customerId, seed, 43) < BUSINESS_SHARE ? 'business' : 'consumer',
  };
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
  const silent = new Set(
    population.customers
      .filter((truth) => truth.silentFromMs !== null && truth.silentFromMs < endMs)
      .map((truth) => truth.customerId),
  );
  const silentShare = silent.size / Math.max(1, population.customers.length);

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

  const firstEventMs = new Map<string, number>();
  for (const event of all) {
    if (!firstEventMs.has(event.customerId)) firstEventMs.set(event.customerId, event.occurredAtMs);
  }
  const customers: DemoCustomer[] = [...kinds].map(([customerId, kind]) => {
    const firstMs = firstEventMs.get(customerId);
    return {
      customerId,
      kind,
      traits: demoTraitsFor(customerId, silent.has(customerId), silentShare, options.seed),
      firstSeenMs: firstMs === undefined ? null : Math.floor(firstMs / DAY_MS) * DAY_MS,
      viaCollector: routedViaCollector(customerId, options.seed, options.collectorShare),
    };
  });
  const viaCollector = new Set(customers.filter((c) => c.viaCollector).map((c) => c.customerId));

  const playback: PlaybackDay[] = [];
  for (let day = 0; day < days; day += 1) {
    playback.push({
      dayMs: startMs + day * DAY_MS,
      direct: [],
      viaCollector: [],
      badRecords: [],
      collectorRejects: [],
      traits: [],
    });
  }
  // Each customer's traits, stated as of their first event, on the day of it.
  let traitsRecords = 0;
  for (const customer of customers) {
    const firstMs = firstEventMs.get(customer.customerId);
    if (firstMs === undefined) continue;
    playback[Math.floor((firstMs - startMs) / DAY_MS)]!.traits.push({
      eventId: `${customer.customerId}-traits-1`,
      customerId: customer.customerId,
      occurredAt: new Date(firstMs).toISOString(),
      ...customer.traits,
    });
    traitsRecords += 1;
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
      traits: traitsRecords,
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
