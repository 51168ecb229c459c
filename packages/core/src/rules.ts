// The decision rules, as functions of a profile "as of" a sealed day. No state changes here:
// timeline.ts decides when a rule is asked and records the outcome.
import type { RulesConfig } from './config.ts';
import type { DecisionContext, FittedModel } from './context.ts';
import { daysUpTo, gapsBetween, keptGaps, latencyOf, median, type Latency } from './latency.ts';
import {
  aliveDeadline,
  expectedPurchases,
  probabilityAlive,
  probabilityNoActivity,
} from './model/purchase-model.ts';
import { normalQuantile } from './model/special.ts';
import { activeDaysBefore, populationHurdleFor } from './population.ts';
import type { Profile } from './profile.ts';
import { localDayOf } from './zone.ts';
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

/** Shape of the gamma distribution used when the own gaps say nothing yet: memoryless. */
const MEMORYLESS_SHAPE = 1;
/** Shapes above this are treated as this (a metronome's sample variance is 0). */
const MAX_SHAPE = 1_000;

/**
 * The q-quantile of a gamma distribution with the given mean and shape, by the Wilson–Hilferty
 * cube-root normal approximation (Johnson, Kotz & Balakrishnan, Continuous Univariate
 * Distributions vol. 1, §17.5): within a few per cent for shape >= 1 at the quantiles used here,
 * and exact in the limit of a regular rhythm.
 */
export function gammaQuantile(mean: number, shape: number, quantile: number): number {
  const z = normalQuantile(quantile);
  const v = 1 / (9 * shape);
  const root = 1 - v + z * Math.sqrt(v);
  return mean * Math.max(0, root) ** 3;
}

/**
 * The customer's own hurdle from their kept gaps: the largest of centre + k × spread (robust to
 * one odd gap), m × centre (a perfectly regular customer must miss more than two beats) and the
 * hurdleQuantile of their gaps seen as a gamma distribution (a memoryless visitor waits several
 * mean gaps). The shape is the moment estimate mean² / variance, pulled towards 1 (memoryless)
 * with the weight of shapePriorGaps gaps, so two or three gaps that happen to be equal do not
 * make a metronome.
 */
export function personalHurdleDays(
  latency: Latency,
  gaps: readonly number[],
  config: RulesConfig,
): number {
  const n = gaps.length;
  let total = 0;
  for (let index = 0; index < n; index += 1) total += gaps[index]!;
  const mean = total / n;
  let squares = 0;
  for (let index = 0; index < n; index += 1) squares += (gaps[index]! - mean) ** 2;
  const variance = n > 1 ? squares / (n - 1) : Number.NaN;
  const ownShape = Number.isNaN(variance)
    ? MEMORYLESS_SHAPE
    : variance === 0
      ? MAX_SHAPE
      : Math.min(MAX_SHAPE, (mean * mean) / variance);
  const ownWeight = n > 1 ? n : 0;
  const shape =
    (ownWeight * ownShape + config.shapePriorGaps * MEMORYLESS_SHAPE) /
    Math.max(1e-9, ownWeight + config.shapePriorGaps);
  return Math.max(
    latency.centreDays + config.hurdleSpreadMultiplier * latency.spreadDays,
    config.hurdleCentreMultiplier * latency.centreDays,
    gammaQuantile(mean, Math.max(shape, 1e-3), config.hurdleQuantile),
  );
}

export interface LapsePlan {
  /** First day on which the customer counts as lapsed if silent until then. */
  dueDay: number;
  /** Silent days the rule waits (after the anchor day). */
  silentDays: number;
  /** The customer's own latency, when they have a gap. */
  latency: Latency | null;
  evidence: Evidence;
}

/** What a lapse plan reads from the profile alone: no population table changes it. */
interface LapseInputs {
  latency: Latency | null;
  personal: number | null;
  activeDaysSoFar: number;
  firstDay: number;
  modelSilentDays: number | null;
}

/**
 * One memoized LapseInputs and what it was computed from besides the active-day list, in one
 * object (a hit reads the key and the inputs without a further pointer to follow).
 */
interface LapseInputsMemo extends LapseInputs {
  anchorDay: number;
  lifetimeActiveDays: number;
  firstSeenMs: number | null;
  timeZone: Profile['timeZone'];
  config: RulesConfig;
  model: FittedModel | null;
  /** The memo of the same list made before this one (the chain holds LAPSE_INPUTS_PER_LIST). */
  older: LapseInputsMemo | undefined;
}

/** Anchor days remembered per active-day list (the consumed day, the newest day, one more). */
const LAPSE_INPUTS_PER_LIST = 3;

/**
 * The table-independent inputs of the plans asked for, per active-day list. A timer that only
 * moves a customer's clock copies the profile but keeps its active days, and a customer is
 * planned several times per step (advance and the due time from the last consumed day, the
 * segment from the newest one) and again at each weekly look: the gamma quantile and the latency
 * behind them are computed once per list and anchor day instead.
 */
const LAPSE_INPUTS = Symbol('lapse inputs');
type MemoizedDays = readonly number[] & { [LAPSE_INPUTS]?: LapseInputsMemo };

function lapseInputsOf(
  profile: Profile,
  anchorDay: number,
  config: RulesConfig,
  model: FittedModel | null,
): LapseInputs {
  const days: MemoizedDays = profile.activeDays;
  // The list asked about last, first: an advance asks about the same one at every turn of its
  // loop, and this is cheaper than the symbol lookup on lists of many shapes.
  if (
    lastDays === days &&
    lastMemo !== undefined &&
    memoMatches(lastMemo, profile, anchorDay, config, model)
  ) {
    return lastMemo;
  }
  // The list's memos, newest first, chained from the list itself (no array between).
  const newest = days[LAPSE_INPUTS];
  for (let memo = newest; memo !== undefined; memo = memo.older) {
    if (memoMatches(memo, profile, anchorDay, config, model)) {
      lastDays = days;
      lastMemo = memo;
      return memo;
    }
  }
  const latency = latencyOf(profile.activeDays, anchorDay, config.activityGapsKept);
  const personal =
    latency === null
      ? null
      : personalHurdleDays(latency, keptGaps(days, anchorDay, config.activityGapsKept), config);
  const activeDaysSoFar = activeDaysBefore(profile, anchorDay) + 1;
  const firstDay =
    profile.firstSeenMs === null ? anchorDay : localDayOf(profile.firstSeenMs, profile.timeZone);
  let modelSilentDays: number | null = null;
  if (model !== null) {
    const x = activeDaysSoFar - 1;
    const tx = anchorDay - firstDay;
    const deadline = aliveDeadline(model.parameters, x, tx, config.aliveThreshold);
    if (Number.isFinite(deadline)) modelSilentDays = Math.max(0, deadline - tx);
  }
  const memo: LapseInputsMemo = {
    latency,
    personal,
    activeDaysSoFar,
    firstDay,
    modelSilentDays,
    anchorDay,
    lifetimeActiveDays: profile.lifetimeActiveDays,
    firstSeenMs: profile.firstSeenMs,
    timeZone: profile.timeZone,
    config,
    model,
    older: newest,
  };
  // The newest first; the oldest goes when the chain is full.
  let kept = 1;
  for (let older = newest; older !== undefined; older = older.older) {
    kept += 1;
    if (kept === LAPSE_INPUTS_PER_LIST) older.older = undefined;
  }
  if (newest === undefined) {
    // Not enumerable: the list still compares, copies and encodes as the days alone.
    if (Object.isExtensible(days)) {
      Object.defineProperty(days, LAPSE_INPUTS, { value: memo, writable: true });
    }
  } else days[LAPSE_INPUTS] = memo;
  lastDays = days;
  lastMemo = memo;
  return memo;
}

/** The memo lapseInputsOf found or made last, and its list. */
let lastDays: readonly number[] | undefined;
let lastMemo: LapseInputsMemo | undefined;

function memoMatches(
  memo: LapseInputsMemo,
  profile: Profile,
  anchorDay: number,
  config: RulesConfig,
  model: FittedModel | null,
): boolean {
  return (
    memo.anchorDay === anchorDay &&
    memo.lifetimeActiveDays === profile.lifetimeActiveDays &&
    memo.firstSeenMs === profile.firstSeenMs &&
    memo.timeZone === profile.timeZone &&
    memo.config === config &&
    memo.model === model
  );
}

/**
 * The shrinkage weight the population's hurdle gets for a customer with these inputs (0 without
 * a population hurdle; 1 for a customer with no rhythm of their own).
 */
function populationWeightOf(
  inputs: LapseInputs,
  population: number | null,
  config: RulesConfig,
): number {
  if (population === null) return 0;
  return inputs.personal === null ? 1 : 1 - ownWeightOf(inputs, config);
}

/** The shrinkage weight of the customer's own gaps: n / (n + populationPriorGaps). */
function ownWeightOf(inputs: LapseInputs, config: RulesConfig): number {
  const n = inputs.latency?.gaps ?? 0;
  return n / (n + config.populationPriorGaps || 1);
}

/** The population's hurdle for the customer's step under the context's table (null: none). */
function populationHurdleOf(inputs: LapseInputs, context: DecisionContext): number | null {
  return context.population
    ? populationHurdleFor(context.population, inputs.activeDaysSoFar)
    : null;
}

/**
 * The silent days the lapse rule waits given the population's hurdle for the customer's step
 * (null: the table has none); null: nothing to judge by. Non-decreasing in the population's
 * hurdle. A number, not an object: due times ask for it several times per event.
 */
function silentDaysWith(
  inputs: LapseInputs,
  population: number | null,
  config: RulesConfig,
): number | null {
  const { latency, personal, modelSilentDays } = inputs;
  let hurdle: number | null = null;
  if (population !== null) {
    const ownWeight = ownWeightOf(inputs, config);
    hurdle = personal === null ? population : ownWeight * personal + (1 - ownWeight) * population;
  } else if (personal !== null && latency!.gaps + 1 >= config.minActiveDaysForRhythm) {
    hurdle = personal;
  }
  const hurdleSilent = hurdle === null ? null : clampHurdle(hurdle, config);
  const modelSilent = modelSilentDays === null ? null : clampHurdle(modelSilentDays, config);
  switch (config.lapseRule) {
    case 'hurdle':
      return hurdleSilent ?? modelSilent;
    case 'model':
      return modelSilent ?? hurdleSilent;
    case 'earlier':
      return hurdleSilent === null || modelSilent === null
        ? (hurdleSilent ?? modelSilent)
        : Math.min(hurdleSilent, modelSilent);
    case 'later':
      return hurdleSilent === null || modelSilent === null
        ? (hurdleSilent ?? modelSilent)
        : Math.max(hurdleSilent, modelSilent);
  }
}

function clampHurdle(days: number, config: RulesConfig): number {
  return Math.min(config.maxHurdleDays, Math.max(config.minHurdleDays, days));
}

/**
 * The earliest day a lapse from anchorDay can be due under any population table (the model and
 * the profile as they are); null when none can come due from it. The population's hurdle is
 * positive, and the silent days never fall as it falls: the lowest lie at a hurdle near 0 or
 * where the table has none for the customer's step.
 */
export function earliestLapseDueDay(
  profile: Profile,
  anchorDay: number,
  config: RulesConfig,
  model: FittedModel | null,
): number | null {
  const inputs = lapseInputsOf(profile, anchorDay, config, model);
  const low = silentDaysWith(inputs, 0, config);
  const none = silentDaysWith(inputs, null, config);
  const silentDays = low === null || none === null ? (low ?? none) : Math.min(low, none);
  return silentDays === null ? null : lapseDueDay(anchorDay, silentDays);
}

/**
 * When a customer whose last active day is anchorDay counts as lapsed, from everything the rules
 * know: their own gaps, the population's hurdle for their step, and the purchase model's P(alive)
 * deadline. The shrinkage rule: with n own gaps and a population hurdle P for the customer's next
 * step, the hurdle is w × personal + (1 − w) × P with w = n / (n + populationPriorGaps) — the
 * population alone for a first-time customer, fading smoothly as their history grows (no switch
 * at a number of active days). Without population statistics the personal hurdle alone holds,
 * from minActiveDaysForRhythm active days on. null: nothing to judge by.
 */
export function lapsePlanAsOf(
  profile: Profile,
  anchorDay: number,
  config: RulesConfig,
  context: DecisionContext,
): LapsePlan | null {
  const model = context.model ?? null;
  const inputs = lapseInputsOf(profile, anchorDay, config, model);
  const population = populationHurdleOf(inputs, context);
  const silentDays = silentDaysWith(inputs, population, config);
  if (silentDays === null) return null;
  return new PlannedLapse(
    anchorDay,
    silentDays,
    populationWeightOf(inputs, population, config),
    inputs,
    population,
    config,
    model,
  );
}

/**
 * The silent days of lapsePlanAsOf's plan, without the plan (its due day is lapseDueDay of them):
 * what due times and segments need, asked for several times per event, with no object made.
 */
export function lapseSilentDaysAsOf(
  profile: Profile,
  anchorDay: number,
  config: RulesConfig,
  context: DecisionContext,
): number | null {
  const inputs = lapseInputsOf(profile, anchorDay, config, context.model ?? null);
  const population = populationHurdleOf(inputs, context);
  return silentDaysWith(inputs, population, config);
}

/**
 * A lapse plan. Its evidence is read only when a lapse is decided or shown (a due time needs the
 * day alone), so it is computed on the first read; a class rather than an object literal with a
 * getter, which made a closure and its context for every plan (segments and timers ask for
 * several plans per event).
 */
class PlannedLapse implements LapsePlan {
  readonly dueDay: number;
  readonly latency: Latency | null;
  private computed: Evidence | undefined = undefined;

  constructor(
    private readonly anchorDay: number,
    readonly silentDays: number,
    private readonly populationWeight: number,
    private readonly inputs: LapseInputs,
    private readonly population: number | null,
    private readonly config: RulesConfig,
    private readonly model: FittedModel | null,
  ) {
    this.dueDay = lapseDueDay(anchorDay, silentDays);
    this.latency = inputs.latency;
  }

  get evidence(): Evidence {
    if (this.computed !== undefined) return this.computed;
    const { latency, personal, activeDaysSoFar, firstDay, modelSilentDays } = this.inputs;
    const { model, population, silentDays, dueDay, anchorDay } = this;
    const aliveAtDue =
      model === null
        ? null
        : probabilityAlive(model.parameters, {
            x: activeDaysSoFar - 1,
            tx: anchorDay - firstDay,
            T: dueDay - firstDay,
          });
    this.computed = {
      usualLatencyDays: latency === null ? null : round3(latency.centreDays),
      latencySpreadDays: latency === null ? null : round3(latency.spreadDays),
      latencyGaps: latency === null ? 0 : latency.gaps,
      hurdleDays: round3(silentDays),
      personalHurdleDays: personal === null ? null : round3(personal),
      populationHurdleDays: population === null ? null : round3(population),
      populationWeight: round3(this.populationWeight),
      activeDaysSoFar,
      lapseRule: this.config.lapseRule,
      modelVersion: model === null ? null : model.version,
      modelSilentDays: modelSilentDays === null ? null : round3(modelSilentDays),
      pAlive: aliveAtDue === null ? null : round3(aliveAtDue),
    };
    return this.computed;
  }
}

/**
 * A continuous risk of "gone" as of the end of asOfDay: with a purchase model, the model's
 * P(no activity in the next riskHorizonDays); without one, silent days / (silent days + hurdle).
 * null for a customer with no activity yet or nothing to judge by.
 */
export function riskScore(
  profile: Profile,
  asOfDay: number,
  config: RulesConfig,
  context: DecisionContext,
): number | null {
  const days = daysUpTo(profile.activeDays, asOfDay);
  const lastDay = days[days.length - 1];
  if (lastDay === undefined || profile.firstSeenMs === null) return null;
  const firstDay = localDayOf(profile.firstSeenMs, profile.timeZone);
  const silent = asOfDay - lastDay;
  if (context.model) {
    const x = activeDaysBefore(profile, lastDay);
    return probabilityNoActivity(
      context.model.parameters,
      { x, tx: lastDay - firstDay, T: asOfDay + 1 - firstDay },
      config.riskHorizonDays,
    );
  }
  const plan = lapsePlanAsOf(profile, lastDay, config, context);
  if (plan === null) return null;
  return silent / (silent + plan.silentDays);
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
  const rfm = rfmOf(counts, lastActiveDay, asOfMs, profile.timeZone);
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

/**
 * The day the repurchase window opens after the last purchase day up to `asOfDay`, from the
 * purchase gaps up to it; null without enough purchase gaps.
 */
export function repurchaseWindowOpeningDay(
  profile: Profile,
  asOfDay: number,
  config: RulesConfig,
): number | null {
  // Too few purchase days for the gaps asked for, whatever asOfDay: no window.
  if (profile.purchaseDays.length <= config.minPurchaseGaps) return null;
  const purchaseLatency = latencyOf(profile.purchaseDays, asOfDay, config.purchaseGapsKept);
  if (purchaseLatency === null || purchaseLatency.gaps < config.minPurchaseGaps) return null;
  const purchaseDays = daysUpTo(profile.purchaseDays, asOfDay);
  const lastPurchaseDay = purchaseDays[purchaseDays.length - 1]!;
  return (
    lastPurchaseDay +
    Math.max(1, Math.ceil(config.repurchaseWindowStartFraction * purchaseLatency.centreDays))
  );
}

/** The model's expected active days in the next `horizonDays` after the end of `day`. */
function expectedActiveDays(
  profile: Profile,
  day: number,
  horizonDays: number,
  context: DecisionContext,
): number | null {
  const model = context.model ?? null;
  const days = daysUpTo(profile.activeDays, day);
  const lastDay = days[days.length - 1];
  if (model === null || lastDay === undefined || profile.firstSeenMs === null) return null;
  const firstDay = localDayOf(profile.firstSeenMs, profile.timeZone);
  return expectedPurchases(
    model.parameters,
    { x: activeDaysBefore(profile, lastDay), tx: lastDay - firstDay, T: day + 1 - firstDay },
    horizonDays,
  );
}

/**
 * Ready to buy, as of the end of sealed day `day` (an active day, or the day the repurchase
 * window opens). The cooldown is checked by the caller. Reasons:
 * - visitAcceleration: the median of the last 3 gaps is at most accelerationGapRatio × the usual
 *   gap, or the active days of the last 7 are at least accelerationRateRatio × the customer's
 *   weekly rate over the (up to) 83 days before them;
 * - repurchaseWindow: days since the last purchase lie between the start and end fractions of
 *   the usual purchase gap.
 * Returns the signal's evidence when it fires, null when it does not. The repurchase window is
 * judged first: when the rule needs it (`readyToBuyRequires: 'all'`, the default) and it is
 * closed, nothing else is computed — this runs at the end of every sealed active day.
 */
export function readyToBuyEvidence(
  profile: Profile,
  day: number,
  config: RulesConfig,
  context: DecisionContext = {},
): Evidence | null {
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
  const needsWindow = config.readyToBuyRequires === 'all';
  if (needsWindow && !repurchaseWindow) return null;

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
  const firstSeenDay =
    profile.firstSeenMs === null ? day : localDayOf(profile.firstSeenMs, profile.timeZone);
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

  // The purchase model's expectation: intent, as visit acceleration is.
  const expected = expectedActiveDays(profile, day, config.readyToBuyHorizonDays, context);
  const expectedPurchasesReason =
    expected !== null && expected >= config.readyToBuyExpectedPurchases;

  // Intent (visits speeding up, or the model expecting purchases soon) and timing (the
  // repurchase window): 'all' needs both, 'any' either.
  const intent = visitAcceleration || expectedPurchasesReason;
  const fires = needsWindow ? intent && repurchaseWindow : intent || repurchaseWindow;
  if (!fires) return null;
  const reasons = [
    ...(visitAcceleration ? ['visitAcceleration'] : []),
    ...(expectedPurchasesReason ? ['expectedPurchases'] : []),
    ...(repurchaseWindow ? ['repurchaseWindow'] : []),
  ];
  return {
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
    expectedPurchases: expected === null ? null : round3(expected),
    expectedPurchasesHorizonDays: config.readyToBuyHorizonDays,
    modelVersion: context.model?.version ?? null,
  };
}
