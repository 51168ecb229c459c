// Special functions the purchase models need: log Γ, log B and the Gauss hypergeometric 2F1.
// Written here rather than imported: the core has no dependencies besides zod, the well-kept
// numeric libraries on npm (stdlib's gammaln …) pull native build steps, and each function is a
// short, textbook method tested against high-precision references (special.test.ts).
import { PulseCoreError } from '../errors.ts';

// Lanczos approximation with g = 7 and 9 coefficients (P. Godfrey's set, the one most reference
// implementations reproduce): relative error about 1e-15 for x >= 0.5; the reflection formula
// covers (0, 0.5).
const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    throw new PulseCoreError('MODEL_DOMAIN', `logGamma needs a finite x > 0, got ${x}`, { x });
  }
  if (x < 0.5) {
    // Γ(x) Γ(1 − x) = π / sin(πx)
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const shifted = x - 1;
  let series = LANCZOS_COEFFICIENTS[0]!;
  for (let index = 1; index < LANCZOS_COEFFICIENTS.length; index += 1) {
    series += LANCZOS_COEFFICIENTS[index]! / (shifted + index);
  }
  const t = shifted + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Terms summed at most before 2F1 gives up (z = 0.999 needs about 40 000). */
const MAX_SERIES_TERMS = 1_000_000;
/** Relative size of the tail below which the series stops. */
const SERIES_TOLERANCE = 1e-16;
/** The running sum is rescaled by this factor whenever it passes it (keeps doubles finite). */
const RESCALE_AT = 1e200;
const LOG_RESCALE = Math.log(RESCALE_AT);

/**
 * ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, by the Gauss series
 *
 *   2F1(a, b; c; z) = Σₙ (a)ₙ (b)ₙ / ((c)ₙ n!) zⁿ,
 *
 * each term from the previous one by the ratio (a + n)(b + n) z / ((c + n)(n + 1)). With these
 * signs every term is positive, so there is no cancellation; the only danger is size (a, b of
 * several hundred, as for a customer with hundreds of active days, make the sum exceed 1e308),
 * so the sum and the term are rescaled together and the scale is kept as a logarithm. The series
 * stops once the tail, bounded by term × ρ / (1 − ρ) with ρ = max(current ratio, z), is below
 * 1e-16 of the sum. Throws MODEL_DOMAIN outside the domain or if the series has not converged
 * after a million terms (z extremely close to 1).
 */
export function logHypergeometric2F1(a: number, b: number, c: number, z: number): number {
  if (!(a > 0 && b > 0 && c > 0) || !(z >= 0 && z < 1) || ![a, b, c].every(Number.isFinite)) {
    throw new PulseCoreError(
      'MODEL_DOMAIN',
      `2F1 needs a, b, c > 0 and 0 <= z < 1, got a=${a} b=${b} c=${c} z=${z}`,
      { a, b, c, z },
    );
  }
  let term = 1;
  let sum = 1;
  let logScale = 0;
  for (let n = 0; n < MAX_SERIES_TERMS; n += 1) {
    const ratio = ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    term *= ratio;
    sum += term;
    if (sum > RESCALE_AT) {
      sum /= RESCALE_AT;
      term /= RESCALE_AT;
      logScale += LOG_RESCALE;
    }
    const tailRatio = Math.max(ratio, z);
    if (tailRatio < 1 && (term * tailRatio) / (1 - tailRatio) <= SERIES_TOLERANCE * sum) {
      return logScale + Math.log(sum);
    }
    if (term === 0) return logScale + Math.log(sum);
  }
  throw new PulseCoreError(
    'MODEL_DOMAIN',
    `2F1(${a}, ${b}; ${c}; ${z}) did not converge in ${MAX_SERIES_TERMS} terms`,
    { a, b, c, z },
  );
}

/** 2F1(a, b; c; z) (see logHypergeometric2F1); Infinity when it exceeds the double range. */
export function hypergeometric2F1(a: number, b: number, c: number, z: number): number {
  return Math.exp(logHypergeometric2F1(a, b, c, z));
}

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9 over
// (0, 1)), P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution
// function" (2003); enough for a hurdle's quantile, where the input itself is a setting.
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Horner's rule: the polynomial with these coefficients (highest power first) at `value`. */
function polynomial(coefficients: readonly number[], value: number): number {
  let sum = 0;
  for (const coefficient of coefficients) sum = sum * value + coefficient;
  return sum;
}

/** z with Φ(z) = p, for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    throw new PulseCoreError('MODEL_DOMAIN', `normalQuantile needs 0 < p < 1, got ${p}`, { p });
  }
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const z = polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
    return p < low ? z : -z;
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(ACKLAM_A, r) * q) / (polynomial(ACKLAM_B, r) * r + 1);
}
