// The contraction dot_general and every rule of its: shape, JVP, batching, Taylor series and transpose.
// Its kernels (the matrix products) live in the backends.
import { fmtShape, ShapeError } from "../core/errors.js";
import type { PrimParams } from "../core/primitives.js";
import { invertPerm, range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { addT } from "./binary.js";
import * as lax from "./lax.js";
import { type FamilyRules, phys, sameDtype, type VmapRule } from "./rule-helpers.js";
import { binom, full, type Item, lincomb, Series } from "./series.js";
import type { JetRule } from "./series-rules.js";
import { isLin, shapeOf } from "./unbroadcast.js";

type T = Tensor;
type Tan = Tensor | null;

function dotJvp([x, y]: T[], [dx, dy]: Tan[], params: PrimParams["dot_general"]): [T, Tan] {
  const out = lax.dotGeneral(x!, y!, params);
  return [out, addT(dx && lax.dotGeneral(dx, y!, params), dy && lax.dotGeneral(x!, dy, params))];
}

const dotVmap: VmapRule<"dot_general"> = ([x, y], [dx, dy], p) => {
  const shift = (ax: number[], d: number) => ax.map((a) => phys(a, d));
  if (dx !== null && dy !== null) {
    const xf = lax.moveAxis(x!, dx, 0);
    const yf = lax.moveAxis(y!, dy, 0);
    const inc = (ax: number[]) => ax.map((a) => a + 1);
    const params = {
      lhsContract: inc(p.lhsContract),
      rhsContract: inc(p.rhsContract),
      lhsBatch: [0, ...inc(p.lhsBatch)],
      rhsBatch: [0, ...inc(p.rhsBatch)],
    };
    return [lax.dotGeneral(xf, yf, params), 0];
  }
  if (dx !== null) {
    const params = { ...p, lhsContract: shift(p.lhsContract, dx), lhsBatch: shift(p.lhsBatch, dx) };
    const nd = x!.aval.shape.length;
    const free = range(nd).filter((i) => !params.lhsContract.includes(i) && !params.lhsBatch.includes(i));
    return [lax.dotGeneral(x!, y!, params), p.lhsBatch.length + free.indexOf(dx)];
  }
  if (dy !== null) {
    const params = { ...p, rhsContract: shift(p.rhsContract, dy), rhsBatch: shift(p.rhsBatch, dy) };
    const nd = y!.aval.shape.length;
    const free = range(nd).filter((i) => !params.rhsContract.includes(i) && !params.rhsBatch.includes(i));
    const lhsFree = x!.aval.shape.length - p.lhsContract.length - p.lhsBatch.length;
    return [lax.dotGeneral(x!, y!, params), p.lhsBatch.length + lhsFree + free.indexOf(dy)];
  }
  return [lax.dotGeneral(x!, y!, p), null];
};

/** dot_general is bilinear: the Leibniz rule with the contraction as the product. */
const dotSeries: JetRule<"dot_general"> = ([a, b], [u, v], params, order) => {
  const out = lax.dotGeneral(a!, b!, params);
  const s = Series.direct(order, out.aval, out, (m) => {
    const items: Item[] = [];
    for (let i = 0; i <= m; i++) {
      const bj = v!.term(m - i);
      const ai = bj && u!.term(i);
      if (ai && bj) items.push([binom(m, i), lax.dotGeneral(full(ai, a!.aval), full(bj, b!.aval), params)]);
    }
    return lincomb(out.aval, items);
  });
  return [out, s];
};

/** The cotangent of one side of a dot_general: contract ct with the other operand, then restore the layout. */
function dotTransposeSide(
  ct: Tensor,
  other: Tensor,
  p: PrimParams["dot_general"],
  side: "lhs" | "rhs",
  nd: number,
): Tensor {
  const nb = p.lhsBatch.length;
  const [myContract, otherContract, otherBatch, myBatch] =
    side === "lhs"
      ? [p.lhsContract, p.rhsContract, p.rhsBatch, p.lhsBatch]
      : [p.rhsContract, p.lhsContract, p.lhsBatch, p.rhsBatch];
  const otherNd = other.aval.shape.length;
  const myFree = range(nd).filter((i) => !myContract.includes(i) && !myBatch.includes(i));
  const otherFree = range(otherNd).filter((i) => !otherContract.includes(i) && !otherBatch.includes(i));
  const nlf = side === "lhs" ? myFree.length : otherFree.length;
  // ct dims: [batch, lhs free, rhs free]; the other operand's free dims sit in ct at these positions.
  const otherFreeInCt = side === "lhs" ? range(otherFree.length, nb + nlf) : range(otherFree.length, nb);
  const r = lax.dotGeneral(ct, other, {
    lhsContract: otherFreeInCt,
    rhsContract: otherFree,
    lhsBatch: range(nb),
    rhsBatch: otherBatch,
  });
  // r dims: [batch, my free, other's contracting dims ascending] — map each to my dim and undo.
  const sortedOtherContract = [...otherContract].sort((a, b) => a - b);
  const src = [
    ...myBatch,
    ...myFree,
    ...sortedOtherContract.map((o) => myContract[otherContract.indexOf(o)]!),
  ];
  return lax.transpose(r, invertPerm(src));
}

export const CONTRACTION: FamilyRules<"dot_general", "dot_general"> = {
  shape: {
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
  },
  jvp: { dot_general: dotJvp },
  vmap: { dot_general: dotVmap },
  jet: { dot_general: dotSeries },
  transpose: {
    dot_general: (ct, [x, y], p) => [
      isLin(x) ? dotTransposeSide(ct, y as Tensor, p, "lhs", shapeOf(x).length) : null,
      isLin(y) ? dotTransposeSide(ct, x as Tensor, p, "rhs", shapeOf(y).length) : null,
    ],
  },
};
