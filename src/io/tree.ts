// Dotted names for the leaves of a parameter pytree ("layer1.w", "layers.0.b"), and trees rebuilt from them.
import type { DType } from "../core/dtype.js";
import { fmtShape, PytreeError, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { SafetensorsError } from "./errors.js";

/** Tensors nested in plain objects and arrays, as `loadSafetensors(path, { nested: true })` returns them. */
export type TensorTree = Tensor | TensorTree[] | { [key: string]: TensorTree };

/** The shape and dtype a tensor has in a file or a tree; `dtype: null` accepts any (a bare number leaf). */
export interface LeafSpec {
  shape: readonly number[];
  dtype: DType | null;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};

/** Sets a property without invoking the `__proto__` setter: a tensor named "__proto__" is just a key. */
const define = (o: object, key: string, value: unknown): void => {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
};

/**
 * Visits the leaves of `tree` (tensors and numbers) with their dotted paths; arrays contribute their indices.
 * null and undefined are empty, as in every pytree. Two leaves with one name are an error.
 */
export function walkLeaves(
  tree: unknown,
  op: string,
  visit: (name: string, leaf: Tensor | number) => void,
): void {
  if (!Array.isArray(tree) && !isPlainObject(tree)) {
    const what = tree instanceof Tensor ? "a single tensor" : describe(tree);
    throw new PytreeError(
      `${op}: expected an object of tensors such as { weight: w, bias: b } (nested objects and arrays are ` +
        `fine), got ${what}`,
    );
  }
  const seen = new Set<string>();
  const rec = (t: unknown, path: string[]): void => {
    if (t instanceof Tensor || typeof t === "number") {
      const name = path.join(".");
      if (seen.has(name))
        throw new ValueError(
          `${op}: two tensors would both be named "${name}" (a key containing "." collides with a nested ` +
            `path); rename one of them`,
        );
      seen.add(name);
      visit(name, t);
    } else if (t === null || t === undefined) {
      return;
    } else if (Array.isArray(t)) {
      t.forEach((c, i) => rec(c, [...path, String(i)]));
    } else if (isPlainObject(t)) {
      for (const k of Object.keys(t)) rec(t[k], [...path, k]);
    } else {
      throw new PytreeError(
        `${op}: ${path.join(".") || "the tree"} is ${describe(t)}; leaves must be tensors or numbers, ` +
          `containers plain objects or arrays`,
      );
    }
  };
  rec(tree, []);
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return `a ${(x as object).constructor?.name ?? "object"}`;
  return `a ${typeof x}`;
}

/** The shapes and dtypes a tree's leaves have, by dotted name. */
export function leafSpecs(tree: unknown, op: string): Map<string, LeafSpec> {
  const out = new Map<string, LeafSpec>();
  walkLeaves(tree, op, (name, leaf) => {
    out.set(
      name,
      leaf instanceof Tensor
        ? { shape: leaf.aval.shape, dtype: leaf.aval.dtype }
        : { shape: [], dtype: null },
    );
  });
  return out;
}

const specString = (s: LeafSpec): string => `${s.dtype ?? "any"}${fmtShape(s.shape)}`;

/** Lists at most `max` items, then how many more there are. */
const listSome = (items: string[], max = 12): string =>
  items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;

/**
 * Compares what a file holds with what a tree expects and throws one error listing every missing,
 * unexpected and mismatched tensor.
 */
export function checkExpected(
  found: ReadonlyMap<string, LeafSpec>,
  expected: ReadonlyMap<string, LeafSpec>,
  op: string,
): void {
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const [name, want] of expected) {
    const got = found.get(name);
    if (got === undefined) missing.push(`${name} (${specString(want)})`);
    else {
      const shapeOk =
        got.shape.length === want.shape.length && got.shape.every((d, i) => d === want.shape[i]);
      if (!shapeOk || (want.dtype !== null && want.dtype !== got.dtype))
        mismatched.push(`${name} (expected ${specString(want)}, found ${specString(got)})`);
    }
  }
  const unexpected = [...found.keys()]
    .filter((n) => !expected.has(n))
    .map((n) => `${n} (${specString(found.get(n)!)})`);
  if (missing.length + unexpected.length + mismatched.length === 0) return;
  const parts = [
    missing.length > 0 ? `missing ${missing.length}: ${listSome(missing)}` : "",
    unexpected.length > 0 ? `unexpected ${unexpected.length}: ${listSome(unexpected)}` : "",
    mismatched.length > 0 ? `mismatched ${mismatched.length}: ${listSome(mismatched)}` : "",
  ].filter((p) => p !== "");
  throw new SafetensorsError(
    `${op}: the tensors do not match the expected parameters; nothing was loaded. ${parts.join("; ")}`,
  );
}

/** A tree of the same structure as `like` whose leaves are the tensors of the same names. */
export function rebuildLike(like: unknown, byName: ReadonlyMap<string, Tensor>): unknown {
  const rec = (t: unknown, path: string[]): unknown => {
    if (t instanceof Tensor || typeof t === "number") return byName.get(path.join("."));
    if (t === null || t === undefined) return t;
    if (Array.isArray(t)) return t.map((c, i) => rec(c, [...path, String(i)]));
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(t as object))
      define(o, k, rec((t as Record<string, unknown>)[k], [...path, k]));
    return o;
  };
  return rec(like, []);
}

/**
 * Nests dotted names into objects ("a.b" → { a: { b } }); an object whose keys are exactly 0 … n−1
 * becomes an array, as a list of layers saved by nabla or PyTorch comes back as one.
 */
export function nestByName(entries: Iterable<[string, Tensor]>, op: string): { [key: string]: TensorTree } {
  type Node = { [key: string]: Node | Tensor };
  const root: Node = {};
  for (const [name, tensor] of entries) {
    const parts = name.split(".");
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const k = parts[i]!;
      const existing = Object.hasOwn(node, k) ? node[k] : undefined;
      if (i === parts.length - 1) {
        if (existing !== undefined) throw nestConflict(op, parts.slice(0, i + 1).join("."));
        define(node, k, tensor);
      } else {
        if (existing instanceof Tensor) throw nestConflict(op, parts.slice(0, i + 1).join("."));
        if (existing === undefined) define(node, k, {});
        node = node[k] as Node;
      }
    }
  }
  const toArrays = (n: Node | Tensor): TensorTree => {
    if (n instanceof Tensor) return n;
    const keys = Object.keys(n);
    const isList = keys.length > 0 && keys.every((k) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < keys.length);
    if (isList) return keys.map((_, i) => toArrays(n[String(i)]!));
    const o: { [key: string]: TensorTree } = {};
    for (const k of keys) define(o, k, toArrays(n[k]!));
    return o;
  };
  // The root stays an object (keys "0", "1", … for a PyTorch Sequential) so the return type is one shape.
  const out: { [key: string]: TensorTree } = {};
  for (const k of Object.keys(root)) define(out, k, toArrays(root[k]!));
  return out;
}

const nestConflict = (op: string, name: string): SafetensorsError =>
  new SafetensorsError(
    `${op}: cannot nest the names: "${name}" is both a tensor and a group of tensors; ` +
      `load without { nested: true } to get the flat names`,
  );
