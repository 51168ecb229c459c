// Derived values for humans and APIs (`pulse profile show`, the demo). Nothing here feeds a
// decision: the rules read the profile through rules.ts, as of sealed days.
import type { RulesConfig } from './config.ts';
import { NO_CONTEXT, type DecisionContext } from './context.ts';
import { latencyOf } from './latency.ts';
import type { CurrencyTotal, Profile } from './profile.ts';
import { lapsePlanAsOf, riskScore } from './rules.ts';
import { dueTimeMs } from './timeline.ts';
import { daysSilent, rfmOf, windowCounts, type Rfm, type WindowCounts } from './windows.ts';
import { localDayOf } from './zone.ts';

export interface LatencyView {
  centreDays: number;
  spreadDays: number;
  gapsUsed: number;
}

export interface ProfileView {
  customerId: string;
  asOfMs: number;
  /** The IANA zone the customer's days are counted in; 'UTC' when none was ever stated. */
  timeZone: string;
  /** 'unknown' = not enough history for a rhythm. */
  status: 'active' | 'lapsed' | 'unknown';
  usualLatency: LatencyView | null;
  purchaseLatency: LatencyView | null;
  /** Whole days since the end of the last active day; null before any activity. */
  daysSilent: number | null;
  /** Silent days after which this customer counts as lapsed; null without a rhythm. */
  hurdleDays: number | null;
  /** Where the silent days come from (personal / population / model), as in a lapse's evidence. */
  lapsePlan: Record<string, number | string | boolean | null> | null;
  /** Continuous risk of "gone" (see riskScore); null when there is nothing to judge by. */
  riskScore: number | null;
  /** When the owner must next run the customer's timers (see dueTimeMs). */
  dueAtMs: number | null;
  windows: WindowCounts;
  rfm: Rfm;
  lifetime: {
    visits: number;
    purchases: number;
    activeDays: number;
    spend: CurrencyTotal[];
    lateEvents: number;
    firstSeenMs: number | null;
    lastVisitMs: number | null;
    lastPurchaseMs: number | null;
  };
  lapseEpisodes: number;
  openEpisodeSinceMs: number | null;
  readyToBuySignals: number;
  lastReadyToBuyDay: number | null;
}

export function deriveView(
  profile: Profile,
  asOfMs: number,
  config: RulesConfig,
  context: DecisionContext = NO_CONTEXT,
): ProfileView {
  const asOfDay = localDayOf(asOfMs, profile.timeZone);
  const lastActiveDay = profile.activeDays[profile.activeDays.length - 1] ?? null;
  const latency = latencyOf(profile.activeDays, Number.POSITIVE_INFINITY, config.activityGapsKept);
  const purchaseLatency = latencyOf(
    profile.purchaseDays,
    Number.POSITIVE_INFINITY,
    config.purchaseGapsKept,
  );
  const plan =
    lastActiveDay === null ? null : lapsePlanAsOf(profile, lastActiveDay, config, context);
  const hurdleDays = plan === null ? null : plan.silentDays;
  const counts = windowCounts(profile, asOfDay);

  let status: ProfileView['status'];
  if (profile.openEpisodeSinceMs !== null) status = 'lapsed';
  else if (hurdleDays === null || lastActiveDay === null) status = 'unknown';
  else status = asOfDay >= plan!.dueDay ? 'lapsed' : 'active';

  const toView = (value: typeof latency): LatencyView | null =>
    value === null
      ? null
      : { centreDays: value.centreDays, spreadDays: value.spreadDays, gapsUsed: value.gaps };

  return {
    customerId: profile.customerId,
    asOfMs,
    timeZone: profile.timeZone ?? 'UTC',
    status,
    usualLatency: toView(latency),
    purchaseLatency: toView(purchaseLatency),
    daysSilent: lastActiveDay === null ? null : daysSilent(lastActiveDay, asOfMs, profile.timeZone),
    hurdleDays,
    lapsePlan: plan === null ? null : plan.evidence,
    riskScore: lastActiveDay === null ? null : riskScore(profile, asOfDay, config, context),
    dueAtMs: dueTimeMs(profile, config, context),
    windows: counts,
    rfm: rfmOf(counts, lastActiveDay, asOfMs, profile.timeZone),
    lifetime: {
      visits: profile.lifetimeVisits,
      purchases: profile.lifetimePurchases,
      activeDays: profile.lifetimeActiveDays,
      spend: profile.lifetimeSpend.map((total) => ({ ...total })),
      lateEvents: profile.lateEvents,
      firstSeenMs: profile.firstSeenMs,
      lastVisitMs: profile.lastVisitMs,
      lastPurchaseMs: profile.lastPurchaseMs,
    },
    lapseEpisodes: profile.episodeCount,
    openEpisodeSinceMs: profile.openEpisodeSinceMs,
    readyToBuySignals: profile.readyToBuyCount,
    lastReadyToBuyDay: profile.lastReadyToBuyDay,
  };
}
