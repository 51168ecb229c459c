// Maximum-likelihood fit of a purchase model: Nelder–Mead on the logarithms of (r, α, a, b), so
// the search is unconstrained and every point it tries is a valid model. A fit restarts from its
// own optimum until a restart no longer improves the log-likelihood (the usual remedy for the
// simplex collapsing early), at most MAX_RESTARTS times.
import { PulseCoreError } from '../errors.ts';
import { nelderMead } from './nelder-mead.ts';
import {
  totalLogLikelihood,
  type CustomerHistory,
  type PurchaseModelKind,
  type PurchaseModelParameters,
  type WeightedHistory,
} from './purchase-model.ts';

const MAX_RESTARTS = 5;

export interface ModelFit {
  parameters: PurchaseModelParameters;
  logLikelihood: number;
  /** Customers the fit rests on. */
  customers: number;
  iterations: number;
  converged: boolean;
}

/** Distinct histories with their counts (a fit's cost grows with these, not with customers). */
export function groupHistories(histories: Iterable<CustomerHistory>): WeightedHistory[] {
  const byKey = new Map<string, WeightedHistory>();
  for (const { x, tx, T } of histories) {
    const key = `${x}:${tx}:${T}`;
    const existing = byKey.get(key);
    if (existing) existing.count += 1;
    else byKey.set(key, { x, tx, T, count: 1 });
  }
  return [...byKey.values()];
}

export function fitPurchaseModel(
  kind: PurchaseModelKind,
  histories: readonly WeightedHistory[],
): ModelFit {
  const customers = histories.reduce((sum, history) => sum + history.count, 0);
  if (customers === 0) {
    throw new PulseCoreError('MODEL_DOMAIN', 'cannot fit a purchase model to no customers', {});
  }
  const toParameters = (point: readonly number[]): PurchaseModelParameters => ({
    kind,
    r: Math.exp(point[0]!),
    alpha: Math.exp(point[1]!),
    a: Math.exp(point[2]!),
    b: Math.exp(point[3]!),
  });
  const negativeLogLikelihood = (point: readonly number[]) => {
    if (point.some((value) => Math.abs(value) > 30)) return Number.POSITIVE_INFINITY;
    try {
      return -totalLogLikelihood(toParameters(point), histories);
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  };
  // Start: r = 1, α = the mean age (the rate's scale is of the order of the observation span),
  // a = b = 1 (a uniform drop-out probability).
  const meanAge = histories.reduce((sum, h) => sum + h.count * h.T, 0) / customers;
  let point = [0, Math.log(Math.max(meanAge, 1e-6)), 0, 0];
  let value = negativeLogLikelihood(point);
  let iterations = 0;
  let converged = false;
  for (let attempt = 0; attempt <= MAX_RESTARTS; attempt += 1) {
    const result = nelderMead(negativeLogLikelihood, point, {
      initialStep: attempt === 0 ? 1 : 0.2,
    });
    iterations += result.iterations;
    const improved = value - result.value;
    point = result.point;
    value = result.value;
    converged = result.converged;
    if (attempt > 0 && improved < 1e-7) break;
  }
  return {
    parameters: toParameters(point),
    logLikelihood: -value,
    customers,
    iterations,
    converged,
  };
}
