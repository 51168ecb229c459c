// Who a customer was when a decision about them was taken: the traits and the behavioural
// segment a signal carries (Signal.traits, Signal.segment), so a retention system can route it
// without a lookup.
//
// The segment is computed from the profile as the decision left it, cut to the days the decision
// could know: the days before the decision's day (sealed), and for a reactivation the return day
// itself. A profile may already hold events of later days (recorded within the lateness, not yet
// consumed), and how many depends on batching; without the cut, the same log read in other
// chunks could give a signal another segment or latency band. The traits are the customer's
// traits as the partition knew them at the decision (traits are merged by their own event time
// and are not ordered against visits and purchases: see docs/architecture.md).
import type { RulesConfig } from './config.ts';
import type { DecisionContext } from './context.ts';
import type { Signal } from './events.ts';
import type { Profile } from './profile.ts';
import { segmentOf } from './segments.ts';
import { localDayOf } from './zone.ts';
import { traitsView } from './traits.ts';
import { deriveView } from './view.ts';

/** The profile without what it recorded after `lastDay` (the same object when there is none). */
function profileUpTo(profile: Profile, lastDay: number): Profile {
  const newestActive = profile.activeDays[profile.activeDays.length - 1];
  if (newestActive === undefined || newestActive <= lastDay) return profile;
  const activeDays = profile.activeDays.filter((day) => day <= lastDay);
  return {
    ...profile,
    activeDays,
    purchaseDays: profile.purchaseDays.filter((day) => day <= lastDay),
    visitsByDay: profile.visitsByDay.filter((bucket) => bucket.day <= lastDay),
    purchasesByDay: profile.purchasesByDay.filter((bucket) => bucket.day <= lastDay),
    // Every retained active day was counted once when it was recorded.
    lifetimeActiveDays:
      profile.lifetimeActiveDays - (profile.activeDays.length - activeDays.length),
  };
}

/** The signal with the customer's traits and segment at its decision (`profile`: just after it). */
export function atDecision(
  signal: Signal,
  profile: Profile,
  config: RulesConfig,
  context: DecisionContext,
): Signal {
  const decisionDay = localDayOf(signal.detectedAtMs, profile.timeZone);
  const known = profileUpTo(profile, signal.kind === 'reactivated' ? decisionDay : decisionDay - 1);
  const { segment, latencyBand } = segmentOf(
    known,
    deriveView(known, signal.detectedAtMs, config, context),
    config,
  );
  const traits = traitsView(profile.traits);
  return {
    ...signal,
    traits: {
      country: traits.country,
      region: traits.region,
      acquisitionSource: traits.acquisitionSource,
      customerType: traits.customerType,
      plan: traits.plan,
      attributes: traits.attributes,
    },
    segment: { segment, latencyBand },
  };
}
