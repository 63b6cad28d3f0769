// Special functions in float64 precision for the reference backend.

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) to about 1e-15 relative error. For |x| < 3 the series erf x = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1}/(1·3···(2n+1))
 * (all terms positive, so no cancellation); beyond, 1 − erfc x with erfc from its continued fraction.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(a) = e^{-a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated backwards.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}
