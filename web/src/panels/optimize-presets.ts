// The Optimization view's data: preset functions with their suggested settings, the methods, their
// parameters and update rules.
import type { Vec2 } from "../compute/cubic.js";
import type { MethodKind } from "../compute/optimize.js";

export interface Preset {
  label: string;
  f: string;
  xd: Vec2;
  yd: Vec2;
  start: Vec2;
  lr: Partial<Record<MethodKind, number>>;
  M?: number;
  note: string;
}

export const PRESETS: Preset[] = [
  {
    label: "Rosenbrock's valley",
    f: "(1 - x)^2 + 100(y - x^2)^2",
    xd: [-2, 2],
    yd: [-1, 3],
    start: [-1.5, 2],
    lr: { gd: 0.001, momentum: 0.0005, adam: 0.1, newton: 1 },
    M: 20,
    note: "A curved, narrow valley: gradient steps crawl along it; Newton and cubic regularization use curvature.",
  },
  {
    label: "Ill-conditioned bowl",
    f: "x^2 + 10y^2",
    xd: [-3, 3],
    yd: [-2, 2],
    start: [-2.6, 1.4],
    lr: { gd: 0.09, momentum: 0.02, adam: 0.2, newton: 1 },
    M: 1,
    note: "Curvature 2 along x and 20 along y: gradient descent zig-zags; Newton lands on the minimum in one step.",
  },
  {
    label: "Saddle point",
    f: "x^4/4 - x^2/2 + y^2",
    xd: [-2, 2],
    yd: [-1.6, 1.6],
    start: [0, 1.4],
    lr: { gd: 0.1, momentum: 0.05, adam: 0.1, newton: 1 },
    M: 1,
    note: "Started on the line x = 0, first-order methods and Newton stop at the saddle (0, 0); cubic regularization follows the negative curvature to a minimum.",
  },
  {
    label: "Himmelblau (four minima)",
    f: "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    xd: [-5, 5],
    yd: [-5, 5],
    start: [-0.5, 0.5],
    lr: { gd: 0.01, momentum: 0.004, adam: 0.2, newton: 1 },
    M: 5,
    note: "Four minima of equal height: where a method ends depends on where it starts and on its settings.",
  },
  {
    label: "Six-hump camel",
    f: "(4 - 2.1x^2 + x^4/3) x^2 + x y + (4y^2 - 4) y^2",
    xd: [-2, 2],
    yd: [-1.2, 1.2],
    start: [-1.6, 0.9],
    lr: { gd: 0.02, momentum: 0.01, adam: 0.05, newton: 1 },
    M: 10,
    note: "Six local minima and several saddles; Newton is drawn to any stationary point, not only minima.",
  },
];

export const METHODS: { kind: MethodKind; label: string; color: string }[] = [
  { kind: "gd", label: "Gradient descent", color: "#dc2626" },
  { kind: "momentum", label: "Momentum", color: "#ea580c" },
  { kind: "adam", label: "Adam", color: "#9333ea" },
  { kind: "newton", label: "Newton", color: "#2563eb" },
  { kind: "cubic", label: "Cubic regularization", color: "#059669" },
];
export const RULES: [MethodKind, string][] = [
  ["gd", "x \\leftarrow x - \\eta\\, g"],
  ["momentum", "v \\leftarrow \\beta v - \\eta\\, g,\\quad x \\leftarrow x + v"],
  [
    "adam",
    "m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\ v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\ x \\leftarrow x - \\eta\\,\\frac{\\hat m}{\\sqrt{\\hat v}+\\epsilon}",
  ],
  ["newton", "x \\leftarrow x - \\alpha\\, H^{-1} g"],
  [
    "cubic",
    "x \\leftarrow x + \\arg\\min_p\\ g^\\top p + \\tfrac12 p^\\top H p + \\tfrac{M}{6}\\lVert p\\rVert^3",
  ],
];
export const MAX_STARTS = 6;
export const DEFAULT_ITER = 150;
export const DEFAULT_RES = 160;
export const MAX_RES = 400;

/** The settings each method shows, with their defaults and ranges. */
export const PARAMS: Record<
  MethodKind,
  {
    key: "lr" | "beta" | "beta2" | "M";
    label: string;
    def: number;
    min: number;
    max: number;
    step: number;
  }[]
> = {
  gd: [{ key: "lr", label: "η", def: 0.001, min: 1e-6, max: 10, step: 0.0005 }],
  momentum: [
    { key: "lr", label: "η", def: 0.0005, min: 1e-6, max: 10, step: 0.0005 },
    { key: "beta", label: "β", def: 0.9, min: 0, max: 0.999, step: 0.01 },
  ],
  adam: [
    { key: "lr", label: "η", def: 0.1, min: 1e-6, max: 10, step: 0.01 },
    { key: "beta", label: "β₁", def: 0.9, min: 0, max: 0.999, step: 0.01 },
    { key: "beta2", label: "β₂", def: 0.999, min: 0, max: 0.9999, step: 0.001 },
  ],
  newton: [{ key: "lr", label: "step α", def: 1, min: 0.01, max: 2, step: 0.05 }],
  cubic: [{ key: "M", label: "M", def: 20, min: 1e-3, max: 1e4, step: 1 }],
};
