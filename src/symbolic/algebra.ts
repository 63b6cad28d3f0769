// Canonical algebraic terms: sums of monomials with numeric coefficients, products of powers, functions.
// Smart constructors fold constants, drop neutral elements and collect like terms and like factors, so a
// derivative built step by step from a traced program stays small. Terms are hash-consed (one object per
// distinct term), so equality is identity and keys stay short.
import { type CmpOp, functionNamed } from "./ast.js";
import { SCALAR_FUNCTIONS } from "./compile.js";

export type { CmpOp };

export type Term =
  | { readonly k: "num"; readonly v: number; readonly id: number }
  | { readonly k: "sym"; readonly name: string; readonly id: number }
  /** c + Σ coef·t, with each t neither a number, a sum, nor a product with a coefficient other than 1. */
  | { readonly k: "add"; readonly c: number; readonly terms: readonly Monomial[]; readonly id: number }
  /** c · Π b^e, factors sorted by base id, with no numeric base unless its exponent is not an integer. */
  | { readonly k: "mul"; readonly c: number; readonly fs: readonly Factor[]; readonly id: number }
  | { readonly k: "fn"; readonly f: string; readonly args: readonly Term[]; readonly id: number }
  | { readonly k: "cmp"; readonly op: CmpOp; readonly a: Term; readonly b: Term; readonly id: number }
  /** test ? then : else, where test is a comparison. */
  | {
      readonly k: "cond";
      readonly test: Term;
      readonly ifTrue: Term;
      readonly ifFalse: Term;
      readonly id: number;
    };

export interface Monomial {
  readonly coef: number;
  readonly t: Term;
}
export interface Factor {
  readonly b: Term;
  readonly e: Term;
}

type Body<T> = T extends unknown ? Omit<T, "id"> : never;

const table = new Map<string, Term>();
let nextId = 1;

/**
 * Thrown when the simplifier's work budget is spent. Callers catch it and fall back to a less simplified
 * (still correct) formula; it never reaches users.
 */
export class BudgetExhausted extends Error {
  override name = "BudgetExhausted";
}
const EXHAUSTED = new BudgetExhausted("the simplifier's work budget is spent");
let remaining = Number.POSITIVE_INFINITY;
let spentTotal = 0;

/** Counts `n` units of work (a term built or looked up counts 1 plus its number of parts). */
export function spend(n: number): void {
  spentTotal += n;
  remaining -= n;
  if (remaining < 0) throw EXHAUSTED;
}

/**
 * Runs `f` with a budget of `ops` units of work; returns its result, or `fallback()` when the budget runs
 * out. Work is counted, not timed, so results do not depend on the machine or its load.
 */
export function withBudget<T>(ops: number, f: () => T, fallback: () => T): T {
  const saved = remaining;
  const allowed = Math.min(ops, saved);
  remaining = allowed;
  let result: { value: T } | null = null;
  try {
    result = { value: f() };
  } catch (e) {
    if (e !== EXHAUSTED) throw e;
  } finally {
    // An enclosing budget is charged for the work done here.
    remaining = saved - (allowed - remaining);
  }
  if (result !== null) return result.value;
  // The enclosing budget ran out too: let its owner fall back.
  if (remaining < 0) throw EXHAUSTED;
  return fallback();
}

/** The work counted so far in this process (for measuring budgets). */
export const workSpent = (): number => spentTotal;

/**
 * Forgets every term built so far (they are not shared between formulas), so memory does not grow with the
 * number of formulas and a formula's term order depends only on itself.
 */
export function resetTerms(): void {
  table.clear();
  sizes.clear();
  polynomials.clear();
  for (const t of [ZERO, ONE]) table.set(keyOf(t), t);
}

/** Returns the unique term with this structure. */
function intern(body: Body<Term>): Term {
  spend(1 + partsOf(body));
  const key = keyOf(body);
  let t = table.get(key);
  if (t === undefined) {
    t = { ...body, id: nextId++ } as Term;
    table.set(key, t);
  }
  return t;
}

function partsOf(b: Body<Term>): number {
  switch (b.k) {
    case "add":
      return b.terms.length;
    case "mul":
      return b.fs.length;
    case "fn":
      return b.args.length;
    default:
      return 2;
  }
}

function keyOf(b: Body<Term>): string {
  switch (b.k) {
    case "num":
      return `n${Object.is(b.v, -0) ? 0 : b.v}`;
    case "sym":
      return `s${b.name}`;
    case "add":
      return `a${b.c}:${b.terms.map((m) => `${m.coef}*${m.t.id}`).join(",")}`;
    case "mul":
      return `m${b.c}:${b.fs.map((f) => `${f.b.id}^${f.e.id}`).join(",")}`;
    case "fn":
      return `f${b.f}(${b.args.map((a) => a.id).join(",")})`;
    case "cmp":
      return `c${b.a.id}${b.op}${b.b.id}`;
    case "cond":
      return `?${b.test.id}:${b.ifTrue.id}:${b.ifFalse.id}`;
  }
}

export const num = (v: number): Term => intern({ k: "num", v: Object.is(v, -0) ? 0 : v });
export const sym = (name: string): Term => intern({ k: "sym", name });
export const ZERO = num(0);
export const ONE = num(1);

const isNum = (t: Term, v?: number): boolean => t.k === "num" && (v === undefined || t.v === v);
const numOf = (t: Term): number => (t as { v: number }).v;

/** Splits a term into a numeric coefficient and the rest (a product with coefficient 1). */
function splitCoef(t: Term): [number, Term] {
  if (t.k === "mul" && t.c !== 1) return [t.c, makeMul(1, t.fs)];
  return [1, t];
}

/** A sum, with like terms collected. */
export function add(...xs: readonly Term[]): Term {
  let c = 0;
  const acc = new Map<Term, number>();
  const put = (coef: number, t: Term) => acc.set(t, (acc.get(t) ?? 0) + coef);
  spend(xs.length);
  for (const x of xs) {
    if (x.k === "num") c += x.v;
    else if (x.k === "add") {
      spend(x.terms.length);
      c += x.c;
      for (const m of x.terms) put(m.coef, m.t);
    } else {
      const [coef, rest] = splitCoef(x);
      if (rest.k === "num") c += coef * rest.v;
      else put(coef, rest);
    }
  }
  c = mergeChoices(acc, c);
  c = pythagoras(acc, c);
  const terms: Monomial[] = [];
  for (const [t, coef] of acc) if (coef !== 0) terms.push({ coef, t });
  if (terms.length === 0) return num(c);
  if (terms.length === 1 && c === 0) return scale(terms[0]!.coef, terms[0]!.t);
  terms.sort((a, b) => a.t.id - b.t.id);
  return intern({ k: "add", c, terms });
}

/**
 * Choices under one test, in a sum being built (term → coefficient, plus the constant c), add up inside
 * one choice: (t ? a : 0) + (t ? 0 : b) = (t ? a : b). Returns the new constant.
 */
function mergeChoices(acc: Map<Term, number>, c: number): number {
  const byTest = new Map<Term, Extract<Term, { k: "cond" }>[]>();
  for (const [t, coef] of acc) {
    if (t.k !== "cond" || coef === 0) continue;
    const list = byTest.get(t.test);
    if (list) list.push(t);
    else byTest.set(t.test, [t]);
  }
  for (const [test, choices] of byTest) {
    if (choices.length < 2) continue;
    spend(choices.length);
    const coefs = choices.map((t) => acc.get(t)!);
    for (const t of choices) acc.delete(t);
    const merged = cond(
      test,
      add(...choices.map((t, i) => mul(num(coefs[i]!), t.ifTrue))),
      add(...choices.map((t, i) => mul(num(coefs[i]!), t.ifFalse))),
    );
    const [coef, rest] = splitCoef(merged);
    if (rest.k === "num") c += coef * rest.v;
    else acc.set(rest, (acc.get(rest) ?? 0) + coef);
  }
  return c;
}

/** The square's base when `t` is f(u)², for f one of `fns`. */
function squareOf(t: Term, f: string): Term | null {
  if (t.k !== "mul" || t.c !== 1 || t.fs.length !== 1) return null;
  const { b, e } = t.fs[0]!;
  return b.k === "fn" && b.f === f && isNum(e, 2) ? b.args[0]! : null;
}

/**
 * Pythagorean identities on a sum being built (term → coefficient, plus the constant c), returning the new
 * constant: c + c·tan²u = c·sec²u, c − c·tanh²u = c·sech²u, k·sin²u + k·cos²u = k.
 */
function pythagoras(acc: Map<Term, number>, c: number): number {
  for (const [t, coef] of [...acc]) {
    if (coef === 0) continue;
    const tn = squareOf(t, "tan");
    if (tn && c !== 0 && coef === c) {
      acc.set(t, 0);
      acc.set(pow(fn("sec", tn), num(2)), (acc.get(pow(fn("sec", tn), num(2))) ?? 0) + c);
      c = 0;
      continue;
    }
    const th = squareOf(t, "tanh");
    if (th && c !== 0 && coef === -c) {
      acc.set(t, 0);
      acc.set(pow(fn("sech", th), num(2)), (acc.get(pow(fn("sech", th), num(2))) ?? 0) + c);
      c = 0;
      continue;
    }
    const sn = squareOf(t, "sin");
    if (sn) {
      const cosSq = pow(fn("cos", sn), num(2));
      if (acc.get(cosSq) === coef) {
        acc.set(t, 0);
        acc.set(cosSq, 0);
        c += coef;
      }
    }
  }
  return c;
}

/** coef · t */
function scale(coef: number, t: Term): Term {
  return coef === 1 ? t : mul(num(coef), t);
}

export const neg = (x: Term): Term => mul(num(-1), x);
export const sub = (a: Term, b: Term): Term => add(a, neg(b));
export const div = (a: Term, b: Term): Term => mul(a, pow(b, num(-1)));

/** c · Π b^e from factors sorted by base id, without collecting them. */
export function makeMul(c: number, fs: readonly Factor[]): Term {
  if (c === 0) return ZERO;
  if (fs.length === 0) return num(c);
  if (c === 1 && fs.length === 1 && isNum(fs[0]!.e, 1)) return fs[0]!.b;
  return intern({ k: "mul", c, fs });
}

/** A product, with like factors collected (x·x = x², x/x = 1) and numbers folded. */
export function mul(...xs: readonly Term[]): Term {
  let c = 1;
  const acc = new Map<Term, Term[]>();
  const put = (b: Term, e: Term) => {
    const list = acc.get(b);
    if (list) list.push(e);
    else acc.set(b, [e]);
  };
  spend(xs.length);
  for (const x of xs) {
    if (x.k === "num") c *= x.v;
    else if (x.k === "mul") {
      spend(x.fs.length);
      c *= x.c;
      for (const f of x.fs) put(f.b, f.e);
    } else put(x, ONE);
  }
  if (c === 0) return ZERO;
  const fs: Factor[] = [];
  for (const [b, es] of acc) {
    const e = es.length === 1 ? es[0]! : add(...es);
    if (isNum(e, 0)) continue;
    if (b.k === "num" && e.k === "num" && Number.isInteger(e.v)) c *= b.v ** e.v;
    else fs.push({ b, e });
  }
  fs.sort((a, b) => a.b.id - b.b.id);
  // A factor that is zero on one side of a test takes the product into its other branch:
  // (t ? 0 : b)·g = (t ? 0 : b·g). Reverse mode masks cotangents this way, and g may be undefined
  // (NaN) exactly where the mask is 0, as in the unused branch of sqrt(x < 3 ? y : x).
  const masked = fs.findIndex(
    (f) => f.b.k === "cond" && isNum(f.e, 1) && (isNum(f.b.ifTrue, 0) || isNum(f.b.ifFalse, 0)),
  );
  if (masked >= 0 && (fs.length > 1 || c !== 1)) {
    const m = fs[masked]!.b as Extract<Term, { k: "cond" }>;
    const rest = [num(c), ...fs.filter((_, i) => i !== masked).map((f) => pow(f.b, f.e))];
    return cond(m.test, mul(m.ifTrue, ...rest), mul(m.ifFalse, ...rest));
  }
  // A number times a single sum distributes: 2(x + 1) = 2x + 2.
  if (c !== 1 && fs.length === 1 && fs[0]!.b.k === "add" && isNum(fs[0]!.e, 1)) {
    const s = fs[0]!.b;
    return add(num(c * s.c), ...s.terms.map((m) => scale(c * m.coef, m.t)));
  }
  const product = makeMul(c, fs);
  return expandIfBetter(product);
}

/** Distributes a product over a sum factor when the result is a polynomial or not larger. */
function expandIfBetter(p: Term): Term {
  if (p.k !== "mul") return p;
  const i = p.fs.findIndex((f) => f.b.k === "add" && isNum(f.e, 1));
  if (i < 0) return p;
  const s = p.fs[i]!.b as Extract<Term, { k: "add" }>;
  const rest = makeMul(
    p.c,
    p.fs.filter((_, j) => j !== i),
  );
  const expanded = add(mul(rest, num(s.c)), ...s.terms.map((m) => mul(rest, num(m.coef), m.t)));
  if (isPolynomial(p) || size(expanded) <= size(p)) return expanded;
  return p;
}

/** True for polynomials in the symbols: sums and products of symbols with non-negative integer powers. */
export function isPolynomial(t: Term): boolean {
  let r = polynomials.get(t);
  if (r === undefined) {
    spend(1);
    switch (t.k) {
      case "num":
      case "sym":
        r = true;
        break;
      case "add":
        r = t.terms.every((m) => isPolynomial(m.t));
        break;
      case "mul":
        r = t.fs.every((f) => f.e.k === "num" && Number.isInteger(f.e.v) && f.e.v >= 0 && isPolynomial(f.b));
        break;
      default:
        r = false;
    }
    polynomials.set(t, r);
  }
  return r;
}
const polynomials = new Map<Term, boolean>();

/** b^e, folding numbers and merging powers of powers where that is exact. */
export function pow(b: Term, e: Term): Term {
  if (isNum(e, 0)) return ONE;
  if (isNum(e, 1)) return b;
  if (b.k === "num" && e.k === "num") {
    const r = b.v ** e.v;
    if (Number.isInteger(r) || Number.isInteger(e.v)) return num(r);
  }
  if (isNum(b, 1)) return ONE;
  if (e.k === "num" && Number.isInteger(e.v)) {
    const n = e.v;
    // (c · Π bᵢ^eᵢ)^n = cⁿ · Π bᵢ^(eᵢ n) for integer n.
    if (b.k === "mul") return mul(num(b.c ** n), ...b.fs.map((f) => pow(f.b, mul(f.e, e))));
    // Small powers of sums of polynomials expand (polynomial normal form); others stay as powers.
    if (b.k === "add" && n > 1 && n <= 4 && isPolynomial(b)) {
      let r: Term = b;
      for (let i = 1; i < n; i++) r = mul(r, b);
      return r;
    }
  }
  return makeMul(1, [{ b, e }]);
}

/** A function application; exact values at simple points fold (sin 0 = 0, exp 0 = 1, log 1 = 0, ...). */
export function fn(f: string, ...args: Term[]): Term {
  if (args.length === 1 && args[0]!.k === "num") {
    const v = args[0]!.v;
    const known = functionNamed(f);
    const r = known === undefined ? undefined : SCALAR_FUNCTIONS[known](v, Number.NaN);
    if (r !== undefined && (Number.isInteger(r) || f === "abs" || f === "sign")) return num(r);
  }
  if (args.length === 2 && args.every((a) => a.k === "num") && (f === "max" || f === "min"))
    return num(
      f === "max" ? Math.max(numOf(args[0]!), numOf(args[1]!)) : Math.min(numOf(args[0]!), numOf(args[1]!)),
    );
  const a = args[0]!;
  if (f === "log" && a.k === "fn" && a.f === "exp") return a.args[0]!;
  return intern({ k: "fn", f, args });
}

const CMP: Record<CmpOp, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** A comparison; numbers fold to 1 (true) or 0 (false). */
export function cmp(op: CmpOp, a: Term, b: Term): Term {
  if (a.k === "num" && b.k === "num") return num(CMP[op](a.v, b.v) ? 1 : 0);
  // A choice between numbers compared with a number is a choice between outcomes: (t ? 1 : 0) != 0 is t.
  if (a.k === "cond" && a.ifTrue.k === "num" && a.ifFalse.k === "num" && b.k === "num")
    return cond(a.test, cmp(op, a.ifTrue, b), cmp(op, a.ifFalse, b));
  if (a === b && (op === "==" || op === "<=" || op === ">=")) return ONE;
  if (a === b) return ZERO;
  return intern({ k: "cmp", op, a, b });
}

/** test ? then : else; folds known tests and equal branches, and uses the test's outcome inside each branch. */
export function cond(test: Term, then: Term, otherwise: Term): Term {
  if (test.k === "num") return test.v !== 0 ? then : otherwise;
  // A test that is itself a choice between numbers picks a branch by its own test.
  if (test.k === "cond" && test.ifTrue.k === "num" && test.ifFalse.k === "num")
    return cond(test.test, test.ifTrue.v !== 0 ? then : otherwise, test.ifFalse.v !== 0 ? then : otherwise);
  const a = assume(then, test, ONE);
  const b = assume(otherwise, test, ZERO);
  if (a === b) return a;
  return intern({ k: "cond", test, ifTrue: a, ifFalse: b });
}

/** `t` with every occurrence of `what` replaced by `by` (and re-simplified). */
export function assume(t: Term, what: Term, by: Term): Term {
  const memo = new Map<Term, Term>();
  const rec = (u: Term): Term => {
    if (u === what) return by;
    const hit = memo.get(u);
    if (hit) return hit;
    const r = rebuild(u, rec);
    memo.set(u, r);
    return r;
  };
  return rec(t);
}

/** Rebuilds a term through the smart constructors after mapping its children. */
export function rebuild(u: Term, rec: (c: Term) => Term): Term {
  switch (u.k) {
    case "num":
    case "sym":
      return u;
    case "add":
      return add(num(u.c), ...u.terms.map((m) => mul(num(m.coef), rec(m.t))));
    case "mul":
      return mul(num(u.c), ...u.fs.map((f) => pow(rec(f.b), rec(f.e))));
    case "fn":
      return fn(u.f, ...u.args.map(rec));
    case "cmp":
      return cmp(u.op, rec(u.a), rec(u.b));
    case "cond":
      return cond(rec(u.test), rec(u.ifTrue), rec(u.ifFalse));
  }
}

const sizes = new Map<Term, number>();
let measure: (t: Term) => number = () => 1;
/** Installs the exact size measure (the printer's node count); done once by to-node.ts. */
export function setMeasure(m: (t: Term) => number): void {
  measure = m;
  sizes.clear();
}

/** The number of nodes of the term as printed (memoized per term). */
export function size(t: Term): number {
  let s = sizes.get(t);
  if (s === undefined) {
    spend(1);
    s = measure(t);
    sizes.set(t, s);
  }
  return s;
}

/** g · inner without distributing inner (a sum) back over g. */
export function keepProduct(g: Term, inner: Term): Term {
  if (inner.k !== "add") return mul(g, inner);
  const gf = g.k === "mul" ? g.fs : [{ b: g, e: ONE }];
  return makeMul(
    g.k === "mul" ? g.c : 1,
    [...gf, { b: inner, e: ONE }].sort((a, b) => a.b.id - b.b.id),
  );
}

/** A sum of already-built parts, without re-merging their inner sums. */
export function addKeeping(parts: readonly Term[]): Term {
  let c = 0;
  const terms: Monomial[] = [];
  for (const p of parts) {
    if (p.k === "num") c += p.v;
    else if (p.k === "add") {
      c += p.c;
      terms.push(...p.terms);
    } else {
      const [coef, rest] = splitCoef(p);
      terms.push({ coef, t: rest });
    }
  }
  if (terms.length === 0) return num(c);
  if (terms.length === 1 && c === 0)
    return terms[0]!.coef === 1 ? terms[0]!.t : mul(num(terms[0]!.coef), terms[0]!.t);
  return intern({ k: "add", c, terms });
}
