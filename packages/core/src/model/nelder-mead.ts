// Nelder–Mead simplex minimisation. Written here because no well-kept optimiser is on npm
// (`fmin` and `numeric` were last released years ago); the method is short and textbook:
// Lagarias, Reeds, Wright & Wright (1998), "Convergence properties of the Nelder–Mead simplex
// method in low dimensions", SIAM J. Optim. 9(1) — reflection 1, expansion 2, contraction ½,
// shrink ½. The caller chooses the parameterisation (the purchase-model fit works on logarithms,
// so every step stays inside the positive parameters and scales are comparable).

export interface NelderMeadOptions {
  /** Length of the initial simplex's edges along each axis (default 0.5). */
  initialStep?: number;
  /** Stop when the simplex's values differ by less than this (default 1e-10). */
  valueTolerance?: number;
  /** ... and its points by less than this in every coordinate (default 1e-8). */
  pointTolerance?: number;
  /** Upper bound of iterations (default 5 000). */
  maxIterations?: number;
}

export interface NelderMeadResult {
  point: number[];
  value: number;
  iterations: number;
  converged: boolean;
}

export function nelderMead(
  objective: (point: readonly number[]) => number,
  start: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const step = options.initialStep ?? 0.5;
  const valueTolerance = options.valueTolerance ?? 1e-10;
  const pointTolerance = options.pointTolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 5_000;
  const dimensions = start.length;
  // A NaN (outside the objective's domain) is treated as +Infinity: the simplex moves away.
  const evaluate = (point: readonly number[]) => {
    const value = objective(point);
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
  };

  let simplex = [start.slice()];
  for (let axis = 0; axis < dimensions; axis += 1) {
    const vertex = start.slice();
    vertex[axis]! += step;
    simplex.push(vertex);
  }
  let values = simplex.map(evaluate);

  const combine = (from: readonly number[], to: readonly number[], factor: number) =>
    from.map((value, index) => value + factor * (to[index]! - value));

  let iterations = 0;
  for (; iterations < maxIterations; iterations += 1) {
    const order = values.map((_, index) => index).sort((i, j) => values[i]! - values[j]!);
    simplex = order.map((index) => simplex[index]!);
    values = order.map((index) => values[index]!);
    const best = simplex[0]!;
    const worst = simplex[dimensions]!;
    const valueSpread = Math.abs(values[dimensions]! - values[0]!);
    const pointSpread = Math.max(
      ...simplex
        .slice(1)
        .map((vertex) => Math.max(...vertex.map((v, i) => Math.abs(v - best[i]!)))),
    );
    if (valueSpread <= valueTolerance && pointSpread <= pointTolerance) {
      return { point: best, value: values[0]!, iterations, converged: true };
    }

    const centroid = Array.from({ length: dimensions }, (_, axis) => {
      let sum = 0;
      for (let vertex = 0; vertex < dimensions; vertex += 1) sum += simplex[vertex]![axis]!;
      return sum / dimensions;
    });
    const reflected = combine(centroid, worst, -1);
    const reflectedValue = evaluate(reflected);
    if (reflectedValue < values[0]!) {
      const expanded = combine(centroid, worst, -2);
      const expandedValue = evaluate(expanded);
      if (expandedValue < reflectedValue) {
        simplex[dimensions] = expanded;
        values[dimensions] = expandedValue;
      } else {
        simplex[dimensions] = reflected;
        values[dimensions] = reflectedValue;
      }
      continue;
    }
    if (reflectedValue < values[dimensions - 1]!) {
      simplex[dimensions] = reflected;
      values[dimensions] = reflectedValue;
      continue;
    }
    // Contract: outside when the reflection improved on the worst point, inside otherwise.
    const outside = reflectedValue < values[dimensions]!;
    const contracted = outside ? combine(centroid, worst, -0.5) : combine(centroid, worst, 0.5);
    const contractedValue = evaluate(contracted);
    if (contractedValue < (outside ? reflectedValue : values[dimensions]!)) {
      simplex[dimensions] = contracted;
      values[dimensions] = contractedValue;
      continue;
    }
    // Shrink towards the best point.
    for (let vertex = 1; vertex <= dimensions; vertex += 1) {
      simplex[vertex] = combine(best, simplex[vertex]!, 0.5);
      values[vertex] = evaluate(simplex[vertex]!);
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return {
    point: simplex[bestIndex]!,
    value: values[bestIndex]!,
    iterations,
    converged: false,
  };
}
