// Two "buy till you die" models of a customer's repeat activity, as pure functions:
//
// - BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science
//   24(2)): while alive, a customer is active at Poisson rate λ ~ Gamma(r, α); after each REPEAT
//   activity they drop out with probability p ~ Beta(a, b).
// - MBG/NBD (Batislam, Denizel & Filiztekin 2007, IJRM 24(3); Hoppe & Wagner 2007): the same,
//   but the customer may also drop out right after the FIRST activity.
//
// Why MBG/NBD as the variant, not Pareto/NBD: BG/NBD says P(alive) = 1 for everyone who came only
// once (x = 0), however long ago — and one-time customers are most of the people who leave. MBG/NBD
// fixes exactly that with the same four parameters, the same closed forms (no numerical
// integration, one 2F1 for expectations only) and a closed-form P(alive) deadline, so the
// profiler can turn it into a due time. Pareto/NBD also judges one-time buyers, but its
// likelihood and P(alive) need 2F1 evaluations near z = 1 per customer and its deadline a root
// search: more cost on the hot path for a fit that is no better on the CDNOW sample.
//
// A customer's history is (x, tx, T): x repeat activities (distinct active days after the first),
// tx the time of the last one and T the time now, both measured from the first. The unit of
// time is the caller's (weeks in the paper, days in the profiler); α is in that unit.
import { PulseCoreError } from '../errors.ts';
import { logBeta, logGamma, logHypergeometric2F1 } from './special.ts';

export type PurchaseModelKind = 'bgnbd' | 'mbgnbd';

export interface PurchaseModelParameters {
  kind: PurchaseModelKind;
  /** Shape of the gamma distribution of the activity rate λ. */
  r: number;
  /** Scale of the gamma distribution of λ, in the time unit of the histories. */
  alpha: number;
  /** Beta distribution of the drop-out probability p. */
  a: number;
  b: number;
}

export interface CustomerHistory {
  /** Repeat activities: distinct active days after the first. */
  x: number;
  /** Time from the first to the last activity (0 when x = 0). */
  tx: number;
  /** Time from the first activity to now. */
  T: number;
}

function assertParameters(parameters: PurchaseModelParameters): void {
  const { r, alpha, a, b } = parameters;
  if (![r, alpha, a, b].every((value) => Number.isFinite(value) && value > 0)) {
    throw new PulseCoreError(
      'MODEL_DOMAIN',
      `model parameters must be finite and positive, got r=${r} alpha=${alpha} a=${a} b=${b}`,
      { r, alpha, a, b },
    );
  }
}

function assertHistory({ x, tx, T }: CustomerHistory): void {
  if (!(Number.isInteger(x) && x >= 0 && tx >= 0 && T >= tx && (x > 0 || tx === 0))) {
    throw new PulseCoreError(
      'MODEL_DOMAIN',
      `a history needs an integer x >= 0 and 0 <= tx <= T (tx = 0 when x = 0), got x=${x} tx=${tx} T=${T}`,
      { x, tx, T },
    );
  }
}

/**
 * ln of the odds "dropped out after the last activity" : "still alive", i.e.
 * ln[(a / (b + x − 1)) ((α + T) / (α + tx))^(r + x)] for BG/NBD (x > 0) and with b + x for
 * MBG/NBD. −Infinity when the model cannot have dropped the customer (BG/NBD with x = 0).
 */
function logDeadOdds(parameters: PurchaseModelParameters, history: CustomerHistory): number {
  const { kind, r, alpha, a, b } = parameters;
  const { x, tx, T } = history;
  if (kind === 'bgnbd' && x === 0) return Number.NEGATIVE_INFINITY;
  const opportunities = kind === 'bgnbd' ? b + x - 1 : b + x;
  return Math.log(a / opportunities) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
}

/** ln of the likelihood of one customer's (x, tx, T). */
export function logLikelihood(
  parameters: PurchaseModelParameters,
  history: CustomerHistory,
): number {
  assertParameters(parameters);
  assertHistory(history);
  const { kind, r, alpha, a, b } = parameters;
  const { x, T } = history;
  const rate = logGamma(r + x) - logGamma(r) + r * Math.log(alpha);
  const survival =
    kind === 'bgnbd' ? logBeta(a, b + x) - logBeta(a, b) : logBeta(a, b + x + 1) - logBeta(a, b);
  const aliveTerm = -(r + x) * Math.log(alpha + T);
  const deadOdds = logDeadOdds(parameters, history);
  // ln(e^alive + e^(alive + deadOdds)) without overflow.
  const logSum =
    deadOdds === Number.NEGATIVE_INFINITY
      ? aliveTerm
      : aliveTerm + Math.max(0, deadOdds) + Math.log1p(Math.exp(-Math.abs(deadOdds)));
  return rate + survival + logSum;
}

/** A history with how many customers share it (fits run on the distinct histories). */
export interface WeightedHistory extends CustomerHistory {
  count: number;
}

/**
 * Σ count × ln L over the histories. Same value as summing logLikelihood, but the terms that
 * depend only on the parameters and x (ln Γ, ln B) are computed once per distinct x: a fit
 * evaluates this thousands of times.
 */
export function totalLogLikelihood(
  parameters: PurchaseModelParameters,
  histories: readonly WeightedHistory[],
): number {
  assertParameters(parameters);
  const { kind, r, alpha, a, b } = parameters;
  const constant = -logGamma(r) + r * Math.log(alpha) - logBeta(a, b);
  const byRepeats = new Map<number, { base: number; logDeadFactor: number }>();
  let total = 0;
  for (const history of histories) {
    assertHistory(history);
    const { x, tx, T } = history;
    let terms = byRepeats.get(x);
    if (terms === undefined) {
      const survival = kind === 'bgnbd' ? logBeta(a, b + x) : logBeta(a, b + x + 1);
      const logDeadFactor =
        kind === 'bgnbd' && x === 0
          ? Number.NEGATIVE_INFINITY
          : Math.log(a / (kind === 'bgnbd' ? b + x - 1 : b + x));
      terms = { base: constant + logGamma(r + x) + survival, logDeadFactor };
      byRepeats.set(x, terms);
    }
    const aliveTerm = -(r + x) * Math.log(alpha + T);
    let logSum = aliveTerm;
    if (terms.logDeadFactor !== Number.NEGATIVE_INFINITY) {
      const deadOdds = terms.logDeadFactor + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
      logSum = aliveTerm + Math.max(0, deadOdds) + Math.log1p(Math.exp(-Math.abs(deadOdds)));
    }
    total += history.count * (terms.base + logSum);
  }
  return total;
}

/** P(alive at T | x, tx, T). */
export function probabilityAlive(
  parameters: PurchaseModelParameters,
  history: CustomerHistory,
): number {
  assertParameters(parameters);
  assertHistory(history);
  const deadOdds = logDeadOdds(parameters, history);
  return deadOdds === Number.NEGATIVE_INFINITY ? 1 : 1 / (1 + Math.exp(deadOdds));
}

/**
 * Expected number of activities in (T, T + horizon] given (x, tx, T): P(alive) times the
 * expectation for a customer alive at T, whose posterior is λ ~ Gamma(r + x, α + T) and
 * p ~ Beta(a, b') with b' = b + x (BG/NBD) or b + x + 1 (MBG/NBD):
 *
 *   E = (a + b' − 1)/(a − 1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b'; a+b'−1; t/(α+T+t))]
 *
 * (Fader, Hardie & Lee 2005, eq. 10, generalised to b'). Valid for a < 1 as well (both factors
 * change sign); a = 1 exactly is the removable singularity and is nudged to 1 + 1e-9.
 */
export function expectedPurchases(
  parameters: PurchaseModelParameters,
  history: CustomerHistory,
  horizon: number,
): number {
  const alive = probabilityAlive(parameters, history);
  if (!(horizon >= 0)) {
    throw new PulseCoreError('MODEL_DOMAIN', `horizon must be >= 0, got ${horizon}`, { horizon });
  }
  if (horizon === 0) return 0;
  const { kind, r, alpha, b } = parameters;
  const a = parameters.a === 1 ? 1 + 1e-9 : parameters.a;
  const { x, T } = history;
  const bPosterior = kind === 'bgnbd' ? b + x : b + x + 1;
  const z = horizon / (alpha + T + horizon);
  const logProduct =
    (r + x) * Math.log((alpha + T) / (alpha + T + horizon)) +
    logHypergeometric2F1(r + x, bPosterior, a + bPosterior - 1, z);
  const bracket = -Math.expm1(logProduct);
  return (alive * ((a + bPosterior - 1) / (a - 1)) * bracket) as number;
}

/**
 * P(no activity in (T, T + horizon] | x, tx, T). A customer alive at T can only drop out right
 * after an activity, so "none in the window" is "dead already" or "alive and no Poisson event":
 * 1 − P(alive) + P(alive) · ((α + T)/(α + T + t))^(r + x).
 */
export function probabilityNoActivity(
  parameters: PurchaseModelParameters,
  history: CustomerHistory,
  horizon: number,
): number {
  const alive = probabilityAlive(parameters, history);
  const { r, alpha } = parameters;
  const quiet = Math.exp(
    (r + history.x) * Math.log((alpha + history.T) / (alpha + history.T + horizon)),
  );
  return 1 - alive + alive * quiet;
}

/**
 * The age T* at which P(alive) falls to `threshold` for a customer whose activity stopped at
 * (x, tx): P(alive) decreases in T, so the closed form
 *
 *   T* = (α + tx) · [((1 − p*)/p*) / c]^(1/(r + x)) − α,  c = a/(b + x − 1) (BG) or a/(b + x) (MBG)
 *
 * is the deadline. tx when P(alive) is already at or below p* right after the last activity;
 * Infinity when it never falls that low (BG/NBD, x = 0).
 */
export function aliveDeadline(
  parameters: PurchaseModelParameters,
  x: number,
  tx: number,
  threshold: number,
): number {
  assertParameters(parameters);
  assertHistory({ x, tx, T: tx });
  if (!(threshold > 0 && threshold < 1)) {
    throw new PulseCoreError('MODEL_DOMAIN', `threshold must be in (0, 1), got ${threshold}`, {
      threshold,
    });
  }
  const { kind, r, alpha, a, b } = parameters;
  if (kind === 'bgnbd' && x === 0) return Number.POSITIVE_INFINITY;
  const c = a / (kind === 'bgnbd' ? b + x - 1 : b + x);
  const ratio = (1 - threshold) / threshold / c;
  if (ratio <= 1) return tx;
  return (alpha + tx) * Math.exp(Math.log(ratio) / (r + x)) - alpha;
}

/** The same parameters in another unit of time (only α carries a unit). */
export function rescaleTime(
  parameters: PurchaseModelParameters,
  unitsPerOldUnit: number,
): PurchaseModelParameters {
  return { ...parameters, alpha: parameters.alpha * unitsPerOldUnit };
}
