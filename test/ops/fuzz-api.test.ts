// Bad arguments to the public API: every call either returns a valid result or throws a NablaError whose
// message names the function called. Never a TypeError or RangeError from deep inside, never garbage
// shapes, never a hang (nb.config.maxTensorBytes is lowered so huge dimensions fail fast).
// `npm run fuzz` (NABLA_LONG=1) tries many more argument lists than `npm test`.
import fc from "fast-check";
import * as nb from "nabla";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const LONG = process.env.NABLA_LONG === "1";
/** Argument lists tried per function. */
const RUNS = LONG ? 3000 : 100;
const SEED = 1234;

type T = nb.Tensor;
// biome-ignore lint/suspicious/noExplicitAny: the fuzz calls every function with arguments of any type
type Any = any;

// ---- Bad values: what a JavaScript caller (or a TypeScript caller with casts) can pass by mistake. ----

const junkAtoms: unknown[] = [
  null,
  undefined,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  -3,
  0.5,
  2.5,
  -0.5,
  1e6,
  1e10,
  1e300,
  2 ** 31,
  -(2 ** 31) - 1,
  "",
  "0",
  "2",
  "abc",
  "float16",
  "int64",
  true,
  false,
  10n,
  {},
  { axis: 1 },
  { dtype: "int64" },
  { learningRate: "0.1" },
  [],
  [[]],
  [1, [2]],
  [Number.NaN],
  ["1", 2],
  [-1, 2],
  [1e9, 1e9],
  [2.5],
  [null],
  () => 0,
  (x: unknown) => x,
  new Date(0),
  new Map(),
  new Float32Array(2),
  new Uint16Array(2),
  Object.create(null),
];

const junk: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...junkAtoms) },
    { weight: 2, arbitrary: fc.integer({ min: -4, max: 6 }) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(tie("v"), { maxLength: 3, depthIdentifier: "junk" }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(
        fc.constantFrom("axis", "dtype", "keepdims", "argnums", "inAxes", "learningRate", "x"),
        tie("v"),
        { maxKeys: 2, depthIdentifier: "junk" },
      ),
    },
  ),
})).v;

// ---- Good values, so that calls mixing good and bad arguments reach the deeper checks. ----

/** Σ sin over every leaf of a pytree: a function that works on any argument a transformation accepts. */
const sinSum = (x: unknown): T | number => {
  const leaves: T[] = [];
  nb.treeMap((leaf) => leaves.push(nb.sum(nb.sin(leaf))), x);
  return leaves.reduce<T | number>((acc, l) => nb.add(acc, l), 0);
};
const good = {
  x: fc.constantFrom<unknown>(
    nb.zeros([2, 3]),
    nb.ones([3]),
    nb.arange(6),
    [1, 2, 3],
    [
      [1, 2],
      [3, 4],
    ],
    2.5,
    nb.array([true, false]),
    nb.array(1.5, { dtype: "float64" }),
  ),
  shape: fc.constantFrom<unknown>([2, 3], [3], [], 4, [0, 2]),
  axis: fc.constantFrom<unknown>(0, -1, 1),
  axes: fc.constantFrom<unknown>(0, -1, [0, 1], null),
  reduceOptions: fc.constantFrom<unknown>({}, { axis: 0 }, { axis: -1, keepdims: true }, { keepdims: true }),
  argOptions: fc.constantFrom<unknown>({}, { axis: 0 }, { axis: -1, keepdims: true }),
  dtypeOptions: fc.constantFrom<unknown>({}, { dtype: "float64" }, { dtype: "int32" }),
  floatOptions: fc.constantFrom<unknown>({}, { dtype: "float64" }),
  num: fc.constantFrom<unknown>(0.5, 2, -1, 0),
  count: fc.constantFrom<unknown>(0, 1, 2, 3),
  key: fc.constantFrom<unknown>(nb.random.key(0), nb.random.key(7)),
  fn: fc.constantFrom<unknown>(sinSum),
  mask: fc.constantFrom<unknown>((_path: string, w: T) => w.ndim > 0),
  list: fc.constantFrom<unknown>([nb.ones([2]), nb.zeros([2])], [[1], [2]]),
  dtype: fc.constantFrom<unknown>("float32", "int32", "bool", "float64"),
  perm: fc.constantFrom<unknown>([1, 0], [0, 1]),
  reshape: fc.constantFrom<unknown>([3, 2], [-1], 6),
  index: fc.constantFrom<unknown>([0, 1], 0, nb.array([1], { dtype: "int32" })),
  widths: fc.constantFrom<unknown>(
    [[1, 1]],
    [1, 1],
    [
      [0, 1],
      [1, 0],
    ],
  ),
  spec: fc.constantFrom<unknown>("ij->ji", "ij,jk->ik", "i,i->"),
  lr: fc.constantFrom<unknown>(0.1, nb.optim.constantSchedule(0.1)),
  tree: fc.constantFrom<unknown>({ w: nb.ones([2]) }, [nb.ones([2]), nb.zeros([3])]),
  gradOptions: fc.constantFrom<unknown>({}, { argnums: 0 }, { hasAux: false }),
  vmapOptions: fc.constantFrom<unknown>({}, { inAxes: 0 }, { inAxes: [1], outAxes: 0 }),
  checkOptions: fc.constantFrom<unknown>({ order: 1 }, { order: 1, modes: ["rev"] }),
  lossOptions: fc.constantFrom<unknown>({}, { reduction: "sum" }, { reduction: "none" }),
  sgdOptions: fc.constantFrom<unknown>({ learningRate: 0.1 }, { learningRate: 0.1, momentum: 0.9 }),
  adamOptions: fc.constantFrom<unknown>({ learningRate: 0.01 }, { learningRate: 0.01, b1: 0.8 }),
  matrix: fc.constantFrom<unknown>(
    [
      [2, 1],
      [1, 3],
    ],
    nb.eye(3),
    nb.ones([2, 3]),
    nb.array(
      [
        [
          [4, 1],
          [1, 2],
        ],
        [
          [1, 0],
          [0, 1],
        ],
      ],
      { dtype: "float64" },
    ),
  ),
  linalgOptions: fc.constantFrom<unknown>(
    {},
    { lower: false },
    { upper: true },
    { mode: "complete" },
    { rtol: 0.1 },
  ),
} satisfies Record<string, fc.Arbitrary<unknown>>;
type Kind = keyof typeof good;

interface Target {
  /** The public name; an error must name it. */
  name: string;
  kinds: Kind[];
  call: (...args: Any[]) => unknown;
}

const t = (name: string, kinds: Kind[], call: (...args: Any[]) => unknown): Target => ({ name, kinds, call });

const unary = [
  "abs",
  "acos",
  "asin",
  "atan",
  "ceil",
  "cos",
  "cosh",
  "digamma",
  "erf",
  "erfc",
  "erfinv",
  "exp",
  "expm1",
  "floor",
  "lgamma",
  "log",
  "log1p",
  "ndtr",
  "neg",
  "relu",
  "round",
  "sigmoid",
  "sign",
  "sin",
  "sinh",
  "softplus",
  "sqrt",
  "square",
  "tan",
  "tanh",
  "matrixTranspose",
  "trace",
  "diag",
  "zerosLike",
  "onesLike",
] as const;
const binary = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "atan2",
  "polygamma",
  "equal",
  "notEqual",
  "less",
  "lessEqual",
  "greater",
  "greaterEqual",
  "matmul",
  "dot",
  "outer",
] as const;
const reductions = ["sum", "mean", "prod", "max", "min", "logSumExp", "variance", "std", "norm"] as const;
const nbAny = nb as unknown as Record<string, (...a: Any[]) => unknown>;

/** Functions of the core API: creation, elementwise, reductions, shapes, products, random, transformations. */
const core: Target[] = [
  t("array", ["x", "dtypeOptions"], (x, o) => nb.array(x, o)),
  t("full", ["shape", "num", "dtypeOptions"], (s, v, o) => nb.full(s, v, o)),
  t("zeros", ["shape", "dtypeOptions"], (s, o) => nb.zeros(s, o)),
  t("ones", ["shape", "dtypeOptions"], (s, o) => nb.ones(s, o)),
  t("arange", ["count", "count", "num", "dtypeOptions"], (a, b, c, o) => nb.arange(a, b, c, o)),
  t("linspace", ["num", "num", "count", "dtypeOptions"], (a, b, n, o) => nb.linspace(a, b, n, o)),
  t("eye", ["count", "count", "dtypeOptions"], (n, m, o) => nb.eye(n, m, o)),
  ...unary.map((name) => t(name, ["x"], (x) => nbAny[name]!(x))),
  ...binary.map((name) => t(name, ["x", "x"], (x, y) => nbAny[name]!(x, y))),
  t("leakyRelu", ["x", "num"], (x, s) => nb.leakyRelu(x, s)),
  t("elu", ["x", "num"], (x, a) => nb.elu(x, a)),
  t("gelu", ["x", "reduceOptions"], (x, o) => nb.gelu(x, o)),
  t("clip", ["x", "num", "num"], (x, lo, hi) => nb.clip(x, lo, hi)),
  t("where", ["x", "x", "x"], (c, x, y) => nb.where(c, x, y)),
  t("astype", ["x", "dtype"], (x, d) => nb.astype(x, d)),
  ...reductions.map((name) => t(name, ["x", "reduceOptions"], (x, o) => nbAny[name]!(x, o))),
  t("argmax", ["x", "argOptions"], (x, o) => nb.argmax(x, o)),
  t("argmin", ["x", "argOptions"], (x, o) => nb.argmin(x, o)),
  t("cumsum", ["x", "argOptions"], (x, o) => nb.cumsum(x, o)),
  t("softmax", ["x", "axes"], (x, a) => nb.softmax(x, a)),
  t("logSoftmax", ["x", "axes"], (x, a) => nb.logSoftmax(x, a)),
  t("reshape", ["x", "reshape"], (x, s) => nb.reshape(x, s)),
  t("transpose", ["x", "perm"], (x, p) => nb.transpose(x, p)),
  t("moveaxis", ["x", "axis", "axis"], (x, a, b) => nb.moveaxis(x, a, b)),
  t("expandDims", ["x", "axis"], (x, a) => nb.expandDims(x, a)),
  t("squeeze", ["x", "axes"], (x, a) => nb.squeeze(x, a)),
  t("broadcastTo", ["x", "shape"], (x, s) => nb.broadcastTo(x, s)),
  t("concatenate", ["list", "axis"], (xs, a) => nb.concatenate(xs, a)),
  t("stack", ["list", "axis"], (xs, a) => nb.stack(xs, a)),
  t("split", ["x", "count", "axis"], (x, s, a) => nb.split(x, s, a)),
  t("slice", ["x", "index", "index"], (x, b, s) => nb.slice(x, b, s)),
  t("take", ["x", "index", "axis"], (x, i, a) => nb.take(x, i, a)),
  t("pad", ["x", "widths", "num"], (x, w, v) => nb.pad(x, w, v)),
  t("flip", ["x", "axes"], (x, a) => nb.flip(x, a)),
  t("tile", ["x", "shape"], (x, r) => nb.tile(x, r)),
  t("tensordot", ["x", "x", "count"], (x, y, a) => nb.tensordot(x, y, a)),
  t("einsum", ["spec", "x", "x"], (s, x, y) => nb.einsum(s, x, y)),
  t("random.key", ["count"], (s) => nb.random.key(s)),
  t("random.split", ["key", "count"], (k, n) => nb.random.split(k, n)),
  t("random.foldIn", ["key", "count"], (k, n) => nb.random.foldIn(k, n)),
  t("random.uniform", ["key", "shape", "floatOptions"], (k, s, o) => nb.random.uniform(k, s, o)),
  t("random.normal", ["key", "shape", "floatOptions"], (k, s, o) => nb.random.normal(k, s, o)),
  t("random.randint", ["key", "shape", "count", "count"], (k, s, a, b) => nb.random.randint(k, s, a, b)),
  t("random.permutation", ["key", "count"], (k, n) => nb.random.permutation(k, n)),
  t("random.bernoulli", ["key", "num", "shape"], (k, p, s) => nb.random.bernoulli(k, p, s)),
  t("grad", ["fn", "gradOptions", "x"], (f, o, x) => nb.grad(f, o)(x)),
  t("valueAndGrad", ["fn", "gradOptions", "x"], (f, o, x) => nb.valueAndGrad(f, o)(x)),
  t("jacrev", ["fn", "gradOptions", "x"], (f, o, x) => nb.jacrev(f, o)(x)),
  t("jacfwd", ["fn", "gradOptions", "x"], (f, o, x) => nb.jacfwd(f, o)(x)),
  t("hessian", ["fn", "gradOptions", "x"], (f, o, x) => nb.hessian(f, o)(x)),
  t("derivative", ["fn", "count", "gradOptions", "x"], (f, k, o, x) => nb.derivative(f, k, o)(x)),
  t("vmap", ["fn", "vmapOptions", "x"], (f, o, x) => nb.vmap(f, o)(x)),
  t("jvp", ["fn", "x", "x"], (f, x, v) => nb.jvp(f, [x], [v])),
  t("jvp", ["fn", "x", "x"], (f, x, v) => nb.jvp(f, x, v)),
  t("vjp", ["fn", "x", "x"], (f, x, ct) => nb.vjp(f, x)[1](ct)),
  t("linearize", ["fn", "x", "x"], (f, x, v) => nb.linearize(f, x)[1](v)),
  t("makeProgram", ["fn", "x"], (f, x) => nb.makeProgram(f)(x)),
  t("hvp", ["fn", "x", "x"], (f, x, v) => nb.hvp(f, x, v)),
  t("stopGradient", ["tree"], (x) => nb.stopGradient(x)),
  t("checkGrads", ["fn", "x", "checkOptions"], (f, x, o) => nb.checkGrads(f, [x], o)),
];

/** Optimizers, schedules and gradient transformations: made from options, then used for one step. */
const params = { w: nb.ones([2]) };
const oneStep = (opt: nb.optim.GradientTransformation, grads: unknown) =>
  opt.update(grads as typeof params, opt.init(params), params);
const optim: Target[] = [
  t("sgd", ["sgdOptions", "tree"], (o, g) => oneStep(nb.optim.sgd(o), g)),
  t("adam", ["adamOptions", "tree"], (o, g) => oneStep(nb.optim.adam(o), g)),
  t("adamw", ["adamOptions", "tree"], (o, g) => oneStep(nb.optim.adamw(o), g)),
  t("rmsprop", ["sgdOptions", "tree"], (o, g) => oneStep(nb.optim.rmsprop(o), g)),
  t("adagrad", ["adamOptions", "tree"], (o, g) => oneStep(nb.optim.adagrad(o), g)),
  t("sgd", ["sgdOptions", "x"], (o, state) => nb.optim.sgd(o).update(params, state, params)),
  t("clipByValue", ["num", "tree"], (m, g) => oneStep(nb.optim.clipByValue(m), g)),
  t("clipByGlobalNorm", ["num", "tree"], (m, g) => oneStep(nb.optim.clipByGlobalNorm(m), g)),
  t("scale", ["num", "tree"], (f, g) => oneStep(nb.optim.scale(f), g)),
  t("scaleByLearningRate", ["lr", "tree"], (lr, g) => oneStep(nb.optim.scaleByLearningRate(lr), g)),
  t("addDecayedWeights", ["num", "mask"], (d, m) => oneStep(nb.optim.addDecayedWeights(d, m), params)),
  t("chain", ["lr", "lr"], (a, b) => nb.optim.chain(a, b)),
  t("applyUpdates", ["tree", "tree"], (p, u) => nb.optim.applyUpdates(p, u)),
  t("globalNorm", ["tree"], (g) => nb.optim.globalNorm(g)),
  t("constantSchedule", ["num", "count"], (v, s) => nb.optim.constantSchedule(v)(s)),
  t("stepSchedule", ["num", "count"], (init, n) => nb.optim.stepSchedule({ init, stepSize: n })(3)),
  t("stepSchedule", ["reduceOptions"], (o) => nb.optim.stepSchedule(o)(3)),
  t("exponentialDecay", ["num", "num", "count"], (init, decayRate, transitionSteps) =>
    nb.optim.exponentialDecay({ init, decayRate, transitionSteps })(4),
  ),
  t("linearSchedule", ["num", "num", "count"], (init, end, steps) =>
    nb.optim.linearSchedule({ init, end, steps })(1),
  ),
  t("cosineDecay", ["num", "count", "num"], (init, decaySteps, alpha) =>
    nb.optim.cosineDecay({ init, decaySteps, alpha })(1),
  ),
  t("warmup", ["count", "lr", "num"], (steps, after, init) => nb.optim.warmup({ steps, after, init })(1)),
  t("warmupCosineDecay", ["num", "count", "count"], (peak, warmupSteps, decaySteps) =>
    nb.optim.warmupCosineDecay({ peak, warmupSteps, decaySteps })(2),
  ),
];

/** Activations and losses of nb.nn. */
const losses = ["mse", "mae", "huber", "crossEntropy", "binaryCrossEntropy", "logLoss", "hinge"] as const;
const nnAny = nb.nn as unknown as Record<string, (...a: Any[]) => unknown>;
const nn: Target[] = [
  ...(["relu", "sigmoid", "silu", "softplus", "tanh", "elu", "gelu", "leakyRelu"] as const).map((name) =>
    t(`${name}`, ["x"], (x) => nnAny[name]!(x)),
  ),
  ...losses.map((name) => t(name, ["x", "x", "lossOptions"], (p, y, o) => nnAny[name]!(p, y, o))),
  t("l1Penalty", ["tree", "reduceOptions"], (p, o) => nb.nn.l1Penalty(p, o)),
  t("l2Penalty", ["tree", "reduceOptions"], (p, o) => nb.nn.l2Penalty(p, o)),
];

/** Transformations and helpers that live beside the core ones. */
const others: Target[] = [
  t("jit", ["fn", "x"], (f, x) => nb.jit(f)(x)),
  t("customJvp", ["fn", "fn", "x"], (f, r, x) => nb.customJvp(f, r)(x)),
  t("customVjp", ["fn", "fn", "fn", "x"], (f, a, b, x) => nb.customVjp(f, a, b)(x)),
  t("checkpoint", ["fn", "x"], (f, x) => nb.checkpoint(f)(x)),
  t("jet", ["fn", "x", "x"], (f, x, s) => nb.jet(f, [x], [[s]])),
  t("taylorDerivative", ["fn", "count", "x"], (f, k, x) => nb.taylorDerivative(f, k as number)(x)),
  t("taylorDerivatives", ["fn", "x", "count"], (f, x, k) => nb.taylorDerivatives(f, x, k as number)),
  t("elementwiseDerivatives", ["fn", "x", "count"], (f, x, k) =>
    nb.elementwiseDerivatives(f, x, k as number),
  ),
  t("treeMap", ["fn", "tree"], (f, x) => nb.treeMap(f, x)),
  t("setDefaultFloat", ["dtype"], (d) => {
    try {
      return nb.setDefaultFloat(d);
    } finally {
      nb.setDefaultFloat("float32");
    }
  }),
];

/** nb.linalg: decompositions, solves, norms and matrix functions. */
const linalg: Target[] = [
  t("linalg.cholesky", ["matrix", "linalgOptions"], (a, o) => nb.linalg.cholesky(a, o)),
  t("linalg.triangularSolve", ["matrix", "matrix", "linalgOptions"], (a, b, o) =>
    nb.linalg.triangularSolve(a, b, o),
  ),
  t("linalg.lu", ["matrix"], (a) => nb.linalg.lu(a)),
  t("linalg.luSolve", ["x", "linalgOptions"], (b, o) => nb.linalg.luSolve(nb.linalg.lu(nb.eye(2)), b, o)),
  t("linalg.luSolve", ["tree", "x"], (f, b) => nb.linalg.luSolve(f, b)),
  t("linalg.qr", ["matrix", "linalgOptions"], (a, o) => nb.linalg.qr(a, o)),
  t("linalg.eigh", ["matrix", "linalgOptions"], (a, o) => nb.linalg.eigh(a, o)),
  t("linalg.svd", ["matrix", "linalgOptions"], (a, o) => nb.linalg.svd(a, o)),
  t("linalg.solve", ["matrix", "x"], (a, b) => nb.linalg.solve(a, b)),
  t("linalg.inv", ["matrix"], (a) => nb.linalg.inv(a)),
  t("linalg.det", ["matrix"], (a) => nb.linalg.det(a)),
  t("linalg.slogdet", ["matrix"], (a) => nb.linalg.slogdet(a)),
  t("linalg.choSolve", ["matrix", "x", "linalgOptions"], (l, b, o) => nb.linalg.choSolve(l, b, o)),
  t("linalg.eigvalsh", ["matrix"], (a) => nb.linalg.eigvalsh(a)),
  t("linalg.svdvals", ["matrix"], (a) => nb.linalg.svdvals(a)),
  t("linalg.lstsq", ["matrix", "x", "linalgOptions"], (a, b, o) => nb.linalg.lstsq(a, b, o)),
  t("linalg.pinv", ["matrix", "linalgOptions"], (a, o) => nb.linalg.pinv(a, o)),
  t("linalg.matrixRank", ["matrix", "linalgOptions"], (a, o) => nb.linalg.matrixRank(a, o)),
  t("linalg.cond", ["matrix", "num"], (a, p) => nb.linalg.cond(a, p)),
  t("linalg.matrixPower", ["matrix", "count"], (a, n) => nb.linalg.matrixPower(a, n)),
  t("linalg.expm", ["matrix"], (a) => nb.linalg.expm(a)),
  t("linalg.norm", ["x", "reduceOptions"], (x, o) => nb.linalg.norm(x, o)),
];

/**
 * Functions whose argument checks are known to be incomplete: their calls run but do not fail the suite.
 * Empty: every public function is held to the rule.
 */
const PENDING = new Set<string>([]);

/** Public functions not called here, with the reason. */
const NOT_FUZZED = new Set([
  // no arguments to get wrong, or global switches that other suites exercise
  "getBackend",
  "setBackend",
  "getDefaultFloat",
  "profile",
  // the symbolic parser has its own random-input suite
  "parse",
  // nb.optim: minimize and the training step have their own option checks and suites
  "minimize",
  "solveCubic",
  "step",
  "identity",
]);

// ---- The property. ----

/** Whether `v` (a result) is well formed: tensors have non-negative integer shapes matching their data. */
function wellFormed(v: unknown, depth = 0): boolean {
  if (depth > 8) return true;
  if (v instanceof nb.Tensor) {
    const s = v.shape;
    if (!s.every((d) => Number.isInteger(d) && d >= 0)) return false;
    try {
      return v.dataSync().length === s.reduce((a, b) => a * b, 1);
    } catch (e) {
      return e instanceof nb.TraceError;
    }
  }
  if (Array.isArray(v)) return v.every((c) => wellFormed(c, depth + 1));
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    return Object.values(v).every((c) => wellFormed(c, depth + 1));
  return true;
}

const show = (v: unknown): string => {
  try {
    if (v instanceof nb.Tensor) return `Tensor(${v.dtype}[${v.shape}])`;
    if (typeof v === "function") return "fn";
    if (typeof v === "bigint") return `${v}n`;
    if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === null)
      return "Object.create(null)";
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) !== Object.prototype)
      return (v as object).constructor.name;
    if (v !== null && typeof v === "object")
      return `{${Object.entries(v)
        .map(([k, c]) => `${k}: ${show(c)}`)
        .join(", ")}}`;
    return typeof v === "string" ? JSON.stringify(v) : String(v);
  } catch {
    return "?";
  }
};

interface Outcome {
  calls: number;
  nablaErrors: number;
  failures: string[];
}

/** Calls `target` with argument lists where each argument is good or junk; collects what went wrong. */
function fuzz(target: Target, seed: number): Outcome {
  const arb = fc.tuple(
    ...target.kinds.map((k) => fc.oneof({ weight: 1, arbitrary: good[k] }, { weight: 2, arbitrary: junk })),
  );
  const out: Outcome = { calls: 0, nablaErrors: 0, failures: [] };
  const short = target.name.split(".").pop()!;
  for (const args of fc.sample(arb, { seed, numRuns: RUNS })) {
    out.calls++;
    const call = `${target.name}(${args.map(show).join(", ")})`;
    let result: unknown;
    try {
      result = target.call(...args);
    } catch (e) {
      if (!(e instanceof nb.NablaError))
        out.failures.push(`${call}: foreign ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      else if (!e.message.includes(short))
        out.failures.push(`${call}: the message does not name ${target.name}: ${e.message}`);
      else out.nablaErrors++;
      continue;
    }
    if (!wellFormed(result)) out.failures.push(`${call}: returned a malformed result ${show(result)}`);
  }
  return out;
}

/**
 * Runs every target of a group; one failure line per target (the first argument list that failed), the
 * targets in PENDING apart.
 */
function fuzzGroup(targets: Target[], seed: number) {
  const failures: string[] = [];
  const pending: string[] = [];
  let calls = 0;
  let refused = 0;
  targets.forEach((target, i) => {
    const o = fuzz(target, seed + i);
    calls += o.calls;
    refused += o.nablaErrors;
    if (o.failures.length === 0) return;
    const line = `${o.failures[0]} (${o.failures.length} of ${o.calls} calls)`;
    (PENDING.has(target.name) ? pending : failures).push(line);
  });
  if (LONG)
    console.log(
      `${targets.length} functions, ${calls} calls, ${refused} refused with a NablaError, ` +
        `${failures.length + pending.length} functions failing${pending.length > 0 ? `:\n${pending.join("\n")}` : ""}`,
    );
  return { calls, failures };
}

let savedLimit = 0;
beforeAll(() => {
  savedLimit = nb.config.maxTensorBytes;
  nb.config.maxTensorBytes = 2 ** 20;
});
afterAll(() => {
  nb.config.maxTensorBytes = savedLimit;
});

describe("bad arguments give a NablaError that names the function, or a well-formed result", () => {
  it("creation, elementwise, reductions, shapes, products, random numbers and transformations", () => {
    const { calls, failures } = fuzzGroup(core, SEED);
    expect(calls).toBe(core.length * RUNS);
    expect(failures).toEqual([]);
  });

  it("optimizers, clipping and learning-rate schedules", () => {
    const { failures } = fuzzGroup(optim, SEED + 1000);
    expect(failures).toEqual([]);
  });

  it("nn activations and losses", () => {
    const { failures } = fuzzGroup(nn, SEED + 2000);
    expect(failures).toEqual([]);
  });

  it("jit, custom rules, Taylor mode and pytree helpers", () => {
    const { failures } = fuzzGroup(others, SEED + 3000);
    expect(failures).toEqual([]);
  });

  it("nb.linalg", () => {
    const { failures } = fuzzGroup(linalg, SEED + 4000);
    expect(failures).toEqual([]);
  });

  it("every public function of nb, nb.random and nb.optim is called above or listed as not fuzzed", () => {
    const called = new Set([...core, ...optim, ...others, ...linalg].map((x) => x.name));
    const functions = (ns: object, prefix: string) =>
      Object.entries(ns)
        .filter(([name, v]) => typeof v === "function" && /^[a-z]/.test(name))
        .map(([name]) => prefix + name);
    const missing = [
      ...functions(nb, ""),
      ...functions(nb.random, "random."),
      ...functions(nb.linalg, "linalg."),
      ...functions(nb.optim, ""),
    ].filter((name) => !called.has(name) && !NOT_FUZZED.has(name));
    expect(missing).toEqual([]);
  });
});
