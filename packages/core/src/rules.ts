// The decision rules, as functions of a profile "as of" a sealed day. No state changes here:
// timeline.ts decides when a rule is asked and records the outcome.
import type { RulesConfig } from './config.ts';
import { daysUpTo, gapsBetween, latencyOf, median, type Latency } from './latency.ts';
import type { Profile } from './profile.ts';
import { dayOf } from './time.ts';
import { activeDaysBetween, rfmOf, windowCounts } from './windows.ts';

export type Evidence = Record<string, number | string | boolean | null>;

export interface Rhythm {
  latency: Latency;
  hurdleDays: number;
}

/**
 * Hurdle: how many silent days make this customer lapsed. centre + k × spread covers the
 * customer's own irregularity; m × centre keeps very regular customers (spread 0) from lapsing
 * after one missed beat; the clamp keeps daily visitors from lapsing over a weekend and
 * guarantees that every customer with a rhythm lapses eventually.
 */
export function hurdleDaysFor(latency: Latency, config: RulesConfig): number {
  const raw = Math.max(
    latency.centreDays + config.hurdleSpreadMultiplier * latency.spreadDays,
    config.hurdleCentreMultiplier * latency.centreDays,
  );
  return Math.min(config.maxHurdleDays, Math.max(config.minHurdleDays, raw));
}

/** The customer's activity rhythm from active days <= asOfDay; null without enough history. */
export function rhythmAsOf(profile: Profile, asOfDay: number, config: RulesConfig): Rhythm | null {
  const latency = latencyOf(profile.activeDays, asOfDay, config.activityGapsKept);
  if (latency === null || latency.gaps + 1 < config.minActiveDaysForRhythm) return null;
  return { latency, hurdleDays: hurdleDaysFor(latency, config) };
}

/** First day on which the customer counts as lapsed, when their last active day is anchorDay. */
export function lapseDueDay(anchorDay: number, hurdleDays: number): number {
  return anchorDay + 1 + Math.ceil(hurdleDays);
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Window counts and RFM as of the end of a day, flattened for a signal's evidence. */
export function contextEvidence(
  profile: Profile,
  asOfDay: number,
  lastActiveDay: number | null,
  asOfMs: number,
): Evidence {
  const counts = windowCounts(profile, asOfDay);
  const rfm = rfmOf(counts, lastActiveDay, asOfMs);
  return {
    ...counts,
    rfmRecencyDays: rfm.recencyDays,
    rfmFrequency90d: rfm.frequency90d,
    rfmMonetary365dMinor: rfm.monetary365dMinor,
    // No lifetime totals here: they count every event applied so far, including events of
    // days after `asOfDay`, so they would make the evidence depend on batch boundaries.
  };
}

export function latencyEvidence(rhythm: Rhythm): Evidence {
  return {
    usualLatencyDays: round3(rhythm.latency.centreDays),
    latencySpreadDays: round3(rhythm.latency.spreadDays),
    latencyGaps: rhythm.latency.gaps,
    hurdleDays: round3(rhythm.hurdleDays),
  };
}

export interface ReadyToBuyAssessment {
  fires: boolean;
  visitAcceleration: boolean;
  repurchaseWindow: boolean;
  evidence: Evidence;
}

/**
 * Ready to buy, as of the end of sealed active day `day`. The cooldown is checked by the caller.
 * Reasons:
 * - visitAcceleration: the median of the last 3 gaps is at most accelerationGapRatio × the usual
 *   gap, or the active days of the last 7 are at least accelerationRateRatio × the customer's
 *   weekly rate over the (up to) 83 days before them;
 * - repurchaseWindow: days since the last purchase lie between the start and end fractions of
 *   the usual purchase gap.
 */
export function assessReadyToBuy(
  profile: Profile,
  day: number,
  config: RulesConfig,
): ReadyToBuyAssessment {
  // Acceleration by gap.
  const rhythm = rhythmAsOf(profile, day, config);
  const recentDays = daysUpTo(profile.activeDays, day);
  const recentGaps = gapsBetween(recentDays.slice(Math.max(0, recentDays.length - 4)));
  const recentGapDays = recentGaps.length === 3 ? median(recentGaps) : null;
  const acceleratingByGap =
    rhythm !== null &&
    recentGapDays !== null &&
    recentGapDays <= config.accelerationGapRatio * rhythm.latency.centreDays;

  // Acceleration by weekly rate.
  const activeDaysLast7 = activeDaysBetween(profile, day - 6, day);
  const firstSeenDay = profile.firstSeenMs === null ? day : dayOf(profile.firstSeenMs);
  const baselineFirstDay = Math.max(day - 89, firstSeenDay);
  const baselineLastDay = day - 7;
  const baselineSpanDays = baselineLastDay - baselineFirstDay + 1;
  const baselineWeeklyActiveDays =
    baselineSpanDays >= config.accelerationMinBaselineDays
      ? (activeDaysBetween(profile, baselineFirstDay, baselineLastDay) * 7) / baselineSpanDays
      : null;
  const acceleratingByRate =
    baselineWeeklyActiveDays !== null &&
    activeDaysLast7 >= config.accelerationMinRecentActiveDays &&
    activeDaysLast7 >= config.accelerationRateRatio * baselineWeeklyActiveDays;
  const visitAcceleration = acceleratingByGap || acceleratingByRate;

  // Repurchase window.
  const purchaseLatency = latencyOf(profile.purchaseDays, day, config.purchaseGapsKept);
  const purchaseDaysSoFar = daysUpTo(profile.purchaseDays, day);
  const lastPurchaseDay = purchaseDaysSoFar[purchaseDaysSoFar.length - 1] ?? null;
  const daysSinceLastPurchase = lastPurchaseDay === null ? null : day - lastPurchaseDay;
  const repurchaseWindow =
    purchaseLatency !== null &&
    daysSinceLastPurchase !== null &&
    purchaseLatency.gaps >= config.minPurchaseGaps &&
    daysSinceLastPurchase >= config.repurchaseWindowStartFraction * purchaseLatency.centreDays &&
    daysSinceLastPurchase <= config.repurchaseWindowEndFraction * purchaseLatency.centreDays;

  const fires =
    config.readyToBuyRequires === 'all'
      ? visitAcceleration && repurchaseWindow
      : visitAcceleration || repurchaseWindow;
  const reasons = [
    ...(visitAcceleration ? ['visitAcceleration'] : []),
    ...(repurchaseWindow ? ['repurchaseWindow'] : []),
  ];
  return {
    fires,
    visitAcceleration,
    repurchaseWindow,
    evidence: {
      reasons: reasons.join(','),
      visitAcceleration,
      acceleratingByGap,
      acceleratingByRate,
      recentGapDays,
      usualLatencyDays: rhythm === null ? null : round3(rhythm.latency.centreDays),
      latencySpreadDays: rhythm === null ? null : round3(rhythm.latency.spreadDays),
      latencyGaps: rhythm === null ? null : rhythm.latency.gaps,
      activeDaysLast7,
      baselineWeeklyActiveDays:
        baselineWeeklyActiveDays === null ? null : round3(baselineWeeklyActiveDays),
      repurchaseWindow,
      daysSinceLastPurchase,
      usualPurchaseGapDays: purchaseLatency === null ? null : round3(purchaseLatency.centreDays),
      purchaseGapSpreadDays: purchaseLatency === null ? null : round3(purchaseLatency.spreadDays),
      purchaseGaps: purchaseLatency === null ? 0 : purchaseLatency.gaps,
    },
  };
}
