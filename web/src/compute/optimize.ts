// Optimizer paths on a 2-D formula: gradient descent, momentum, Adam, Newton and cubic regularization,
// with value, gradient and Hessian from one staged nabla program per formula.
import * as nb from "nabla";
import { cubicModel, cubicStep, newtonStep, type Sym2, type Vec2 } from "./cubic.js";

nb.setDefaultFloat("float64");

export type MethodKind = "gd" | "momentum" | "adam" | "newton" | "cubic";

export interface MethodSettings {
  kind: MethodKind;
  /** Step size (gd, momentum, adam) or damping factor (newton). */
  lr: number;
  /** Momentum β (momentum) or β1 (adam). */
  beta: number;
  /** β2 (adam). */
  beta2: number;
  /** The cubic regularization constant M (cubic). */
  M: number;
}

export type PathStatus = "running" | "converged" | "diverged" | "singular" | "done";

export interface OptPath {
  method: MethodKind;
  start: number;
  xs: number[];
  ys: number[];
  fs: number[];
  gnorms: number[];
  status: PathStatus;
}

/** The most iterations a path may have. */
export const MAX_ITERATIONS = 2000;

/** The variables a 2-D formula is plotted over: x and y if it uses nothing else, else its two names. */
export function planeVariables(text: string): [string, string] {
  const vars = nb.parse(text).variables;
  if (vars.every((v) => v === "x" || v === "y")) return ["x", "y"];
  if (vars.length === 2) return [vars[0]!, vars[1]!];
  if (vars.length === 1) return [vars[0]!, "y"];
  throw new nb.ValueError(
    `the optimization view needs a function of two variables; ${text} uses ${vars.join(", ")}`,
  );
}

/** f, ∇f and the Hessian at a point, from one staged program. */
export class Objective {
  readonly vars: [string, string];
  private readonly program: nb.Program;
  private readonly fn: (x: nb.Tensor, y: nb.Tensor) => nb.Tensor;

  constructor(readonly text: string) {
    this.vars = planeVariables(text);
    const e = nb.parse(text, { variables: this.vars });
    const f = e.fn as (x: nb.Tensor, y: nb.Tensor) => nb.Tensor;
    this.fn = f;
    const fv = (v: nb.Tensor) => f(nb.take(v, 0), nb.take(v, 1));
    const all = (v: nb.Tensor) =>
      nb.concatenate([nb.reshape(fv(v), [1]), nb.grad(fv)(v), nb.reshape(nb.hessian(fv)(v), [4])]);
    this.program = nb.makeProgram(all)(nb.array([0.5, 0.5], { dtype: "float64" }));
  }

  at(x: number, y: number): { f: number; g: Vec2; H: Sym2 } {
    const out = this.program.run([nb.array([x, y], { dtype: "float64" })])[0]!.dataSync();
    return {
      f: Number(out[0]),
      g: [Number(out[1]), Number(out[2])],
      H: { a: Number(out[3]), b: Number(out[4]), d: Number(out[6]) },
    };
  }

  /** f on an nx × ny grid (row-major, y rows from y0 up to y1). */
  grid(xd: Vec2, yd: Vec2, nx: number, ny: number): Float64Array {
    const xs = new Float64Array(nx * ny);
    const ys = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        xs[j * nx + i] = xd[0] + ((xd[1] - xd[0]) * i) / (nx - 1);
        ys[j * nx + i] = yd[0] + ((yd[1] - yd[0]) * j) / (ny - 1);
      }
    const z = this.fn(nb.array(xs, { dtype: "float64" }), nb.array(ys, { dtype: "float64" }));
    const data = nb.broadcastTo(z, [nx * ny]).dataSync();
    return Float64Array.from(data as ArrayLike<number>, Number);
  }
}

/** One optimizer's state between steps. */
type Stepper = (p: Vec2, ev: { f: number; g: Vec2; H: Sym2 }, k: number) => Vec2 | null;

export function makeStepper(s: MethodSettings): Stepper {
  switch (s.kind) {
    case "gd":
      return (p, { g }) => [p[0] - s.lr * g[0], p[1] - s.lr * g[1]];
    case "momentum": {
      // Heavy ball: v ← βv − ηg, x ← x + v.
      const v: Vec2 = [0, 0];
      return (p, { g }) => {
        v[0] = s.beta * v[0] - s.lr * g[0];
        v[1] = s.beta * v[1] - s.lr * g[1];
        return [p[0] + v[0], p[1] + v[1]];
      };
    }
    case "adam": {
      const m: Vec2 = [0, 0];
      const v: Vec2 = [0, 0];
      const eps = 1e-8;
      return (p, { g }, k) => {
        const t = k + 1;
        const out: Vec2 = [p[0], p[1]];
        for (const i of [0, 1] as const) {
          m[i] = s.beta * m[i] + (1 - s.beta) * g[i];
          v[i] = s.beta2 * v[i] + (1 - s.beta2) * g[i] * g[i];
          const mh = m[i] / (1 - s.beta ** t);
          const vh = v[i] / (1 - s.beta2 ** t);
          out[i] = p[i] - (s.lr * mh) / (Math.sqrt(vh) + eps);
        }
        return out;
      };
    }
    case "newton":
      return (p, { g, H }) => {
        const d = newtonStep(g, H);
        return d ? [p[0] + s.lr * d[0], p[1] + s.lr * d[1]] : null;
      };
    case "cubic":
      return (p, { g, H }) => {
        const { p: d } = cubicStep(g, H, s.M);
        // A step that does not lower the model (already optimal) ends the path.
        if (cubicModel(g, H, s.M, d) >= 0 && Math.hypot(d[0], d[1]) < 1e-14) return p;
        return [p[0] + d[0], p[1] + d[1]];
      };
  }
}

/** A path being computed: call `advance` until its status is not "running". */
export class PathRunner {
  readonly path: OptPath;
  private readonly step: Stepper;
  private readonly objective: Objective;

  constructor(objective: Objective, method: MethodSettings, start: Vec2, startIndex: number) {
    this.objective = objective;
    this.step = makeStepper(method);
    const ev = objective.at(start[0], start[1]);
    this.path = {
      method: method.kind,
      start: startIndex,
      xs: [start[0]],
      ys: [start[1]],
      fs: [ev.f],
      gnorms: [Math.hypot(...ev.g)],
      status: "running",
    };
    this.last = ev;
  }

  private last: { f: number; g: Vec2; H: Sym2 };

  /** Takes up to `n` steps, stopping at `maxIter` iterations, convergence or divergence. */
  advance(n: number, maxIter: number): void {
    const P = this.path;
    for (let i = 0; i < n && P.status === "running"; i++) {
      const k = P.xs.length - 1;
      if (k >= maxIter) {
        P.status = "done";
        break;
      }
      const p: Vec2 = [P.xs[k]!, P.ys[k]!];
      if (P.gnorms[k]! < 1e-9) {
        P.status = "converged";
        break;
      }
      const next = this.step(p, this.last, k);
      if (next === null) {
        P.status = "singular";
        break;
      }
      const ev = this.objective.at(next[0], next[1]);
      if (!next.every(Number.isFinite) || Math.hypot(...next) > 1e8 || !Number.isFinite(ev.f)) {
        P.status = "diverged";
        break;
      }
      P.xs.push(next[0]);
      P.ys.push(next[1]);
      P.fs.push(ev.f);
      P.gnorms.push(Math.hypot(...ev.g));
      this.last = ev;
      if (Math.hypot(next[0] - p[0], next[1] - p[1]) < 1e-13 * (1 + Math.hypot(...p))) P.status = "converged";
    }
  }
}
