// Canonical terms back to nabla functions, so a next derivative is traced from the simplified term (with
// its powers and quotients as they are) rather than from the printed text.
import type { TensorLike } from "../core/convert.js";
import type { Tensor } from "../core/tensor.js";
import * as ops from "../ops/elementwise.js";
import { asTensor } from "../ops/util.js";
import type { Term } from "./algebra.js";
import { functionNamed } from "./ast.js";
import { TENSOR_CMP, TENSOR_FUNCTIONS } from "./compile.js";

type Value = Tensor | number;

const add = (a: Value, b: Value): Value =>
  typeof a === "number" && typeof b === "number" ? a + b : ops.add(a, b);
const mul = (a: Value, b: Value): Value =>
  typeof a === "number" && typeof b === "number" ? a * b : ops.mul(a, b);

/**
 * The term as a function of tensors whose arguments are `variables` (in order); each distinct subterm is
 * computed once. Numbers enter as weakly typed JS numbers, as in `compile`.
 */
export function termFunction(root: Term, variables: readonly string[]): (...args: TensorLike[]) => Tensor {
  const index = new Map(variables.map((v, i) => [v, i]));
  return (...args: TensorLike[]): Tensor => {
    const xs = args.map((a) => asTensor(a, "termFunction"));
    const memo = new Map<Term, Value>();
    const value = (t: Term): Value => {
      const hit = memo.get(t);
      if (hit !== undefined) return hit;
      const r = compute(t);
      memo.set(t, r);
      return r;
    };
    const power = (b: Term, e: Term): Value => {
      if (e.k === "num" && e.v === 1) return value(b);
      // sec² and sech² come from 1 + tan² and 1 − tanh²; traced that way, their derivatives stay in tan
      // and sec (tanh and sech) instead of mixing in cos (cosh).
      if (b.k === "fn" && (b.f === "sec" || b.f === "sech") && e.k === "num" && Number.isInteger(e.v / 2)) {
        const u = value(b.args[0]!);
        const t = b.f === "sec" ? ops.tan(u) : ops.tanh(u);
        const square = b.f === "sec" ? ops.add(1, ops.mul(t, t)) : ops.sub(1, ops.mul(t, t));
        return e.v === 2 ? square : ops.pow(square, e.v / 2);
      }
      if (e.k === "num" && e.v === 0.5) return ops.sqrt(value(b));
      return ops.pow(value(b), value(e));
    };
    const compute = (t: Term): Value => {
      switch (t.k) {
        case "num":
          return t.v;
        case "sym":
          return xs[index.get(t.name)!]!;
        case "add":
          return t.terms.reduce<Value>(
            (acc, m) => add(acc, m.coef === 1 ? value(m.t) : mul(m.coef, value(m.t))),
            t.c,
          );
        case "mul":
          return t.fs.reduce<Value>((acc, f) => mul(acc, power(f.b, f.e)), t.c);
        case "fn": {
          const f = functionNamed(t.f)!;
          return TENSOR_FUNCTIONS[f](value(t.args[0]!), t.args.length > 1 ? value(t.args[1]!) : 0);
        }
        case "cmp":
          return ops.where(TENSOR_CMP[t.op](value(t.a), value(t.b)), 1, 0);
        case "cond": {
          const { test } = t;
          const holds =
            test.k === "cmp"
              ? TENSOR_CMP[test.op](value(test.a), value(test.b))
              : ops.notEqual(value(test), 0);
          return ops.where(holds, value(t.ifTrue), value(t.ifFalse));
        }
      }
    };
    // Children before parents (an explicit post-order), so deep terms do not recurse deeply.
    const seen = new Set<Term>([root]);
    const stack: { t: Term; kids: Term[]; next: number }[] = [{ t: root, kids: childTerms(root), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.kids.length) {
        const c = top.kids[top.next++]!;
        if (!seen.has(c)) {
          seen.add(c);
          stack.push({ t: c, kids: childTerms(c), next: 0 });
        }
      } else {
        value(top.t);
        stack.pop();
      }
    }
    const out = value(root);
    return typeof out === "number" ? asTensor(out, "termFunction") : out;
  };
}

function childTerms(t: Term): Term[] {
  switch (t.k) {
    case "num":
    case "sym":
      return [];
    case "add":
      return t.terms.map((m) => m.t);
    case "mul":
      return t.fs.flatMap((f) => [f.b, f.e]);
    case "fn":
      return [...t.args];
    case "cmp":
      return [t.a, t.b];
    case "cond":
      return [t.test, t.ifTrue, t.ifFalse];
  }
}
