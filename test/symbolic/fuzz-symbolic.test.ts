// Fuzzing formulas: random trees and random text over the whole grammar print to text that parses back to
// the same values, derivative formulas too (and agree with autodiff), and the parser refuses random strings
// only with ParseError.
// Fixed seeds; NABLA_LONG=1 (npm run fuzz) runs many more cases and prints the round-trip rates.
import fc from "fast-check";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { FUNCTIONS, type FunctionName, type Node } from "../../src/symbolic/ast.js";
import { evaluate } from "../../src/symbolic/compile.js";
import { toText } from "../../src/symbolic/format.js";
import { ParseError, parseNode } from "../../src/symbolic/parse.js";

const LONG = process.env.NABLA_LONG === "1";
const SEED = 20_240_611;
const runs = (normal: number, long: number) => (LONG ? long : normal);

/** Variables, several of them multi-letter or close to a number's exponent (e2, E1) or a constant (ex). */
const NAMES = ["x", "y", "ab", "theta", "x_1", "α", "e2", "E1", "ex", "rate"];
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const CMP_OPS = ["<", "<=", ">", ">=", "==", "!="] as const;

// ---- values ----

/** Equal values: both NaN, or equal (0 and -0 apart), or within a relative 1e-12. */
function sameValue(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return a !== 0 || Object.is(a, b);
  return (
    Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b))
  );
}

/** Points: one value per name, from a few random numbers (small, large, negative, zero). */
const points = fc.array(
  fc.oneof(
    fc.double({ min: -3, max: 3, noNaN: true }),
    fc.constantFrom(0, 1, -1, 0.5, 2, 1e-8, 1e8),
    fc.integer({ min: -5, max: 5 }),
  ),
  { minLength: 3, maxLength: 3 },
);
const pointFor = (names: readonly string[], xs: readonly number[], shift: number) =>
  Object.fromEntries(names.map((name, i) => [name, xs[shift % xs.length]! + 0.37 * i]));

// ---- random trees over the grammar ----

const literal = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(
    0.1,
    0.5,
    1 / 3,
    2.5,
    -2,
    -0.75,
    -0,
    1e-300,
    5e-324,
    1e300,
    Number.MAX_VALUE,
    1e21,
    1.5e-7,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ),
);
/** Literals of moderate size, for comparing derivative formulas with autodiff. */
const moderate = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0.5, 1 / 3, 2.5, 0.1));
const leaves = (literals: fc.Arbitrary<number>, names: readonly string[]): fc.Arbitrary<Node> =>
  fc.oneof(
    literals.map((value): Node => ({ kind: "num", value })),
    fc.constantFrom<Node>(
      { kind: "num", value: Math.PI, name: "pi" },
      { kind: "num", value: Math.E, name: "e" },
    ),
    fc.constantFrom(...names).map((name): Node => ({ kind: "var", name })),
  );

function trees(
  maxDepth: number,
  depthSize: fc.DepthSize = "medium",
  literals: fc.Arbitrary<number> = literal,
  names: readonly string[] = NAMES,
): fc.Arbitrary<Node> {
  const leaf = leaves(literals, names);
  return fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { maxDepth, depthSize, depthIdentifier: "tree" },
      leaf,
      tie("node").map((arg): Node => ({ kind: "neg", arg })),
      fc
        .tuple(
          fc.constantFrom("add", "sub", "mul", "div", "pow") as fc.Arbitrary<"add">,
          tie("node"),
          tie("node"),
        )
        .map(([kind, left, right]): Node => ({ kind, left, right })),
      fc
        .tuple(fc.constantFrom(...FUNCTION_NAMES), tie("node"), tie("node"))
        .map(([fn, a, b]): Node => ({ kind: "call", fn, args: FUNCTIONS[fn] === 1 ? [a] : [a, b] })),
      fc
        .tuple(fc.constantFrom(...CMP_OPS), tie("node"), tie("node"))
        .map(([op, left, right]): Node => ({ kind: "cmp", op, left, right })),
      fc
        .tuple(tie("node"), tie("node"), tie("node"))
        .map(([test, ifTrue, ifFalse]): Node => ({ kind: "cond", test, ifTrue, ifFalse })),
    ),
  })).node;
}

// ---- random text over the grammar: implicit products, spacing, synonyms, where-bindings ----

const numberText = fc.oneof(
  fc.integer({ min: 0, max: 1000 }).map(String),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map(String),
  fc.constantFrom(
    ".5",
    "5.",
    "1e-300",
    "2.5E+4",
    "1e400",
    "5e-324",
    "007",
    "0.1",
    "NaN",
    "nan",
    "Infinity",
    "inf",
  ),
  fc.constantFrom("∞", "pi", "π", "e"),
);
const space = fc.constantFrom("", " ", "  ");
const texts: fc.Arbitrary<string> = fc.letrec<{ t: string }>((tie) => ({
  t: fc.oneof(
    { maxDepth: 5, depthIdentifier: "text" },
    numberText,
    fc.constantFrom(...NAMES),
    fc.tuple(fc.constantFrom("-", "+", "−", "--"), tie("t")).map(([s, a]) => `${s}${a}`),
    fc
      .tuple(
        tie("t"),
        space,
        fc.constantFrom("+", "-", "*", "/", "^", "**", "×", "·", "÷", "−"),
        space,
        tie("t"),
      )
      .map(([a, s1, o, s2, b]) => `(${a})${s1}${o}${s2}(${b})`),
    fc.tuple(tie("t"), fc.constantFrom("+", "-", "*", "/", "^"), tie("t")).map(([a, o, b]) => `${a}${o}${b}`),
    // Juxtaposition: 2x, x y, 2(x+1), (x)(y), sin(x)cos(x); invalid ones (x 2) are refused and skipped.
    fc.tuple(tie("t"), space, tie("t")).map(([a, s, b]) => `${a}${s}${b}`),
    fc
      .tuple(fc.integer({ min: 1, max: 99 }), fc.constantFrom(...NAMES, "pi", "(x+1)"))
      .map(([k, v]) => `${k}${v}`),
    fc
      .tuple(fc.constantFrom(...FUNCTION_NAMES, "ln"), tie("t"), tie("t"))
      .map(([f, a, b]) => (f === "ln" || FUNCTIONS[f] === 1 ? `${f}(${a})` : `${f}(${a}, ${b})`)),
    fc
      .tuple(tie("t"), fc.constantFrom(...CMP_OPS, "≤", "≥", "≠"), tie("t"))
      .map(([a, o, b]) => `(${a} ${o} ${b})`),
    fc.tuple(tie("t"), tie("t"), tie("t")).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
  ),
})).t;
const formulaTexts = fc.oneof(
  { weight: 4, arbitrary: texts },
  fc
    .tuple(texts, texts, texts)
    .map(
      ([body, u, v]) =>
        `${body} + u v where u = ${u.replace(/\bu\b|\bv\b/g, "x")}, v = u + (${v.replace(/\bv\b/g, "y")})`,
    ),
);

// ---- the round trips ----

/** Why `text` and `again` differ in value at `at`, or null when they agree everywhere. */
function compare(
  what: string,
  value: (at: Record<string, number>) => number,
  again: (at: Record<string, number>) => number,
  names: readonly string[],
  xs: readonly number[],
): string | null {
  for (let k = 0; k < 3; k++) {
    const at = pointFor(names, xs, k);
    const a = value(at);
    const b = again(at);
    if (!sameValue(a, b)) return `${what}: ${a} vs ${b} at ${JSON.stringify(at)}`;
  }
  return null;
}

/** A printed tree read back with the names declared: same values. */
function treeRoundTrip(t: Node, xs: readonly number[]): string | null {
  const text = toText(t);
  const back = parseNode(text, { variables: NAMES });
  return compare(
    text,
    (at) => evaluate(t, at),
    (at) => evaluate(back, at),
    NAMES,
    xs,
  );
}

/** A formula parsed without declarations, printed and parsed again: same variables, same values. */
function exprRoundTrip(e: nb.Expr, xs: readonly number[]): string | null {
  const text = String(e);
  const back = nb.parse(text);
  if (back.variables.join() !== e.variables.join())
    return `${text}: variables ${back.variables.join()} vs ${e.variables.join()}`;
  return compare(
    text,
    (at) => e.evaluate(at),
    (at) => back.evaluate(at),
    e.variables,
    xs,
  );
}

interface Tally {
  cases: number;
  failures: string[];
}
const tally = (): Tally => ({ cases: 0, failures: [] });
const report = (name: string, t: Tally) => {
  if (LONG)
    console.log(
      `${name}: ${t.cases - t.failures.length} of ${t.cases} read back (${((100 * (t.cases - t.failures.length)) / Math.max(1, t.cases)).toFixed(3)}%)`,
    );
  expect(t.failures.slice(0, 5)).toEqual([]);
};

describe("printed formulas read back to the same values", () => {
  it("random trees over the grammar", () => {
    const t = tally();
    for (const [tree, xs] of fc.sample(fc.tuple(trees(6), points), {
      seed: SEED,
      numRuns: runs(4000, 60_000),
    })) {
      t.cases++;
      const failure = treeRoundTrip(tree, xs);
      if (failure !== null) t.failures.push(failure);
    }
    report("trees", t);
  });

  it("random trees parsed without declared variables", () => {
    const t = tally();
    for (const [tree, xs] of fc.sample(fc.tuple(trees(6), points), {
      seed: SEED + 1,
      numRuns: runs(3000, 60_000),
    })) {
      let e: nb.Expr;
      try {
        e = nb.parse(toText(tree));
      } catch (err) {
        t.cases++;
        t.failures.push(`${toText(tree)} does not parse: ${(err as Error).message.split("\n")[0]}`);
        continue;
      }
      t.cases++;
      const failure = exprRoundTrip(e, xs);
      if (failure !== null) t.failures.push(failure);
    }
    report("trees without declarations", t);
  });

  it("random text: implicit products, spacing, synonyms, constants, where-bindings", () => {
    const t = tally();
    let refused = 0;
    for (const [text, xs] of fc.sample(fc.tuple(formulaTexts, points), {
      seed: SEED + 2,
      numRuns: runs(4000, 60_000),
    })) {
      let e: nb.Expr;
      try {
        e = nb.parse(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ParseError);
        refused++;
        continue;
      }
      t.cases++;
      const failure = exprRoundTrip(e, xs);
      if (failure !== null) t.failures.push(`${text} → ${failure}`);
    }
    // Most random texts are formulas; the rest (such as `x 2`) are refused with a ParseError.
    expect(t.cases).toBeGreaterThan(refused);
    report("texts", t);
  });

  it("derivative formulas of random trees, orders 1 and 2", () => {
    const t = tally();
    const cases = fc.tuple(trees(4, "small"), fc.constantFrom(1, 2), points);
    for (const [tree, order, xs] of fc.sample(cases, { seed: SEED + 3, numRuns: runs(600, 10_000) })) {
      const e = nb.parse(toText(tree), { variables: NAMES });
      const v = [...new Set(nb.parse(toText(tree)).variables)][0];
      if (v === undefined) continue;
      let d: nb.Expr;
      try {
        d = nb.symbolic.derivative(e, v, order);
      } catch (err) {
        // Only the library's own refusals (a derivative too large to continue), never a crash.
        expect(err).toBeInstanceOf(nb.NablaError);
        continue;
      }
      t.cases++;
      const text = String(d);
      const back = nb.parse(text, { variables: NAMES });
      const failure = compare(
        `d${order}/d${v}^${order} ${toText(tree)} = ${text}`,
        (at) => d.evaluate(at),
        (at) => back.evaluate(at),
        NAMES,
        xs,
      );
      if (failure !== null) t.failures.push(failure);
    }
    expect(t.cases).toBeGreaterThan(runs(600, 10_000) / 2);
    report("derivatives", t);
  });
});

describe("derivative formulas agree with autodiff", () => {
  it("random trees of moderate literals, orders 1 and 2, wherever f and autodiff are finite", () => {
    const variables = ["x", "y"];
    let checked = 0;
    const failures: string[] = [];
    const cases = fc.tuple(trees(4, "small", moderate, variables), fc.constantFrom(1, 2));
    for (const [tree, order] of fc.sample(cases, { seed: SEED + 5, numRuns: runs(300, 5000) })) {
      const text = toText(tree);
      const e = nb.parse(text, { variables });
      const d = nb.symbolic.derivative(e, "x", order);
      let g = e.fn as (...xs: nb.Tensor[]) => nb.Tensor;
      for (let k = 0; k < order; k++) g = nb.grad(g, { argnums: 0 }) as typeof g;
      for (const [x, y] of [
        [0.7, 1.3],
        [1.9, 0.4],
        [-0.6, 2.2],
      ] as const) {
        // Only inside the domain: where f itself is finite and so is its derivative.
        if (!Number.isFinite(e.evaluate({ x, y }))) continue;
        const ad = g(nb.array(x, { dtype: "float64" }), nb.array(y, { dtype: "float64" })).item() as number;
        if (!Number.isFinite(ad) || Math.abs(ad) > 1e8) continue;
        checked++;
        const sym = d.evaluate({ x, y });
        if (!(Math.abs(sym - ad) <= 1e-7 * Math.max(1, Math.abs(ad))))
          failures.push(`d${order} ${text} at x=${x}, y=${y}: ${sym} (${String(d)}) vs autodiff ${ad}`);
      }
    }
    expect(checked).toBeGreaterThan(runs(300, 5000));
    if (LONG) console.log(`autodiff: ${checked - failures.length} of ${checked} values agree`);
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe("the parser on random strings", () => {
  const pieces = fc.constantFrom(
    ..."x y 2 . e E ( ) + - * / ^ , ? : < > = ! # π ∞ 𝑥 _ ² ' \" \\".split(" "),
    " ",
    "\t",
    "\n",
    "sin",
    "max",
    "pi",
    "1e",
    "1e-",
    "**",
    "==",
    "foo",
    "where",
    " where u = ",
    "NaN",
    "Infinity",
    "toString",
    "__proto__",
    "constructor",
  );
  const strings = fc.oneof(
    fc.array(pieces, { maxLength: 60 }).map((a) => a.join("")),
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ unit: "grapheme", maxLength: 60 }),
    fc.tuple(pieces, fc.integer({ min: 2000, max: 6000 })).map(([p, k]) => p.repeat(k)),
  );

  it("gives a formula or a ParseError with a column inside the text, never another error", () => {
    for (const text of fc.sample(strings, { seed: SEED + 4, numRuns: runs(3000, 100_000) })) {
      for (const parse of [
        () => nb.parse(text),
        () => parseNode(text),
        () => nb.parse(text, { variables: ["x", "y"] }),
      ]) {
        try {
          parse();
        } catch (err) {
          expect(err, text).toBeInstanceOf(ParseError);
          const { column } = err as ParseError;
          expect(column >= 1 && column <= Math.max(text.length, 10_000) + 1, text).toBe(true);
        }
      }
    }
  });
});
