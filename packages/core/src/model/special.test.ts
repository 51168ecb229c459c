// The special functions against high-precision references. Every expected value below was
// computed with mpmath 1.3 (Python) at 40 significant digits: mpmath.loggamma(x) and
// mpmath.log(mpmath.hyp2f1(a, b, c, z)) — an arbitrary-precision implementation independent of
// the series used here — each rounded to the nearest double.
import { describe, expect, it } from 'vitest';
import { PulseCoreError } from '../errors.ts';
import { hypergeometric2F1, logBeta, logGamma, logHypergeometric2F1 } from './special.ts';

/** |actual − expected| <= tolerance × max(1, |expected|). */
function expectClose(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

describe('logGamma', () => {
  const references: [number, number][] = [
    [0.1, 2.252712651734206],
    [0.5, 0.5723649429247001],
    [1, 0],
    [1.5, -0.12078223763524522],
    [2.426, 0.23400811688731624],
    [10, 12.801827480081469],
    [100.5, 361.4355404677776],
    [1000, 5905.220423209181],
    [1e6, 12815504.569147611],
  ];
  it.each(references)('ln Γ(%d) matches mpmath', (x, expected) => {
    expectClose(logGamma(x), expected, 1e-13);
  });

  it('gives ln B from three ln Γ', () => {
    // B(2, 3) = 1/12
    expectClose(logBeta(2, 3), Math.log(1 / 12), 1e-14);
  });

  it('rejects x <= 0 with a typed error', () => {
    expect(() => logGamma(0)).toThrow(PulseCoreError);
    expect(() => logGamma(-1)).toThrow(/x > 0/);
  });
});

describe('2F1', () => {
  // [a, b, c, z, ln 2F1(a, b; c; z)]
  const references: [number, number, number, number, number][] = [
    [1, 1, 2, 0.5, 0.326634259978281], // = −ln(1 − z)/z
    [0.243, 2.426, 2.219, 0.3, 0.09578146244727853],
    [0.5, 0.5, 1.5, 0.9, 0.2750601355372529],
    [10.243, 12.426, 21.219, 0.47, 3.561593155489877],
    [300.5, 301.6, 600.1, 0.6, 122.8012313283964],
    [2.5, 3.5, 1.5, 0.99, 21.564833022624626],
    [1, 1, 1, 0, 0],
    [0.7, 1.3, 2.2, 0.999, 1.3769059129368397],
    // Far beyond the double range: only the logarithm exists.
    [1000.5, 1001.6, 2000.1, 0.9, 839.2581299233145],
    [5000.25, 4000.5, 3000.75, 0.95, 18411.35205226005],
  ];
  it.each(references)('ln 2F1(%d, %d; %d; %d) matches mpmath', (a, b, c, z, expected) => {
    expectClose(logHypergeometric2F1(a, b, c, z), expected, 1e-12);
  });

  it('returns the value itself where it fits a double', () => {
    expectClose(hypergeometric2F1(1, 1, 2, 0.5), 1.3862943611198906, 1e-14);
    expectClose(hypergeometric2F1(2.5, 3.5, 1.5, 0.99) / 2319999999.999991, 1, 1e-12);
  });

  it('rejects arguments outside its domain instead of returning garbage', () => {
    for (const [a, b, c, z] of [
      [1, 1, 2, 1],
      [1, 1, 2, -0.5],
      [1, 1, 0, 0.5],
      [-1, 1, 2, 0.5],
      [1, 1, 2, Number.NaN],
    ] as const) {
      expect(() => logHypergeometric2F1(a, b, c, z)).toThrow(PulseCoreError);
    }
  });
});
