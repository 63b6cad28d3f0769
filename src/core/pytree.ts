// Pytrees: JS arrays and plain objects are containers; tensors and numbers are leaves; null/undefined are empty.
import { PytreeError, ValueError } from "./errors.js";
import { Tensor } from "./tensor.js";

export type Leaf = Tensor | number;
/** A nested structure of arrays and plain objects whose leaves are tensors or numbers. */
export type Pytree = Leaf | null | undefined | readonly Pytree[] | { readonly [key: string]: Pytree };

/** The structure of a pytree without its leaves. */
export type TreeDef =
  | { kind: "leaf" }
  | { kind: "none"; value: null | undefined }
  | { kind: "array"; children: TreeDef[] }
  | { kind: "object"; keys: string[]; children: TreeDef[] };

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};

export const isLeaf = (x: unknown): x is Leaf => x instanceof Tensor || typeof x === "number";

/** Splits a pytree into its leaves (depth first, object keys sorted) and its structure. */
export function flatten(tree: unknown, where = "pytree"): [Leaf[], TreeDef] {
  const leaves: Leaf[] = [];
  const rec = (t: unknown, path: string): TreeDef => {
    if (isLeaf(t)) {
      leaves.push(t);
      return { kind: "leaf" };
    }
    if (t === null || t === undefined) return { kind: "none", value: t };
    if (Array.isArray(t)) return { kind: "array", children: t.map((c, i) => rec(c, `${path}[${i}]`)) };
    if (isPlainObject(t)) {
      const keys = Object.keys(t).sort();
      return { kind: "object", keys, children: keys.map((k) => rec(t[k], `${path}.${k}`)) };
    }
    const what = typeof t === "object" ? (t.constructor?.name ?? "object") : typeof t;
    throw new PytreeError(
      `${where}: ${path} is a ${what}; pytree leaves must be tensors or numbers, containers arrays or plain objects`,
    );
  };
  const def = rec(tree, where);
  return [leaves, def];
}

/** Rebuilds a pytree of structure `def` from `leaves`. */
export function unflatten<T = Pytree>(def: TreeDef, leaves: readonly unknown[]): T {
  let i = 0;
  const rec = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return leaves[i++];
      case "none":
        return d.value;
      case "array":
        return d.children.map(rec);
      case "object": {
        const o: Record<string, unknown> = {};
        d.keys.forEach((k, j) => {
          o[k] = rec(d.children[j]!);
        });
        return o;
      }
    }
  };
  const out = rec(def);
  if (i !== leaves.length)
    throw new PytreeError(`unflatten: structure has ${i} leaves but ${leaves.length} were given`);
  return out as T;
}

export const leafCount = (def: TreeDef): number =>
  def.kind === "leaf" ? 1 : def.kind === "none" ? 0 : def.children.reduce((n, c) => n + leafCount(c), 0);

/** A readable description of a structure, for error messages. */
export function treeString(def: TreeDef): string {
  switch (def.kind) {
    case "leaf":
      return "*";
    case "none":
      return String(def.value);
    case "array":
      return `[${def.children.map(treeString).join(", ")}]`;
    case "object":
      return `{${def.keys.map((k, i) => `${k}: ${treeString(def.children[i]!)}`).join(", ")}}`;
  }
}

export const treesEqual = (a: TreeDef, b: TreeDef): boolean => treeString(a) === treeString(b);

/**
 * Applies `fn` to every leaf of a pytree, keeping its structure.
 * @example
 * ```ts
 * nb.treeMap((t) => nb.mul(t, 2), { w: nb.ones([2]), b: 1 }); // { b: 2, w: [2, 2] }
 * ```
 */
export function treeMap<T = Pytree>(fn: (leaf: Leaf, i: number) => unknown, tree: unknown): T {
  if (typeof fn !== "function")
    throw new ValueError(
      `treeMap: the first argument must be a function of a leaf, got ${fn === null ? "null" : typeof fn}`,
    );
  const [leaves, def] = flatten(tree, "treeMap");
  return unflatten<T>(def, leaves.map(fn));
}
