// Window counts "as of" a day: the W days ending with asOfDay, i.e. days in (asOfDay - W, asOfDay].
// Buckets newer than asOfDay are ignored, so a decision for a sealed day never sees later events.
import { primaryCurrency, type Profile } from './profile.ts';
import { localDayOf } from './zone.ts';

export interface WindowCounts {
  visits7d: number;
  visits30d: number;
  visits90d: number;
  activeDays7d: number;
  activeDays30d: number;
  activeDays90d: number;
  purchases30d: number;
  purchases90d: number;
  purchases365d: number;
  /** In the customer's primary currency; purchases in other currencies are counted, not summed. */
  spend30dMinor: number;
  spend90dMinor: number;
  spend365dMinor: number;
  currency: string | null;
}

export interface Rfm {
  /** Whole days since the end of the last active day; null before any activity. */
  recencyDays: number | null;
  /** Active days in the last 90 days. */
  frequency90d: number;
  /** Spend in the last 365 days, minor units of `currency`. */
  monetary365dMinor: number;
}

export function visitsBetween(profile: Profile, firstDay: number, lastDay: number): number {
  let total = 0;
  for (const bucket of profile.visitsByDay) {
    if (bucket.day >= firstDay && bucket.day <= lastDay) total += bucket.visits;
  }
  return total;
}

/** Distinct days with a visit or a purchase in [firstDay, lastDay]. */
export function activeDaysBetween(profile: Profile, firstDay: number, lastDay: number): number {
  let total = 0;
  for (const bucket of profile.visitsByDay) {
    if (bucket.day >= firstDay && bucket.day <= lastDay) total += 1;
  }
  let previousPurchaseDay: number | null = null;
  for (const bucket of profile.purchasesByDay) {
    if (bucket.day < firstDay || bucket.day > lastDay || bucket.day === previousPurchaseDay) {
      continue;
    }
    previousPurchaseDay = bucket.day;
    if (!profile.visitsByDay.some((visit) => visit.day === bucket.day)) total += 1;
  }
  return total;
}

export function windowCounts(profile: Profile, asOfDay: number): WindowCounts {
  const currency = primaryCurrency(profile, asOfDay);
  const p30 = purchasesIn(profile, asOfDay, 30, currency);
  const p90 = purchasesIn(profile, asOfDay, 90, currency);
  const p365 = purchasesIn(profile, asOfDay, 365, currency);
  return {
    visits7d: visitsBetween(profile, asOfDay - 6, asOfDay),
    visits30d: visitsBetween(profile, asOfDay - 29, asOfDay),
    visits90d: visitsBetween(profile, asOfDay - 89, asOfDay),
    activeDays7d: activeDaysBetween(profile, asOfDay - 6, asOfDay),
    activeDays30d: activeDaysBetween(profile, asOfDay - 29, asOfDay),
    activeDays90d: activeDaysBetween(profile, asOfDay - 89, asOfDay),
    purchases30d: p30.purchases,
    purchases90d: p90.purchases,
    purchases365d: p365.purchases,
    spend30dMinor: p30.spendMinor,
    spend90dMinor: p90.spendMinor,
    spend365dMinor: p365.spendMinor,
    currency,
  };
}

/**
 * Purchases and spend (in the primary currency) of the 365 days ending with asOfDay: the part of
 * windowCounts a segment reads, without the visit windows.
 */
export function purchaseYearOf(
  profile: Profile,
  asOfDay: number,
): Pick<WindowCounts, 'purchases365d' | 'spend365dMinor' | 'currency'> {
  const currency = primaryCurrency(profile, asOfDay);
  const year = purchasesIn(profile, asOfDay, 365, currency);
  return { purchases365d: year.purchases, spend365dMinor: year.spendMinor, currency };
}

/** Purchases of the `days` days ending with asOfDay, and their spend in `currency`. */
function purchasesIn(
  profile: Profile,
  asOfDay: number,
  days: number,
  currency: string | null,
): { purchases: number; spendMinor: number } {
  let purchases = 0;
  let spendMinor = 0;
  for (const bucket of profile.purchasesByDay) {
    if (bucket.day > asOfDay - days && bucket.day <= asOfDay) {
      purchases += bucket.purchases;
      if (bucket.currency === currency) spendMinor += bucket.spendMinor;
    }
  }
  return { purchases, spendMinor };
}

/**
 * Whole (local) days between the end of lastActiveDay and asOfMs (0 on the active day itself):
 * the days after lastActiveDay and before asOfMs's own day, in the customer's zone (null = UTC).
 */
export function daysSilent(
  lastActiveDay: number,
  asOfMs: number,
  timeZone: string | null = null,
): number {
  return Math.max(0, localDayOf(asOfMs, timeZone) - lastActiveDay - 1);
}

export function rfmOf(
  counts: WindowCounts,
  lastActiveDay: number | null,
  asOfMs: number,
  timeZone: string | null = null,
): Rfm {
  return {
    recencyDays: lastActiveDay === null ? null : daysSilent(lastActiveDay, asOfMs, timeZone),
    frequency90d: counts.activeDays90d,
    monetary365dMinor: counts.spend365dMinor,
  };
}
