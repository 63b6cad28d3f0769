// scan and while: the loop primitives with several outputs (JAX's scan_p and while_p). A scan's operands are
// its loop-invariant constants, its carry and the sequences it walks; a while's are its condition's and its
// body's constants and its carry. Here live their shape rules, the wrappers that bind them and the row
// slicing and stacking their loops share; the rules that run an interpreter on the body live in
// interpret/loops.ts.
import { allocate, type TypedArray } from "../core/dtype.js";
import { DTypeError, ShapeError, ValueError } from "../core/errors.js";
import type { MultiPrimParams } from "../core/primitives.js";
import type { Program } from "../core/program.js";
import { type Aval, avalString, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { bindMulti } from "../core/trace.js";
import { sameAval } from "./control.js";

export type ScanParams = MultiPrimParams["scan"];
export type WhileParams = MultiPrimParams["while"];

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

function checkIns(op: string, what: string, p: Program, avals: readonly Aval[], from: number): void {
  if (avals.length !== p.inVars.length)
    throw new ValueError(`${op}: the ${what} takes ${p.inVars.length} input(s), got ${avals.length}`);
  p.inVars.forEach((v, i) => {
    if (i >= from && !sameAval(v.aval, avals[i]!))
      throw new ShapeError(
        `${op}: operand ${i} is ${avalString(avals[i]!)} but the ${what} takes ${avalString(v.aval)}`,
      );
  });
}

/** The avals of one step of a scanned operand (its leading axis dropped), checking that axis is `length`. */
export function stepAval(a: Aval, length: number): Aval {
  if (a.shape[0] !== length)
    throw new ShapeError(`scan: a scanned operand is ${avalString(a)} but the scan has length ${length}`);
  return { ...a, shape: a.shape.slice(1) };
}

/** The output avals of scan: the carry, then each y stacked on a leading axis of `length`. */
export function scanShape(avals: readonly Aval[], { body, nConsts, nCarry, length }: ScanParams): Aval[] {
  const n = nConsts + nCarry;
  checkIns(
    "scan",
    "body",
    body,
    avals.map((a, i) => (i < n ? a : stepAval(a, length))),
    0,
  );
  const outs = body.outs.map((v) => v.aval);
  for (let i = 0; i < nCarry; i++)
    if (!sameAval(outs[i]!, avals[nConsts + i]!))
      throw new ShapeError(
        `scan: the body returns ${avalString(outs[i]!)} as carry ${i} but takes ${avalString(avals[nConsts + i]!)}`,
      );
  return outs.map((a, i) => (i < nCarry ? avals[nConsts + i]! : { ...a, shape: [length, ...a.shape] }));
}

/** The output avals of while: the carry, once the condition is checked to give a bool scalar. */
export function whileShape(avals: readonly Aval[], p: WhileParams): Aval[] {
  const carry = avals.slice(p.nCondConsts + p.nBodyConsts);
  checkIns("while", "condition", p.cond, [...avals.slice(0, p.nCondConsts), ...carry], 0);
  checkIns("while", "body", p.body, avals.slice(p.nCondConsts), 0);
  const c = p.cond.outs[0]?.aval;
  if (p.cond.outs.length !== 1 || c === undefined || c.dtype !== "bool" || c.shape.length !== 0)
    throw new DTypeError(
      `while: the condition must return one bool scalar, got ${p.cond.outs.map((v) => avalString(v.aval)).join(", ")}`,
    );
  p.body.outs.forEach((v, i) => {
    if (!sameAval(v.aval, carry[i]!))
      throw new ShapeError(
        `while: the body returns ${avalString(v.aval)} as carry ${i} but takes ${avalString(carry[i]!)}`,
      );
  });
  return carry.slice();
}

/** Row `i` of an array holding `n` rows of `rowSize` elements (a view of it: arrays are never written). */
export const rowOf = (data: TypedArray, i: number, rowSize: number): TypedArray =>
  data.subarray(i * rowSize, (i + 1) * rowSize);

/** Runs a scan's steps on arrays: `step` maps a step's inputs to its outputs (carry, then ys). */
export function scanLoop(
  ins: readonly TypedArray[],
  avals: readonly Aval[],
  outAvals: readonly Aval[],
  { nConsts, nCarry, length, reverse }: ScanParams,
  step: (ins: TypedArray[]) => TypedArray[],
): TypedArray[] {
  const n = nConsts + nCarry;
  const consts = ins.slice(0, nConsts);
  let carry = ins.slice(nConsts, n);
  const xs = ins.slice(n);
  const xSizes = avals.slice(n).map((a) => size(a.shape) / Math.max(length, 1));
  const ySizes = outAvals.slice(nCarry).map((a) => size(a.shape.slice(1)));
  const ys = outAvals.slice(nCarry).map((a) => allocate(a.dtype, size(a.shape)));
  for (let k = 0; k < length; k++) {
    const i = reverse ? length - 1 - k : k;
    const outs = step([...consts, ...carry, ...xs.map((x, j) => rowOf(x, i, xSizes[j]!))]);
    // Arrays are never written after they are made, so the step's outputs are the next carry as they are.
    carry = outs.slice(0, nCarry);
    ys.forEach((y, j) => {
      y.set(outs[nCarry + j]!, i * ySizes[j]!);
    });
  }
  return [...carry, ...ys];
}

/** The same loop on concrete tensors. */
export function scanConcrete(
  args: readonly ConcreteTensor[],
  params: ScanParams,
  outAvals: readonly Aval[],
  run: (ins: ConcreteTensor[]) => ConcreteTensor[],
): ConcreteTensor[] {
  const inAvals = params.body.inVars.map((v) => v.aval);
  const outs = scanLoop(
    args.map((a) => a.data),
    args.map((a) => a.aval),
    outAvals,
    params,
    (ins) => run(ins.map((d, i) => new ConcreteTensor(d, inAvals[i]!))).map((t) => t.data),
  );
  return outs.map((d, i) => new ConcreteTensor(d, outAvals[i]!));
}

/** Binds scan: `length` steps of `body` over the carry and the leading axis of the xs. */
export const scan = (
  consts: readonly Tensor[],
  carry: readonly Tensor[],
  xs: readonly Tensor[],
  body: Program,
  length: number,
  reverse: boolean,
): Tensor[] =>
  bindMulti("scan", [...consts, ...carry, ...xs], {
    body,
    nConsts: consts.length,
    nCarry: carry.length,
    length,
    reverse,
  });

/** Binds while: `body` on the carry while `cond` holds. */
export const whileLoop = (
  condConsts: readonly Tensor[],
  bodyConsts: readonly Tensor[],
  carry: readonly Tensor[],
  cond: Program,
  body: Program,
): Tensor[] =>
  bindMulti("while", [...condConsts, ...bodyConsts, ...carry], {
    cond,
    body,
    nCondConsts: condConsts.length,
    nBodyConsts: bodyConsts.length,
  });
