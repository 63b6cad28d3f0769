// Benchmark worker for @jax-js/jax on its "wasm" device: workloads B1–B8, eager and jit, one JSON line each.
// jax-js counts references: every op consumes its Array arguments and `x.ref` adds one, so every persistent
// input is passed as `.ref`. Node 20 has no global Worker, so jax-js runs its kernels on one thread.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  B8_ITERS,
  B8_OPS,
  b2Ref,
  b7Ref,
  CNN_PARAM_NAMES,
  CNN_SHAPES,
  checkB8Grad,
  checkB8Value,
  checkCnnStep,
  checkFields,
  checkMatmul,
  checkMlpStep,
  checkTransformer,
  cnnInputs,
  comparatorRequire,
  createRunner,
  emit,
  hessianRef,
  inputs,
  measure,
  PARAM_NAMES,
  relErr,
  rosenGradRef,
  stats,
  TF_PARAM_NAMES,
  TF_SHAPES,
  thirdRef,
  timeRec,
  transformerInputs,
} from "./common.mjs";

const R = createRunner("jax-js");
const found = comparatorRequire("@jax-js/jax");
if (!found) {
  emit({ event: "unavailable", reason: "@jax-js/jax is not installed (see bench/README.md)" });
  process.exit(0);
}
const dist = path.dirname(found.req.resolve("@jax-js/jax"));
const jax = await import(pathToFileURL(path.join(dist, "index.js")).href);
const { numpy: np, nn, lax, grad, valueAndGrad, hessian, jacfwd, jit, init, defaultDevice } = jax;
await init("wasm"); // a bare init() probes WebGPU through `navigator`, which Node 20 lacks
defaultDevice("wasm");
const version = JSON.parse(fs.readFileSync(path.join(dist, "..", "package.json"), "utf8")).version;
emit({ event: "info", library: "jax-js", version, dir: found.dir, device: "wasm", node: process.version });

const data = async (y) => y.data(); // realizes and consumes y
const arr = (a, shape) => np.array(a, { shape });
/** Eager: `f` itself; jit: jit(f), whose compiled program `done()` releases. */
const wrap = (f, mode) => {
  const g = mode === "jit" ? jit(f) : f;
  return { f: g, done: () => g.dispose?.() };
};
const firstMs = (m, mode) => (mode === "jit" ? { first_ms: Number(m.firstMs.toFixed(1)) } : {});
async function each(w, body, modes = ["eager", "jit"]) {
  if (!R.want(w)) return;
  for (const size of R.sizes(w))
    for (const mode of modes) await R.run(w, size, mode, (t) => body(size, mode, t));
}

await each(
  "B1",
  async (size, _mode, t) => {
    const n = Number(size);
    const { a, b } = inputs.matmul(n);
    const [A, B] = [arr(a, [n, n]), arr(b, [n, n])];
    const m = await measure(() => data(np.matmul(A.ref, B.ref)), t);
    A.dispose();
    B.dispose();
    const gflops = (2 * n ** 3) / (m.ms * 1e6);
    return [{ value: gflops, unit: "GFLOPS", ...stats(m), ...checkFields(checkMatmul(m.first, a, b, n)) }];
  },
  ["eager"],
);

await each("B2", async (_size, mode, t) => {
  const x = inputs.b2();
  const X = arr(x, [x.length]);
  const { f, done } = wrap((v) => np.tanh(v.ref).mul(np.exp(v.ref.mul(v).neg())), mode);
  const m = await measure(() => data(f(X.ref)), t);
  done();
  X.dispose();
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, b2Ref(x))) })];
});

await each("B3", async (_size, mode, t) => {
  const d = inputs.mlp();
  const X = arr(d.X, [d.B, 784]);
  const Y = arr(d.Y, [d.B, 10]);
  let params = {};
  for (const k of PARAM_NAMES) {
    const l = Number(k[1]);
    params[k] = arr(d.params[k], k[0] === "W" ? [d.sizes[l], d.sizes[l + 1]] : [d.sizes[l + 1]]);
  }
  const lossFn = (p, x, y) => {
    let h = nn.relu(np.matmul(x, p.W0).add(p.b0));
    h = nn.relu(np.matmul(h, p.W1).add(p.b1));
    const logits = np.matmul(h, p.W2).add(p.b2);
    return nn.logSoftmax(logits, -1).mul(y).sum().neg().div(d.B);
  };
  const refs = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.ref]));
  const { f: step, done } = wrap((p, x, y) => {
    const [loss, g] = valueAndGrad(lossFn)(refs(p), x, y);
    return [loss, Object.fromEntries(PARAM_NAMES.map((k) => [k, p[k].sub(g[k].mul(d.lr))]))];
  }, mode);
  const m = await measure(async () => {
    const [loss, next] = step(params, X.ref, Y.ref);
    params = next;
    const values = {};
    for (const k of PARAM_NAMES) values[k] = await next[k].ref.data();
    return { loss: (await loss.data())[0], values };
  }, t);
  done();
  const check = { ...firstMs(m, mode), ...checkFields(checkMlpStep(m.first.loss, m.first.values, d)) };
  return [timeRec(m, check), { value: 1000 / m.ms, unit: "steps/s", ...stats(m), ...check }];
});

await each("B4", async (_size, mode, t) => {
  const x = inputs.rosen();
  const X = arr(x, [x.length]);
  const rosen = (v) => {
    const a = v.ref.slice([0, -1]);
    const b = v.slice([1]);
    const t1 = b.sub(a.ref.mul(a.ref));
    const t2 = a.neg().add(1);
    return t1.ref.mul(t1).mul(100).add(t2.ref.mul(t2)).sum();
  };
  const { f, done } = wrap(grad(rosen), mode);
  const m = await measure(() => data(f(X.ref)), t);
  done();
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, rosenGradRef(x))) })];
});

function tanhSum(n) {
  const { A, x } = inputs.tanhSum(n);
  const At = arr(A, [n, n]);
  return { A, x, X: arr(x, [n]), f: (v) => np.tanh(np.matmul(At.ref, v)).sum() };
}

await each("B5", async (size, mode, t) => {
  const n = Number(size);
  const { A, x, X, f } = tanhSum(n);
  const { f: H, done } = wrap(hessian(f), mode); // jacfwd(grad(f))
  const m = await measure(() => data(H(X.ref)), t);
  done();
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, hessianRef(A, x, n))) })];
});

await each("B6", async (size, mode, t) => {
  const n = Number(size);
  const { A, x, X, f } = tanhSum(n);
  const { f: D3, done } = wrap(jacfwd(hessian(f)), mode);
  const m = await measure(() => data(D3(X.ref)), t);
  done();
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, thirdRef(A, x, n))) })];
});

await each("B7", async (size, mode, t) => {
  const k = Number(size);
  const x = inputs.b7();
  const X = arr(x, [x.length]);
  let g = (v) => np.sin(v.ref).mul(np.exp(v.ref.mul(v).neg()));
  for (let i = 0; i < k; i++) {
    const prev = g;
    g = grad((v) => prev(v).sum());
  }
  const { f, done } = wrap(g, mode);
  const m = await measure(() => data(f(X.ref)), t);
  done();
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(relErr(m.first, b7Ref(x, k))) })];
});

await each("B8", async (size, mode, t) => {
  const f = (x, y) => {
    for (let i = 0; i < B8_ITERS; i++)
      x = np
        .sin(x.ref)
        .mul(y.ref)
        .add(x.div(y.ref.mul(y.ref).add(1)));
    y.dispose();
    return x;
  };
  const x0 = np.array(0.5);
  const y0 = np.array(0.3);
  let m;
  let err;
  if (size === "fwd") {
    const { f: fw, done } = wrap(f, mode);
    m = await measure(async () => (await data(fw(x0.ref, y0.ref)))[0], t);
    done();
    err = checkB8Value(m.first);
  } else {
    const { f: gf, done } = wrap(grad(f, { argnums: [0, 1] }), mode);
    m = await measure(async () => {
      const [gx, gy] = gf(x0.ref, y0.ref);
      return [(await gx.data())[0], (await gy.data())[0]];
    }, t);
    done();
    err = checkB8Grad(m.first[0], m.first[1]);
  }
  return [
    { value: (m.ms * 1000) / B8_OPS, unit: "us/op", ...stats(m), ...firstMs(m, mode), ...checkFields(err) },
  ];
});

const refs = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.ref]));

// B11: CNN step; max pooling as a max over the 2×2 blocks of a reshape (jax-js' reduceWindow takes no init).
await each("B11", async (_size, mode, t) => {
  const d = cnnInputs();
  const X = arr(d.x, [d.N, 1, 28, 28]);
  const onehot = new Float32Array(d.N * 10);
  d.labels.forEach((c, i) => (onehot[i * 10 + c] = 1));
  const Y = arr(onehot, [d.N, 10]);
  let params = {};
  for (const k of CNN_PARAM_NAMES) params[k] = arr(d.params[k], CNN_SHAPES[k]);
  const lossFn = (p, x, y) => {
    const conv = lax.convGeneralDilated(
      x,
      p.cw,
      [1, 1],
      [
        [1, 1],
        [1, 1],
      ],
    );
    const c = nn.relu(conv.add(p.cb.reshape([1, 8, 1, 1])));
    const h = c.reshape([d.N, 8, 14, 2, 14, 2]).max([3, 5]).reshape([d.N, 1568]);
    return nn.logSoftmax(np.matmul(h, p.W).add(p.b), -1).mul(y).sum().neg().div(d.N);
  };
  const { f: step, done } = wrap((p, x, y) => {
    const [loss, g] = valueAndGrad(lossFn)(refs(p), x, y);
    return [loss, Object.fromEntries(CNN_PARAM_NAMES.map((k) => [k, p[k].sub(g[k].mul(d.lr))]))];
  }, mode);
  const m = await measure(async () => {
    const [loss, next] = step(params, X.ref, Y.ref);
    params = next;
    const values = {};
    for (const k of CNN_PARAM_NAMES) values[k] = await next[k].ref.data();
    return { loss: (await loss.data())[0], values };
  }, t);
  done();
  const err = checkCnnStep(m.first.loss, m.first.values, d);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(err), loss0: m.first.loss })];
});

// B12: transformer block, loss and the 12 gradients. Attention is written out: nn.dotProductAttention goes
// through einsum, which needs iterator helpers that Node 20 lacks.
await each("B12", async (_size, mode, t) => {
  const d = transformerInputs();
  const [B, S, D, H] = [d.B, d.S, d.D, d.H];
  const X = arr(d.x, [B, S, D]);
  const P = Object.fromEntries(TF_PARAM_NAMES.map((k) => [k, arr(d.params[k], TF_SHAPES[k])]));
  const ln = (x, g, e) => {
    const xc = x.ref.sub(np.mean(x, -1, { keepdims: true }));
    const v = np.mean(xc.ref.mul(xc.ref), -1, { keepdims: true });
    return xc
      .div(np.sqrt(v.add(1e-5)))
      .mul(g)
      .add(e);
  };
  const lossFn = (p, x) => {
    const a = ln(x.ref, p.g1, p.e1);
    const split = (w, perm) =>
      np
        .matmul(a.ref, w)
        .reshape([B, S, H, D / H])
        .transpose(perm);
    const q = split(p.Wq, [0, 2, 1, 3]);
    const kT = split(p.Wk, [0, 2, 3, 1]);
    const v = split(p.Wv, [0, 2, 1, 3]);
    a.dispose();
    const w = nn.softmax(np.matmul(q, kT).mul(1 / Math.sqrt(D / H)), -1);
    const o = np.matmul(w, v).transpose([0, 2, 1, 3]).reshape([B, S, D]);
    const h = x.add(np.matmul(o, p.Wo));
    const z = np.matmul(ln(h.ref, p.g2, p.e2), p.W1).add(p.b1);
    const y = h.add(np.matmul(nn.gelu(z, { approximate: true }), p.W2)).add(p.b2);
    return np.mean(y.ref.mul(y));
  };
  const { f: fb, done } = wrap((p, x) => valueAndGrad(lossFn)(p, x), mode);
  const m = await measure(async () => {
    const [loss, g] = fb(refs(P), X.ref);
    const grads = {};
    for (const k of TF_PARAM_NAMES) grads[k] = await g[k].data();
    return { loss: (await loss.data())[0], grads };
  }, t);
  done();
  const err = checkTransformer(m.first.loss, m.first.grads, d);
  return [timeRec(m, { ...firstMs(m, mode), ...checkFields(err), loss0: m.first.loss })];
});

emit({ event: "done" });
process.exit(0); // jax-js keeps handles open
