// Pytree helpers shared by optimizers and nn: zipped maps, leaf paths, sizes and global norms.
import { toTensor } from "../core/convert.js";
import { fmtShape, PytreeError, ShapeError } from "../core/errors.js";
import { flatten, type Pytree, type TreeDef, treeString, treesEqual, unflatten } from "../core/pytree.js";
import { Tensor } from "../core/tensor.js";
import { add, mul, sqrt } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";

/** A pytree of tensors: params, grads, updates and optimizer states are all of this kind. */
export type Tree = Pytree;

const asLeafTensor = (l: Tensor | number): Tensor => (l instanceof Tensor ? l : toTensor(l));

/** The leaves of `tree` as tensors, with its structure. */
export function leavesOf(tree: unknown, where: string): [Tensor[], TreeDef] {
  const [leaves, def] = flatten(tree, where);
  return [leaves.map(asLeafTensor), def];
}

/**
 * Applies `fn` leaf by leaf to trees of one structure (the first one's). `names` name the trees in the
 * error raised when structures or shapes disagree.
 */
export function zipMap<T = Tree>(
  where: string,
  names: readonly string[],
  trees: readonly unknown[],
  fn: (...leaves: Tensor[]) => Tensor,
): T {
  return zipMapN<T>(where, names, trees, 1, (...l) => [fn(...l)])[0]!;
}

/** Like {@link zipMap} for a `fn` with `count` outputs: one tree per output. */
export function zipMapN<T = Tree>(
  where: string,
  names: readonly string[],
  trees: readonly unknown[],
  count: number,
  fn: (...leaves: Tensor[]) => Tensor[],
): T[] {
  const flat = trees.map((t, i) => leavesOf(t, `${where} ${names[i]}`));
  const [first, def] = flat[0]!;
  flat.slice(1).forEach(([leaves, d], i) => {
    if (!treesEqual(def, d))
      throw new PytreeError(
        `${where}: ${names[i + 1]} have structure ${treeString(d)} but ${names[0]} have ${treeString(def)}`,
      );
    leaves.forEach((l, j) => {
      const s0 = first[j]!.aval.shape;
      if (l.aval.shape.join() !== s0.join())
        throw new ShapeError(
          `${where}: leaf ${leafPaths(trees[0])[j] ?? j} has shape ${fmtShape(s0)} in ${names[0]} but ${fmtShape(l.aval.shape)} in ${names[i + 1]}`,
        );
    });
  });
  const outs = first.map((_, j) => fn(...flat.map(([leaves]) => leaves[j]!)));
  return Array.from({ length: count }, (_, k) =>
    unflatten<T>(
      def,
      outs.map((o) => o[k]!),
    ),
  );
}

/** Dotted paths of the leaves of a tree, in the order `flatten` lists them ("0.weight", "head.bias"). */
export function leafPaths(tree: unknown): string[] {
  const out: string[] = [];
  const rec = (t: unknown, path: string): void => {
    if (t instanceof Tensor || typeof t === "number") out.push(path);
    else if (Array.isArray(t)) t.forEach((c, i) => rec(c, path === "" ? String(i) : `${path}.${i}`));
    else if (t !== null && typeof t === "object")
      for (const k of Object.keys(t).sort())
        rec((t as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`);
  };
  rec(tree, "");
  return out;
}

/** The square root of the sum of squares of every element of every leaf, as a scalar tensor. */
export function globalNormOf(tree: unknown, where: string): Tensor {
  const [leaves] = leavesOf(tree, where);
  if (leaves.length === 0) return toTensor(0);
  let total = sum(mul(leaves[0]!, leaves[0]!));
  for (const l of leaves.slice(1)) total = add(total, sum(mul(l, l)));
  return sqrt(total);
}
