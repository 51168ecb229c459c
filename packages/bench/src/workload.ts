import { domainToWire } from '@pulse/contracts';
import type { CustomerEvent } from '@pulse/core';
import { generatePopulation, type Population } from '@pulse/test-kit';

/**
 * The benchmark's input: a synthetic population from the test kit (daily, weekly, monthly and
 * irregular visitors, buyers on their own cycles, a share that lapse), cut to a number of
 * events, in event-time order, as the JSON a tracker sends (~250 bytes for a visit).
 */
export interface WorkloadOptions {
  customers: number;
  events: number;
  seed: number;
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

export interface Workload {
  options: Required<WorkloadOptions>;
  durationDays: number;
  population: Population;
  /** A fresh pass over the (at most `events`) records. */
  records(): Generator<WireRecord>;
}

const DAY_MS = 86_400_000;
export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);

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

/** Events per customer per day of the generator's mix, measured on a sample of it. */
export function eventsPerCustomerDay(seed: number): number {
  const customers = 2_000;
  const days = 60;
  const sample = generatePopulation({
    customers,
    startMs: DEFAULT_START_MS,
    durationDays: days,
    seed,
  });
  let count = 0;
  for (const event of sample.events()) if (event.occurredAtMs >= 0) count += 1;
  return count / (customers * days);
}

export function buildWorkload(input: WorkloadOptions): Workload {
  const options: Required<WorkloadOptions> = {
    startMs: DEFAULT_START_MS,
    customerIdPrefix: 'c',
    ...input,
  };
  if (options.customers < 1 || options.events < 1) {
    throw new RangeError('the workload needs at least one customer and one event');
  }
  // Long enough for the population to produce the events asked for, cut at that count.
  const perCustomer = options.events / options.customers;
  const durationDays = Math.max(
    2,
    Math.ceil((perCustomer / eventsPerCustomerDay(options.seed)) * 1.15),
  );
  const population = generatePopulation({
    customers: options.customers,
    startMs: options.startMs,
    durationDays,
    seed: options.seed,
    customerIdPrefix: options.customerIdPrefix,
  });
  return {
    options,
    durationDays,
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
