// Shape and dtype rules: the abstract value each primitive produces. Used by staging, partial evaluation
// and eager evaluation alike, so a shape error reads the same everywhere.

import { checkTensorSize, settings } from "../core/config.js";
import { isFloat } from "../core/dtype.js";
import { DTypeError, fmtShape, ShapeError, ValueError } from "../core/errors.js";
import type { Prim, PrimParams } from "../core/primitives.js";
import { broadcastShapes, shapesEqual, sizeOf } from "../core/shape.js";
import type { Aval } from "../core/tensor.js";
import { binaryTable, compareTable } from "./binary.js";
import { threefryShape } from "./random.js";
import { unaryTable } from "./unary.js";

type ShapeRuleOf<Params> = (avals: readonly Aval[], params: Params) => Aval;
type ShapeRule<P extends Prim> = ShapeRuleOf<PrimParams[P]>;
type NoParams = Record<string, never>;

const allWeak = (avals: readonly Aval[]) => avals.every((a) => a.weak);

const floatUnary: ShapeRuleOf<NoParams> = ([x]) => {
  if (!isFloat(x!.dtype)) throw new DTypeError(`expects a float input, got ${x!.dtype}`);
  return x!;
};
const anyUnary: ShapeRuleOf<NoParams> = ([x]) => x!;

function sameDtype(op: string, avals: readonly Aval[]): void {
  const d = avals[0]!.dtype;
  for (const a of avals)
    if (a.dtype !== d)
      throw new DTypeError(
        `${op}: operands have dtypes ${avals.map((x) => x.dtype).join(" and ")}; convert them to one dtype first`,
      );
}

const binary =
  (op: string): ShapeRuleOf<NoParams> =>
  (avals) => {
    sameDtype(op, avals);
    const [a, b] = avals as [Aval, Aval];
    // Same shape and weakness (the common case, scalars included): the operand's aval is the result's.
    if (a.weak === b.weak && shapesEqual(a.shape, b.shape)) return a;
    return {
      shape: broadcastShapes(op, avals[0]!.shape, avals[1]!.shape),
      dtype: avals[0]!.dtype,
      weak: allWeak(avals),
    };
  };

const compare =
  (op: string): ShapeRuleOf<NoParams> =>
  (avals) => {
    sameDtype(op, avals);
    return { shape: broadcastShapes(op, avals[0]!.shape, avals[1]!.shape), dtype: "bool", weak: false };
  };

const reduce: ShapeRuleOf<{ axes: number[] }> = ([x], { axes }) => ({
  shape: x!.shape.filter((_, i) => !axes.includes(i)),
  dtype: x!.dtype,
  weak: x!.weak,
});

const argReduce: ShapeRuleOf<{ axis: number }> = ([x], { axis }) => ({
  shape: x!.shape.filter((_, i) => i !== axis),
  dtype: "int32",
  weak: false,
});

export const shapeRules: { readonly [P in Prim]: ShapeRule<P> } = {
  ...unaryTable((_p, row) => (row.accepts === "float" ? floatUnary : anyUnary)),
  ...binaryTable((_p, row) => binary(row.name)),
  ...compareTable((_p, row) => compare(row.name)),
  select_n: ([p, f, t]) => {
    if (p!.dtype !== "bool") throw new DTypeError(`where: the condition must be bool, got ${p!.dtype}`);
    sameDtype("where", [f!, t!]);
    return {
      shape: broadcastShapes("where", p!.shape, f!.shape, t!.shape),
      dtype: f!.dtype,
      weak: f!.weak && t!.weak,
    };
  },
  convert_element_type: ([x], { dtype, weak }) => ({ shape: x!.shape, dtype, weak }),
  reduce_sum: reduce,
  reduce_max: reduce,
  reduce_min: reduce,
  reduce_prod: reduce,
  argmax: argReduce,
  argmin: argReduce,
  cumsum: ([x]) => x!,
  dot_general: ([x, y], { lhsContract, rhsContract, lhsBatch, rhsBatch }) => {
    sameDtype("dot_general", [x!, y!]);
    const xs = x!.shape;
    const ys = y!.shape;
    lhsContract.forEach((l, i) => {
      const r = rhsContract[i]!;
      if (xs[l] !== ys[r])
        throw new ShapeError(
          `dot_general: contracting dimensions differ: ${fmtShape(xs)} dim ${l} is ${xs[l]}, ${fmtShape(ys)} dim ${r} is ${ys[r]}`,
        );
    });
    lhsBatch.forEach((l, i) => {
      const r = rhsBatch[i]!;
      if (xs[l] !== ys[r])
        throw new ShapeError(
          `dot_general: batch dimensions differ: ${fmtShape(xs)} dim ${l} is ${xs[l]}, ${fmtShape(ys)} dim ${r} is ${ys[r]}`,
        );
    });
    const lf = xs.filter((_, i) => !lhsContract.includes(i) && !lhsBatch.includes(i));
    const rf = ys.filter((_, i) => !rhsContract.includes(i) && !rhsBatch.includes(i));
    return {
      shape: [...lhsBatch.map((i) => xs[i]!), ...lf, ...rf],
      dtype: x!.dtype,
      weak: x!.weak && y!.weak,
    };
  },
  reshape: ([x], { shape }) => {
    if (sizeOf(shape) !== sizeOf(x!.shape))
      throw new ShapeError(
        `reshape: cannot reshape ${fmtShape(x!.shape)} (${sizeOf(x!.shape)} elements) to ${fmtShape(shape)} (${sizeOf(shape)} elements)`,
      );
    return { ...x!, shape };
  },
  broadcast_in_dim: ([x], { shape, broadcastDims }) => {
    x!.shape.forEach((d, i) => {
      if (d !== 1 && d !== shape[broadcastDims[i]!])
        throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(x!.shape)} to ${fmtShape(shape)}`);
    });
    return { ...x!, shape };
  },
  transpose: ([x], { perm }) => ({ ...x!, shape: perm.map((p) => x!.shape[p]!) }),
  slice: ([x], { start, limit }) => {
    x!.shape.forEach((d, i) => {
      if (start[i]! < 0 || limit[i]! > d || start[i]! > limit[i]!)
        throw new ShapeError(
          `slice: range [${start.join(",")}]..[${limit.join(",")}] does not fit shape ${fmtShape(x!.shape)}`,
        );
    });
    return { ...x!, shape: start.map((s, i) => limit[i]! - s) };
  },
  pad: ([x], { lo, hi }) => ({ ...x!, shape: x!.shape.map((d, i) => d + lo[i]! + hi[i]!) }),
  concatenate: (xs, { axis }) => {
    sameDtype("concatenate", xs);
    const first = xs[0]!.shape;
    for (const a of xs)
      if (a.shape.length !== first.length || a.shape.some((d, i) => i !== axis && d !== first[i]))
        throw new ShapeError(
          `concatenate: shapes ${xs.map((a) => fmtShape(a.shape)).join(", ")} differ outside axis ${axis}`,
        );
    const shape = first.slice();
    shape[axis] = xs.reduce((n, a) => n + a.shape[axis]!, 0);
    return { shape, dtype: xs[0]!.dtype, weak: allWeak(xs) };
  },
  rev: ([x]) => x!,
  gather: ([x, idx], { axis }) => {
    if (idx!.dtype !== "int32") throw new DTypeError(`take: indices must be int32, got ${idx!.dtype}`);
    return { ...x!, shape: [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)] };
  },
  custom_linear: (_avals, { out }) => out,
  scatter_add: ([u, idx], { axis, size }) => {
    if (idx!.dtype !== "int32") throw new DTypeError(`scatter_add: indices must be int32, got ${idx!.dtype}`);
    const n = idx!.shape.length;
    if (n === 0 && axis > u!.shape.length) throw new ValueError("scatter_add: bad axis");
    return { ...u!, shape: [...u!.shape.slice(0, axis), size, ...u!.shape.slice(axis + n)] };
  },
  threefry2x32: threefryShape,
};

// Every primitive application looks its rule up: a Map by name is cheaper than a keyed read of the table.
const ruleOf = new Map(Object.entries(shapeRules)) as ReadonlyMap<Prim, ShapeRuleOf<unknown>>;

/** The abstract output of `prim` on inputs `avals`. */
export function abstractEval<P extends Prim>(prim: P, avals: readonly Aval[], params: PrimParams[P]): Aval {
  const out = ruleOf.get(prim)!(avals, params);
  // Every tensor any primitive makes passes here first: refuse one too large to allocate, naming the op.
  const shape = out.shape;
  if (shape.length > 0) {
    let n = 1;
    for (let i = 0; i < shape.length; i++) n *= shape[i]!;
    if (n * 8 > settings.maxTensorBytes) checkTensorSize(prim, shape, out.dtype);
  }
  return out;
}

// Argument lists reused by abstractEvalOf for one and two inputs (nearly every application). Safe because
// shape rules read the list synchronously, keep no reference to it and never evaluate anything themselves.
const UNSET: Aval = { shape: [], dtype: "float32", weak: false };
const one: Aval[] = [UNSET];
const two: Aval[] = [UNSET, UNSET];

/**
 * The abstract output of `prim` on inputs that carry abstract values (tensors, program variables), without
 * allocating a list of them for the common arities.
 */
export function abstractEvalOf<P extends Prim>(
  prim: P,
  inputs: readonly { readonly aval: Aval }[],
  params: PrimParams[P],
): Aval {
  const n = inputs.length;
  if (n === 1) {
    one[0] = inputs[0]!.aval;
    return abstractEval(prim, one, params);
  }
  if (n === 2) {
    two[0] = inputs[0]!.aval;
    two[1] = inputs[1]!.aval;
    return abstractEval(prim, two, params);
  }
  return abstractEval(
    prim,
    inputs.map((x) => x.aval),
    params,
  );
}
