import { domainToWire } from '@pulse/contracts';
import type { CustomerEvent } from '@pulse/core';
import { ARCHETYPES, generatePopulation, type Archetype, type Population } from '@pulse/test-kit';

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
 * irregular regulars; when they are more, the span grows.
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

export interface WorkloadPlan {
  /** Days the population is generated over (the cut at `events` lands before its end). */
  generatedDays: number;
  /** Days of event time the events asked for are expected to span. */
  expectedSpanDays: number;
  /** Relative weights of the archetypes. */
  archetypeWeights: Record<Archetype, number>;
}

export interface Workload {
  options: Required<WorkloadOptions>;
  plan: WorkloadPlan;
  population: Population;
  /** A fresh pass over the (at most `events`) records. */
  records(): Generator<WireRecord>;
}

const DAY_MS = 86_400_000;
export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);
export const DEFAULT_MIN_SPAN_DAYS = 60;

const PAGES = ['catalog/shoes', 'catalog/outdoor/tents', 'product', 'basket', 'search', 'account'];
const SOURCES = ['web', 'ios-app', 'android-app'];

/** The JSON a tracker would send for an event; visits carry session, page and source. */
export function wireJson(event: CustomerEvent): Buffer {
  if (event.kind === 'purchase') return Buffer.from(JSON.stringify(domainToWire(event)));
  const n = event.occurredAtMs % 9973;
  return Buffer.from(
    JSON.stringify({
      ...domainToWire(event),
      sessionId: `s-${event.customerId}-${Math.floor(event.occurredAtMs / 1_800_000)}`,
      page: `https://shop.example.com/${PAGES[n % PAGES.length]}/${n}?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale`,
      source: SOURCES[n % SOURCES.length],
    }),
  );
}

/** Events per customer over `days`, per archetype, measured on a sample of the generator. */
export function eventsPerCustomer(seed: number, days: number): Record<Archetype, number> {
  const customers = 400;
  const rates = {} as Record<Archetype, number>;
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
 * Pure: the archetype mix and the generated length that make `perCustomer` events per customer
 * span `spanDays`, given each archetype's events per customer over that span. The regulars
 * (daily, weekly, irregular) keep equal weights; monthly visitors fill the rest.
 */
export function planMix(
  perCustomer: number,
  spanDays: number,
  rates: Record<Archetype, number>,
): WorkloadPlan {
  const regular = (rates.daily + rates.weekly + rates.irregular) / 3;
  const all = (regular * 3 + rates.monthly) / 4;
  // A little under the events asked for inside the span: the cut then lands just past it.
  const wanted = perCustomer / 1.05;
  if (wanted >= all) {
    // Enough events for the default (equal) mix: a longer span.
    const spanNeeded = (spanDays * wanted) / all;
    return {
      generatedDays: Math.ceil(spanNeeded * 1.2),
      expectedSpanDays: spanNeeded * 1.05,
      archetypeWeights: { daily: 1, weekly: 1, monthly: 1, irregular: 1 },
    };
  }
  if (wanted <= rates.monthly) {
    // Too few even for monthly visitors alone: they span longer than asked.
    const spanNeeded = (spanDays * wanted) / rates.monthly;
    return {
      generatedDays: Math.ceil(Math.max(spanDays, spanNeeded) * 1.2),
      expectedSpanDays: Math.max(spanDays, spanNeeded) * 1.05,
      archetypeWeights: { daily: 0, weekly: 0, monthly: 1, irregular: 0 },
    };
  }
  // wanted = s × regular + (1 − s) × monthly, s the share of regulars.
  const share = (wanted - rates.monthly) / (regular - rates.monthly);
  return {
    generatedDays: Math.ceil(spanDays * 1.2),
    expectedSpanDays: spanDays * 1.05,
    archetypeWeights: {
      daily: share / 3,
      weekly: share / 3,
      monthly: 1 - share,
      irregular: share / 3,
    },
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
  const population = generatePopulation({
    customers: options.customers,
    startMs: options.startMs,
    durationDays: plan.generatedDays,
    seed: options.seed,
    customerIdPrefix: options.customerIdPrefix,
    archetypeWeights: plan.archetypeWeights,
  });
  return {
    options,
    plan,
    population,
    *records() {
      let emitted = 0;
      for (const event of population.events()) {
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

export { DAY_MS };
