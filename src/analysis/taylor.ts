// Taylor polynomials of a scalar function around a point, from its derivatives of every order.
import { ValueError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { derivative } from "../transforms/jacobians.js";

/**
 * A Taylor polynomial p(x) = Σₖ cₖ (x − x0)ᵏ with cₖ = f⁽ᵏ⁾(x0) / k!.
 * @example
 * ```ts
 * const t: nb.analysis.TaylorPolynomial = nb.analysis.taylorPolynomial(nb.exp, 0, 3);
 * t.coefficients; // [1, 1, 0.5, 0.1666…]
 * ```
 */
export interface TaylorPolynomial {
  x0: number;
  degree: number;
  /** cₖ = f⁽ᵏ⁾(x0) / k!, lowest order first. */
  coefficients: number[];
  /** The derivatives f⁽ᵏ⁾(x0) themselves. */
  derivatives: number[];
  /** Evaluates the polynomial (Horner's scheme in x − x0). */
  p: (x: number) => number;
}

const scalar64 = (v: number): Tensor =>
  new ConcreteTensor(Float64Array.of(v), { shape: [], dtype: "float64", weak: false });

/**
 * The degree-d Taylor polynomial of a scalar function f: R → R around x0, with the k-th derivative from
 * `nb.derivative(f, k)` (reverse mode, then forward mode nested k − 1 times) in float64.
 * @throws {ValueError} when the degree is not a non-negative integer, x0 is not finite, or f is not scalar.
 * @example
 * ```ts
 * const t = nb.analysis.taylorPolynomial(nb.sin, 0, 5);
 * t.coefficients; // [0, 1, 0, -1/6, 0, 1/120]
 * t.p(0.1);       // 0.0998334166… ≈ sin(0.1)
 * ```
 */
export function taylorPolynomial(f: (x: Tensor) => Tensor, x0: number, degree: number): TaylorPolynomial {
  if (typeof f !== "function")
    throw new ValueError("taylorPolynomial: f must be a function of one scalar tensor");
  if (!Number.isInteger(degree) || degree < 0 || degree > 20)
    throw new ValueError(`taylorPolynomial: degree must be an integer from 0 to 20, got ${degree}`);
  if (!Number.isFinite(x0)) throw new ValueError(`taylorPolynomial: x0 must be a finite number, got ${x0}`);
  const at = scalar64(x0);
  const derivatives: number[] = [];
  for (let k = 0; k <= degree; k++) {
    const d: unknown = derivative(f, k)(at);
    if (!(d instanceof Tensor) || d.size !== 1)
      throw new ValueError("taylorPolynomial: f must map a scalar tensor to a scalar tensor");
    derivatives.push(d.item());
  }
  let factorial = 1;
  const coefficients = derivatives.map((d, k) => {
    if (k > 0) factorial *= k;
    return d / factorial;
  });
  const p = (x: number) => {
    const h = x - x0;
    let s = 0;
    for (let k = degree; k >= 0; k--) s = s * h + coefficients[k];
    return s;
  };
  return { x0, degree, coefficients, derivatives, p };
}
