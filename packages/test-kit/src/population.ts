// A deterministic synthetic population: customers of four visit archetypes, some of them buyers
// with their own purchase cycle, a share that go silent (lapse) and some of those who come back.
// Events come out lazily in occurredAtMs order (a k-way merge of per-customer streams), so the
// benchmark can pull millions of them without holding them in memory; the same seed always gives
// the same events, in the same order, with the same ids.
import { MinHeap, type CustomerEvent } from '@pulse/core';
import { customerEvents, type CustomerScript, type RhythmSegment } from './customer-script.ts';
import { deriveSeed, mulberry32, randomInt, type Random } from './random.ts';

const DAY_MS = 86_400_000;

export const ARCHETYPES = ['daily', 'weekly', 'monthly', 'irregular'] as const;
export type Archetype = (typeof ARCHETYPES)[number];

/** The visit rhythm of each archetype. */
const ARCHETYPE_RHYTHMS: Record<Archetype, Omit<RhythmSegment, 'days'>> = {
  daily: { visitEveryDays: 1, skipProbability: 0.05, maxVisitsPerActiveDay: 2 },
  weekly: { visitEveryDays: 7, visitJitterDays: 1, maxVisitsPerActiveDay: 3 },
  monthly: { visitEveryDays: 30, visitJitterDays: 3, maxVisitsPerActiveDay: 2 },
  irregular: { visitEveryDays: 10, visitJitterDays: 8, maxVisitsPerActiveDay: 3 },
};

const PURCHASE_CYCLES_DAYS = [14, 30, 60] as const;

export interface PopulationOptions {
  customers: number;
  /** Instant of the first day (events start on the UTC day containing it). */
  startMs: number;
  durationDays: number;
  seed: number;
  /** Share of customers who go silent at some point (default 0.2). */
  lapseShare?: number;
  /** Share of the silent ones who come back later (default 0.5). */
  returnShare?: number;
  /** Share of customers who buy on a cycle of their own (default 0.5). */
  buyerShare?: number;
  /** Relative weights of the archetypes (default equal). */
  archetypeWeights?: Partial<Record<Archetype, number>>;
  /**
   * Deliver events out of order: each event is held back by a random delay in
   * [0, shuffleWithinMs), so every event is less than shuffleWithinMs older than the newest one
   * delivered before it. Keep it <= the allowed lateness for "out of order but on time".
   */
  shuffleWithinMs?: number;
  /** customerId = prefix + zero-padded index (default 'c'). */
  customerIdPrefix?: string;
}

/** What the generator meant, for assertions: the ground truth behind each customer's events. */
export interface CustomerTruth {
  customerId: string;
  archetype: Archetype;
  visitEveryDays: number;
  purchaseEveryDays: number | null;
  /** Start of the first silent day; null if the customer never goes silent. */
  silentFromMs: number | null;
  /** Start of the day activity resumes; null if the customer does not come back. */
  returnsAtMs: number | null;
  script: CustomerScript;
}

export interface Population {
  customers: readonly CustomerTruth[];
  /** A fresh lazy pass over all events; call again for another identical pass. */
  events(): Generator<CustomerEvent>;
}

export function generatePopulation(options: PopulationOptions): Population {
  if (!Number.isInteger(options.customers) || options.customers < 0) {
    throw new RangeError('customers must be a non-negative integer');
  }
  if (!(options.durationDays > 0)) throw new RangeError('durationDays must be positive');
  const customers: CustomerTruth[] = [];
  const width = String(Math.max(0, options.customers - 1)).length;
  for (let index = 0; index < options.customers; index += 1) {
    const customerId = `${options.customerIdPrefix ?? 'c'}${String(index).padStart(width, '0')}`;
    customers.push(planCustomer(options, customerId, deriveSeed(options.seed, index)));
  }
  return {
    customers,
    events: () => mergedEvents(customers, options),
  };
}

function pickArchetype(random: Random, weights: PopulationOptions['archetypeWeights']): Archetype {
  const weightOf = (archetype: Archetype) => weights?.[archetype] ?? (weights ? 0 : 1);
  const total = ARCHETYPES.reduce((sum, archetype) => sum + weightOf(archetype), 0);
  let point = random() * total;
  for (const archetype of ARCHETYPES) {
    point -= weightOf(archetype);
    if (point < 0) return archetype;
  }
  return ARCHETYPES[ARCHETYPES.length - 1]!;
}

function planCustomer(options: PopulationOptions, customerId: string, seed: number): CustomerTruth {
  const random = mulberry32(seed);
  const archetype = pickArchetype(random, options.archetypeWeights);
  const rhythm = ARCHETYPE_RHYTHMS[archetype];
  const visitEveryDays = rhythm.visitEveryDays!;
  const isBuyer = random() < (options.buyerShare ?? 0.5);
  const baseCycle = PURCHASE_CYCLES_DAYS[randomInt(random, 0, PURCHASE_CYCLES_DAYS.length - 1)]!;
  const purchaseEveryDays = isBuyer ? Math.max(visitEveryDays, baseCycle) : null;
  const active: Omit<RhythmSegment, 'days'> = {
    ...rhythm,
    // Start somewhere inside the first cycle so customers do not all begin on day 0.
    visitPhaseDays: randomInt(random, 0, visitEveryDays - 1),
    purchaseEveryDays,
    purchaseJitterDays: purchaseEveryDays === null ? 0 : Math.round(purchaseEveryDays / 10),
    purchaseOnVisitDays: true,
    purchasePhaseDays: purchaseEveryDays === null ? 0 : randomInt(random, 0, purchaseEveryDays - 1),
  };

  const startDay = Math.floor(options.startMs / DAY_MS);
  const duration = options.durationDays;
  const segments: RhythmSegment[] = [];
  let silentFromMs: number | null = null;
  let returnsAtMs: number | null = null;
  if (random() < (options.lapseShare ?? 0.2)) {
    const activeDays = Math.max(1, Math.floor(duration * (0.4 + 0.4 * random())));
    const comesBack = random() < (options.returnShare ?? 0.5);
    // Silent long enough to be a lapse for any sane hurdle: four beats and at least two weeks.
    const silenceDays = Math.max(4 * visitEveryDays, 14) + randomInt(random, 0, 14);
    segments.push({ ...active, days: activeDays });
    silentFromMs = (startDay + activeDays) * DAY_MS;
    if (comesBack && activeDays + silenceDays < duration) {
      segments.push({ days: silenceDays });
      segments.push({ ...active, visitPhaseDays: 0, days: duration - activeDays - silenceDays });
      returnsAtMs = (startDay + activeDays + silenceDays) * DAY_MS;
    } else {
      segments.push({ days: duration - activeDays });
    }
  } else {
    segments.push({ ...active, days: duration });
  }
  return {
    customerId,
    archetype,
    visitEveryDays,
    purchaseEveryDays,
    silentFromMs,
    returnsAtMs,
    script: { customerId, startMs: options.startMs, seed: deriveSeed(seed, 1), segments },
  };
}

interface Pending {
  event: CustomerEvent;
  customer: number;
  stream: Generator<CustomerEvent>;
}

function* mergedEvents(
  customers: readonly CustomerTruth[],
  options: PopulationOptions,
): Generator<CustomerEvent> {
  const byTime = new MinHeap<Pending>(
    (a, b) =>
      a.event.occurredAtMs < b.event.occurredAtMs ||
      (a.event.occurredAtMs === b.event.occurredAtMs && a.customer < b.customer),
  );
  customers.forEach((truth, customer) => {
    const stream = customerEvents(truth.script);
    const first = stream.next();
    if (!first.done) byTime.push({ event: first.value, customer, stream });
  });
  const inOrder = function* (): Generator<CustomerEvent> {
    while (byTime.size > 0) {
      const pending = byTime.pop()!;
      yield pending.event;
      const following = pending.stream.next();
      if (!following.done) byTime.push({ ...pending, event: following.value });
    }
  };

  const shuffleWithinMs = options.shuffleWithinMs ?? 0;
  if (shuffleWithinMs <= 0) {
    yield* inOrder();
    return;
  }
  // Reorder buffer: release each event at occurredAtMs + a random delay < shuffleWithinMs.
  const random = mulberry32(deriveSeed(options.seed, -1));
  let sequence = 0;
  const byRelease = new MinHeap<{ releaseMs: number; sequence: number; event: CustomerEvent }>(
    (a, b) => a.releaseMs < b.releaseMs || (a.releaseMs === b.releaseMs && a.sequence < b.sequence),
  );
  for (const event of inOrder()) {
    // Nothing still buffered can be overtaken by this or any later event once its release time
    // is not after this event's own time.
    while (byRelease.size > 0 && byRelease.peek()!.releaseMs <= event.occurredAtMs) {
      yield byRelease.pop()!.event;
    }
    byRelease.push({
      releaseMs: event.occurredAtMs + Math.floor(random() * shuffleWithinMs),
      sequence: (sequence += 1),
      event,
    });
  }
  while (byRelease.size > 0) yield byRelease.pop()!.event;
}
