// Fused elementwise kernels, described independently of any backend: a loop over one shape that reads
// strided (possibly broadcast, transposed, sliced or zero-padded) inputs, evaluates a small DAG of
// elementwise primitives per element, and stores or reduces some of the values. `jit` builds these from
// programs; the fast backend also runs single eager operations through them. The scalar semantics below
// are exactly the reference backend's (compute in float64, round once per primitive to the result dtype).
import type { DType, TypedArray } from "../core/dtype.js";
import type { Prim } from "../core/primitives.js";
import {
  BINARY,
  BINARY_PRIMS,
  type BinaryPrim,
  binaryTable,
  COMPARE_PRIMS,
  type ComparePrim,
  compareTable,
} from "../primitives/binary.js";
import { UNARY, UNARY_PRIMS, type UnaryPrim, unaryTable } from "../primitives/unary.js";

/** Primitives a fused loop evaluates per element. */
export type ElementwisePrim = UnaryPrim | BinaryPrim | ComparePrim | "select_n" | "convert_element_type";

const ELEMENTWISE = new Set<string>([
  ...UNARY_PRIMS,
  ...BINARY_PRIMS,
  ...COMPARE_PRIMS,
  "select_n",
  "convert_element_type",
]);
export const isElementwise = (p: Prim): p is ElementwisePrim => ELEMENTWISE.has(p);

export type ReduceKind = "sum" | "max" | "min" | "prod";

/** An operand of a fused node: an input read at the current element, an earlier node, or a literal. */
export type FusedArg = { input: number } | { node: number } | { literal: number };

export interface FusedInput {
  readonly dtype: DType;
  /** Element offset of loop index 0 (may be negative for padded reads; such elements are masked). */
  readonly offset: number;
  /** Element stride per loop dimension (0 where broadcast, negative where reversed). */
  readonly strides: readonly number[];
  /** Zero padding: the element is read only where lo[d] ≤ index[d] < hi[d] in every dimension, else 0. */
  readonly bounds?: { readonly lo: readonly number[]; readonly hi: readonly number[] };
}

export interface FusedNode {
  readonly prim: ElementwisePrim;
  readonly args: readonly FusedArg[];
  /** The dtype of the result (for convert_element_type: the target). */
  readonly dtype: DType;
}

export interface FusedOutput {
  readonly value: FusedArg;
  readonly dtype: DType;
  /** Omitted: a contiguous store of the whole loop shape. Otherwise a reduction over the dims whose stride is 0. */
  readonly reduce?: ReduceKind;
  /** For reductions: output element stride per loop dimension (0 on reduced dims). */
  readonly strides?: readonly number[];
  /** Number of elements of the output. */
  readonly size: number;
}

export interface FusedSpec {
  readonly shape: readonly number[];
  readonly inputs: readonly FusedInput[];
  readonly nodes: readonly FusedNode[];
  readonly outputs: readonly FusedOutput[];
}

/**
 * A compiled fused kernel: input arrays in, one array per output out. `outs[j]`, when given for a
 * non-reduced output, is an array of the output's dtype and size that the kernel overwrites and returns
 * instead of allocating (jit reuses the buffers of values that never escape a run).
 */
export type FusedKernel = (
  inputs: readonly TypedArray[],
  outs?: readonly (TypedArray | undefined)[],
) => TypedArray[];

// ---- scalar semantics ---------------------------------------------------------------------------------

type Scalar = (a: number, b: number, c: number) => number;

/** The value of each primitive on float64 scalars, before rounding to the result dtype. */
const scalarOps: Record<ElementwisePrim, Scalar> = {
  ...unaryTable((_p, row): Scalar => row.scalar),
  ...binaryTable((_p, row): Scalar => row.scalar),
  ...compareTable((_p, row): Scalar => row.scalar),
  select_n: (p, f, t) => (p !== 0 ? t : f),
  convert_element_type: (a) => a,
};

/** Rounds a float64 value as a store into an array of `dtype` would. */
export function roundTo(dtype: DType): (v: number) => number {
  switch (dtype) {
    case "float32":
      return Math.fround;
    case "float64":
      return (v) => v;
    case "int32":
      return (v) => v | 0;
    case "bool":
      return (v) => (v ? 1 : 0);
  }
}

/**
 * Whether a node of `prim` producing `dtype` from operands of `argDtype` can be fused with the reference
 * semantics above. Arithmetic producing bool (logical or/and through storage) is left to the backend.
 */
export function fusible(prim: ElementwisePrim, dtype: DType): boolean {
  if (dtype !== "bool") return true;
  return (
    prim === "select_n" ||
    prim === "convert_element_type" ||
    (COMPARE_PRIMS as readonly string[]).includes(prim)
  );
}

/** The scalar function of a node, rounded to its dtype (the per-element meaning of a fused node). */
export function scalarFn(prim: ElementwisePrim, dtype: DType): Scalar {
  const f = scalarOps[prim];
  if (prim === "convert_element_type" && dtype === "int32") return (a) => Math.trunc(a) | 0;
  if (dtype === "float64" || ((COMPARE_PRIMS as readonly string[]).includes(prim) && dtype === "bool"))
    return f;
  const r = roundTo(dtype);
  return (a, b, c) => r(f(a, b, c));
}

// ---- JavaScript source of the same semantics (for generated loops) --------------------------------------

const call = (fn: string) => (a: string[]) => `${fn}(${a.join(", ")})`;
const jsOps: Record<ElementwisePrim, (a: string[]) => string> = {
  ...unaryTable((p, row) => (row.js ? ([a]: string[]) => row.js!(a!) : call(`H.${p}`))),
  ...binaryTable((p, row) => (row.js ? ([a, b]: string[]) => row.js!(a!, b!) : call(`H.${p}`))),
  ...compareTable(
    (_p, row) =>
      ([a, b]: string[]) =>
        row.js(a!, b!),
  ),
  select_n: ([p, f, t]) => `(${p} !== 0 ? ${t} : ${f})`,
  convert_element_type: ([a]) => a!,
};

/** Primitives whose result changes in steps, so their operands must carry exactly the rounded value. */
export const DISCRETE = new Set<string>([
  ...COMPARE_PRIMS,
  ...UNARY_PRIMS.filter((p) => UNARY[p].discrete),
  "convert_element_type",
]);

/** Helpers the generated source refers to as `H.name`. */
export const jsHelpers: Record<string, (...args: number[]) => number> = {
  ...unaryTable((_p, row) => row.scalar),
  ...Object.fromEntries(BINARY_PRIMS.filter((p) => !BINARY[p].js).map((p) => [p, BINARY[p].scalar])),
};

/**
 * JS source for a node's value from its operands' sources (plain variable names or literals). Float32
 * results are rounded with Math.fround only when `roundF32`: a fused loop keeps float32 intermediates in
 * float64 (rounding is a long-latency round trip) and rounds where a value is stored, reduced, or read by
 * an operation whose result is discrete (comparisons, floor, conversions).
 */
export function jsExpr(prim: ElementwisePrim, dtype: DType, args: string[], roundF32 = true): string {
  if (prim === "convert_element_type") {
    const a = args[0]!;
    if (dtype === "float32") return roundF32 ? `Math.fround(${a})` : a;
    if (dtype === "int32") return `(${a} | 0)`;
    if (dtype === "bool") return `(${a} ? 1 : 0)`;
    return a;
  }
  const e = jsOps[prim](args);
  if ((COMPARE_PRIMS as readonly string[]).includes(prim)) return e;
  if (dtype === "float32") return roundF32 ? `Math.fround(${e})` : e;
  if (dtype === "int32") return `(${e} | 0)`;
  return e;
}

/** A JS literal that reads back as exactly `v`. */
export function jsLiteral(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return String(v);
}
