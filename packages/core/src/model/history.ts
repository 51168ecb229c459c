// What a purchase model is fitted on, read from the profiles the profiler keeps: per customer,
// (x, t_x, T) in days — the same counts the decisions use (distinct active days, visits and
// purchases alike; x excludes the first), so the parameters fitted on them are the ones
// `lapsePlanAsOf` and `riskScore` expect.
import { groupHistories, fitPurchaseModel, type ModelFit } from './fit.ts';
import type { CustomerHistory } from './purchase-model.ts';
import type { Profile } from '../profile.ts';
import { localDayOf } from '../zone.ts';

/** A customer's history as of the end of local day `asOfDay`; null before their first activity. */
export function historyOfProfile(profile: Profile, asOfDay: number): CustomerHistory | null {
  const lastDay = profile.activeDays[profile.activeDays.length - 1];
  if (profile.firstSeenMs === null || lastDay === undefined) return null;
  const firstDay = localDayOf(profile.firstSeenMs, profile.timeZone);
  const tx = Math.max(0, lastDay - firstDay);
  return {
    x: Math.max(0, profile.lifetimeActiveDays - 1),
    tx,
    T: Math.max(tx, asOfDay - firstDay),
  };
}

const DAYS_PER_WEEK = 7;

/**
 * Both models fitted on histories in days. The fit runs in weeks (the unit the literature
 * reports and the optimiser starts well in: Fader, Hardie & Lee 2005 on CDNOW), then α is given
 * back in days, the unit decisions use.
 */
export function fitModelsInDays(histories: Iterable<CustomerHistory>): {
  mbgnbd: ModelFit;
  bgnbd: ModelFit;
} {
  const weeks = groupHistories(
    [...histories].map(({ x, tx, T }) => ({ x, tx: tx / DAYS_PER_WEEK, T: T / DAYS_PER_WEEK })),
  );
  const inDays = (fit: ModelFit): ModelFit => ({
    ...fit,
    parameters: { ...fit.parameters, alpha: fit.parameters.alpha * DAYS_PER_WEEK },
  });
  return {
    mbgnbd: inDays(fitPurchaseModel('mbgnbd', weeks)),
    bgnbd: inDays(fitPurchaseModel('bgnbd', weeks)),
  };
}
