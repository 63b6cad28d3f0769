// The expression parser, printer and compiler: every grammar feature by example, precedence, implicit
// multiplication, every function, errors with their exact column and caret, the size limits, printed text
// that reads back to the same values, where-bindings, property tests (print → parse round trips, random
// input never crashes, compiled functions agree with float64 evaluation) and compile() under grad / vmap /
// makeProgram.
import fc from "fast-check";
import * as nb from "nabla";
import { describe, expect, it, vi } from "vitest";
import { FUNCTIONS, type FunctionName, type Node } from "../../src/symbolic/ast.js";
import { compile, evaluate, foldNode } from "../../src/symbolic/compile.js";
import { formatNumber, toLatex, toText } from "../../src/symbolic/format.js";
import { Lexer } from "../../src/symbolic/lexer.js";
import { ParseError, parseFormula, parseNode, variablesOf } from "../../src/symbolic/parse.js";

// ---- helpers: tree builders, position stripping, a fully parenthesised printer ----

const n = (value: number): Node => ({ kind: "num", value });
const v = (name: string): Node => ({ kind: "var", name });
const neg = (arg: Node): Node => ({ kind: "neg", arg });
const op =
  (kind: "add" | "sub" | "mul" | "div" | "pow") =>
  (left: Node, right: Node): Node => ({ kind, left, right });
const [add, sub, mul, div, pow] = (["add", "sub", "mul", "div", "pow"] as const).map(op) as [
  ReturnType<typeof op>,
  ReturnType<typeof op>,
  ReturnType<typeof op>,
  ReturnType<typeof op>,
  ReturnType<typeof op>,
];
const call = (fn: FunctionName, ...args: Node[]): Node => ({ kind: "call", fn, args });
const cmp = (o: Extract<Node, { kind: "cmp" }>["op"], left: Node, right: Node): Node => ({
  kind: "cmp",
  op: o,
  left,
  right,
});
const cond = (test: Node, yes: Node, no: Node): Node => ({ kind: "cond", test, ifTrue: yes, ifFalse: no });
const PI: Node = { kind: "num", value: Math.PI, name: "pi" };
const E: Node = { kind: "num", value: Math.E, name: "e" };

/** The tree without parse positions (`at`), for comparison with hand-built trees. */
const strip = (t: Node): Node =>
  foldNode<Node>(t, (node, args) => {
    switch (node.kind) {
      case "num":
        return node.name === undefined ? n(node.value) : { kind: "num", value: node.value, name: node.name };
      case "var":
        return v(node.name);
      case "neg":
        return neg(args[0]!);
      case "call":
        return { kind: "call", fn: node.fn, args };
      case "cmp":
        return cmp(node.op, args[0]!, args[1]!);
      case "cond":
        return cond(args[0]!, args[1]!, args[2]!);
      default:
        return { kind: node.kind, left: args[0]!, right: args[1]! };
    }
  });

const tree = (text: string, variables?: readonly string[]) =>
  strip(parseNode(text, variables === undefined ? {} : { variables }));
const value = (text: string, env: Record<string, number> = {}) => evaluate(parseNode(text), env);

const SYMBOL = { add: "+", sub: "-", mul: "*", div: "/", pow: "^" } as const;
interface PrintStyle {
  /** "*" or juxtaposition of parenthesised operands: `(a)(b)`. */
  mul: "*" | "implicit";
  pow: "^" | "**";
}
/** Prints with a parenthesis around every operation, so the text has exactly one reading. */
function printFull(t: Node, style: PrintStyle): string {
  return foldNode<string>(t, (node, a) => {
    switch (node.kind) {
      case "num":
        return node.name ?? String(node.value);
      case "var":
        return node.name;
      case "neg":
        return `(-${a[0]})`;
      case "call":
        return `${node.fn}(${a.join(", ")})`;
      case "cmp":
        return `(${a[0]} ${node.op} ${a[1]})`;
      case "cond":
        return `(${a[0]} ? ${a[1]} : ${a[2]})`;
      case "mul":
        return style.mul === "implicit" ? `((${a[0]})(${a[1]}))` : `(${a[0]} * ${a[1]})`;
      case "pow":
        return `(${a[0]} ${style.pow} ${a[1]})`;
      default:
        return `(${a[0]} ${SYMBOL[node.kind]} ${a[1]})`;
    }
  });
}

/** The ParseError `f` throws (fails the test if it throws anything else or nothing). */
function parseError(f: () => unknown): ParseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  throw new Error("expected a ParseError");
}
const errorOf = (text: string, variables?: readonly string[]) =>
  parseError(() => parseNode(text, variables === undefined ? {} : { variables }));
const headline = (e: Error) => e.message.split("\n")[0];

const sameNumber = (a: number, b: number, rtol = 0): boolean =>
  Object.is(a, b) ||
  (Number.isNaN(a) && Number.isNaN(b)) ||
  (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= rtol * Math.max(1, Math.abs(b)));

// ---- the grammar by example ----

describe("numbers, names and constants", () => {
  it.each([
    ["123", 123],
    ["1.5", 1.5],
    [".5", 0.5],
    ["5.", 5],
    ["1e-3", 0.001],
    ["2.5E+4", 25000],
    ["2e3", 2000], // an exponent, not 2·e·3
    ["007", 7],
  ])("%s is the number %d", (text, want) => {
    expect(tree(text)).toEqual(n(want));
  });

  it("a number followed by `e` without digits multiplies the constant e", () => {
    expect(tree("2e")).toEqual(mul(n(2), E));
    expect(tree("2ex")).toEqual(mul(n(2), v("ex")));
  });

  it("names: letters, then letters, digits and underscores; Greek letters too", () => {
    expect(tree("x_1")).toEqual(v("x_1"));
    expect(tree("theta2")).toEqual(v("theta2"));
    expect(tree("_tmp")).toEqual(v("_tmp"));
    expect(tree("α + θ")).toEqual(add(v("α"), v("θ")));
  });

  it("pi, π and e are constants that remember their name", () => {
    expect(tree("pi")).toEqual(PI);
    expect(tree("π")).toEqual(PI);
    expect(tree("e")).toEqual(E);
    expect(value("2pi")).toBe(2 * Math.PI);
  });

  it("a declared variable shadows a constant of the same name", () => {
    expect(tree("e + 1", ["e"])).toEqual(add(v("e"), n(1)));
  });

  it("records the 0-based offset of every node", () => {
    const t = parseNode("2x + sin(y)");
    expect(t).toMatchObject({
      kind: "add",
      at: 3,
      left: { kind: "mul", at: 1 },
      right: { kind: "call", at: 5 },
    });
    expect(t.kind === "add" && t.right.kind === "call" && t.right.args[0]!.at).toBe(9);
  });
});

describe("operators and precedence", () => {
  it("+ - * / group to the left", () => {
    expect(tree("1 + 2 - 3")).toEqual(sub(add(n(1), n(2)), n(3)));
    expect(tree("8 / 4 / 2")).toEqual(div(div(n(8), n(4)), n(2)));
    expect(tree("1 - 2 * 3")).toEqual(sub(n(1), mul(n(2), n(3))));
  });

  it("^ binds tightest and groups to the right; ** is a synonym", () => {
    expect(tree("2^3^2")).toEqual(pow(n(2), pow(n(3), n(2))));
    expect(value("2^3^2")).toBe(512);
    expect(tree("2**3**2")).toEqual(tree("2^3^2"));
    expect(tree("2x^2")).toEqual(mul(n(2), pow(v("x"), n(2))));
  });

  it("a sign binds looser than ^ but tighter than *", () => {
    expect(tree("-x^2")).toEqual(neg(pow(v("x"), n(2))));
    expect(value("-2^2")).toBe(-4);
    expect(value("(-2)^2")).toBe(4);
    expect(tree("-2x")).toEqual(mul(neg(n(2)), v("x")));
    expect(tree("2*-3")).toEqual(mul(n(2), neg(n(3))));
    expect(tree("2^-1")).toEqual(pow(n(2), neg(n(1))));
    expect(tree("--x")).toEqual(neg(neg(v("x"))));
    expect(tree("+x")).toEqual(v("x"));
  });

  it("x/2y is (x/2)·y: implicit multiplication has the precedence of * and groups left", () => {
    expect(tree("x/2y")).toEqual(mul(div(v("x"), n(2)), v("y")));
    expect(value("x/2y", { x: 6, y: 3 })).toBe(9);
  });

  it("accepts typographic operators − × · ÷", () => {
    expect(value("2 × 3 − 1 ÷ 2")).toBe(5.5);
    expect(tree("x·y")).toEqual(mul(v("x"), v("y")));
  });

  it("the issue's polynomial", () => {
    const t = parseNode("x^4 - 2x^3 + 3x^2 - 4x + 5");
    for (const x of [-1.5, 0, 2.5])
      expect(evaluate(t, { x })).toBeCloseTo(x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5, 12);
  });
});

describe("implicit multiplication", () => {
  it.each([
    ["2x", "2*x"],
    ["3x^2", "3*x^2"],
    ["2(x+1)", "2*(x+1)"],
    ["x y", "x*y"],
    ["x y z", "x*y*z"],
    ["2x y", "2*x*y"],
    ["2 x", "2*x"],
    ["(x+1)(x-1)", "(x+1)*(x-1)"],
    ["(x+1)x", "(x+1)*x"],
    ["x(y+1)", "x*(y+1)"],
    ["2 sin(x)", "2*sin(x)"],
    ["sin(x)cos(x)", "sin(x)*cos(x)"],
    ["2pi x", "2*pi*x"],
    ["a b^2", "a*b^2"],
    ["-2x", "-2*x"],
  ])("%s reads as %s", (implicit, explicit) => {
    expect(tree(implicit)).toEqual(tree(explicit));
  });

  it("a run of letters and digits is one name: xy and x2 are variables, not products", () => {
    expect(tree("xy")).toEqual(v("xy"));
    expect(tree("x2")).toEqual(v("x2"));
    expect(tree("2x2")).toEqual(mul(n(2), v("x2")));
  });

  it("a declared variable directly before ( multiplies", () => {
    expect(tree("t(t+1)", ["t"])).toEqual(mul(v("t"), add(v("t"), n(1))));
  });

  it("a number never multiplies from the right", () => {
    expect(headline(errorOf("x 2"))).toBe(
      "unexpected number '2' at column 3: expected an operator or the end of the expression",
    );
    expect(errorOf("(x+1)2").column).toBe(6);
  });
});

describe("functions", () => {
  const x = 0.3;
  const sp = Math.log1p(Math.exp(1));
  const table: [string, number][] = [
    ["sin(0.3)", Math.sin(x)],
    ["cos(0.3)", Math.cos(x)],
    ["tan(0.3)", Math.tan(x)],
    ["asin(0.3)", Math.asin(x)],
    ["acos(0.3)", Math.acos(x)],
    ["atan(0.3)", Math.atan(x)],
    ["sinh(0.3)", Math.sinh(x)],
    ["cosh(0.3)", Math.cosh(x)],
    ["tanh(0.3)", Math.tanh(x)],
    ["exp(0.3)", Math.exp(x)],
    ["log(0.3)", Math.log(x)],
    ["sqrt(0.3)", Math.sqrt(x)],
    ["abs(-0.3)", 0.3],
    ["sign(-0.3)", -1],
    ["sec(0.3)", 1 / Math.cos(x)],
    ["sech(0.3)", 1 / Math.cosh(x)],
    ["sigmoid(0.3)", 1 / (1 + Math.exp(-x))],
    ["relu(-0.3)", 0],
    ["softplus(1)", sp],
    ["erf(0.5)", 0.5204998778130465],
    ["erfc(0.5)", 0.4795001221869535],
    ["erfinv(0.5)", 0.4769362762044699],
    ["ndtr(1.96)", 0.9750021048517795],
    ["lgamma(0.5)", Math.log(Math.sqrt(Math.PI))],
    ["digamma(1)", -0.5772156649015329],
    ["polygamma(1, 1)", Math.PI ** 2 / 6],
    ["min(2, 3)", 2],
    ["max(2, 3)", 3],
    ["pow(2, 10)", 1024],
    ["atan2(1, -1)", (3 * Math.PI) / 4],
  ];

  it.each(table)("%s = %d", (text, want) => {
    expect(value(text)).toBeCloseTo(want, 14);
  });

  it("the table covers every function", () => {
    const called = new Set(table.map(([text]) => text.slice(0, text.indexOf("("))));
    expect([...called].sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it("ln is log; calls take spaces; arguments are whole expressions", () => {
    expect(tree("ln(x)")).toEqual(call("log", v("x")));
    expect(tree("sin (x)")).toEqual(call("sin", v("x")));
    expect(tree("max( x , y^2 )")).toEqual(call("max", v("x"), pow(v("y"), n(2))));
    expect(tree("sin(x)^2")).toEqual(pow(call("sin", v("x")), n(2)));
  });

  it("stable forms at extreme arguments", () => {
    expect(value("sigmoid(-800)")).toBe(0);
    expect(value("sigmoid(800)")).toBe(1);
    expect(value("softplus(800)")).toBe(800);
    expect(value("softplus(-800)")).toBe(0);
  });
});

describe("comparisons and branches", () => {
  it("a comparison is 1 or 0; `?:` picks a branch and groups to the right", () => {
    expect(tree("x > 0 ? x : -x")).toEqual(cond(cmp(">", v("x"), n(0)), v("x"), neg(v("x"))));
    expect(tree("a ? b : c ? d : f")).toEqual(cond(v("a"), v("b"), cond(v("c"), v("d"), v("f"))));
    expect(tree("x + 1 < 2y")).toEqual(cmp("<", add(v("x"), n(1)), mul(n(2), v("y"))));
    expect(value("x > 0 ? x : -x", { x: -3 })).toBe(3);
    expect(value("(x < 1) + (x >= 1) + (x == 1) + (x != 1) + (x <= 1)", { x: 1 })).toBe(3);
    expect(value("x < 0 ? -1 : x == 0 ? 0 : 1", { x: 0 })).toBe(0);
    expect(value("x ≤ 1", { x: 1 })).toBe(1);
  });

  it("comparisons do not chain", () => {
    expect(headline(errorOf("a < b < c"))).toMatch(/^unexpected '<' at column 7: .*comparisons do not chain/);
  });
});

// ---- errors ----

describe("errors point at the character", () => {
  it("the message shows the input with a caret under the column", () => {
    const e = errorOf("x + 2*)");
    expect(e.message).toBe("unexpected ')' at column 7: expected an expression\n  x + 2*)\n        ^");
    expect(e.column).toBe(7);
    expect(e.text).toBe("x + 2*)");
    expect(e.name).toBe("ParseError");
    expect(e).toBeInstanceOf(nb.NablaError);
  });

  it.each([
    ["(x+1", 5, "unexpected end of input at column 5: expected ')' to close '(' at column 1"],
    ["2*(x+1", 7, "unexpected end of input at column 7: expected ')' to close '(' at column 3"],
    ["x +", 4, "unexpected end of input at column 4: expected an expression"],
    ["", 1, "empty expression at column 1: expected a number, a variable, a function call or '('"],
    ["   ", 1, "empty expression at column 1: expected a number, a variable, a function call or '('"],
    ["1.2.3", 1, "bad number '1.2.3' at column 1"],
    ["x + 1..5", 5, "bad number '1..5' at column 5"],
    ["x # 2", 3, "unexpected character '#' at column 3"],
    ["x = 2", 3, "unexpected character '=' at column 3 (write '==' to compare)"],
    ["max(x)", 1, "max expects 2 arguments, got 1 at column 1"],
    ["1 + sin(x, y)", 5, "sin expects 1 argument, got 2 at column 5"],
    ["pow()", 1, "pow expects 2 arguments, got 0 at column 1"],
    ["max(1 2)", 7, "unexpected number '2' at column 7: expected ',' or ')' to close 'max(' at column 4"],
    ["sin x", 5, "unexpected 'x' at column 5: expected '(' after the function name 'sin'"],
    ["2 3", 3, "unexpected number '3' at column 3: expected an operator or the end of the expression"],
    ["(x))", 4, "unexpected ')' at column 4: expected an operator or the end of the expression"],
    ["x ? 1", 6, "unexpected end of input at column 6: expected ':' to go with '?' at column 3"],
    ["2 * , 3", 5, "unexpected ',' at column 5: expected an expression"],
  ])("%j → column %i", (text, column, message) => {
    const e = errorOf(text);
    expect(headline(e)).toBe(message);
    expect(e.column).toBe(column);
    const [, line, caret] = e.message.split("\n");
    expect(caret!.indexOf("^")).toBe(column + 1); // two spaces of indent, then column − 1 characters
    expect(line).toBe(`  ${text}`);
  });

  it("names an unknown function and lists the known ones", () => {
    const e = errorOf("foo(2) + 1");
    expect(headline(e)).toMatch(
      /^unknown function 'foo' at column 1; known functions: sin, cos, .*, atan2, ln$/,
    );
    expect(headline(errorOf("y + sine(x)"))).toMatch(/^unknown function 'sine' at column 5/);
    expect(headline(errorOf("f(x)", ["x"]))).toMatch(/^unknown function 'f' at column 1/);
  });

  it("names an unknown variable when the variables are declared", () => {
    expect(headline(errorOf("x + y + z", ["x", "y"]))).toBe(
      "unknown variable 'z' at column 9; the variables are x, y",
    );
    expect(headline(errorOf("xy", ["x", "y"]))).toBe(
      "unknown variable 'xy' at column 1; the variables are x, y (write 'x y' or 'x*y' for a product)",
    );
    expect(headline(errorOf("x", []))).toBe("unknown variable 'x' at column 1; there are no variables");
  });

  it("the caret stays under the character after tabs and astral letters", () => {
    for (const text of ["x +\t)", "𝑥 + )"]) {
      const [, line, caret] = errorOf(text).message.split("\n");
      expect([...caret!].indexOf("^")).toBe([...line!].indexOf(")"));
    }
  });

  it("a long input is shown as a window around the column", () => {
    const text = `${"x + ".repeat(100)})`;
    const e = errorOf(text);
    expect(e.column).toBe(401);
    const [, line, caret] = e.message.split("\n");
    expect(line!.length).toBeLessThan(100);
    expect(line!.startsWith("  …")).toBe(true);
    expect(line![caret!.indexOf("^")]).toBe(")");
  });

  it("a declared variable list must hold identifiers", () => {
    expect(() => parseNode("x", { variables: ["x y"] })).toThrow(nb.ValueError);
  });
});

describe("limits", () => {
  /**
   * Throws a ParseError (never a RangeError) at `column`, where the limit is first passed, having read no
   * further: a token is at least one character, so at most `column` tokens are scanned however long the input.
   */
  function refusedAt(text: string, message: RegExp, column: number): void {
    const scan = vi.spyOn(Lexer.prototype as unknown as { scan(): unknown }, "scan");
    try {
      const e = parseError(() => parseNode(text));
      expect(headline(e)).toMatch(message);
      expect(e.column).toBe(column);
      expect(scan.mock.calls.length).toBeLessThanOrEqual(column);
    } finally {
      scan.mockRestore();
    }
  }

  it("refuses inputs longer than 10,000 characters", () => {
    expect(headline(errorOf("x".repeat(10_001)))).toBe(
      "expression too long (10001 characters; the limit is 10000)",
    );
    // Refused on its length, before any parsing: column 10,001 whatever the nesting.
    for (const text of ["(".repeat(1e5), `${"-".repeat(1e5)}x`, `${"x^".repeat(1e4)}x`])
      refusedAt(text, /^expression too long \(\d+ characters; the limit is 10000\)$/, 10_001);
  });

  // The column is that of the 201st level's opening token.
  it.each([
    ["parentheses", "(".repeat(5000), 201],
    ["closed parentheses", `${"(".repeat(4000)}x${")".repeat(4000)}`, 201],
    ["signs", `${"-".repeat(9000)}x`, 201],
    ["exponents", `${"x^".repeat(4000)}x`, 2 * 201],
    ["signed exponents", `${"2^-".repeat(3000)}x`, 3 * 100 + 2], // levels alternate ^ and -
    ["calls", "sin(".repeat(2000), 4 * 201],
    ["branches", `${"x ? 1 : ".repeat(1000)}x`, 8 * 200 + 3],
    ["mixed", "-(".repeat(4000), 201],
  ])("refuses nesting deeper than 200 levels: %s", (_, text, column) => {
    refusedAt(text, /^expression nested too deeply \(more than 200 levels\)$/, column);
  });

  it("200 levels are fine, 201 are not", () => {
    const nested = (k: number) => `${"(".repeat(k)}x${")".repeat(k)}`;
    expect(tree(nested(200))).toEqual(v("x"));
    expect(errorOf(nested(201)).column).toBe(201);
    expect(value(`${"-".repeat(200)}x`, { x: 1 })).toBe(1);
    expect(() => parseNode(`${"-".repeat(201)}x`)).toThrow(/nested too deeply/);
  });

  it("a 10,000-character left-leaning chain parses, evaluates and compiles without deep recursion", () => {
    const text = `${"x+".repeat(4999)}11`;
    expect(text.length).toBe(10_000);
    const t = parseNode(text);
    expect(evaluate(t, { x: 2 })).toBe(4999 * 2 + 11);
    expect(variablesOf(t)).toEqual(["x"]);
    const f = compile(t, ["x"]);
    expect(f(2).item()).toBe(4999 * 2 + 11);
  });
});

describe("variablesOf", () => {
  it("lists the variables, sorted and unique, without constants", () => {
    expect(variablesOf(parseNode("y sin(x) + x y + pi + e"))).toEqual(["x", "y"]);
    expect(variablesOf(parseNode("b > 0 ? a : c"))).toEqual(["a", "b", "c"]);
    expect(variablesOf(parseNode("2 + 3"))).toEqual([]);
  });
});

// ---- property tests ----

const NAMES = ["x", "y", "theta", "x_1", "α"];
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const CMP_OPS = ["<", "<=", ">", ">=", "==", "!="] as const;

/** Random trees of depth ≤ 5 with non-negative literals (a negative number is a `neg` node). */
function trees(literal: fc.Arbitrary<number>): fc.Arbitrary<Node> {
  const leaf = fc.oneof(literal.map(n), fc.constantFrom(PI, E), fc.constantFrom(...NAMES).map(v));
  return fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 5, depthIdentifier: "tree" },
      leaf,
      tie("node").map(neg),
      fc
        .tuple(
          fc.constantFrom("add", "sub", "mul", "div", "pow") as fc.Arbitrary<"add">,
          tie("node"),
          tie("node"),
        )
        .map(([kind, l, r]) => op(kind)(l, r)),
      fc
        .tuple(fc.constantFrom(...FUNCTION_NAMES), tie("node"), tie("node"))
        .map(([fn, a, b]) => (FUNCTIONS[fn] === 1 ? call(fn, a) : call(fn, a, b))),
      fc.tuple(fc.constantFrom(...CMP_OPS), tie("node"), tie("node")).map(([o, l, r]) => cmp(o, l, r)),
      fc.tuple(tie("node"), tie("node"), tie("node")).map(([t, a, b]) => cond(t, a, b)),
    ),
  })).node;
}

const anyLiteral = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.double({ min: 0, max: 1e300, noNaN: true, noDefaultInfinity: true }).map(Math.abs),
);

describe("property tests", () => {
  it("parse(printFull(t)) is t, with * or juxtaposition and ^ or **", () => {
    fc.assert(
      fc.property(
        trees(anyLiteral),
        fc.constantFrom<PrintStyle["mul"]>("*", "implicit"),
        fc.constantFrom<PrintStyle["pow"]>("^", "**"),
        (t, mulStyle, powStyle) => {
          const text = printFull(t, { mul: mulStyle, pow: powStyle });
          expect(strip(parseNode(text, { variables: NAMES }))).toEqual(t);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parse(printFull(t)) evaluates like t", () => {
    fc.assert(
      fc.property(trees(anyLiteral), fc.double({ min: -3, max: 3, noNaN: true }), (t, x) => {
        const env = Object.fromEntries(NAMES.map((name, i) => [name, x + i]));
        const again = evaluate(parseNode(printFull(t, { mul: "implicit", pow: "^" })), env);
        expect(sameNumber(again, evaluate(t, env))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("random input gives a tree or a ParseError, never anything else", () => {
    const pieces = fc.constantFrom(
      ..."x y 2 . e ( ) + - * / ^ , ? : < = ! # π 𝑥".split(" "),
      " ",
      "sin",
      "max",
      "pi",
      "1e",
      "**",
      "foo",
      "\t",
    );
    const inputs = fc.oneof(
      fc.array(pieces, { maxLength: 40 }).map((a) => a.join("")),
      fc.string({ unit: "binary", maxLength: 40 }),
    );
    fc.assert(
      fc.property(inputs, (text) => {
        let t: Node;
        try {
          t = parseNode(text, { variables: ["x", "y"] });
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
          const column = (e as ParseError).column;
          expect(column >= 1 && column <= text.length + 1).toBe(true);
          return;
        }
        expect(typeof evaluate(t, { x: 0.5, y: -2 })).toBe("number");
      }),
      { numRuns: 1000 },
    );
  });

  it("compile(t) on float64 tensors agrees with evaluate(t)", () => {
    const small = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 4, noNaN: true }));
    fc.assert(
      fc.property(trees(small), fc.double({ min: -2, max: 2, noNaN: true }), (t, x) => {
        const values = NAMES.map((_, i) => x + 0.25 * i);
        const want = evaluate(t, Object.fromEntries(NAMES.map((name, i) => [name, values[i]!])));
        const got = compile(
          t,
          NAMES,
        )(...values.map((a) => nb.array(a, { dtype: "float64" }))).item() as number;
        expect(
          sameNumber(got, want, 1e-9),
          `${printFull(t, { mul: "*", pow: "^" })}: ${got} vs ${want}`,
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- compile ----

describe("compile", () => {
  const poly = compile(parseNode("x^4 - 2x^3 + 3x^2 - 4x + 5"), ["x"]);

  it("the issue's example: the derivative of the polynomial at 2.5 is 36", () => {
    expect(nb.grad(poly)(2.5).item()).toBeCloseTo(36, 10);
    expect(poly(2.5).item()).toBeCloseTo(2.5 ** 4 - 2 * 2.5 ** 3 + 3 * 2.5 ** 2 - 4 * 2.5 + 5, 10);
    expect(nb.hessian(poly)(2.5).item()).toBeCloseTo(12 * 2.5 ** 2 - 12 * 2.5 + 6, 8);
  });

  it("works under vmap and elementwise on a batch", () => {
    const xs = [0, 1, 2, 3];
    const want = xs.map((x) => x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5);
    expect(nb.vmap(poly)(nb.array(xs)).toArray()).toEqual(want);
    expect(poly(nb.array(xs)).toArray()).toEqual(want);
    expect(
      nb
        .vmap(nb.grad(poly))(nb.array([2.5, 0]))
        .toArray(),
    ).toEqual([36, -4]);
  });

  it("two variables, matched to the arguments by position", () => {
    const f = compile(parseNode("x^2 y + sin(x y)"), ["x", "y"]);
    const [x, y] = [1.5, 0.5];
    expect(f(x, y).item()).toBeCloseTo(x * x * y + Math.sin(x * y), 12);
    const [dx, dy] = nb.grad(f, { argnums: [0, 1] })(x, y) as nb.Tensor[];
    expect(dx!.item()).toBeCloseTo(2 * x * y + y * Math.cos(x * y), 12);
    expect(dy!.item()).toBeCloseTo(x * x + x * Math.cos(x * y), 12);
    const g = compile(parseNode("x^2 y + sin(x y)"), ["y", "x"]);
    expect(g(y, x).item()).toBe(f(x, y).item());
  });

  it("stages into a program of ops", () => {
    const text = String(nb.makeProgram(compile(parseNode("sin(2x)"), ["x"]))(1.0));
    expect(text).toMatch(/mul/);
    expect(text).toMatch(/sin/);
  });

  it("the dtype follows the arguments; literal sub-expressions are folded in float64", () => {
    const cubeRoot = compile(parseNode("x^(1/3)"), ["x"]);
    expect(cubeRoot(nb.array(8, { dtype: "float32" })).dtype).toBe("float32");
    const r = cubeRoot(nb.array(8, { dtype: "float64" }));
    expect(r.dtype).toBe("float64");
    expect(Math.abs((r.item() as number) - 2)).toBeLessThan(1e-15);
  });

  it("a constant expression gives a scalar tensor", () => {
    const five = compile(parseNode("2 + 3"), []);
    expect(five()).toBeInstanceOf(nb.Tensor);
    expect(five().item()).toBe(5);
  });

  it("comparisons and branches become where(...), differentiable in the branches", () => {
    const f = compile(parseNode("x > 0 ? x^2 : -x"), ["x"]);
    expect(f(nb.array([-2, 3])).toArray()).toEqual([2, 9]);
    expect(
      nb
        .vmap(nb.grad(f))(nb.array([-2, 3]))
        .toArray(),
    ).toEqual([-1, 6]);
    expect(compile(parseNode("(x >= 1) + 0"), ["x"])(nb.array([0, 1, 2])).toArray()).toEqual([0, 1, 1]);
  });

  it("errors name the variable or the argument count", () => {
    expect(() => compile(parseNode("x + z"), ["x"])).toThrow(/compile: the expression uses 'z'/);
    expect(() => compile(parseNode("x"), ["x", "x"])).toThrow(/listed twice/);
    expect(() => poly(1, 2)).toThrow(nb.ValueError);
    expect(() => evaluate(parseNode("x + q"), { x: 1 })).toThrow(/evaluate: no value for variable 'q'/);
  });
});

// ---- printing: the text reads back to the same values ----

const printed = (text: string) => toText(parseNode(text));
/** Values of `text` and of its printed form at a few points, which must agree exactly (NaN included). */
function readsBack(text: string): void {
  const t = parseNode(text);
  const back = parseNode(toText(t));
  for (const x of [-1.5, 0, 0.7, 2]) {
    const env = Object.fromEntries(variablesOf(t).map((name, i) => [name, x + i]));
    expect(sameNumber(evaluate(back, env), evaluate(t, env)), `${text} → ${toText(t)} at ${x}`).toBe(true);
  }
}

describe("printing", () => {
  it.each([
    ["(x > 1) + x", "(x > 1) + x"],
    ["x + (x > 1)", "x + (x > 1)"],
    ["(x < 1) (x - 1)", "(x < 1) (x - 1)"],
    ["7 / (-(3x))", "7 / (-3x)"],
    ["7 / -x", "7 / (-x)"],
    ["2 * (-x)", "2 (-x)"],
    ["ab*2", "ab * 2"],
    ["ab * (x + 1)", "ab * (x + 1)"],
    ["x (x + 1)", "x (x + 1)"],
    ["pi (x + 1)", "pi (x + 1)"],
    ["2 * 3^x", "2 * 3^x"],
    ["1e-300 x", "1e-300 x"],
    ["5e-324 + x", "5e-324 + x"],
    ["1e21 x", "1e+21 x"],
    ["(-2)^x", "(-2)^x"],
    ["2^-x", "2^(-x)"],
    ["0.1x", "0.1x"],
    ["2 e2", "2 e2"],
    ["(x^2)^3", "(x^2)^3"],
    ["x^2^3", "x^(2^3)"],
    ["-(x + 1)", "-(x + 1)"],
    ["(a ? b : c) ? d : f", "((a ? b : c) ? d : f)"],
  ])("%s prints as %s and reads back", (text, want) => {
    expect(printed(text)).toBe(want);
    readsBack(text);
  });

  it("numbers print exactly: the shortest decimal, or a fraction when shorter", () => {
    for (const v of [
      0.1,
      1 / 3,
      2 / 3,
      1e-300,
      5e-324,
      Number.MAX_VALUE,
      123.456,
      0.30000000000000004,
      1e21,
      7,
    ])
      expect(evaluate(parseNode(formatNumber(v)), {})).toBe(v);
    expect(formatNumber(1 / 3)).toBe("1/3");
    expect(formatNumber(0.5)).toBe("0.5");
    expect(formatNumber(1e-300)).toBe("1e-300");
    expect(Object.is(evaluate(parseNode(formatNumber(-0)), {}), -0)).toBe(true);
  });

  it("NaN and ±Infinity print as the constants NaN and Infinity, which the parser reads", () => {
    expect(formatNumber(Number.NaN)).toBe("NaN");
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
    for (const [text, want] of [
      ["NaN", Number.NaN],
      ["nan", Number.NaN],
      ["Infinity", Number.POSITIVE_INFINITY],
      ["inf", Number.POSITIVE_INFINITY],
      ["∞", Number.POSITIVE_INFINITY],
      ["-Infinity", Number.NEGATIVE_INFINITY],
      ["2∞", Number.POSITIVE_INFINITY],
    ] as const)
      expect(Object.is(value(text), want)).toBe(true);
    expect(variablesOf(parseNode("NaN x^2 + Infinity y"))).toEqual(["x", "y"]);
    const nanTimes: Node = mul(n(Number.NaN), pow(v("x"), n(2)));
    expect(toText(nanTimes)).toBe("NaN x^2");
    expect(toText(add(v("x"), n(Number.NEGATIVE_INFINITY)))).toBe("x + -Infinity");
    expect(toLatex(nanTimes)).toBe("\\mathrm{NaN} x^{2}");
    expect(toLatex(parseNode("-Infinity + x"))).toBe("-\\infty + x");
    // Declared variables shadow the constants, as they do for e and pi.
    expect(tree("NaN + inf", ["NaN", "inf"])).toEqual(add(v("NaN"), v("inf")));
  });

  it("negative and non-finite literals in hand-built trees print as signed text that reads back", () => {
    const trees: Node[] = [
      pow(n(-2), v("x")),
      mul(v("x"), n(-3)),
      div(n(1), n(-0)),
      neg(n(-2)),
      pow(v("x"), n(Number.NaN)),
      mul(n(Number.POSITIVE_INFINITY), v("x")),
      mul(n(1 / 3), v("x")),
      div(v("x"), n(1 / 3)),
      pow(n(1 / 3), v("x")),
    ];
    for (const t of trees) {
      const back = parseNode(toText(t));
      for (const x of [-2, 0.5, 3])
        expect(sameNumber(evaluate(back, { x }), evaluate(t, { x })), toText(t)).toBe(true);
    }
  });

  it("prints a 5,000-term chain without deep recursion", () => {
    const text = `${"x-".repeat(4999)}x`;
    expect(printed(text)).toBe(`${"x - ".repeat(4999)}x`);
    expect(toLatex(parseNode(text)).length).toBeGreaterThan(text.length);
  });

  it("LaTeX escapes underscores in names", () => {
    expect(toLatex(parseNode("x_1 + theta_2"))).toBe("\\mathrm{x\\_1} + \\mathrm{theta\\_2}");
  });
});

describe("names are looked up among the language's own names only", () => {
  it.each(["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__"])(
    "%s(x) is an unknown function, not an inherited property",
    (name) => {
      expect(headline(errorOf(`${name}(x)`))).toMatch(new RegExp(`^unknown function '${name}' at column 1`));
    },
  );

  it("variables may be named like Object.prototype properties", () => {
    const e = nb.parse("constructor + __proto__ * toString");
    expect(e.variables).toEqual(["__proto__", "constructor", "toString"]);
    expect(e.evaluate(JSON.parse('{"constructor": 1, "__proto__": 2, "toString": 3}'))).toBe(7);
    expect(() => e.evaluate({ constructor: 1 } as Record<string, number>)).toThrow(nb.ValueError);
    expect(
      nb.parse("u + 1 where u = constructor").evaluate({ constructor: 2 } as Record<string, number>),
    ).toBe(3);
  });
});

describe("where-bindings", () => {
  const formula = (text: string, variables?: readonly string[]) =>
    parseFormula(text, variables === undefined ? {} : { variables });
  const bindingError = (text: string, variables?: readonly string[]) =>
    parseError(() => formula(text, variables));

  it("bindings may use each other in any order; they come out each after those it uses", () => {
    const f = formula("u + v where v = u^2, u = sin(x)");
    expect(f.bindings.map((b) => b.name)).toEqual(["u", "v"]);
    expect(nb.parse("u + v where v = u^2, u = sin(x)").evaluate({ x: 1 })).toBeCloseTo(
      Math.sin(1) + Math.sin(1) ** 2,
      14,
    );
  });

  it("a bound name is a variable everywhere, even when it is also a constant's name", () => {
    expect(strip(formula("e^2 where e = x + 1").body)).toEqual(pow(v("e"), n(2)));
  });

  it.each([
    [
      "u where u = v, v = u",
      9,
      "the bindings after 'where' refer to each other in a cycle (u, v) at column 9",
    ],
    ["u where u = u + 1", 9, "the bindings after 'where' refer to each other in a cycle (u) at column 9"],
    ["u where u = 1, u = 2", 16, "'u' is bound twice after 'where' (again at column 16)"],
    ["u where sin = 1", 9, "cannot bind 'sin' at column 9: it is a function name; choose another name"],
    ["x where", 8, "unexpected end of input at column 8: expected a name to bind (as in 'where u = x^2')"],
    ["x where u", 10, "unexpected end of input at column 10: expected '=' after the name 'u'"],
    [
      "x where 2 = 1",
      9,
      "unexpected number '2' at column 9: expected a name to bind (as in 'where u = x^2')",
    ],
    ["where + 1", 1, "unexpected 'where' at column 1: expected an expression"],
  ])("%j → column %i", (text, column, message) => {
    const e = bindingError(text);
    expect(headline(e)).toBe(message);
    expect(e.column).toBe(column);
  });

  it("a binding may not reuse a declared variable's name", () => {
    expect(headline(bindingError("x + u where u = 1", ["x", "u"]))).toBe(
      "cannot bind 'u' at column 13: it is a variable of the formula; choose another name",
    );
  });

  it("where is a keyword, not a variable or a factor", () => {
    expect(() => parseNode("x where u = 1")).toThrow(/unexpected 'where' at column 3/);
    expect(() => parseNode("2 where")).toThrow(ParseError);
    expect(() => parseNode("x", { variables: ["where"] })).toThrow(nb.ValueError);
  });

  it("the length limit holds for the whole text, bindings included", () => {
    const text = `u where u = ${"x+".repeat(5000)}x`;
    expect(text.length).toBeGreaterThan(10_000);
    expect(headline(bindingError(text))).toMatch(
      /^expression too long \(\d+ characters; the limit is 10000\)$/,
    );
  });

  it("so does a limit on the size of the formula with every binding written out", () => {
    const doubling = Array.from({ length: 24 }, (_, i) => `u${i + 1} = u${i} + u${i}`).join(", ");
    expect(headline(bindingError(`u24 where u0 = x, ${doubling}`))).toMatch(
      /^formula too large with its where-bindings written out \(33554431 nodes; the limit is 1000000\)$/,
    );
    expect(
      formula(`u15 where u0 = x, ${doubling.split(", ").slice(0, 15).join(", ")}`).bindings,
    ).toHaveLength(16);
  });
});
