// nb.config.debugNans / debugInfs: a primitive that makes a NaN (or infinity) its inputs did not have is
// named, with the pass it ran in (forward, a JVP rule, a transpose rule), the shapes and the user's line;
// eagerly and under jit (where the compiled program is re-run eagerly to find it). NaNs that came in
// with the inputs are let through, and nothing is checked while the settings are off.
import * as nb from "nabla";
import { afterEach, describe, expect, it } from "vitest";
import { hooksSeen, inRule, inTranspose, tagOrigin } from "../../src/debug/context.js";

type Tensor = nb.Tensor;

afterEach(() => {
  nb.config.debugNans = false;
  nb.config.debugInfs = false;
});

/** The FloatingPointError `f` throws (fails the test when it throws nothing or something else). */
function caught(f: () => unknown): nb.FloatingPointError {
  try {
    f();
  } catch (e) {
    if (e instanceof nb.FloatingPointError) return e;
    throw e;
  }
  throw new Error("expected a FloatingPointError, nothing was thrown");
}

describe("debugNans, eager forward pass", () => {
  it("names the primitive, the pass, the shapes, the first bad element and the user's line", () => {
    nb.config.debugNans = true;
    const e = caught(() => nb.sqrt(nb.array([[4, -1, 9]])));
    expect(e).toBeInstanceOf(nb.NablaError);
    expect(e.name).toBe("FloatingPointError");
    expect(e.details).toMatchObject({
      kind: "NaN",
      primitive: "sqrt",
      context: "the forward pass",
      inputs: ["f32[1,3]"],
      output: "f32[1,3]",
      count: 1,
      firstIndex: [0, 1],
    });
    expect(e.details.source).toMatch(/^test\/debug\/debug-nans\.test\.ts:\d+:\d+$/);
    expect(e.message).toMatch(
      /^sqrt produced a NaN from inputs without NaN in the forward pass: sqrt\(f32\[1,3\]\)/,
    );
    expect(e.message).toContain("called at test/debug/debug-nans.test.ts:");
  });

  it("points at the line inside the user's own function", () => {
    nb.config.debugNans = true;
    let marker: Error | undefined;
    const inner = (x: Tensor) => [(marker = new Error()), nb.log(nb.sub(x, 2))][1] as Tensor;
    const e = caught(() => nb.sum(inner(nb.array([1, 3]))));
    const line = marker!.stack!.split("\n")[1]!.match(/:(\d+):\d+\)?$/)![1]!;
    expect(e.details.primitive).toBe("log");
    expect(e.details.source!.split(":")[1]).toBe(line);
  });

  it("does not fire for NaNs that were already in the inputs", () => {
    nb.config.debugNans = true;
    const x = nb.array([Number.NaN, 4]);
    expect(nb.sqrt(x).toArray()).toEqual([Number.NaN, 2]);
    expect(nb.sum(nb.mul(x, 2)).item()).toBeNaN();
    // An infinity is not a NaN: inf − inf is a new NaN.
    const inf = nb.array([Number.POSITIVE_INFINITY]);
    expect(caught(() => nb.sub(inf, inf)).details.primitive).toBe("sub");
  });

  it("checks nothing while the settings are off", () => {
    expect((nb.sqrt(nb.array([-1])).toArray() as number[])[0]).toBeNaN();
    expect((nb.log(nb.array([0])).toArray() as number[])[0]).toBe(Number.NEGATIVE_INFINITY);
  });

  it("debugInfs raises for a new infinity, debugNans alone does not", () => {
    nb.config.debugNans = true;
    expect((nb.log(nb.array([0, 1])).toArray() as number[])[0]).toBe(Number.NEGATIVE_INFINITY);
    nb.config.debugInfs = true;
    const e = caught(() => nb.log(nb.array([0, 1])));
    expect(e.details).toMatchObject({ kind: "Inf", primitive: "log", firstIndex: [0] });
    expect(e.message).toMatch(/log produced an infinity from inputs without infinities/);
    expect(e.message).toContain("nb.config.debugInfs is on");
    // Infinities already in the inputs go through.
    expect(nb.exp(nb.array([Number.POSITIVE_INFINITY])).toArray()).toEqual([Number.POSITIVE_INFINITY]);
  });

  it("leaves integer and bool results alone", () => {
    nb.config.debugNans = true;
    nb.config.debugInfs = true;
    expect(nb.greater(nb.array([Number.NaN]), 0).toArray()).toEqual([false]);
    expect(nb.argmax(nb.array([1, 2])).item()).toBe(1);
  });
});

describe("debugNans in derivative passes", () => {
  it("a NaN made by the tangent half of a JVP rule (log at 0: 0 · (1/0))", () => {
    nb.config.debugNans = true;
    const e = caught(() => nb.jvp((x: Tensor) => nb.log(x), [nb.array([0, 1])], [nb.array([0, 1])]));
    expect(e.details.primitive).toMatch(/^(mul|div)$/);
    expect(e.details.context).toMatch(/JVP/);
    expect(e.details.source).toMatch(/debug-nans\.test\.ts/);
  });

  it("the forward value inside a JVP is the forward pass", () => {
    nb.config.debugNans = true;
    const e = caught(() => nb.jvp((x: Tensor) => nb.sqrt(x), [nb.array([-1])], [nb.array([1])]));
    expect(e.details.primitive).toBe("sqrt");
  });

  it("a NaN made while transposing for the VJP (√ at 0 times 0: ∞ · 0)", () => {
    nb.config.debugNans = true;
    const f = (x: Tensor) => nb.sum(nb.mul(nb.sqrt(x), 0));
    expect(f(nb.array([0, 1])).item()).toBe(0); // the forward pass is clean
    const e = caught(() => nb.grad(f)(nb.array([0, 1])));
    expect(e.details.primitive).toBe("mul");
    expect(e.details.context).toMatch(/VJP/);
    expect(e.details.firstIndex).toEqual([0]);
  });

  it("grad of the norm at zero (the classic NaN) names the pass", () => {
    nb.config.debugNans = true;
    const norm = (x: Tensor) => nb.sqrt(nb.sum(nb.mul(x, x)));
    const e = caught(() => nb.grad(norm)(nb.zeros([3])));
    expect(e.details.context).toMatch(/VJP|JVP/);
    nb.config.debugNans = false;
    expect(
      nb
        .grad(norm)(nb.zeros([3]))
        .toArray(),
    ).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it("names the rule through the interpreters' rule frames", () => {
    nb.config.debugNans = true;
    // What the JVP interpreter does around a rule of log, and the transposition around a mul that the
    // JVP rule of sqrt recorded (with the user's line of that sqrt).
    const e1 = caught(() => inRule("log", () => nb.mul(nb.array([0]), nb.array([Number.POSITIVE_INFINITY]))));
    expect(e1.details.context).toBe("the JVP of log");
    const params = inRule("sqrt", () => tagOrigin({}));
    const e2 = caught(() =>
      inTranspose("mul", params, () => nb.mul(nb.array([0]), nb.array([Number.POSITIVE_INFINITY]))),
    );
    expect(e2.details.context).toBe("the VJP of sqrt (transposing its mul)");
    expect(e2.details.source).toMatch(/debug-nans\.test\.ts/);
    // The primal value inside a JVP rule is the forward pass; nested rules read inside out.
    const e3 = caught(() => inRule("sqrt", () => nb.sqrt(nb.array([-1]))));
    expect(e3.details.context).toBe("the forward pass (the value of sqrt inside its JVP)");
    const e4 = caught(() =>
      inTranspose("mul", params, () =>
        inRule("mul", () => nb.sub(nb.array([Infinity]), nb.array([Infinity]))),
      ),
    );
    expect(e4.details.context).toBe("the JVP of mul inside the VJP of sqrt (transposing its mul)");
  });

  // These name the exact rule once the JVP and transpose interpreters call the hooks of src/debug/context.ts.
  it.runIf(hooksSeen.jvp || probeHooks().jvp)("names the JVP rule: the JVP of log", () => {
    nb.config.debugNans = true;
    const e = caught(() => nb.jvp((x: Tensor) => nb.log(x), [nb.array([0, 1])], [nb.array([0, 1])]));
    expect(e.details.context).toBe("the JVP of log");
  });
  it.runIf(probeHooks().transpose && probeHooks().origin)("names the VJP: the VJP of sqrt", () => {
    nb.config.debugNans = true;
    const e = caught(() => nb.grad((x: Tensor) => nb.sum(nb.mul(nb.sqrt(x), 0)))(nb.array([0, 1])));
    expect(e.details.context).toBe("the VJP of sqrt (transposing its mul)");
  });
});

/** Runs a derivative with checks on, to see which interpreter hooks are installed. */
function probeHooks(): typeof hooksSeen {
  const previous = nb.config.debugNans;
  nb.config.debugNans = true;
  try {
    nb.grad((x: Tensor) => nb.sum(nb.sin(x)))(nb.array([1]));
  } finally {
    nb.config.debugNans = previous;
  }
  return hooksSeen;
}

describe("debugNans under jit", () => {
  it("re-runs the compiled function eagerly and names the primitive", () => {
    nb.config.debugNans = true;
    const f = nb.jit((x: Tensor) => nb.sum(nb.sqrt(nb.sub(x, 1))));
    const e = caught(() => f(nb.array([2, 0.5])));
    expect(e.details).toMatchObject({ primitive: "sqrt", context: "the forward pass", inputs: ["f32[2]"] });
    expect(e.message).toContain("found by re-running the jit-compiled");
    expect(e.details.source).toMatch(/debug-nans\.test\.ts/);
  });

  it("finds a NaN of a compiled gradient in its VJP", () => {
    const g = nb.jit(nb.grad((x: Tensor) => nb.sum(nb.mul(nb.sqrt(x), 0))));
    expect((g(nb.array([0, 1])).toArray() as number[])[0]).toBeNaN(); // unchecked: silently NaN
    nb.config.debugNans = true;
    const e = caught(() => g(nb.array([0, 1])));
    expect(e.details.primitive).toBe("mul");
    expect(e.details.context).toMatch(/VJP/);
  });

  it("does not fire for NaNs in the inputs, or for clean runs", () => {
    nb.config.debugNans = true;
    const f = nb.jit((x: Tensor) => nb.mul(nb.exp(x), 2));
    expect(f(nb.array([Number.NaN, 0])).toArray()).toEqual([Number.NaN, 2]);
    expect((f(nb.array([1, 0])).toArray() as number[])[1]).toBe(2);
    expect(f.stats.misses).toBe(1);
  });

  it("reports the compiled step when eager evaluation does not reproduce the NaN", () => {
    nb.config.debugNans = true;
    let calls = 0;
    // Traced with sqrt, re-run eagerly without it: the compiled step is all there is to report.
    const f = nb.jit((x: Tensor) => (calls++ === 0 ? nb.sqrt(x) : nb.abs(x)));
    const e = caught(() => f(nb.array([-1, 4])));
    expect(e.details.primitive).toBe("sqrt");
    expect(e.details.context).toMatch(/^step 1 of the jit-compiled .* \(a fused step run by \w+\)/);
    expect(e.message).toContain("did not produce it");
  });

  it("checks the compiled training step of nn.fit", () => {
    nb.config.debugNans = true;
    const model = nb.nn.Sequential([nb.nn.Linear(2, 3), nb.nn.Linear(3, 1)]);
    const { params } = model.init(0, [1, 2]);
    const e = caught(() =>
      nb.nn.fit({
        model,
        params,
        loss: (o, t) => nb.sqrt(nb.abs(nb.sum(nb.sub(o, t)))),
        optimizer: nb.optim.sgd({ learningRate: 0.1 }),
        data: { x: nb.zeros([4, 2]), y: nb.zeros([4, 1]) },
        batchSize: 4,
        silent: true,
      }),
    );
    expect(e.details.context).toMatch(/VJP|JVP/);
  });
});

describe("optim.step and nn.fit refuse to write NaN into the params", () => {
  // √|w| has a finite value at w = 0 but no finite derivative there: d√|w|/dw = sign(w)/(2√|w|) = 0/0.
  const loss = (p: { w: Tensor; b: Tensor }) => nb.add(nb.sum(nb.sqrt(nb.abs(p.w))), nb.sum(p.b));

  it("optim.step throws NonFiniteUpdateError naming the leaf, and the params stay as they were", () => {
    const params = { w: nb.array([0, 1]), b: nb.array([1]) };
    const step = nb.optim.step(nb.optim.adam({ learningRate: 0.1 }), loss);
    let error: unknown;
    try {
      step(params, null);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(nb.optim.NonFiniteLossError);
    const e = error as nb.optim.NonFiniteLossError & { paths: string[]; gradientPaths: string[] };
    expect(e.name).toBe("NonFiniteUpdateError");
    expect(e.paths).toEqual(["w"]);
    expect(e.gradientPaths).toEqual(["w"]);
    expect(e.step).toBe(0);
    expect(e.value).toBe(2); // the finite loss
    expect(e.message).toMatch(
      /^optim\.step: step 0 would write NaN or ±Infinity into w while the loss was finite/,
    );
    expect(params.w.toArray()).toEqual([0, 1]);
    // Without the check the update goes through, NaN and all.
    const unchecked = nb.optim.step(nb.optim.adam({ learningRate: 0.1 }), loss, { checkFinite: false });
    expect((unchecked(params, null).params.w.toArray() as number[])[0]).toBeNaN();
  });

  it("a finite update of params that were already NaN is not blamed on the step", () => {
    const step = nb.optim.step(nb.optim.sgd({ learningRate: 0.1 }), (p: { w: Tensor }) =>
      nb.sum(nb.mul(nb.where(nb.notEqual(p.w, p.w), 0, p.w), 2)),
    );
    expect(() => step({ w: nb.array([Number.NaN, 1]) }, null)).not.toThrow();
  });

  const model = nb.nn.Sequential([nb.nn.Linear(2, 3), nb.nn.Linear(3, 1)]);
  const { params } = model.init(0, [1, 2]);
  const fitOptions = (jit: boolean, onNonFinite?: "stop" | "skip") => ({
    model,
    params,
    // |Σ(o − t)| is 0 at zero inputs and targets: a finite loss whose gradient is NaN.
    loss: (o: Tensor, t: Tensor) => nb.sqrt(nb.abs(nb.sum(nb.sub(o, t)))),
    optimizer: nb.optim.sgd({ learningRate: 0.1 }),
    data: { x: nb.zeros([4, 2]), y: nb.zeros([4, 1]) },
    batchSize: 4,
    epochs: 2,
    jit,
    onNonFinite,
    log: () => {},
  });

  for (const jit of [true, false])
    it(`nn.fit stops with the error, naming the step and the parameters (${jit ? "compiled" : "eager"} step)`, () => {
      let error: unknown;
      try {
        nb.nn.fit(fitOptions(jit));
      } catch (e) {
        error = e;
      }
      const e = error as nb.optim.NonFiniteLossError & { paths: string[] };
      expect(e).toBeInstanceOf(nb.optim.NonFiniteLossError);
      expect(e.name).toBe("NonFiniteUpdateError");
      expect(e).toMatchObject({ step: 0, epoch: 0, batch: 0 });
      expect(e.paths).toEqual(["0.bias", "0.weight", "1.bias", "1.weight"]);
      expect(e.message).toMatch(/^fit: step 0 \(epoch 1\/2, batch 1\/1\) would write NaN/);
    });

  it("nn.fit with onNonFinite 'stop' returns the params unchanged, 'skip' skips every bad step", () => {
    const stopped = nb.nn.fit(fitOptions(true, "stop"));
    expect(stopped.history.stopReason).toBe("non-finite");
    expect(stopped.params).toBe(params);
    const skipped = nb.nn.fit(fitOptions(true, "skip"));
    expect(skipped.history.steps).toBe(0);
    expect(skipped.params).toBe(params);
  });
});
