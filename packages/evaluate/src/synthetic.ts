// A synthetic visit population with a known truth, built with the test kit: regular visitors
// (daily, every other day, weekly, fortnightly) beside "irregular" ones whose gaps are memoryless
// with a mean of 5 days, a known share of whom stop for good. It checks what a purchase log
// cannot: that memoryless visitors do not drown the lapse topic in false alarms while regular
// rhythms are still caught within a few of their usual gaps.
import { DAY_MS, dayOf, type CustomerEvent } from '@pulse/core';
import { customerEventList, deriveSeed, mulberry32, type RhythmSegment } from '@pulse/test-kit';
import type { EmittedSignal } from './log-runner.ts';

export const SYNTHETIC_GROUPS = {
  daily: { visitEveryDays: 1, skipProbability: 0.05, maxVisitsPerActiveDay: 2 },
  everyOtherDay: { visitEveryDays: 2, maxVisitsPerActiveDay: 2 },
  weekly: { visitEveryDays: 7, visitJitterDays: 1, maxVisitsPerActiveDay: 3 },
  fortnightly: { visitEveryDays: 14, visitJitterDays: 2, maxVisitsPerActiveDay: 2 },
  irregular: { visitEveryDays: 5, visitGaps: 'memoryless', maxVisitsPerActiveDay: 2 },
} satisfies Record<string, Omit<RhythmSegment, 'days'>>;
export type SyntheticGroup = keyof typeof SYNTHETIC_GROUPS;

export interface SyntheticOptions {
  seed: number;
  /** Customers per group (default 300: 1 500 in all). */
  customersPerGroup?: number;
  /** Share who stop for good, at a day uniform in [20 %, 80 %] of the calibration (default 0.4). */
  stopShare?: number;
  /** Days observed before the cut-off (default 180) and after it (default 90). */
  calibrationDays?: number;
  holdoutDays?: number;
}

export interface SyntheticCustomer {
  customerId: string;
  group: SyntheticGroup;
  /** Start of the first day without activity for good; null for those who stay. */
  stoppedAtMs: number | null;
}

export interface SyntheticPopulation {
  visits: CustomerEvent[];
  customers: SyntheticCustomer[];
  cutoff: string;
  holdoutEnd: string;
}

export const SYNTHETIC_START_MS = Date.UTC(2025, 0, 1);

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function syntheticVisitPopulation(options: SyntheticOptions): SyntheticPopulation {
  const perGroup = options.customersPerGroup ?? 300;
  const stopShare = options.stopShare ?? 0.4;
  const calibrationDays = options.calibrationDays ?? 180;
  const holdoutDays = options.holdoutDays ?? 90;
  const startDay = dayOf(SYNTHETIC_START_MS);
  const visits: CustomerEvent[] = [];
  const customers: SyntheticCustomer[] = [];
  let index = 0;
  for (const [group, rhythm] of Object.entries(SYNTHETIC_GROUPS) as [
    SyntheticGroup,
    (typeof SYNTHETIC_GROUPS)[SyntheticGroup],
  ][]) {
    for (let member = 0; member < perGroup; member += 1, index += 1) {
      const seed = deriveSeed(options.seed, index);
      const random = mulberry32(seed);
      const customerId = `${group}-${String(member).padStart(4, '0')}`;
      const stops = random() < stopShare;
      const activeDays = stops
        ? Math.floor(calibrationDays * (0.2 + 0.6 * random()))
        : calibrationDays + holdoutDays;
      const phase = Math.floor(random() * rhythm.visitEveryDays);
      const segments: RhythmSegment[] = [{ ...rhythm, visitPhaseDays: phase, days: activeDays }];
      visits.push(
        ...customerEventList({
          customerId,
          startMs: SYNTHETIC_START_MS,
          seed: deriveSeed(seed, 1),
          segments,
        }),
      );
      customers.push({
        customerId,
        group,
        stoppedAtMs: stops ? (startDay + activeDays) * DAY_MS : null,
      });
    }
  }
  return {
    visits,
    customers,
    cutoff: isoDay(startDay + calibrationDays - 1),
    holdoutEnd: isoDay(startDay + calibrationDays + holdoutDays - 1),
  };
}

export interface SyntheticFigures {
  /** Lapse alerts (during calibration) and the share of them followed by a return at any time. */
  lapseAlerts: number;
  followedByReturnShare: number;
  /** Per group: alerts, and those followed by a return. */
  alertsByGroup: Record<SyntheticGroup, { alerts: number; followedByReturn: number }>;
  /**
   * Regular groups' customers who stopped: silent days from their last activity to their lapse
   * alert, in their usual gaps — the median per group and over all regular groups.
   */
  churnerDelayInGaps: Record<SyntheticGroup | 'regular', number | null>;
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function syntheticFigures(
  population: SyntheticPopulation,
  signals: readonly EmittedSignal[],
): SyntheticFigures {
  const cutoffEndMs = Date.parse(`${population.cutoff}T00:00:00Z`) + DAY_MS;
  const byCustomer = new Map(population.customers.map((c) => [c.customerId, c]));
  const activity = new Map<string, number[]>();
  for (const visit of population.visits) {
    let list = activity.get(visit.customerId);
    if (!list) activity.set(visit.customerId, (list = []));
    list.push(visit.occurredAtMs);
  }
  const groups = Object.keys(SYNTHETIC_GROUPS) as SyntheticGroup[];
  const alertsByGroup = Object.fromEntries(
    groups.map((group) => [group, { alerts: 0, followedByReturn: 0 }]),
  ) as SyntheticFigures['alertsByGroup'];
  const delays = Object.fromEntries(groups.map((group) => [group, [] as number[]])) as Record<
    SyntheticGroup,
    number[]
  >;
  let alerts = 0;
  let followed = 0;
  for (const { signal } of signals) {
    if (signal.kind !== 'lapsed' || signal.detectedAtMs >= cutoffEndMs) continue;
    const customer = byCustomer.get(signal.customerId)!;
    const times = activity.get(signal.customerId) ?? [];
    const returned = times.some((at) => at >= signal.detectedAtMs);
    alerts += 1;
    alertsByGroup[customer.group].alerts += 1;
    if (returned) {
      followed += 1;
      alertsByGroup[customer.group].followedByReturn += 1;
    } else if (customer.stoppedAtMs !== null) {
      const lastActiveDay = dayOf(Math.max(...times.filter((at) => at < signal.detectedAtMs)));
      const silentDays = dayOf(signal.detectedAtMs) - lastActiveDay;
      delays[customer.group].push(silentDays / SYNTHETIC_GROUPS[customer.group].visitEveryDays);
    }
  }
  const regular = groups.filter((group) => group !== 'irregular').flatMap((group) => delays[group]);
  return {
    lapseAlerts: alerts,
    followedByReturnShare: alerts === 0 ? 0 : followed / alerts,
    alertsByGroup,
    churnerDelayInGaps: {
      ...(Object.fromEntries(groups.map((group) => [group, medianOf(delays[group])])) as Record<
        SyntheticGroup,
        number | null
      >),
      regular: medianOf(regular),
    },
  };
}
