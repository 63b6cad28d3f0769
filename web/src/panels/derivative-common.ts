// What the Derivatives view's parts share: the seed, examples, colours and derivative names.

export const SEED = "x^4 - 2x^3 + 3x^2 - 4x + 5";
export const MAX_SAMPLES = 4000;
export const MAX_DEGREE = 10;
/** f, f′, f″, f‴. */
export const COLORS = ["#2563eb", "#dc2626", "#059669", "#9333ea"];
export const TANGENT = "#ea580c";
export const TAYLOR = "#0891b2";

export interface Example {
  label: string;
  f: string;
  view: [number, number];
  x0: number;
}

export const EXAMPLES: Example[] = [
  { label: "Seed polynomial", f: SEED, view: [-1, 3], x0: 1.3 },
  { label: "sin(x²)", f: "sin(x^2)", view: [-3, 3], x0: 1 },
  { label: "Gaussian bump", f: "exp(-x^2)", view: [-3, 3], x0: 0.5 },
  { label: "tanh", f: "tanh(x)", view: [-4, 4], x0: 0.5 },
  { label: "Sigmoid", f: "sigmoid(x)", view: [-6, 6], x0: 1 },
  { label: "Damped oscillation", f: "exp(-x/4) sin(3x)", view: [0, 10], x0: 2 },
  { label: "Logarithm (x > 0 only)", f: "log(x)", view: [-0.5, 5], x0: 1 },
  { label: "1/x (a pole)", f: "1/x", view: [-3, 3], x0: 1 },
  { label: "|x| (a kink)", f: "abs(x)", view: [-2, 2], x0: 0.5 },
  { label: "Softplus", f: "softplus(x)", view: [-4, 4], x0: 0.5 },
  { label: "Two variables: x² y + sin(y)", f: "x^2 y + sin(y)", view: [-2, 2], x0: 1 },
];

const PRIMES = ["", "′", "″", "‴"];
const superscript = (k: number) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[k] ?? String(k);

/** The k-th derivative's name in text: f′, or ∂²f/∂y² when f has other variables. */
export const primeName = (k: number, v: string, partial: boolean): string =>
  partial
    ? k === 0
      ? "f"
      : `∂${k > 1 ? superscript(k) : ""}f/∂${v}${k > 1 ? superscript(k) : ""}`
    : `f${PRIMES[k] ?? `⁽${k}⁾`}`;

/** The same name in TeX. */
export const texName = (k: number, v: string, partial: boolean): string =>
  partial
    ? k === 0
      ? "f"
      : `\\frac{\\partial${k > 1 ? `^{${k}}` : ""} f}{\\partial ${v}${k > 1 ? `^{${k}}` : ""}}`
    : `f${"'".repeat(k)}`;
