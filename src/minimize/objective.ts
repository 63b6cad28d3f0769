// A scalar function of a pytree seen as a function of one flat float64 vector, with staged derivative programs.
import { DTypeError, fmtShape, NablaError, ValueError } from "../core/errors.js";
import type { Program } from "../core/program.js";
import { flatten, type TreeDef, unflatten } from "../core/pytree.js";
import { sizeOf } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { astype } from "../ops/elementwise.js";
import { reshape, slice } from "../ops/shape.js";
import { grad, hvp, jvp, makeProgram, valueAndGrad } from "../transforms/api.js";
import { hessian } from "../transforms/jacobians.js";

// biome-ignore lint/suspicious/noExplicitAny: objectives take pytrees of any structure
export type ScalarFn = (x: any) => Tensor | number;

/** How many times each derivative was evaluated (an HVP-based method's cost, say). */
export interface EvalCounts {
  value: number;
  grad: number;
  hessian: number;
  hvp: number;
  third: number;
}

/** `f` as a function of a flat vector: values, gradients, Hessians, HVPs and third-order contractions. */
export interface FlatObjective {
  readonly n: number;
  readonly counts: EvalCounts;
  /** The flat vector as the caller's structure (float64 tensors). */
  toTree(x: Float64Array): unknown;
  /** A tree of the caller's structure as a flat vector (for directions given as trees). */
  toFlat(tree: unknown, what: string): Float64Array;
  value(x: Float64Array): number;
  valueAndGrad(x: Float64Array): { f: number; g: Float64Array };
  hvp(x: Float64Array, v: Float64Array): Float64Array;
  /** The dense n×n Hessian, row-major. */
  hessian(x: Float64Array): Float64Array;
  /** The Hessian and T[u] = Σₖ Tᵢⱼₖ uₖ (d/dε of H(x + εu)), by a JVP of the Hessian: T itself is never formed. */
  hessianAndThird(x: Float64Array, u: Float64Array): { H: Float64Array; Tu: Float64Array };
  /** H v and T[u, v] = d/dε H(x + εu) v, by a JVP of the HVP (forward over forward over reverse). */
  hvpAndThird(x: Float64Array, v: Float64Array, u: Float64Array): { Hv: Float64Array; Tuv: Float64Array };
}

export interface ObjectiveOptions {
  /** Stage each derivative into a program once and rerun it (default true; eager if `f` reads values). */
  jit?: boolean;
}

const f64 = (data: Float64Array, shape: number[]): Tensor =>
  new ConcreteTensor(data, { shape, dtype: "float64", weak: false });

const dataOf = (t: Tensor): Float64Array => {
  const c = t.concrete();
  return c.data instanceof Float64Array ? c.data : Float64Array.from(c.data);
};

/** Flattens x0 (a tensor, number or pytree of them) and wraps `f` so that it takes one flat float64 tensor. */
export function flatObjective(
  where: string,
  f: ScalarFn,
  x0: unknown,
  options: ObjectiveOptions = {},
): { objective: FlatObjective; x0: Float64Array } {
  if (typeof f !== "function") throw new ValueError(`${where}: f must be a function, got ${typeof f}`);
  const [leaves, def] = flatten(x0, `${where} x0`);
  if (leaves.length === 0) throw new ValueError(`${where}: x0 has no tensors or numbers to optimize over`);
  const shapes = leaves.map((l) => (l instanceof Tensor ? l.shape : []));
  const sizes = shapes.map(sizeOf);
  const n = sizes.reduce((a, b) => a + b, 0);
  if (n === 0) throw new ValueError(`${where}: x0 has no elements`);
  const flatOf = (tree: unknown, what: string): Float64Array => {
    const [ls, d] = flatten(tree, `${where} ${what}`);
    if (
      !sameDef(d, def) ||
      ls.some((l, i) => (l instanceof Tensor ? l.shape.join() : "") !== shapes[i].join())
    )
      throw new ValueError(`${where}: ${what} must have the structure and shapes of x0`);
    const out = new Float64Array(n);
    let off = 0;
    ls.forEach((l, i) => {
      out.set(l instanceof Tensor ? dataOf(l) : [l], off);
      off += sizes[i];
    });
    return out;
  };
  const start = flatOf(x0, "x0");
  // The user's structure, rebuilt from a flat tensor with differentiable slices and reshapes.
  const single = def.kind === "leaf";
  const treeOfTensor = (flat: Tensor): unknown => {
    if (single) return reshape(flat, shapes[0]);
    let off = 0;
    const parts = shapes.map((s, i) => {
      const part = reshape(slice(flat, [off], [sizes[i]]), s);
      off += sizes[i];
      return part;
    });
    return unflatten(def, parts);
  };
  const F = (flat: Tensor): Tensor => {
    const y = f(treeOfTensor(flat));
    const t = y instanceof Tensor ? y : typeof y === "number" ? f64(Float64Array.of(y), []) : undefined;
    if (t === undefined) throw new ValueError(`${where}: f must return a scalar tensor, got ${typeof y}`);
    if (t.shape.length !== 0)
      throw new ValueError(
        `${where}: f must return a scalar, got shape ${fmtShape(t.shape)}; reduce it with nb.sum or nb.mean`,
      );
    if (t.dtype !== "float32" && t.dtype !== "float64")
      throw new DTypeError(`${where}: f must return a float scalar, got dtype ${t.dtype}`);
    return astype(t, "float64");
  };
  const vec = (x: Float64Array) => f64(x, [n]);
  // Checks the output once, eagerly, so a non-scalar f gets a clear message before any tracing.
  F(vec(start));

  const jit = options.jit ?? true;
  const staged = new Map<string, Program | null>();
  /** Runs `fn` through its staged program (made on first use) or eagerly when staging is off or impossible. */
  const run = (name: string, fn: (...xs: Tensor[]) => Tensor[], args: Tensor[]): Tensor[] => {
    let program = staged.get(name);
    if (program === undefined && jit) {
      try {
        program = makeProgram(fn)(...args);
      } catch (e) {
        // A function that reads values (item(), an if on a tensor) cannot be staged; run it eagerly instead.
        if (!(e instanceof NablaError)) throw e;
        program = null;
      }
      staged.set(name, program);
    }
    return program ? program.run(args) : fn(...args);
  };
  const counts: EvalCounts = { value: 0, grad: 0, hessian: 0, hvp: 0, third: 0 };
  const hess = (x: Tensor) => hessian(F)(x) as Tensor;
  const objective: FlatObjective = {
    n,
    counts,
    toTree: (x) =>
      single
        ? f64(x.slice(), shapes[0])
        : unflatten(
            def as TreeDef,
            shapes.map((s, i) => {
              const off = sizes.slice(0, i).reduce((a, b) => a + b, 0);
              return f64(x.slice(off, off + sizes[i]), s);
            }),
          ),
    toFlat: flatOf,
    value: (x) => {
      counts.value++;
      return dataOf(run("value", (t) => [F(t)], [vec(x)])[0])[0];
    },
    valueAndGrad: (x) => {
      counts.value++;
      counts.grad++;
      const [y, g] = run("valueAndGrad", (t) => valueAndGrad(F)(t) as Tensor[], [vec(x)]);
      return { f: dataOf(y)[0], g: dataOf(g).slice() };
    },
    hvp: (x, v) => {
      counts.hvp++;
      return dataOf(run("hvp", (t, d) => [hvp(F, t, d)], [vec(x), vec(v)])[0]).slice();
    },
    hessian: (x) => {
      counts.hessian++;
      return dataOf(run("hessian", (t) => [hess(t)], [vec(x)])[0]).slice();
    },
    hessianAndThird: (x, u) => {
      counts.hessian++;
      counts.third++;
      const [H, Tu] = run("hessianAndThird", (t, d) => jvp(hess, [t], [d]) as Tensor[], [vec(x), vec(u)]);
      return { H: dataOf(H).slice(), Tu: dataOf(Tu).slice() };
    },
    hvpAndThird: (x, v, u) => {
      counts.hvp++;
      counts.third++;
      const hvpAt = (t: Tensor, d: Tensor) => jvp(grad(F), [t], [d])[1] as Tensor;
      const [Hv, Tuv] = run(
        "hvpAndThird",
        (t, d, w) => jvp((s: Tensor) => hvpAt(s, d), [t], [w]) as Tensor[],
        [vec(x), vec(v), vec(u)],
      );
      return { Hv: dataOf(Hv).slice(), Tuv: dataOf(Tuv).slice() };
    },
  };
  return { objective, x0: start };
}

const sameDef = (a: TreeDef, b: TreeDef): boolean => JSON.stringify(a) === JSON.stringify(b);
