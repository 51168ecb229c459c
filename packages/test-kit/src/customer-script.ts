// One synthetic customer described as a sequence of rhythm segments ("visit daily for 60 days,
// then silent for 20"), turned lazily into events sorted by time. The acceptance tests script
// single customers with it; the population generator builds every customer from it.
import type { CustomerEvent } from '@pulse/core';
import { mulberry32, randomInt, type Random } from './random.ts';

const DAY_MS = 86_400_000;
/** Activity happens between 08:00 and 22:00 UTC. */
const FIRST_HOUR_MS = 8 * 3_600_000;
const ACTIVE_SPAN_MS = 14 * 3_600_000;

export interface RhythmSegment {
  /** Length of the segment in days. */
  days: number;
  /** Days between active (visit) days; omitted or null = no visits in this segment. */
  visitEveryDays?: number | null;
  /** Each gap is visitEveryDays plus a whole number of days in [-jitter, +jitter] (at least 1). */
  visitJitterDays?: number;
  /**
   * 'scheduled' (default): gaps of visitEveryDays ± jitter. 'memoryless': each gap a geometric
   * number of days with mean visitEveryDays (the daily form of exponential gaps), so a long
   * silence is only a matter of time.
   */
  visitGaps?: 'scheduled' | 'memoryless';
  /** Days into the segment of the first visit day (default 0). */
  visitPhaseDays?: number;
  /** Probability that a scheduled visit day is skipped (the schedule continues). */
  skipProbability?: number;
  /** Visits on an active day: uniform in [1, maxVisitsPerActiveDay] (default 1). */
  maxVisitsPerActiveDay?: number;
  /** Days between purchases; omitted or null = no purchases in this segment. */
  purchaseEveryDays?: number | null;
  purchaseJitterDays?: number;
  /** Days into the segment of the first purchase (default 0). */
  purchasePhaseDays?: number;
  /**
   * Buy during a visit: a purchase that falls due waits for the next visit day (default false,
   * purchases then happen on their own schedule, visit or not).
   */
  purchaseOnVisitDays?: boolean;
}

export interface CustomerScript {
  customerId: string;
  /** The first segment starts on the UTC day containing this instant. */
  startMs: number;
  seed: number;
  segments: readonly RhythmSegment[];
  currency?: string;
  /** Purchase amounts in minor units, uniform in [min, max] (default 1 000 to 20 000). */
  amountMinorRange?: readonly [number, number];
}

/** The customer's events, lazily, ascending by occurredAtMs, with ids unique to the customer. */
export function* customerEvents(script: CustomerScript): Generator<CustomerEvent> {
  const random = mulberry32(script.seed);
  const counter = { next: 0 };
  let segmentStartDay = Math.floor(script.startMs / DAY_MS);
  for (const segment of script.segments) {
    yield* segmentEvents(script, segment, segmentStartDay, random, counter);
    segmentStartDay += segment.days;
  }
}

export function customerEventList(script: CustomerScript): CustomerEvent[] {
  return [...customerEvents(script)];
}

function* segmentEvents(
  script: CustomerScript,
  segment: RhythmSegment,
  startDay: number,
  random: Random,
  counter: { next: number },
): Generator<CustomerEvent> {
  const endDay = startDay + segment.days;
  const visitEvery = segment.visitEveryDays ?? null;
  const purchaseEvery = segment.purchaseEveryDays ?? null;
  let nextVisitDay = visitEvery === null ? Infinity : startDay + (segment.visitPhaseDays ?? 0);
  let nextPurchaseDay =
    purchaseEvery === null ? Infinity : startDay + (segment.purchasePhaseDays ?? 0);
  const nextGap = (every: number, jitter: number) =>
    Math.max(1, every + (jitter > 0 ? randomInt(random, -jitter, jitter) : 0));
  const memoryless = segment.visitGaps === 'memoryless' && visitEvery !== null && visitEvery > 1;
  const nextVisitGap = () =>
    memoryless
      ? Math.max(1, Math.ceil(Math.log(1 - random()) / Math.log(1 - 1 / visitEvery)))
      : nextGap(visitEvery!, segment.visitJitterDays ?? 0);

  const alignPurchases = (segment.purchaseOnVisitDays ?? false) && visitEvery !== null;
  for (;;) {
    const day = alignPurchases ? nextVisitDay : Math.min(nextVisitDay, nextPurchaseDay);
    if (day >= endDay) return;
    const instants: { atMs: number; kind: 'visit' | 'purchase' }[] = [];
    if (day === nextVisitDay) {
      const skipped = random() < (segment.skipProbability ?? 0);
      const visits = randomInt(random, 1, segment.maxVisitsPerActiveDay ?? 1);
      for (let visit = 0; visit < visits && !skipped; visit += 1) {
        instants.push({ atMs: instantOn(day, random), kind: 'visit' });
      }
      nextVisitDay += nextVisitGap();
    }
    if (alignPurchases ? nextPurchaseDay <= day : day === nextPurchaseDay) {
      instants.push({ atMs: instantOn(day, random), kind: 'purchase' });
      nextPurchaseDay = day + nextGap(purchaseEvery!, segment.purchaseJitterDays ?? 0);
    }
    instants.sort((a, b) => a.atMs - b.atMs);
    for (const instant of instants) {
      counter.next += 1;
      const eventId = `${script.customerId}-e${counter.next}`;
      if (instant.kind === 'visit') {
        yield { kind: 'visit', eventId, customerId: script.customerId, occurredAtMs: instant.atMs };
      } else {
        const [minAmount, maxAmount] = script.amountMinorRange ?? [1_000, 20_000];
        yield {
          kind: 'purchase',
          eventId,
          customerId: script.customerId,
          occurredAtMs: instant.atMs,
          orderId: `${script.customerId}-o${counter.next}`,
          amountMinor: randomInt(random, minAmount, maxAmount),
          currency: script.currency ?? 'EUR',
        };
      }
    }
  }
}

function instantOn(day: number, random: Random): number {
  return day * DAY_MS + FIRST_HOUR_MS + Math.floor(random() * ACTIVE_SPAN_MS);
}
