// Benchmark worker for nabla: workloads B1–B10, eager and (when nb.jit exists) jit; one JSON line per result.
import * as nb from "nabla";
import {
  B8_ITERS,
  B8_OPS,
  b2Ref,
  b7Ref,
  b10Inputs,
  type CaseResult,
  CNN_PARAM_NAMES,
  CNN_SHAPES,
  checkB8Grad,
  checkB8Value,
  checkB10,
  checkCnnStep,
  checkFields,
  checkMatmul,
  checkMlpStep,
  checkRnnStep,
  checkTransformer,
  cnnInputs,
  createRunner,
  emit,
  hessianRef,
  inputs,
  type Measured,
  type Mode,
  measure,
  modesOf,
  PARAM_NAMES,
  RNN_PARAM_NAMES,
  relErr,
  rnnInputs,
  rosenGradRef,
  stats,
  TF_PARAM_NAMES,
  TF_SHAPES,
  type Timing,
  thirdRef,
  timeRec,
  transformerInputs,
} from "./common.mjs";

type Params = Record<string, nb.Tensor>;
const jit = (nb as unknown as { jit?: <F>(f: F) => F }).jit;
const modes: Mode[] = typeof jit === "function" ? ["eager", "jit"] : ["eager"];
const wrap = <F>(f: F, mode: Mode): F => (mode === "jit" ? jit!(f) : f);
/** Extra fields of a timed record: the first call's time (trace + compile) in jit mode. */
const firstMs = (m: Measured<unknown>, mode: Mode) =>
  mode === "jit" ? { first_ms: Number(m.firstMs.toFixed(1)) } : {};

const R = createRunner("nabla");
emit({
  event: "info",
  library: "nabla",
  jit: modes.includes("jit"),
  node: process.version,
  backend: nb.getBackend().name,
});

const tensor = (a: Float32Array, shape: number[]) => nb.reshape(nb.array(a), shape);
// Results are read without a copy (readonlyData, the tensor's own memory; the checks only read it), as
// tfjs-cpu's dataSync hands back its own array.
const data = (t: nb.Tensor) => t.readonlyData() as unknown as Float32Array;

/** Runs `body` once per mode for each size of a workload. */
async function each(
  w: Parameters<typeof R.run>[0],
  body: (size: string, mode: Mode, t: typeof R.timing) => Promise<CaseResult[]>,
  caseModes: Mode[] = modes,
) {
  if (!R.want(w)) return;
  for (const size of R.sizes(w))
    for (const mode of modesOf(w, size, caseModes)) await R.run(w, size, mode, (t) => body(size, mode, t));
}

// B1: matmul of two n×n matrices (a single kernel, so eager only).
await each(
  "B1",
  async (size, _mode, t) => {
    const n = Number(size);
    const { a, b } = inputs.matmul(n);
    const [A, B] = [tensor(a, [n, n]), tensor(b, [n, n])];
    const m = await measure(() => data(nb.matmul(A, B)), t);
    const gflops = (2 * n ** 3) / (m.ms * 1e6);
    return [{ value: gflops, unit: "GFLOPS", ...stats(m), ...checkFields(checkMatmul(m.first, a, b, n)) }];
  },
  ["eager"],
);

// B2: y = tanh(x)·exp(−x²) over 1e6 elements.
await each("B2", async (_size, mode, t) => {
  const x = inputs.b2();
  const X = nb.array(x);
  const f = wrap((v: nb.Tensor) => nb.mul(nb.tanh(v), nb.exp(nb.neg(nb.mul(v, v)))), mode);
  const m = await measure(() => data(f(X)), t);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, b2Ref(x))) })];
});

// B3: one SGD step of the MLP 784-256-128-10; every output (loss and six parameters) is read back.
await each("B3", async (size, mode, t) => {
  const dropout = size === "128-dropout";
  const d = inputs.mlp();
  const X = tensor(d.X, [d.B, 784]);
  const Y = tensor(d.Y, [d.B, 10]);
  const shapes: Record<string, number[]> = {};
  PARAM_NAMES.forEach((k) => {
    const l = Number(k[1]);
    shapes[k] = k[0] === "W" ? [d.sizes[l]!, d.sizes[l + 1]!] : [d.sizes[l + 1]!];
  });
  // Inverted dropout, as nn.Dropout(0.1) applies it: a fresh mask each step from the step's key.
  const drop = (h: nb.Tensor, key: nb.Tensor | undefined) =>
    key === undefined ? h : nb.where(nb.random.bernoulli(key, 0.9, h.shape), nb.div(h, 0.9), 0);
  const loss = (p: Params, x: nb.Tensor, y: nb.Tensor, key?: nb.Tensor) => {
    const [k1, k2] = key === undefined ? [undefined, undefined] : nb.random.split(key);
    const h1 = drop(nb.relu(nb.add(nb.matmul(x, p.W0!), p.b0!)), k1);
    const h2 = drop(nb.relu(nb.add(nb.matmul(h1, p.W1!), p.b1!)), k2);
    const logits = nb.add(nb.matmul(h2, p.W2!), p.b2!);
    return nb.div(nb.neg(nb.sum(nb.mul(nb.logSoftmax(logits, -1), y))), d.B);
  };
  const step = wrap((p: Params, x: nb.Tensor, y: nb.Tensor, key?: nb.Tensor): [nb.Tensor, Params] => {
    const [l, g] = nb.valueAndGrad(loss)(p, x, y, key);
    const next: Params = {};
    for (const k of PARAM_NAMES) next[k] = nb.sub(p[k]!, nb.mul(g[k] as nb.Tensor, d.lr));
    return [l as nb.Tensor, next];
  }, mode);
  let params: Params = {};
  for (const k of PARAM_NAMES) params[k] = tensor(d.params[k]!, shapes[k]!);
  let stepCount = 0;
  const base = nb.random.key(0);
  const m = await measure(() => {
    const [l, next] = dropout ? step(params, X, Y, nb.random.foldIn(base, stepCount++)) : step(params, X, Y);
    params = next;
    const values: Record<string, Float32Array> = {};
    for (const k of PARAM_NAMES) values[k] = data(next[k]!);
    return { loss: l.item(), values };
  }, t);
  // The masks make the dropout step's numbers its own: only the plain step is checked against the reference.
  const extra = dropout
    ? { ...firstMs(m, mode), note: "Dropout(0.1) after both hidden layers, masks from foldIn(key, step)" }
    : { ...firstMs(m, mode), ...checkFields(checkMlpStep(m.first.loss, m.first.values, d)) };
  return [timeRec(m, extra), { value: 1000 / m.ms, unit: "steps/s", ...stats(m), ...extra }];
});

// B4: gradient of the Rosenbrock sum over n = 1e6.
await each("B4", async (size, mode, t) => {
  const x = inputs.rosen();
  const n = x.length;
  const rosen = (v: nb.Tensor) => {
    const a = nb.slice(v, [0], [n - 1]);
    const b = nb.slice(v, [1], [n - 1]);
    return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(b, nb.square(a)))), nb.square(nb.sub(1, a))));
  };
  // "1e6-grad-of-jit": reverse mode through the compiled call (its backward pass compiled as one call).
  const ofJit = size === "1e6-grad-of-jit";
  const g = ofJit ? nb.grad(nb.jit(rosen)) : wrap(nb.grad(rosen), mode);
  const X = nb.array(x);
  const m = await measure(() => data(g(X)), t);
  // The two forms also timed call by call in turn, in one window: rows timed minutes apart differ by more
  // than the forms do on a shared machine.
  const ref = ofJit ? jit!(nb.grad(rosen)) : undefined;
  const paired = ref
    ? alternately(
        () => data(g(X)),
        () => data(ref(X)),
        40,
      )
    : undefined;
  const extra = paired ? { paired_ms: paired[0], paired_jit_of_grad_ms: paired[1] } : {};
  return [timeRec(m, { ...firstMs(m, mode), ...extra, ...checkFields(relErr(m.first, rosenGradRef(x))) })];
});

/** Medians of a's and b's times (ms) over `n` calls of each, taken in turn (after a few of each). */
function alternately(a: () => unknown, b: () => unknown, n: number): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n + 5; i++)
    for (const [f, ts] of i % 2
      ? ([
          [a, ta],
          [b, tb],
        ] as const)
      : ([
          [b, tb],
          [a, ta],
        ] as const)) {
      const t0 = performance.now();
      f();
      if (i >= 5) ts.push(performance.now() - t0);
    }
  const median = (ts: number[]) => Number(ts.sort((p, q) => p - q)[ts.length >> 1]!.toFixed(3));
  return [median(ta), median(tb)];
}

/** f(x) = Σ tanh(A x) with A from the shared inputs. */
function tanhSum(n: number) {
  const { A, x } = inputs.tanhSum(n);
  const At = tensor(A, [n, n]);
  return { A, x, X: nb.array(x), f: (v: nb.Tensor) => nb.sum(nb.tanh(nb.matmul(At, v))) };
}

// B5: full Hessian (nb.hessian = jacfwd of jacrev).
await each("B5", async (size, mode, t) => {
  const n = Number(size);
  const { A, x, X, f } = tanhSum(n);
  const H = wrap(nb.hessian(f), mode);
  const m = await measure(() => data(H(X)), t);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, hessianRef(A, x, n))) })];
});

// B6: third-order derivative tensor (jacfwd of jacfwd of jacrev).
await each("B6", async (size, mode, t) => {
  const n = Number(size);
  const { A, x, X, f } = tanhSum(n);
  const D3 = wrap(nb.derivative(f, 3), mode);
  const m = await measure(() => data(D3(X)), t);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, thirdRef(A, x, n))) })];
});

// B7: k-th derivative of sin(x)·exp(−x²) at 1e5 points: nb.derivative of the scalar function (Taylor mode),
// mapped over the points with vmap.
await each("B7", async (size, mode, t) => {
  const k = Number(size);
  const x = inputs.b7();
  const X = nb.array(x);
  const g = (v: nb.Tensor): nb.Tensor => nb.mul(nb.sin(v), nb.exp(nb.neg(nb.square(v))));
  const gk = wrap(nb.vmap(nb.derivative(g, k)) as (v: nb.Tensor) => nb.Tensor, mode);
  const m = await measure(() => data(gk(X)), t);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, b7Ref(x, k))) })];
});

// B8: scalar graph, 250 × (x = sin(x)·y + x/(1 + y·y)); gradient with respect to x and y, or forward only.
await each("B8", async (size, mode, t) => {
  const f = (x: nb.Tensor, y: nb.Tensor) => {
    for (let i = 0; i < B8_ITERS; i++) x = nb.add(nb.mul(nb.sin(x), y), nb.div(x, nb.add(1, nb.mul(y, y))));
    return x;
  };
  const x0 = nb.array(0.5);
  const y0 = nb.array(0.3);
  let m: Measured<number[]>;
  let err: number;
  if (size === "fwd") {
    const fw = wrap(f, mode);
    m = await measure(() => [fw(x0, y0).item()], t);
    err = checkB8Value(m.first[0]!);
  } else {
    const g = wrap(nb.grad(f, { argnums: [0, 1] }) as (x: nb.Tensor, y: nb.Tensor) => nb.Tensor[], mode);
    m = await measure(() => g(x0, y0).map((v) => v.item()), t);
    err = checkB8Grad(m.first[0]!, m.first[1]!);
  }
  const perOp = (m.ms * 1000) / B8_OPS;
  return [{ value: perOp, unit: "us/op", ...stats(m), ...firstMs(m, mode), ...checkFields(err) }];
});

// B9: tanh RNN (batch 32, hidden 128, input 64), h_t = tanh(x_t W + h_{t−1} U + b), loss = mean(h_T²);
// one SGD step (lr 0.01) of W, U and b, the time loop written with nb.lax.scan inside nb.valueAndGrad.
// Cases: the step at T = 100 (jit and eager), the same step with the time loop as a JS for-loop unrolled
// under jit, and the first call of a freshly built nb.jit(step) (trace + compile + one run) at T = 10, 100
// and 1,000. The loss and all three updates of the first step are checked against float64 BPTT.
/** A fresh RNN step: new closures each time, so nothing is reused from an earlier trace or compile. */
function rnnStep(lr: number, unrolled: boolean) {
  const cell = (p: Params) => (h: nb.Tensor, x: nb.Tensor) =>
    nb.tanh(nb.add(nb.add(nb.matmul(x, p.W!), nb.matmul(h, p.U!)), p.b!));
  const loss = (p: Params, xs: nb.Tensor, h0: nb.Tensor) => {
    let h = h0;
    if (unrolled) {
      const [T, B, I] = xs.shape as [number, number, number];
      for (let t = 0; t < T; t++) h = cell(p)(h, nb.reshape(nb.slice(xs, [t, 0, 0], [1, B, I]), [B, I]));
    } else {
      const step = cell(p);
      h = nb.lax.scan((c: nb.Tensor, x: nb.Tensor) => [step(c, x), null], h0, xs)[0] as nb.Tensor;
    }
    return nb.mean(nb.square(h));
  };
  return (p: Params, xs: nb.Tensor, h0: nb.Tensor): [nb.Tensor, Params] => {
    const [l, g] = nb.valueAndGrad(loss)(p, xs, h0);
    const next: Params = {};
    for (const k of RNN_PARAM_NAMES) next[k] = nb.sub(p[k]!, nb.mul(g[k] as nb.Tensor, lr));
    return [l as nb.Tensor, next];
  };
}

function rnnSetup(T: number) {
  const d = rnnInputs(T);
  const shapes: Record<string, number[]> = { W: [d.I, d.H], U: [d.H, d.H], b: [d.H] };
  const params: Params = {};
  for (const k of RNN_PARAM_NAMES) params[k] = tensor(d.params[k]!, shapes[k]!);
  return { d, params, xs: tensor(d.xs, [T, d.B, d.I]), h0: nb.zeros([d.B, d.H]) };
}

/** Runs a step and reads back the loss and every updated parameter. */
function rnnRun(step: ReturnType<typeof rnnStep>, p: Params, xs: nb.Tensor, h0: nb.Tensor) {
  const [l, next] = step(p, xs, h0);
  const values: Record<string, Float32Array> = {};
  for (const k of RNN_PARAM_NAMES) values[k] = data(next[k]!);
  return { loss: l.item(), values, next };
}

/** First-call times of `fresh` fresh nb.jit(step) builds: their median, and the count. */
async function firstCalls(T: number, t: Timing) {
  const { d, params, xs, h0 } = rnnSetup(T);
  const times: number[] = [];
  const seconds: number[] = [];
  const lowers: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < (R.quick ? 1 : 3); i++) {
    globalThis.gc?.();
    const step = jit!(rnnStep(d.lr, false));
    const start = performance.now();
    rnnRun(step, params, xs, h0);
    times.push(performance.now() - start);
    // A second call of the same build: the run alone, so first − second estimates trace + compile.
    const again = performance.now();
    rnnRun(step, params, xs, h0);
    seconds.push(performance.now() - again);
    // Trace and compile alone, without running: `lower` on another new build.
    const fresh = jit!(rnnStep(d.lr, false)) as unknown as { lower(...a: unknown[]): unknown };
    const lowerStart = performance.now();
    fresh.lower(params, xs, h0);
    lowers.push(performance.now() - lowerStart);
    if (times.reduce((a, b) => a + b, 0) > t.capMs) break;
  }
  const used = process.cpuUsage(cpu0);
  const total = [...times, ...seconds, ...lowers].reduce((a, b) => a + b, 0);
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  return {
    ms: median(times),
    secondMs: median(seconds),
    lowerMs: median(lowers),
    reps: times.length,
    cpu: Number(((used.user + used.system) / 1000 / total).toFixed(2)),
  };
}

await each("B9", async (size, mode, t) => {
  if (size.startsWith("compile-T")) {
    const m = await firstCalls(Number(size.slice("compile-T".length)), t);
    const second_ms = Number(m.secondMs.toFixed(1));
    const lower_ms = Number(m.lowerMs.toFixed(1));
    const note =
      "first call of a new nb.jit(step); second_ms: the next call of the same build; lower_ms: trace and compile only (jit(step).lower)";
    return [{ value: m.ms, unit: "ms", reps: m.reps, cpu: m.cpu, second_ms, lower_ms, note }];
  }
  const { d, params: p0, xs, h0 } = rnnSetup(100);
  const step = wrap(rnnStep(d.lr, size === "T100-unrolled"), mode);
  let params = p0;
  const m = await measure(() => {
    const r = rnnRun(step, params, xs, h0);
    params = r.next;
    return r;
  }, t);
  const extra = { ...firstMs(m, mode), ...checkFields(checkRnnStep(m.first.loss, m.first.values, d)) };
  return [timeRec(m, extra)];
});

// B10: float64 Cholesky, solve (b of shape [n, 1]) and eigh of an SPD matrix, n = 64, 256, 1,024; each is a
// single primitive, so eager only. A function nb.linalg does not have (yet) is skipped: its cells show "—".
type LinalgB10 = {
  cholesky?: (a: nb.Tensor) => nb.Tensor;
  solve?: (a: nb.Tensor, b: nb.Tensor) => nb.Tensor;
  eigh?: (a: nb.Tensor) => { eigenvalues: nb.Tensor; eigenvectors: nb.Tensor };
};
const linalgB10 = (nb as unknown as { linalg?: LinalgB10 }).linalg;
if (R.want("B10"))
  for (const size of R.sizes("B10")) {
    const [op, nText] = size.split("-") as [keyof LinalgB10, string];
    const fn = linalgB10?.[op];
    if (typeof fn !== "function") {
      process.stderr.write(`nabla: B10 ${size} skipped: nb.linalg.${op} does not exist\n`);
      continue;
    }
    await R.run("B10", size, "eager", async (t) => {
      const n = Number(nText);
      const { a, b } = b10Inputs(n);
      const A = nb.reshape(nb.array(a, { dtype: "float64" }), [n, n]);
      const Bm = nb.reshape(nb.array(b, { dtype: "float64" }), [n, 1]);
      const f64 = (x: nb.Tensor) => x.dataSync() as Float64Array;
      const L = linalgB10!;
      const run = (): { l?: Float64Array; x?: Float64Array; w?: Float64Array; v?: Float64Array } => {
        if (op === "cholesky") return { l: f64(L.cholesky!(A)) };
        if (op === "solve") return { x: f64(L.solve!(A, Bm)) };
        const r = L.eigh!(A);
        return { w: f64(r.eigenvalues), v: f64(r.eigenvectors) };
      };
      const m = await measure(run, t);
      return [timeRec(m, checkFields(checkB10(op, n, a, b, m.first)))];
    });
  }

// B11: one SGD step (lr 0.01) of a small CNN on x [64, 1, 28, 28]: conv 8×3×3 (pad 1) + bias, ReLU, 2×2 max
// pool, flatten to [64, 1568], dense 1568→10, mean cross-entropy on integer labels; written with nb.nn's
// functions as a user would. The loss and all four updated parameters are read back and checked.
await each("B11", async (_size, mode, t) => {
  const d = cnnInputs();
  const X = tensor(d.x, [d.N, 1, 28, 28]);
  const Y = nb.array(d.labels, { dtype: "int32" });
  const loss = (p: Params, x: nb.Tensor, y: nb.Tensor) => {
    const c = nb.relu(nb.nn.conv2d(x, p.cw!, { padding: 1, bias: p.cb! }));
    const h = nb.reshape(nb.nn.maxPool2d(c, 2), [d.N, 1568]);
    return nb.nn.crossEntropy(nb.add(nb.matmul(h, p.W!), p.b!), y);
  };
  const step = wrap((p: Params, x: nb.Tensor, y: nb.Tensor): [nb.Tensor, Params] => {
    const [l, g] = nb.valueAndGrad(loss)(p, x, y);
    const next: Params = {};
    for (const k of CNN_PARAM_NAMES) next[k] = nb.sub(p[k]!, nb.mul(g[k] as nb.Tensor, d.lr));
    return [l as nb.Tensor, next];
  }, mode);
  let params: Params = {};
  for (const k of CNN_PARAM_NAMES) params[k] = tensor(d.params[k]!, CNN_SHAPES[k]!);
  const m = await measure(() => {
    const [l, next] = step(params, X, Y);
    params = next;
    const values: Record<string, Float32Array> = {};
    for (const k of CNN_PARAM_NAMES) values[k] = data(next[k]!);
    return { loss: l.item(), values };
  }, t);
  const err = checkCnnStep(m.first.loss, m.first.values, d);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(err), loss0: m.first.loss })];
});

// B12: loss and gradients of all 12 parameters of a pre-LayerNorm transformer block on x [8, 64, 128]:
// 4-head self-attention (nb.nn.scaledDotProductAttention) and a 128→512→128 GELU (tanh) MLP, both residual,
// loss mean(y²). Every gradient is read back; the check is the loss and three directional derivatives.
await each("B12", async (_size, mode, t) => {
  const d = transformerInputs();
  const [B, S, D, H] = [d.B, d.S, d.D, d.H];
  const X = tensor(d.x, [B, S, D]);
  const norm = nb.nn.LayerNorm(D, { eps: 1e-5 });
  const heads = (v: nb.Tensor) => nb.transpose(nb.reshape(v, [B, S, H, D / H]), [0, 2, 1, 3]);
  const loss = (p: Params, x: nb.Tensor) => {
    const a = norm.apply({ weight: p.g1!, bias: p.e1! }, x);
    const q = heads(nb.matmul(a, p.Wq!));
    const k = heads(nb.matmul(a, p.Wk!));
    const v = heads(nb.matmul(a, p.Wv!));
    const o = nb.reshape(nb.transpose(nb.nn.scaledDotProductAttention(q, k, v), [0, 2, 1, 3]), [B, S, D]);
    const h = nb.add(x, nb.matmul(o, p.Wo!));
    const z = nb.add(nb.matmul(norm.apply({ weight: p.g2!, bias: p.e2! }, h), p.W1!), p.b1!);
    const y = nb.add(nb.add(h, nb.matmul(nb.gelu(z, { approximate: true }), p.W2!)), p.b2!);
    return nb.mean(nb.square(y));
  };
  const fb = wrap((p: Params, x: nb.Tensor) => nb.valueAndGrad(loss)(p, x) as [nb.Tensor, Params], mode);
  const params: Params = {};
  for (const k of TF_PARAM_NAMES) params[k] = tensor(d.params[k]!, TF_SHAPES[k]!);
  const m = await measure(() => {
    const [l, g] = fb(params, X);
    const grads: Record<string, Float32Array> = {};
    for (const k of TF_PARAM_NAMES) grads[k] = data(g[k]!);
    return { loss: l.item(), grads };
  }, t);
  const err = checkTransformer(m.first.loss, m.first.grads, d);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(err), loss0: m.first.loss })];
});

emit({ event: "done" });
