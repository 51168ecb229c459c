// Customers drawn from a "buy till you die" model (BG/NBD or MBG/NBD) with known parameters: the
// ground truth of the purchase model's parameter-recovery test. Each customer gets a rate
// λ ~ Gamma(r, α) and a drop-out probability p ~ Beta(a, b); while alive their activities are a
// Poisson process of rate λ, and after each repeat activity (MBG/NBD: also right after the first)
// they drop out with probability p. Observed for T drawn uniformly from [minAge, maxAge].
import type { CustomerHistory, PurchaseModelParameters } from '@pulse/core';
import { mulberry32, type Random } from './random.ts';

/** Standard normal by Box–Muller. */
function normal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), with the shape < 1 boost. */
function gamma(random: Random, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export interface SimulatedHistoriesOptions {
  parameters: PurchaseModelParameters;
  customers: number;
  seed: number;
  /** Observation span of each customer, uniform in [minAge, maxAge] (time unit of α). */
  minAge: number;
  maxAge: number;
}

export function simulateHistories(options: SimulatedHistoriesOptions): CustomerHistory[] {
  const random = mulberry32(options.seed);
  const { kind, r, alpha, a, b } = options.parameters;
  const histories: CustomerHistory[] = [];
  for (let customer = 0; customer < options.customers; customer += 1) {
    // Gamma(r, α) in the rate parameterisation: mean r / α.
    const rate = gamma(random, r) / alpha;
    const ga = gamma(random, a);
    const dropProbability = ga / (ga + gamma(random, b));
    const T = options.minAge + random() * (options.maxAge - options.minAge);
    let alive = !(kind === 'mbgnbd' && random() < dropProbability);
    let time = 0;
    let x = 0;
    let tx = 0;
    while (alive) {
      time += -Math.log(1 - random()) / rate;
      if (time > T) break;
      x += 1;
      tx = time;
      if (random() < dropProbability) alive = false;
    }
    histories.push({ x, tx, T });
  }
  return histories;
}
