// Random programs on every fast-backend engine (eager, jit, derivatives, vmap) against the reference backend.
import * as nb from "nabla";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeFusedStats } from "../../src/backend/native/fused.js";
import { nativeAddon } from "../../src/backend/native/load.js";
import { splitPolicy, splitStats } from "../../src/backend/threads/elementwise.js";
import { threadsReady } from "../../src/backend/threads/matmul.js";
import { expectTensor } from "../util/approx.js";
import { expectClose, stackRaw } from "../util/close.js";
import {
  type Case,
  CONFIGS,
  check,
  DERIVATIVE_MODES,
  type EngineConfig,
  engineSteps,
  type Failure,
  FORWARD_MODES,
  type Mat,
  type Mode,
  makeCase,
  modesFor,
  REFERENCE_MODE,
  referenceOrError,
  report,
  showCase,
  shrink,
  VMAP_MODES,
  worstError,
} from "../util/differential-check.js";
import { coverageOf, unmappedCustomCalls } from "../util/differential-coverage.js";
import {
  BINARY,
  hypot1,
  mulVjp,
  OPS,
  type Program,
  showProgram,
  smoothAbs,
  UNARY,
  viaCustomJvp,
  viaCustomVjp,
  xTanh,
} from "../util/differential-ops.js";
import {
  mediumProgram,
  SIZE_CLASSES,
  type SizeClass,
  sizedProgram,
  smallProgram,
  tinyProgram,
} from "../util/random-programs.js";

// NABLA_LONG=1 (npm run test:differential) runs thousands of programs; NABLA_DIFF_SEED=<label>:<seed>, as a
// failure prints it, replays one program in every mode on every engine set.
const LONG = process.env.NABLA_LONG === "1";
const REPLAY = process.env.NABLA_DIFF_SEED;
const ALL_MODES: readonly Mode[] = [...FORWARD_MODES, ...DERIVATIVE_MODES, ...VMAP_MODES];

/** A family of programs: how each is made from its seed, which seeds, modes and engine sets. */
interface Plan {
  label: string;
  make: (seed: number) => Program;
  seeds: number[];
  modes: readonly Mode[];
  vmap: boolean;
  /** The engine sets a mode is checked with (index: the mode's position, for rotation). */
  configs: (seed: number, mode: Mode, i: number) => readonly EngineConfig[];
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
/** One engine set per check, rotating through all of them across programs and modes. */
const rotate =
  (per = 1) =>
  (seed: number, _m: Mode, i: number) =>
    range(0, per).map((k) => CONFIGS[(seed * 5 + i * 3 + k * 4) % CONFIGS.length]!);
const every = () => CONFIGS;

interface Outcome {
  programs: number;
  checks: number;
  failures: string[];
}

/** Runs every program of the plan; failing programs are reduced and reported with the seed to replay them. */
function runPlan(plan: Plan): Outcome {
  const out: Outcome = { programs: 0, checks: 0, failures: [] };
  for (const seed of plan.seeds) {
    const prog = plan.make(seed);
    const c = makeCase(prog, seed, plan.vmap);
    out.programs++;
    const refs = new Map<Mode, Mat[] | Error>();
    modesFor(prog, plan.modes).forEach((mode, i) => {
      const rm = REFERENCE_MODE[mode];
      if (!refs.has(rm)) refs.set(rm, referenceOrError(c, rm));
      const want = refs.get(rm)!;
      // A reference that throws fails once, whatever the engines.
      for (const config of want instanceof Error ? [CONFIGS[0]!] : plan.configs(seed, mode, i)) {
        out.checks++;
        const f = check(c, mode, config, want);
        if (f !== null) out.failures.push(failureReport(plan, seed, c, f, out.failures.length < 3));
      }
    });
  }
  return out;
}

/** The failure with the program reduced to what still fails the same check (for the first few). */
function failureReport(plan: Plan, seed: number, c: Case, f: Failure, reduce: boolean): string {
  const config = CONFIGS.find((x) => x.name === f.config) ?? CONFIGS[0]!;
  const small = reduce
    ? shrink(c.prog, (p) => {
        const d = makeCase(p, seed, c.vmap !== undefined);
        return check(d, f.mode, config, referenceOrError(d, REFERENCE_MODE[f.mode])) !== null;
      })
    : undefined;
  const replay = `${LONG ? "NABLA_LONG=1 " : ""}NABLA_DIFF_SEED=${plan.label}:${seed} npx vitest run test/numeric/differential.test.ts`;
  return `${report(`${plan.label} seed ${seed}`, c, f, small)}\n// replay: ${replay}`;
}

function expectNoFailures(o: Outcome): void {
  if (o.failures.length > 0)
    expect.fail(
      `${o.failures.length} of ${o.checks} checks over ${o.programs} programs differ from the reference:\n\n` +
        o.failures.slice(0, 6).join("\n\n"),
    );
  expect(o.checks).toBeGreaterThan(0);
}

// ---- the plans -----------------------------------------------------------------------------------------------

const byName = (...names: string[]) => CONFIGS.filter((c) => names.some((n) => c.name.startsWith(n)));
const forwardOnAll =
  (per: number) =>
  (s: number, m: Mode, i: number): readonly EngineConfig[] =>
    FORWARD_MODES.includes(m) ? CONFIGS : rotate(per)(s, m, i);
const SIZED_MODES: readonly Mode[] = ["eager", "jit×2", "vjp", "jit(grad)"];

/** The plan of a size class: seeds, modes and engine sets for the short run and the long one. */
function sizedPlan(cls: SizeClass, dtype: "float32" | "float64"): Plan {
  const make = (seed: number) => sizedProgram(seed, dtype, cls, LONG);
  const label = `${cls}-${dtype}`;
  if (cls === "loop")
    // Long loops are slow on the reference; the interpreter would take seconds per loop.
    return {
      label,
      make,
      seeds: LONG ? range(1, 13) : [1],
      modes: LONG ? SIZED_MODES : ["eager", "jit×2", "vjp"],
      vmap: false,
      configs: () => (LONG ? CONFIGS.filter((c) => c.engines.length > 0) : byName("all", "threads+wasm+js")),
    };
  if (cls === "threads")
    return {
      label,
      make,
      seeds: LONG ? range(1, 25) : [1],
      modes: LONG ? [...FORWARD_MODES, ...DERIVATIVE_MODES] : ["eager", "jit×2", "vjp"],
      vmap: false,
      configs: LONG ? forwardOnAll(2) : () => byName("all", "threads+wasm+js"),
    };
  // Products at the native and WebAssembly thresholds are cheap: more of them in the short run.
  const short = cls === "native" || cls === "wasm" ? 8 : 2;
  return {
    label,
    make,
    seeds: LONG ? range(1, 61) : range(1, short + 1),
    modes: LONG ? ALL_MODES : SIZED_MODES,
    vmap: LONG,
    configs: LONG ? forwardOnAll(2) : rotate(2),
  };
}

const plans: Plan[] = [];
for (const dtype of ["float64", "float32"] as const) {
  plans.push({
    label: `tiny-${dtype}`,
    make: (seed) => tinyProgram(seed, dtype),
    seeds: LONG ? range(1, 2001) : range(1, 41),
    modes: ALL_MODES,
    vmap: true,
    configs: LONG ? forwardOnAll(1) : rotate(),
  });
  plans.push({
    label: `small-${dtype}`,
    make: (seed) => smallProgram(seed, dtype),
    seeds: LONG ? range(1, 1001) : range(1, 21),
    modes: ALL_MODES,
    vmap: true,
    configs: LONG ? forwardOnAll(2) : rotate(),
  });
  plans.push({
    label: `medium-${dtype}`,
    make: (seed) => mediumProgram(seed, dtype),
    seeds: LONG ? range(1, 401) : range(1, 4),
    modes: ALL_MODES,
    vmap: true,
    configs: LONG ? forwardOnAll(1) : rotate(),
  });
  for (const cls of SIZE_CLASSES) plans.push(sizedPlan(cls, dtype));
}

/** NABLA_DIFF_SEED=<label>:<seed>: that one program, every mode, every engine set (sized programs of a long
 * run need NABLA_LONG=1 too, as the printed command says). */
function replayPlan(): Plan | null {
  if (REPLAY === undefined) return null;
  const [label, seed] = REPLAY.split(":");
  const p = plans.find((x) => x.label === label);
  if (p === undefined)
    throw new Error(`NABLA_DIFF_SEED: no plan "${label}" (${plans.map((x) => x.label).join(", ")})`);
  return { ...p, seeds: [Number(seed)], modes: ALL_MODES, vmap: true, configs: every };
}

// ---- tests -----------------------------------------------------------------------------------------------------

const before = { native: 0, split: 0 };
const totals = { programs: 0, checks: 0 };

beforeAll(async () => {
  await threadsReady();
  // Large fused loops split across threads on any machine, not only when a core is idle.
  splitPolicy.always = true;
  before.native = nativeFusedStats.runs;
  before.split = splitStats.calls;
});
afterAll(() => {
  if (LONG)
    console.log(
      `differential: ${totals.programs} programs, ${totals.checks} checks; largest scaled difference ` +
        `float64 ${worstError.float64.toExponential(2)}, float32 ${worstError.float32.toExponential(2)}`,
    );
  splitPolicy.always = false;
  nb.setBackend("fast");
});

describe("random programs on every engine against the reference", () => {
  const replay = replayPlan();
  if (replay !== null) {
    it(`replays ${REPLAY}`, () => {
      const o = runPlan(replay);
      const c = makeCase(replay.make(replay.seeds[0]!), replay.seeds[0]!, true);
      console.log(
        `${REPLAY}: ${o.checks} checks, ${o.failures.length} failing\n${showProgram(c.prog)}\n${showCase(c)}`,
      );
      expectNoFailures(o);
    });
    return;
  }
  // The long run in chunks of programs, each its own test (progress, and a failure does not hide the rest).
  const chunk = LONG ? 50 : Number.POSITIVE_INFINITY;
  for (const plan of plans)
    for (let i = 0; i < plan.seeds.length; i += chunk) {
      const seeds = plan.seeds.slice(i, i + chunk);
      it(
        `${plan.label}: seeds ${seeds[0]}-${seeds[seeds.length - 1]}`,
        () => {
          const o = runPlan({ ...plan, seeds });
          totals.programs += o.programs;
          totals.checks += o.checks;
          expectNoFailures(o);
        },
        LONG ? 3_600_000 : 60_000,
      );
    }

  it("every engine ran compiled steps, native loops ran and loops were split across threads", () => {
    const engines = ["threads", "wasm", "js", "interpreter", ...(nativeAddon() !== null ? ["native"] : [])];
    expect(engines.filter((e) => !(engineSteps[e]! > 0))).toEqual([]);
    if (nativeAddon() !== null) expect(nativeFusedStats.runs).toBeGreaterThan(before.native);
    expect(splitStats.calls).toBeGreaterThan(before.split);
  });
});

describe("the generator", () => {
  it("covers every operation, custom rule, layout and size class", () => {
    const cov = coverageOf([
      ...range(1, 400).map((s) => smallProgram(s, "float64")),
      ...SIZE_CLASSES.flatMap((cls) => range(1, 4).map((s) => sizedProgram(s, "float32", cls))),
    ]);
    const missing = [
      ...Object.keys(OPS).filter((k) => !cov.ops.has(k)),
      ...Object.keys(UNARY).filter((k) => !cov.unary.has(k)),
      ...Object.keys(BINARY).filter((k) => !cov.binary.has(k)),
      ...["checkpoint", "customJvp", "customVjp"].filter((k) => !cov.wrappers.has(k)),
      ...["permuted", "rotated", "interleaved", "batch", "thin", "native", "wasm", "threads", "loop"].filter(
        (k) => !cov.features.has(k),
      ),
    ];
    expect(missing).toEqual([]);
  });

  it("calls functions with custom rules on unmapped arguments under vmap", () => {
    // The short run's tiny programs (the class of vmap((a, b) => add(softplus(a), b), inAxes [null, 0])).
    let calls = 0;
    for (const s of range(1, 41)) {
      const prog = tinyProgram(s, "float64");
      calls += unmappedCustomCalls(prog, makeCase(prog, s, true).vmap!.inAxes);
    }
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it("reproduces the known contraction regressions' class", () => {
    const cov = coverageOf(range(1, 400).map((s) => smallProgram(s, "float64")));
    // a contracted pair whose axes are rotated in one operand and an operand with no free dimension.
    expect(cov.features.has("rotated")).toBe(true);
    expect(cov.features.has("no-free-operand")).toBe(true);
  });
});

// ---- explicit cases ---------------------------------------------------------------------------------------------

/** A one- or two-operation program over inputs of the given shapes. */
const program = (dtype: "float32" | "float64", shapes: number[][], nodes: Program["nodes"]): Program => ({
  dtype,
  inputs: shapes.map((shape, i) => ({ shape, seed: 101 + i })),
  nodes,
  out: shapes.length + nodes.length - 1,
});

function expectAgreement(label: string, prog: Program, modes: readonly Mode[] = ALL_MODES): void {
  const plan: Plan = { label, make: () => prog, seeds: [1], modes, vmap: true, configs: every };
  expectNoFailures(runPlan(plan));
}

describe("jit of programs whose fused loops share values", () => {
  // A reduction's loop (Σ exp(a)) feeds a loop that also holds tanh(c), which a matrix product reads, whose
  // result the first loop reads: jit's grouping must not join loops into a cycle.
  const f = (a: nb.Tensor, c: nb.Tensor, e: nb.Tensor) => {
    const g = nb.tanh(c);
    const m = nb.matmul(nb.reshape(g, [2, 1]), e);
    const s = nb.exp(a);
    return nb.add(nb.mul(nb.sum(s, { axis: 1 }), g), nb.sum(nb.mul(s, m), { axis: 1 }));
  };
  const args = () => [
    nb.array([
      [0.1, -0.2, 0.3],
      [0.4, 0.5, -0.6],
    ]),
    nb.array([0.7, -0.8]),
    nb.array([[1, 2, 3]]),
  ];
  it("a loop joined to a value that a matrix product reads, which reads back a loop's sum (cyclic schedule)", () => {
    const [a, c, e] = args() as [nb.Tensor, nb.Tensor, nb.Tensor];
    expectClose(nb.jit(f)(a, c, e), f(a, c, e), { rtol: 1e-6, atol: 1e-6 });
  });
});

describe("jit of padded views of slices of padded values", () => {
  // pad(slice(pad(w))) read in place: the outer padding must stay zero where the slice cut into the data.
  const g = (w: nb.Tensor) => nb.pad(nb.slice(nb.pad(w, [[1, 2]]), [2], [3]), [[2, 1]]);
  it("pad ∘ slice ∘ pad under jit keeps the outer zeros", () => {
    const w = nb.array([1, 2, 3, 4, 5, 6], { dtype: "float64" });
    expectTensor(g(w), [0, 0, 2, 3, 4, 0]);
    expectTensor(nb.jit(g)(w) as nb.Tensor, [0, 0, 2, 3, 4, 0]);
  });
  it("the cotangent of a slice of a concatenation under jit(vjp)", () => {
    const f = (x: nb.Tensor, y: nb.Tensor) => nb.slice(nb.concatenate([y, nb.slice(x, [2], [4])]), [2], [7]);
    const pull = (w: nb.Tensor, x: nb.Tensor, y: nb.Tensor) => nb.vjp(f, x, y)[1](w)[0] as nb.Tensor;
    const x = nb.array([1, 2, 3, 4, 5, 6, 7], { dtype: "float64" });
    const y = nb.ones([5], { dtype: "float64" });
    const w = nb.array([1, 2, 3, 4, 5, 6, 7], { dtype: "float64" });
    expectTensor(pull(w, x, y), [0, 0, 4, 5, 6, 7, 0]);
    expectTensor(nb.jit(pull)(w, x, y) as nb.Tensor, [0, 0, 4, 5, 6, 7, 0]);
  });
});

describe("non-finite values in matrix products", () => {
  // 0·NaN and 0·∞ are NaN (IEEE, NumPy, JAX): a product must not skip the zeros of an operand.
  const products = () =>
    [Number.NaN, Number.POSITIVE_INFINITY].map((v) =>
      nb.matmul(nb.array([[0, 1]], { dtype: "float64" }), nb.array([[v], [1]], { dtype: "float64" })),
    );
  it("the fast backend propagates them", () => {
    for (const p of products()) expect(p.item()).toBeNaN();
  });
  it("the reference backend propagates them", () => {
    nb.setBackend("reference");
    try {
      for (const p of products()) expect(p.item()).toBeNaN();
    } finally {
      nb.setBackend("fast");
    }
  });
});

describe("contractions that once differed between engines", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`tensordot [n,2]·[2,3,n] over [[0,1],[2,0]], n = 1624 (${dtype})`, () => {
      expectAgreement(
        "tensordot-rotated",
        program(
          dtype,
          [
            [1624, 2],
            [2, 3, 1624],
          ],
          [{ op: "tensordot", args: [0, 1], p: { axesA: [0, 1], axesB: [2, 0] }, shape: [3] }],
        ),
        ["eager", "jit", "vjp", "jit(vjp)", "jvp", "jit(grad)"],
      );
    });
    it(`einsum("bij,ji->b") of [30,12,11] and [11,12] (${dtype})`, () => {
      expectAgreement(
        "einsum-bij",
        program(
          dtype,
          [
            [30, 12, 11],
            [11, 12],
          ],
          [{ op: "einsum", args: [0, 1], p: { spec: "bij,ji->b" }, shape: [30] }],
        ),
      );
    });
  }
});

describe("vmap of functions with custom rules applied to unmapped arguments", () => {
  it("softplus of an unmapped argument plus a mapped one", () => {
    const f = (a: nb.Tensor, b: nb.Tensor) => nb.add(nb.softplus(a), b);
    const want = [[1.9741], [2.9741], [3.9741]];
    const a = nb.array([0.5]);
    const b = nb.array([[1], [2], [3]]);
    expectTensor(nb.vmap(f, { inAxes: [null, 0] })(a, b), want, { atol: 1e-4 });
    expectTensor(nb.jit(nb.vmap(f, { inAxes: [null, 0] }))(a, b) as nb.Tensor, want, { atol: 1e-4 });
  });

  const custom: [string, (a: nb.Tensor) => nb.Tensor][] = [
    ["nb.softplus", nb.softplus],
    ["nb.logSumExp", (a) => nb.logSumExp(a, { axis: -1, keepdims: true })],
    ["customJvp xTanh", xTanh],
    ["customVjp smoothAbs", smoothAbs],
    ["customJvp hypot1", (a) => hypot1(a, nb.mul(a, 0.5))],
    ["customVjp mulVjp", (a) => mulVjp(a, nb.sin(a))],
    ["nb.checkpoint", nb.checkpoint((a: nb.Tensor) => nb.tanh(nb.mul(a, a)))],
    ["viaCustomJvp", viaCustomJvp((a) => nb.sin(nb.mul(a, 3)))],
    ["viaCustomVjp", viaCustomVjp((a) => nb.cos(nb.mul(a, 3)))],
  ];
  for (const [name, g] of custom)
    it(`${name}: vmap, jit(vmap) and vmap(grad) with inAxes [null, 0] equal a loop`, () => {
      const a = nb.array([0.5, -1.25, 2], { dtype: "float64" });
      const b = nb.array(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: "float64" },
      );
      const f = (x: nb.Tensor, y: nb.Tensor) => nb.mul(nb.add(g(x), y), y);
      const loop = stackRaw(
        [0, 1].map((i) => f(a, nb.take(b, i, 0))),
        0,
      );
      expectClose(nb.vmap(f, { inAxes: [null, 0] })(a, b), loop, {}, `${name} vmap`);
      expectClose(nb.jit(nb.vmap(f, { inAxes: [null, 0] }))(a, b), loop, {}, `${name} jit(vmap)`);
      const gf = nb.grad((x: nb.Tensor, y: nb.Tensor) => nb.sum(f(x, y)));
      const gloop = stackRaw(
        [0, 1].map((i) => gf(a, nb.take(b, i, 0)) as nb.Tensor),
        0,
      );
      expectClose(nb.vmap(gf, { inAxes: [null, 0] })(a, b), gloop, {}, `${name} vmap(grad)`);
    });

  it("vmap with every input unmapped is refused with a message", () => {
    expect(() =>
      nb.vmap((a: nb.Tensor, b: nb.Tensor) => nb.add(a, b), { inAxes: [null, null] })(1, 2),
    ).toThrow(/at least one input must be mapped/);
  });
});
