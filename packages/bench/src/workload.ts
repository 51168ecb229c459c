import { domainToWire } from '@pulse/contracts';
import type { CustomerEvent } from '@pulse/core';
import {
  ARCHETYPES,
  customerEvents,
  deriveSeed,
  generatePopulation,
  MinHeap,
  mulberry32,
  randomInt,
  type Archetype,
  type CustomerScript,
} from '@pulse/test-kit';

/**
 * The benchmark's input: a synthetic population from the test kit (daily, weekly, monthly and
 * irregular visitors, buyers on their own cycles, a share that lapse and some that come back),
 * in event-time order, as the JSON a tracker sends (~250 bytes for a visit), cut to a number of
 * events.
 *
 * The log must be as hard as the job: it spans at least `minSpanDays` of event time, so that
 * rhythms form (5 active days), hurdles pass (at least 4 silent days) and the allowed lateness
 * (2 days) is crossed many times over while the benchmark drains it — lapses, reactivations and
 * ready-to-buy signals fire, the timers, the outbox relay and the guards all run. When the
 * events per customer asked for are too few for the default mix over that span, the mix leans
 * towards monthly visitors (the long tail of a real shop) and keeps a core of daily, weekly and
 * irregular regulars and accelerating buyers; when they are more, the span grows.
 *
 * Accelerating buyers (as in the demo) buy every 14 days and visit every 3, then daily in the
 * run-up to their fifth purchase: the "give me a push" customer the ready-to-buy rule looks for
 * (it needs three purchase gaps of history, which the population's own buyers rarely have
 * within two months).
 */
export interface WorkloadOptions {
  customers: number;
  events: number;
  seed: number;
  /** The event time the cut log spans at least (default 60 days). */
  minSpanDays?: number;
  /** First day of event time (default 2026-01-01). */
  startMs?: number;
  customerIdPrefix?: string;
}

export interface WireRecord {
  kind: 'visit' | 'purchase';
  key: string;
  value: Buffer;
  occurredAtMs: number;
}

export type WorkloadKind = Archetype | 'accelerating-buyer';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = [...ARCHETYPES, 'accelerating-buyer'];

export interface WorkloadPlan {
  /** Days the population is generated over (the cut at `events` lands before its end). */
  generatedDays: number;
  /** Days of event time the events asked for are expected to span. */
  expectedSpanDays: number;
  /** Shares of the customers by kind (they add up to 1). */
  shares: Record<WorkloadKind, number>;
}

export interface Workload {
  options: Required<WorkloadOptions>;
  plan: WorkloadPlan;
  /** Customers per kind. */
  counts: Record<WorkloadKind, number>;
  /** A fresh pass over the (at most `events`) records. */
  records(): Generator<WireRecord>;
}

const DAY_MS = 86_400_000;
export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);
export const DEFAULT_MIN_SPAN_DAYS = 60;

const PAGES = ['catalog/shoes', 'catalog/outdoor/tents', 'product', 'basket', 'search', 'account'];
const SOURCES = ['web', 'ios-app', 'android-app'];

/** What a tracker adds to a visit: its session, page and source. */
function visitExtras(event: CustomerEvent): { sessionId: string; page: string; source: string } {
  const n = event.occurredAtMs % 9973;
  return {
    sessionId: `s-${event.customerId}-${Math.floor(event.occurredAtMs / 1_800_000)}`,
    page: `https://shop.example.com/${PAGES[n % PAGES.length]}/${n}?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale`,
    source: SOURCES[n % SOURCES.length]!,
  };
}

/** The object a tracker would send for an event (wireJson spells it as JSON). */
export function trackerWire(event: CustomerEvent): object {
  if (event.kind === 'purchase') return domainToWire(event);
  return { ...domainToWire(event), ...visitExtras(event) };
}

/** The JSON a tracker would send for an event; visits carry session, page and source. */
export function wireJson(event: CustomerEvent): Buffer {
  // Events without a time zone or a source of their own (all the benchmark makes) are spelt by
  // hand, in JSON.stringify's key order: the latency run makes them on the clock, on the cores
  // it measures. The others are stringified whole.
  if (event.timeZone === undefined && (event.kind === 'purchase' || event.source === undefined)) {
    const head = `{"eventId":${JSON.stringify(event.eventId)},"customerId":${JSON.stringify(event.customerId)},"occurredAt":"${isoOf(event.occurredAtMs)}"`;
    if (event.kind === 'purchase') {
      return Buffer.from(
        `${head},"orderId":${JSON.stringify(event.orderId)},"amountMinor":${JSON.stringify(event.amountMinor)},"currency":${JSON.stringify(event.currency)}}`,
      );
    }
    const { sessionId, page, source } = visitExtras(event);
    return Buffer.from(
      `${head},"sessionId":${JSON.stringify(sessionId)},"page":${JSON.stringify(page)},"source":${JSON.stringify(source)}}`,
    );
  }
  return Buffer.from(JSON.stringify(trackerWire(event)));
}

/** The ISO text of an instant, remembered for the last one (a live batch shares one). */
let lastIso: { ms: number; text: string } = { ms: Number.NaN, text: '' };
function isoOf(ms: number): string {
  if (lastIso.ms !== ms) lastIso = { ms, text: new Date(ms).toISOString() };
  return lastIso.text;
}

/**
 * An accelerating buyer's script: from a random start, visits every 3 days and a purchase every
 * 14 for 45 days (four purchases), visits every 3 days for 8 more, daily for 8 (the run-up),
 * then the first rhythm again.
 */
export function acceleratingBuyer(
  customerId: string,
  startMs: number,
  days: number,
  seed: number,
): CustomerScript {
  const random = mulberry32(seed);
  // Starts spread so that the run-up ends within `days`.
  const offset = randomInt(random, 0, Math.max(0, days - 60));
  return {
    customerId,
    startMs,
    seed: deriveSeed(seed, 1),
    segments: [
      { days: offset },
      { days: 45, visitEveryDays: 3, purchaseEveryDays: 14, maxVisitsPerActiveDay: 2 },
      { days: 8, visitEveryDays: 3, visitPhaseDays: 2 },
      { days: 8, visitEveryDays: 1, maxVisitsPerActiveDay: 2 },
      { days: Math.max(1, 2 * days - offset - 61), visitEveryDays: 3, purchaseEveryDays: 14 },
    ],
  };
}

/** Events per customer over `days`, per kind, measured on a sample of the generator. */
export function eventsPerCustomer(seed: number, days: number): Record<WorkloadKind, number> {
  const customers = 400;
  const rates = {} as Record<WorkloadKind, number>;
  let buyerEvents = 0;
  for (let index = 0; index < customers; index += 1) {
    const script = acceleratingBuyer(`b${index}`, DEFAULT_START_MS, days, deriveSeed(seed, index));
    for (const _event of customerEvents(script)) buyerEvents += 1;
  }
  rates['accelerating-buyer'] = buyerEvents / customers;
  for (const archetype of ARCHETYPES) {
    const sample = generatePopulation({
      customers,
      startMs: DEFAULT_START_MS,
      durationDays: days,
      seed,
      archetypeWeights: { [archetype]: 1 },
    });
    let count = 0;
    for (const _event of sample.events()) count += 1;
    rates[archetype] = count / customers;
  }
  return rates;
}

/**
 * Pure: the mix and the generated length that make `perCustomer` events per customer span
 * `spanDays`, given each kind's events per customer over that span. The regulars (daily,
 * weekly, irregular visitors and accelerating buyers) keep equal shares; monthly visitors fill
 * the rest.
 */
export function planMix(
  perCustomer: number,
  spanDays: number,
  rates: Record<WorkloadKind, number>,
): WorkloadPlan {
  const regulars = ['daily', 'weekly', 'irregular', 'accelerating-buyer'] as const;
  const regular = regulars.reduce((sum, kind) => sum + rates[kind], 0) / regulars.length;
  const all = (regular * regulars.length + rates.monthly) / 5;
  const mix = (regularShare: number): Record<WorkloadKind, number> => ({
    daily: regularShare / 4,
    weekly: regularShare / 4,
    irregular: regularShare / 4,
    'accelerating-buyer': regularShare / 4,
    monthly: 1 - regularShare,
  });
  // A little under the events asked for inside the span: the cut then lands just past it.
  const wanted = perCustomer / 1.05;
  if (wanted >= all) {
    // Enough events for the default (equal) mix: a longer span.
    const spanNeeded = (spanDays * wanted) / all;
    return {
      generatedDays: Math.ceil(spanNeeded * 1.2),
      expectedSpanDays: spanNeeded * 1.05,
      shares: mix(0.8),
    };
  }
  if (wanted <= rates.monthly) {
    // Too few even for monthly visitors alone: they span longer than asked.
    const spanNeeded = (spanDays * wanted) / rates.monthly;
    return {
      generatedDays: Math.ceil(Math.max(spanDays, spanNeeded) * 1.2),
      expectedSpanDays: Math.max(spanDays, spanNeeded) * 1.05,
      shares: mix(0),
    };
  }
  // wanted = s × regular + (1 − s) × monthly, s the share of regulars.
  const share = (wanted - rates.monthly) / (regular - rates.monthly);
  return {
    generatedDays: Math.ceil(spanDays * 1.2),
    expectedSpanDays: spanDays * 1.05,
    shares: mix(share),
  };
}

export function buildWorkload(input: WorkloadOptions): Workload {
  const options: Required<WorkloadOptions> = {
    startMs: DEFAULT_START_MS,
    customerIdPrefix: 'c',
    minSpanDays: DEFAULT_MIN_SPAN_DAYS,
    ...input,
  };
  if (options.customers < 1 || options.events < 1) {
    throw new RangeError('the workload needs at least one customer and one event');
  }
  const plan = planMix(
    options.events / options.customers,
    options.minSpanDays,
    eventsPerCustomer(options.seed, options.minSpanDays),
  );
  // Exact counts per kind (not a random draw per customer): at a small size a few daily
  // visitors more or less would change the events the log holds, and so its span.
  const counts = customerCounts(options.customers, plan.shares);
  const populations = ARCHETYPES.map((archetype, index) =>
    generatePopulation({
      customers: counts[archetype],
      startMs: options.startMs,
      durationDays: plan.generatedDays,
      seed: deriveSeed(options.seed, index),
      customerIdPrefix: `${options.customerIdPrefix}${archetype[0]}`,
      archetypeWeights: { [archetype]: 1 },
    }),
  );
  const buyerScripts = Array.from({ length: counts['accelerating-buyer'] }, (_, index) =>
    acceleratingBuyer(
      `${options.customerIdPrefix}b${index}`,
      options.startMs,
      options.minSpanDays,
      deriveSeed(options.seed, -1 - index),
    ),
  );
  return {
    options,
    plan,
    counts,
    *records() {
      let emitted = 0;
      for (const event of mergeByTime([
        ...populations.map((population) => population.events()),
        ...buyerScripts.map((script) => customerEvents(script)),
      ])) {
        if (emitted >= options.events) return;
        emitted += 1;
        yield {
          kind: event.kind,
          key: event.customerId,
          value: wireJson(event),
          occurredAtMs: event.occurredAtMs,
        };
      }
    },
  };
}

/** Pure: customers per kind, rounded so that they add up to the total (monthly takes the rest). */
export function customerCounts(
  customers: number,
  shares: Record<WorkloadKind, number>,
): Record<WorkloadKind, number> {
  const counts = {} as Record<WorkloadKind, number>;
  let assigned = 0;
  for (const kind of WORKLOAD_KINDS) {
    if (kind === 'monthly') continue;
    counts[kind] = Math.round(customers * shares[kind]);
    assigned += counts[kind];
  }
  counts.monthly = Math.max(0, customers - assigned);
  return counts;
}

/** Streams each in time order, merged into one in time order (ties: the earlier stream first). */
function* mergeByTime(streams: Generator<CustomerEvent>[]): Generator<CustomerEvent> {
  interface Head {
    event: CustomerEvent;
    stream: number;
  }
  const heads = new MinHeap<Head>(
    (a, b) =>
      a.event.occurredAtMs < b.event.occurredAtMs ||
      (a.event.occurredAtMs === b.event.occurredAtMs && a.stream < b.stream),
  );
  streams.forEach((stream, index) => {
    const first = stream.next();
    if (!first.done) heads.push({ event: first.value, stream: index });
  });
  while (heads.size > 0) {
    const head = heads.pop()!;
    yield head.event;
    const next = streams[head.stream]!.next();
    if (!next.done) heads.push({ event: next.value, stream: head.stream });
  }
}

export { DAY_MS };
