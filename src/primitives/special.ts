// Float64 scalar kernels of the special functions: the specification every backend's elementwise loop follows.
//
// Each function takes and returns a plain number, allocates nothing per call and loops a bounded number of
// times, so it can be called once per element. Coefficient tables are built when the module loads; the
// fitted and series tables below were computed in 50-digit arithmetic and rounded to the nearest double.

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SQRT_PI = 1.7724538509055159;
const LOG_PI = 1.1447298858494002;
const HALF_LOG_2PI = 0.9189385332046728;
const ONE_MINUS_EULER_GAMMA = 0.42278433509846713;
/** e^{-64}, used to keep e^{-x²} out of the subnormal range until the last multiplication. */
const EXP_MINUS_64 = 1.603810890548638e-28;

/** Chebyshev coefficients of erfcx(x) = e^{x²} erfc(x) on [0.5, 2], in t = (4x − 5)/3. */
const ERFCX_0_5_TO_2 = Float64Array.of(
  0.4006822530639845,
  -0.17395587897748596,
  0.03383702540740585,
  -0.006032263577025819,
  0.001000274118215681,
  -0.0001558965252433288,
  2.3014442396758424e-5,
  -3.2375421924541957e-6,
  4.360702485858127e-7,
  -5.645684833789816e-8,
  7.048623263203286e-9,
  -8.509612327566787e-10,
  9.957554366871612e-11,
  -1.1316613855047257e-11,
  1.2513369992930791e-12,
  -1.3483678086194079e-13,
  1.4178345509581745e-14,
  -1.4566964654246537e-15,
  1.4639564848603663e-16,
  -1.4406081509350508e-17,
  1.3893934243911832e-18,
  -1.314421430456738e-19,
);

/** Chebyshev coefficients of erfcx(x) on [2, 4], in t = x − 3. */
const ERFCX_2_TO_4 = Float64Array.of(
  0.1874295690262241,
  -0.05794652883669097,
  0.008595247387396534,
  -0.0012284613640242594,
  0.00016974366686180488,
  -2.2738329337044562e-5,
  2.959844378804878e-6,
  -3.7513575581379714e-7,
  4.6372828761738244e-8,
  -5.599455392564088e-9,
  6.613160896679916e-10,
  -7.648271522199816e-11,
  8.670904325876594e-12,
  -9.645456274382108e-13,
  1.0536827959360625e-13,
  -1.1312630906760667e-14,
  1.1945180669174577e-15,
  -1.241310752580407e-16,
  1.270246323185436e-17,
  -1.280725873663855e-18,
  1.2729426443953689e-19,
);

/** (−1)ᵏ (ζ(k) − 1)/k for k = 2..31: the series of lgamma(2 + z). */
const LGAMMA2_SERIES = Float64Array.of(
  0.3224670334241132,
  -0.0673523010531981,
  0.020580808427784546,
  -0.007385551028673986,
  0.0028905103307415234,
  -0.001192753911703261,
  0.0005096695247430425,
  -0.00022315475845357939,
  9.945751278180853e-5,
  -4.492623673813314e-5,
  2.050721277567069e-5,
  -9.439488275268397e-6,
  4.374866789907488e-6,
  -2.039215753801366e-6,
  9.55141213040742e-7,
  -4.492469198764566e-7,
  2.1207184805554665e-7,
  -1.0043224823968099e-7,
  4.7698101693639804e-8,
  -2.2711094608943164e-8,
  1.0838659214896955e-8,
  -5.183475041970047e-9,
  2.4836745438024785e-9,
  -1.1921401405860912e-9,
  5.731367241678862e-10,
  -2.7595228851242334e-10,
  1.330476437424449e-10,
  -6.4229645638381e-11,
  3.1044247747322276e-11,
  -1.5021384080754142e-11,
);

/** ψ⁽ᵏ⁾(x₀)/k!, k = 1..43: the Taylor series of digamma at its positive zero x₀. */
const DIGAMMA_ROOT_TAYLOR = Float64Array.of(
  0.9676722454476212,
  -0.4427631689835921,
  0.258499760955651,
  -0.16394270544240652,
  0.10782405069126237,
  -0.07219956125645471,
  0.04880428816414311,
  -0.03316112647484736,
  0.022597648232218104,
  -0.01542476590494896,
  0.010538791616612175,
  -0.007204534386356869,
  0.004926781395729853,
  -0.003369801655439328,
  0.002305126326734928,
  -0.0015769367714301972,
  0.0010788252019162967,
  -0.0007380709389960052,
  0.000504953265834602,
  -0.0003454680251063077,
  0.00023635601564027053,
  -0.00016170622091974803,
  0.0001106337276874741,
  -7.569179582195066e-5,
  5.178575795222081e-5,
  -3.5430070947659604e-5,
  2.424006611860132e-5,
  -1.6584242271854135e-5,
  1.134638458466385e-5,
  -7.762817668462094e-6,
  5.3110609208898636e-6,
  -3.6336507898010456e-6,
  2.486022733129538e-6,
  -1.7008538854332607e-6,
  1.1636675363548843e-6,
  -7.96142543124197e-7,
  5.446941930669446e-7,
  -3.7266161283438227e-7,
  2.549626552021554e-7,
  -1.7443695117727745e-7,
  1.1934394829830244e-7,
  -8.165115189488409e-8,
  5.586299683532171e-8,
);

/** Bernoulli numbers B₂, B₄, …, B₂₆ (exact rationals). */
const BERNOULLI_EVEN = [
  1 / 6,
  -1 / 30,
  1 / 42,
  -1 / 30,
  5 / 66,
  -691 / 2730,
  7 / 6,
  -3617 / 510,
  43867 / 798,
  -174611 / 330,
  854513 / 138,
  -236364091 / 2730,
  8553103 / 6,
];

/** Stirling series lgamma: B₂ₖ / (2k(2k − 1)), k = 1..10. */
const STIRLING = Float64Array.from(BERNOULLI_EVEN.slice(0, 10), (b, i) => b / ((2 * i + 2) * (2 * i + 1)));
/** Asymptotic digamma: B₂ₖ / 2k, k = 1..10. */
const DIGAMMA_ASYMPTOTIC = Float64Array.from(BERNOULLI_EVEN.slice(0, 10), (b, i) => b / (2 * i + 2));
/** Euler–Maclaurin tail of the Hurwitz zeta function: B₂ₖ / (2k)!, k = 1..12. */
const EULER_MACLAURIN = Float64Array.from(BERNOULLI_EVEN.slice(0, 12), (b, i) => {
  let f = 1;
  for (let k = 2; k <= 2 * i + 2; k++) f *= k;
  return b / f;
});

/** n! for n = 0..170 (171! overflows). */
const FACTORIAL = new Float64Array(171);
FACTORIAL[0] = 1;
for (let n = 1; n <= 170; n++) FACTORIAL[n] = FACTORIAL[n - 1] * n;

/** The positive zero of digamma, x₀ = ROOT_HI + ROOT_LO. */
const ROOT_HI = 1.4616321449683622;
const ROOT_LO = 9.549995429965697e-17;
const ROOT_MINUS_ONE_HI = ROOT_HI - 1; // exact (Sterbenz)

/** Clenshaw evaluation of Σ cₖ Tₖ(t). */
function chebyshev(c: Float64Array, t: number): number {
  const t2 = 2 * t;
  let b1 = 0;
  let b2 = 0;
  for (let j = c.length - 1; j >= 1; j--) {
    const b0 = t2 * b1 - b2 + c[j];
    b2 = b1;
    b1 = b0;
  }
  return t * b1 - b2 + c[0];
}

/** Σ cₖ tᵏ by Horner's rule. */
function horner(c: Float64Array, t: number): number {
  let s = 0;
  for (let k = c.length - 1; k >= 0; k--) s = s * t + c[k];
  return s;
}

/**
 * e^{-x²} for 0 ≤ x ≤ 26 without the ~x²·2⁻⁵³ relative error of rounding x² first: x = h + l with h of 24
 * bits, so h² is exact and e^{-x²} = e^{-h²} e^{-l(x + h)}.
 */
function expMinusSquare(x: number): number {
  const h = Math.fround(x);
  return Math.exp(-h * h) * Math.exp(-(x - h) * (x + h));
}

/** |sin(πx)| with exact argument reduction, so it is accurate near every integer. */
function absSinPi(x: number): number {
  const r = Math.abs(x - Math.round(x)); // exact, in [0, 1/2]
  return r <= 0.25 ? Math.sin(Math.PI * r) : Math.cos(Math.PI * (0.5 - r));
}

/** cot(πx) with exact argument reduction, accurate near integers and half-integers. */
function cotPi(x: number): number {
  const r = x - Math.round(x); // exact, in [-1/2, 1/2]
  const a = Math.abs(r);
  if (a <= 0.25) return 1 / Math.tan(Math.PI * r);
  const t = Math.tan(Math.PI * (0.5 - a)); // cot(πa) = tan(π(1/2 − a))
  return r < 0 ? -t : t;
}

/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^{-t²} dt, to about 1e-15 relative error.
 *
 * Special values: erf(±0) = ±0, erf(±∞) = ±1, erf(NaN) = NaN; |x| > 6 gives ±1 exactly.
 *
 * @example
 * erf(0.5); // 0.5204998778130466
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf x = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1}/(1·3···(2n+1)): all terms positive, so no cancellation.
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

/** erfcx(a) = e^{a²} erfc(a) for a ≥ 0.5. */
function erfcx(a: number): number {
  if (a < 2) return chebyshev(ERFCX_0_5_TO_2, (4 * a - 5) / 3);
  if (a < 4) return chebyshev(ERFCX_2_TO_4, a - 3);
  // Continued fraction 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))): 24 levels reach 1e-17 for a ≥ 4.
  let f = a;
  for (let k = 24; k >= 1; k--) f = a + (0.5 * k) / f;
  return 1 / (SQRT_PI * f);
}

/**
 * The complementary error function erfc(x) = 1 − erf(x), computed without cancellation in the right tail:
 * relative error below 1e-15 for x ≤ 26.5 (where erfc ≈ 2e-307); past that the result is subnormal and
 * keeps only the precision a subnormal has, and it is 0 from x ≈ 27.3 on. For x ≤ −0.5 it is 2 − erfc(−x).
 *
 * Special values: erfc(±0) = 1, erfc(+∞) = 0, erfc(−∞) = 2, erfc(NaN) = NaN.
 *
 * @example
 * erfc(5); // 1.5374597944280349e-12
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0.5) return x > -0.5 ? 1 - erf(x) : 2 - erfcPositive(-x);
  return erfcPositive(x);
}

function erfcPositive(a: number): number {
  if (a < 26) return expMinusSquare(a) * erfcx(a);
  if (a > 27.3) return 0;
  // Scale by e^{64} so that only the final product is rounded to a subnormal.
  const h = Math.fround(a);
  return Math.exp(64 - h * h) * (Math.exp(-(a - h) * (a + h)) * erfcx(a)) * EXP_MINUS_64;
}

/**
 * The inverse error function (erf(erfinv(y)) = y for −1 < y < 1), with relative error under 1e-15, including
 * as |y| → 1 (there the refinement works with erfc of the tail 1 − |y|, which is exact, so the residual does
 * not cancel). A single-precision starting value (M. Giles, "Approximating the erfinv function", 2010; an
 * asymptotic start beyond its range) is refined by Halley steps.
 *
 * Special values: erfinv(±0) = ±0, erfinv(±1) = ±∞, erfinv(y) = NaN for |y| > 1 and for NaN.
 *
 * @example
 * erfinv(0.5); // 0.4769362762044699
 */
export function erfinv(y: number): number {
  if (!(y > -1 && y < 1)) return y === 1 ? Infinity : y === -1 ? -Infinity : Number.NaN;
  if (y === 0) return y;
  const a = Math.abs(y);
  const w = 1 - a; // exact for a ≥ 1/2, where it is used
  const l = -Math.log1p(-a) - Math.log1p(a); // −log(1 − a²)
  let x: number;
  if (l < 5) {
    const t = l - 2.5;
    let p = 2.81022636e-8;
    p = 3.43273939e-7 + p * t;
    p = -3.5233877e-6 + p * t;
    p = -4.39150654e-6 + p * t;
    p = 0.00021858087 + p * t;
    p = -0.00125372503 + p * t;
    p = -0.00417768164 + p * t;
    p = 0.246640727 + p * t;
    p = 1.50140941 + p * t;
    x = p * a;
  } else if (l < 16) {
    const t = Math.sqrt(l) - 3;
    let p = -0.000200214257;
    p = 0.000100950558 + p * t;
    p = 0.00134934322 + p * t;
    p = -0.00367342844 + p * t;
    p = 0.00573950773 + p * t;
    p = -0.0076224613 + p * t;
    p = 0.00943887047 + p * t;
    p = 1.00167406 + p * t;
    p = 2.83297682 + p * t;
    x = p * a;
  } else {
    // erfc x ≈ e^{-x²}/(x√π) (1 − 1/(2x²)) = w, solved by fixed-point steps on x² (to ~1e-3).
    const lw = -Math.log(w);
    x = Math.sqrt(lw);
    for (let i = 0; i < 3; i++) x = Math.sqrt(lw - Math.log(SQRT_PI * x) + Math.log1p(-0.5 / (x * x)));
  }
  // Halley on g(x) = erf x − a, g' = 2/√π e^{-x²}, g'' = −2x g': x ← x − r/(1 + x r) with r = g/g'.
  for (let i = 0; i < 6; i++) {
    const g = a <= 0.5 ? erf(x) - a : w - erfc(x);
    const r = g / (TWO_OVER_SQRT_PI * expMinusSquare(x));
    const dx = r / (1 + x * r);
    x -= dx;
    if (Math.abs(dx) <= 1e-12 * x) break; // the step just taken leaves an error of order (1e-12)³
  }
  return y < 0 ? -x : x;
}

/** lgamma(2 + z) for |z| ≤ 1/2: (1 − γ)z + Σₖ₌₂ (−1)ᵏ (ζ(k) − 1)/k zᵏ. */
function lgamma2p(z: number): number {
  return z * (ONE_MINUS_EULER_GAMMA + z * horner(LGAMMA2_SERIES, z));
}

/** lgamma(1 + z) for |z| ≤ 1/2, via Γ(2 + z) = (1 + z)Γ(1 + z). */
function lgamma1p(z: number): number {
  return lgamma2p(z) - Math.log1p(z);
}

/**
 * log|Γ(x)| for every real x. Relative error about 1e-15 for x > 0, where the zeros at 1 and 2 come out with
 * relative accuracy too (series in z = x − 1 or x − 2, which are exact). For x < 0, Γ(x)Γ(1 − x) = π/sin(πx)
 * gives an absolute error of about 1e-15 · (1 + |log|Γ(x)||), so relative accuracy is lost only next to the
 * zeros of log|Γ| on the negative axis (x ≈ −2.457, −2.747, −3.144, …).
 *
 * Special values: lgamma(1) = lgamma(2) = +0; +∞ at ±0, at every negative integer (and so at every x < −2⁵²)
 * and at ±∞; NaN for NaN. Overflows to +∞ for x > 2.55e305.
 *
 * @example
 * lgamma(0.5); // 0.5723649429247001 = log √π
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0.5) {
    if (x === Math.floor(x)) return Infinity; // poles, and −∞
    if (x > -0.5) return lgamma1p(x) - Math.log(Math.abs(x)); // Γ(x) = Γ(1 + x)/x
    return LOG_PI - Math.log(absSinPi(x)) - lgamma(1 - x);
  }
  if (x < 1.5) return lgamma1p(x - 1);
  if (x < 2.5) return lgamma2p(x - 2);
  if (x < 10) {
    // Γ(x) = (x − 1)(x − 2)···(x − n) Γ(x − n); each x − k is exact.
    let p = 1;
    let y = x;
    while (y >= 2.5) {
      y -= 1;
      p *= y;
    }
    return Math.log(p) + lgamma2p(y - 2);
  }
  if (x === Infinity) return Infinity;
  // Stirling: (x − 1/2) log x − x + log √(2π) + Σ B₂ₖ/(2k(2k − 1) x^{2k−1}); written to overflow only with Γ.
  const inv = 1 / x;
  const lx = Math.log(x);
  return x * (lx - 1) - 0.5 * lx + HALF_LOG_2PI + inv * horner(STIRLING, inv * inv);
}

/** ψ(x₀ + h) by its Taylor series at the positive zero x₀, for −0.47 ≤ h ≤ 0.54. */
function digammaNearRoot(h: number): number {
  return h * horner(DIGAMMA_ROOT_TAYLOR, h);
}

/**
 * The digamma function ψ(x) = Γ'(x)/Γ(x) for every real x.
 *
 * For x > 0 the relative error is about 1e-15, including around the zero x₀ ≈ 1.4616321449683622: on
 * [1, 2] (and, by ψ(x) = ψ(x + 1) − 1/x and ψ(x) = ψ(x − n) + Σ 1/(x − k), for all 0 < x < 10) it is a
 * Taylor series in h = x − x₀, with x₀ carried in two doubles so h is exact; from 10 on the asymptotic
 * series. For x < 0 the reflection ψ(x) = ψ(1 − x) − π cot(πx) gives an absolute error of about
 * 1e-15 · (|ψ(1 − x)| + |π cot(πx)|), so relative accuracy is lost only next to its negative zeros.
 *
 * Special values (as SciPy): ψ(+0) = −∞, ψ(−0) = +∞ (the limits from that side), NaN at negative integers
 * (and so for every x < −2⁵²) and at −∞, ψ(+∞) = +∞, NaN for NaN.
 *
 * @example
 * digamma(1); // -0.5772156649015329 = −γ
 */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) {
    if (x === 0) return 1 / x > 0 ? -Infinity : Infinity;
    if (x === Math.floor(x)) return Number.NaN;
    return digamma(1 - x) - Math.PI * cotPi(x);
  }
  if (x < 1) return digammaNearRoot(x - ROOT_MINUS_ONE_HI - ROOT_LO) - 1 / x;
  if (x < 2) return digammaNearRoot(x - ROOT_HI - ROOT_LO);
  if (x < 10) {
    let s = 0;
    let y = x;
    while (y >= 2) {
      y -= 1; // exact
      s += 1 / y;
    }
    return digammaNearRoot(y - ROOT_HI - ROOT_LO) + s;
  }
  if (x === Infinity) return Infinity;
  // ψ(x) = log x − 1/(2x) − Σ B₂ₖ/(2k x^{2k}).
  const inv = 1 / x;
  const inv2 = inv * inv;
  return Math.log(x) - 0.5 * inv - inv2 * horner(DIGAMMA_ASYMPTOTIC, inv2);
}

/**
 * Hurwitz zeta ζ(s, x) = Σₖ (x + k)^{-s} for integer s ≥ 2 and x > 0: the terms are summed directly until
 * z = x + N ≥ 10 + s, then Euler–Maclaurin: z^{1−s}[1/(s − 1) + 1/(2z) + Σⱼ B₂ⱼ/(2j)! (s)₂ⱼ₋₁ z^{-2j}].
 * The twelve correction terms leave a truncation error below 1e-20 for every s at that z.
 */
function hurwitzZeta(s: number, x: number): number {
  const m = 10 + s;
  let sum = 0;
  let z = x;
  while (z < m) {
    sum += z ** -s;
    z += 1;
  }
  const inv = 1 / z;
  const inv2 = inv * inv;
  let r = s * inv2; // (s)₂ⱼ₋₁ z^{-2j} for j = 1
  let tail = 0;
  for (let j = 0; j < EULER_MACLAURIN.length; j++) {
    tail += EULER_MACLAURIN[j] * r;
    r *= (s + 2 * j + 1) * (s + 2 * j + 2) * inv2;
  }
  return sum + z ** (1 - s) * (1 / (s - 1) + 0.5 * inv + tail);
}

/** Coefficients of Pₙ with dⁿ/duⁿ cot u = Pₙ(cot u); filled on first use of each n. */
const COT_DERIVATIVES: Float64Array[] = [Float64Array.of(0, 1)];

function cotDerivative(n: number, c: number): number {
  // P₀(c) = c and Pₙ₊₁(c) = −(1 + c²) Pₙ'(c). All nonzero coefficients of Pₙ have the sign (−1)ⁿ and the
  // parity of n + 1, so evaluating in c² never cancels.
  for (let m = COT_DERIVATIVES.length; m <= n; m++) {
    const a = COT_DERIVATIVES[m - 1];
    const b = new Float64Array(m + 2);
    for (let j = 0; j <= m + 1; j++) {
      const up = j + 1 < a.length ? (j + 1) * a[j + 1] : 0;
      const down = j >= 1 && j - 1 < a.length ? (j - 1) * a[j - 1] : 0;
      b[j] = -(up + down);
    }
    COT_DERIVATIVES[m] = b;
  }
  const p = COT_DERIVATIVES[n];
  const c2 = c * c;
  let s = 0;
  for (let k = n + 1; k >= 0; k -= 2) s = s * c2 + p[k];
  return n % 2 === 0 ? s * c : s;
}

/**
 * The polygamma function ψ⁽ⁿ⁾(x) = dⁿ⁺¹/dxⁿ⁺¹ log Γ(x) for integer n ≥ 0 (n = 0 is digamma) and every real x.
 *
 * For x > 0 it is (−1)ⁿ⁺¹ n! ζ(n + 1, x), the Hurwitz zeta function summed directly up to x + N ≥ n + 11 and
 * finished by Euler–Maclaurin; every term has one sign, so the relative error stays below 1e-15 up to
 * n = 12 (it grows slowly with n). For x < 0 the reflection
 * ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − πⁿ⁺¹ Pₙ(cot πx), with dⁿ/duⁿ cot u = Pₙ(cot u), is used instead of the
 * upward recurrence, so the cost does not grow with |x|. For odd n both parts have one sign and the relative
 * error stays about 3e-15; for even n, ψ⁽ⁿ⁾ has a zero between consecutive poles and the error is absolute,
 * about 1e-15 times the larger of the two parts.
 *
 * Special values: at x = ±0 and the negative integers (every x < −2⁵²), (−1)ⁿ⁺¹·∞ (SciPy's value: the
 * limit from the right); ψ⁽ⁿ⁾(+∞) = (−1)ⁿ⁺¹·0; NaN at −∞, for NaN, and for n not a non-negative integer.
 * n! overflows past n = 170: the result there is ±∞ for x > 0 where x⁻ⁿ does not underflow, and NaN
 * otherwise (and for x ≤ 0), computed in constant time.
 *
 * @example
 * polygamma(1, 1); // 1.6449340668482264 = π²/6
 */
export function polygamma(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 0 || Number.isNaN(x)) return Number.NaN;
  if (n === 0) return digamma(x);
  const sign = n % 2 === 1 ? 1 : -1; // (−1)ⁿ⁺¹
  // Past n = 170, n! overflows: the value is ±∞ where xⁿ does not overflow, else NaN (∞·0), found without
  // the O(n) sum (so a huge order cannot stall a kernel).
  if (n > 170) return x > 0 && x ** -n > 0 ? sign * Infinity : Number.NaN;
  if (x <= 0) {
    if (x === -Infinity) return Number.NaN;
    if (x === Math.floor(x)) return sign * Infinity;
    return -sign * polygamma(n, 1 - x) - Math.PI ** (n + 1) * cotDerivative(n, cotPi(x));
  }
  if (x === Infinity) return sign * 0;
  const f = n <= 170 ? FACTORIAL[n] : Infinity;
  return sign * f * hurwitzZeta(n + 1, x);
}
