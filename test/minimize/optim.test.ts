// nb.optim: optimizers against hand-written references (PyTorch's and optax's formulas), clipping,
// schedules, chain, purity, and the step / Trainer conveniences.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as optim from "../../src/optim/index.js";
import { expectTensor, values } from "../util/approx.js";

type T = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const GRADS = [
  [1, 2],
  [-1, 0.5],
  [3, -1],
];

/** Runs an optimizer for the fixed gradient sequence GRADS from params [1, −2]; returns params after each step. */
function run(opt: optim.GradientTransformation): number[][] {
  let params = { w: f64([1, -2]) };
  let state = opt.init(params);
  const out: number[][] = [];
  for (const g of GRADS) {
    const [updates, next] = opt.update({ w: f64(g) }, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
    out.push(values(params.w));
  }
  return out;
}

/** The same loop in plain JS numbers with a per-element update rule holding its own state. */
function reference(step: (g: number, p: number, i: number, t: number) => number): number[][] {
  const p = [1, -2];
  return GRADS.map((g, t) => {
    g.forEach((gi, i) => {
      p[i] = step(gi, p[i]!, i, t + 1);
    });
    return [...p];
  });
}

const expectRows = (got: number[][], want: number[][]) =>
  got.forEach((row, t) =>
    row.forEach((v, i) => expect(v, `step ${t + 1}, element ${i}`).toBeCloseTo(want[t]![i]!, 12)),
  );

describe("optimizers against their formulas", () => {
  it("adam, 3 steps", () => {
    const [lr, b1, b2, eps] = [0.1, 0.9, 0.999, 1e-8];
    const m = [0, 0];
    const v = [0, 0];
    const want = reference((g, p, i, t) => {
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      return p - (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps);
    });
    expectRows(run(optim.adam({ learningRate: lr })), want);
    // by hand: step 1 moves each weight by −lr·sign(g); at step 2, m̂ = −0.01 / 0.19 and v̂ = 1 for w[0]
    expectRows(run(optim.adam({ learningRate: lr })), [
      [0.900000001, -2.0999999995],
      [0.9052631588421052, -2.1830597522976385],
      [0.8492061387615774, -2.2129149265151247],
    ]);
  });

  it("sgd, with momentum and with Nesterov momentum (PyTorch: v ← μv + g)", () => {
    expectRows(
      run(optim.sgd({ learningRate: 0.1 })),
      reference((g, p) => p - 0.1 * g),
    );
    const buf = [0, 0];
    const momentum = reference((g, p, i) => {
      buf[i] = 0.9 * buf[i]! + g;
      return p - 0.1 * buf[i]!;
    });
    expectRows(run(optim.sgd({ learningRate: 0.1, momentum: 0.9 })), momentum);
    const nbuf = [0, 0];
    const nesterov = reference((g, p, i) => {
      nbuf[i] = 0.9 * nbuf[i]! + g;
      return p - 0.1 * (g + 0.9 * nbuf[i]!);
    });
    expectRows(run(optim.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })), nesterov);
    expectRows(
      run(optim.sgd({ learningRate: 0.1, weightDecay: 0.5 })),
      reference((g, p) => p - 0.1 * (g + 0.5 * p)),
    );
  });

  it("adamw decays weights decoupled from the adaptive step, only where the mask says", () => {
    const [lr, wd] = [0.1, 0.2];
    const m = [0, 0];
    const v = [0, 0];
    const want = reference((g, p, i, t) => {
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      return p - lr * (m[i]! / (1 - 0.9 ** t) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8) + wd * p);
    });
    expectRows(run(optim.adamw({ learningRate: lr, weightDecay: wd })), want);
    expectRows(
      run(optim.adamw({ learningRate: lr, weightDecay: wd, mask: () => false })),
      run(optim.adam({ learningRate: lr })),
    );
  });

  it("rmsprop: plain, centred, with momentum (PyTorch's formulas)", () => {
    const [lr, rho, eps] = [0.01, 0.9, 1e-8];
    const sq = [0, 0];
    expectRows(
      run(optim.rmsprop({ learningRate: lr })),
      reference((g, p, i) => {
        sq[i] = rho * sq[i]! + (1 - rho) * g * g;
        return p - (lr * g) / (Math.sqrt(sq[i]!) + eps);
      }),
    );
    const [s2, avg, buf] = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    expectRows(
      run(optim.rmsprop({ learningRate: lr, centered: true, momentum: 0.5 })),
      reference((g, p, i) => {
        s2[i] = rho * s2[i]! + (1 - rho) * g * g;
        avg[i] = rho * avg[i]! + (1 - rho) * g;
        buf[i] = 0.5 * buf[i]! + g / (Math.sqrt(s2[i]! - avg[i]! ** 2) + eps);
        return p - lr * buf[i]!;
      }),
    );
  });

  it("adagrad (PyTorch's formula)", () => {
    const acc = [0.1, 0.1];
    expectRows(
      run(optim.adagrad({ learningRate: 0.5, initialAccumulatorValue: 0.1 })),
      reference((g, p, i) => {
        acc[i] = acc[i]! + g * g;
        return p - (0.5 * g) / (Math.sqrt(acc[i]!) + 1e-10);
      }),
    );
  });

  it("a schedule is accepted wherever a learning rate is; it sees steps 0, 1, 2", () => {
    const seen: number[] = [];
    const lr = (step: number) => {
      seen.push(step);
      return 0.1 / (step + 1);
    };
    expectRows(
      run(optim.sgd({ learningRate: lr })),
      reference((g, p, _i, t) => p - (0.1 / t) * g),
    );
    expect([...new Set(seen)]).toEqual([0, 1, 2]);
  });
});

describe("purity and state", () => {
  it("update and applyUpdates never mutate their inputs", () => {
    const opt = optim.adam({ learningRate: 0.1 });
    const params = { w: f64([1, 2]) };
    const grads = { w: f64([0.5, -0.5]) };
    const state = opt.init(params);
    const before = JSON.stringify(nb.treeMap((t) => values(t as T), state));
    const [updates] = opt.update(grads, state, params);
    optim.applyUpdates(params, updates);
    expect(values(params.w)).toEqual([1, 2]);
    expect(values(grads.w)).toEqual([0.5, -0.5]);
    expect(JSON.stringify(nb.treeMap((t) => values(t as T), state))).toBe(before);
  });

  it("the state is a pytree of tensors: it can be saved and restored to continue identically", () => {
    const opt = optim.chain(optim.clipByGlobalNorm(10), optim.adam({ learningRate: 0.1 }));
    const params = { w: f64([1, 2]) };
    const s1 = opt.update({ w: f64([1, 1]) }, opt.init(params), params)[1];
    const saved = nb.treeMap(
      (t) => ({ data: values(t as T), dtype: (t as T).dtype, shape: (t as T).shape }),
      s1,
    );
    const restored = nb.treeMap(
      (t) => nb.reshape(nb.array(values(t as T), { dtype: (t as T).dtype }), (t as T).shape),
      s1,
    );
    expect(JSON.stringify(saved)).toContain("float64");
    const a = opt.update({ w: f64([2, -1]) }, s1, params)[0];
    const b = opt.update({ w: f64([2, -1]) }, restored, params)[0];
    expect(values(a.w)).toEqual(values(b.w));
  });

  it("mismatched structures are named", () => {
    const opt = optim.adam({ learningRate: 0.1 });
    const state = opt.init({ w: f64([1]) });
    expect(() => opt.update({ v: f64([1]) }, state)).toThrow("adam.update");
    expect(() => optim.applyUpdates({ w: f64([1, 2]) }, { w: f64([1]) })).toThrow(
      "applyUpdates: leaf w has shape [2]",
    );
    expect(() =>
      optim
        .adamw({ learningRate: 1 })
        .update({ w: f64([1]) }, optim.adamw({ learningRate: 1 }).init({ w: f64([1]) })),
    ).toThrow("needs the params");
  });
});

describe("clipping, chain and schedules", () => {
  it("clipByValue and clipByGlobalNorm", () => {
    expectTensor(optim.clipByValue(1).update({ w: f64([-3, 0.5, 2]) }, null)[0].w, [-1, 0.5, 1]);
    const [u] = optim.clipByGlobalNorm(1).update({ a: f64([3]), b: f64([4]) }, null);
    expectTensor(u.a, [0.6]);
    expectTensor(u.b, [0.8]);
    const [same] = optim.clipByGlobalNorm(10).update({ a: f64([3]), b: f64([4]) }, null);
    expectTensor(same.a, [3]);
    expect(optim.globalNorm({ a: f64([3]), b: [f64([4])] }).item()).toBe(5);
  });

  it("chain composes left to right", () => {
    const opt = optim.chain(optim.clipByGlobalNorm(1), optim.sgd({ learningRate: 0.5 }));
    const params = { w: f64([0, 0]) };
    const [u, state] = opt.update({ w: f64([30, 40]) }, opt.init(params), params);
    expectTensor(u.w, [-0.3, -0.4]);
    expect(Array.isArray(state)).toBe(true);
    const manual = optim.chain(optim.scale(2), optim.scaleByLearningRate(0.1));
    expectTensor(manual.update({ w: f64([1]) }, manual.init(params))[0].w, [-0.2]);
  });

  it("schedules: step, exponential, cosine, linear, warmup, warmup + cosine", () => {
    const step = optim.stepSchedule({ init: 0.1, stepSize: 10, gamma: 0.5 });
    expect([step(0), step(9), step(10), step(25)]).toEqual([0.1, 0.1, 0.05, 0.025]);
    expect(optim.exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 100 })(200)).toBeCloseTo(
      0.25,
      12,
    );
    expect(
      optim.exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 100, staircase: true })(150),
    ).toBe(0.5);
    const cos = optim.cosineDecay({ init: 1, decaySteps: 100, alpha: 0.1 });
    expect([cos(0), cos(50), cos(100), cos(1000)].map((v) => Number(v.toFixed(12)))).toEqual([
      1, 0.55, 0.1, 0.1,
    ]);
    expect(optim.linearSchedule({ init: 0, end: 1, steps: 10 })(5)).toBe(0.5);
    const w = optim.warmup({ steps: 10, after: optim.cosineDecay({ init: 0.1, decaySteps: 100 }) });
    expect([w(0), w(5), w(10), w(60), w(110)].map((v) => Number(v.toFixed(12)))).toEqual([
      0, 0.05, 0.1, 0.05, 0,
    ]);
    const wc = optim.warmupCosineDecay({ peak: 1e-3, warmupSteps: 100, decaySteps: 1000 });
    expect([wc(0), wc(100), wc(550), wc(1000)].map((v) => Number(v.toFixed(12)))).toEqual([
      0, 0.001, 0.0005, 0,
    ]);
    expect(optim.constantSchedule(0.3)(99)).toBe(0.3);
  });

  it("a schedule that returns NaN is reported with the step", () => {
    const opt = optim.sgd({ learningRate: (s) => (s < 1 ? 0.1 : Number.NaN) });
    const p = { w: f64([1]) };
    const s1 = opt.update({ w: f64([1]) }, opt.init(p), p)[1];
    expect(() => opt.update({ w: f64([1]) }, s1, p)).toThrow("sgd: the learning rate at step 1 is NaN");
  });
});

describe("step and Trainer", () => {
  const loss = (p: { w: T; b: T }, x: T, y: T) =>
    nb.mean(nb.square(nb.sub(nb.add(nb.matmul(x, p.w), p.b), y)));
  const x = f64([[0], [1], [2], [3]]);
  const y = f64([[1], [3], [5], [7]]);

  it("step is pure: (params, state, ...args) → { params, state, loss, grads }", () => {
    const train = optim.step(optim.adam({ learningRate: 0.1 }), loss);
    let params = { w: f64([[0]]), b: f64([0]) };
    let state: optim.OptState | null = null;
    let last = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 300; i++) {
      const r = train(params, state, x, y);
      ({ params, state } = r);
      last = r.loss;
    }
    expect(last).toBeLessThan(1e-3);
    expectTensor(params.w, [[2]], { atol: 0.05 });
    expectTensor(params.b, [1], { atol: 0.1 });
  });

  it("a NaN loss throws NonFiniteLossError naming the step, without updating", () => {
    const train = optim.step(optim.sgd({ learningRate: 0.1 }), (p: { w: T }) => nb.log(nb.sum(p.w)));
    let params = { w: f64([1]) };
    let state: optim.OptState | null = null;
    ({ params, state } = train(params, state)); // log(1): fine; w becomes 0.9
    ({ params, state } = train(params, state));
    const bad = { w: f64([-1]) };
    try {
      train(bad, state);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(optim.NonFiniteLossError);
      expect((e as optim.NonFiniteLossError).step).toBe(2);
      expect(String(e)).toContain("the loss is NaN at step 2");
    }
  });

  it("Trainer holds params, state and losses", () => {
    const trainer = new optim.Trainer(
      optim.sgd({ learningRate: 0.05, momentum: 0.9 }),
      { w: f64([[0]]), b: f64([0]) },
      loss,
    );
    for (let i = 0; i < 200; i++) trainer.step(x, y);
    expect(trainer.steps).toBe(200);
    expect(trainer.losses[199]!).toBeLessThan(trainer.losses[0]! / 100);
  });
});

describe("updates under jit and vmap (the step count is traced)", () => {
  const target = f64([1, 2, 3]);
  const loss = (p: { w: T }) => nb.sum(nb.square(nb.sub(p.w, target)));
  const optimizers: [string, optim.GradientTransformation][] = [
    ["adam", optim.adam({ learningRate: 0.1 })],
    [
      "adamw + warmupCosineDecay",
      optim.adamw({ learningRate: optim.warmupCosineDecay({ peak: 0.1, warmupSteps: 3, decaySteps: 10 }) }),
    ],
    [
      "sgd momentum + stepSchedule",
      optim.sgd({ learningRate: optim.stepSchedule({ init: 0.1, stepSize: 2, gamma: 0.5 }), momentum: 0.9 }),
    ],
    [
      "rmsprop centred + exponentialDecay",
      optim.rmsprop({
        learningRate: optim.exponentialDecay({
          init: 0.1,
          decayRate: 0.5,
          transitionSteps: 3,
          staircase: true,
        }),
        centered: true,
      }),
    ],
    [
      "adagrad + linearSchedule",
      optim.adagrad({ learningRate: optim.linearSchedule({ init: 0.5, end: 0.1, steps: 5 }) }),
    ],
    [
      "chain(clip, scaleByLearningRate(cosineDecay))",
      optim.chain(
        optim.clipByGlobalNorm(1),
        optim.scaleByLearningRate(optim.cosineDecay({ init: 0.1, decaySteps: 6 })),
      ),
    ],
  ];
  for (const [name, opt] of optimizers)
    it(`${name}: jit(step) follows the eager steps`, () => {
      const step = (p: { w: T }, s: optim.OptState) => {
        const [u, next] = opt.update(nb.grad(loss)(p), s, p);
        return [optim.applyUpdates(p, u), next] as const;
      };
      const fast = nb.jit(step);
      let [pe, se] = [{ w: f64([0, 0, 0]) }, opt.init({ w: f64([0, 0, 0]) })];
      let [pj, sj] = [pe, se];
      for (let i = 0; i < 8; i++) {
        [pe, se] = step(pe, se);
        [pj, sj] = fast(pj, sj);
        expectTensor(pj.w, values(pe.w), { rtol: 1e-6 });
      }
      const state = (Array.isArray(sj) ? sj[1] : sj) as { count: T };
      expect(values(state.count)).toEqual([8]);
    });

  it("per-example updates with vmap", () => {
    const opt = optim.adam({ learningRate: 0.1 });
    const one = (w: T) => {
      const [u] = opt.update({ w: nb.mul(2, w) }, opt.init({ w }), { w });
      return u.w;
    };
    const ws = f64([
      [1, 2],
      [3, 4],
    ]);
    const batched = nb.vmap(one)(ws);
    expectTensor(batched, [values(one(f64([1, 2]))), values(one(f64([3, 4])))], { rtol: 1e-12 });
  });

  it("a schedule of numbers is refused under jit (JavaScript would coerce the tensor), one of tensors works", () => {
    const byNumbers = optim.sgd({ learningRate: (s: number) => 0.1 * 0.5 ** s });
    const p = { w: f64([1]) };
    const jitted = nb.jit((w: T, s: optim.OptState) => byNumbers.update({ w }, s)[0].w);
    expect(() => jitted(p.w, byNumbers.init(p))).toThrow(
      /sgd: under jit or vmap the step count is a traced tensor, and the learning-rate schedule is a function of a number \(it returned no value \(it used the step as a number\)\)/,
    );
    const byTensors = optim.sgd({
      learningRate: ((s: number | T) => nb.mul(0.1, nb.pow(0.5, s))) as unknown as optim.Schedule,
    });
    const f = (w: T, s: optim.OptState) => byTensors.update({ w }, s)[0].w;
    let s = byTensors.init(p);
    s = byTensors.update({ w: f64([1]) }, s)[1];
    // the traced schedule runs in float32
    expectTensor(nb.jit(f)(f64([1]), s), values(f(f64([1]), s)), { rtol: 1e-7 });
    expect(values(f(f64([1]), s))[0]).toBeCloseTo(-0.05, 12);
  });
});
