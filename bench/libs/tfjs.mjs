// Benchmark worker for TensorFlow.js (argument: cpu or wasm): workloads B1–B8, one JSON line per result.
// tfjs has no jit, jacobian, hessian or vmap: Hessians are built from per-row grad-of-grad passes.
import path from "node:path";
import {
  B8_ITERS,
  B8_OPS,
  b2Ref,
  b7Ref,
  CNN_PARAM_NAMES,
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

const backend = process.argv[2] === "wasm" ? "wasm" : "cpu";
const R = createRunner(`tfjs-${backend}`);
const found = comparatorRequire("@tensorflow/tfjs");
if (!found) {
  emit({ event: "unavailable", reason: "@tensorflow/tfjs is not installed (see bench/README.md)" });
  process.exit(0);
}
const { req } = found;
// The union package registers gradients and chained ops (the tfjs-core CJS bundle alone does neither).
const tf = req("@tensorflow/tfjs");
if (backend === "wasm") {
  const wasm = req("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(path.dirname(req.resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
}
if (!(await tf.setBackend(backend))) throw new Error(`tfjs: could not set backend ${backend}`);
await tf.ready();
emit({
  event: "info",
  library: `tfjs-${backend}`,
  version: tf.version.tfjs,
  dir: found.dir,
  node: process.version,
});

const data = (fn) => {
  // Never return a TypedArray from tf.tidy: tidy walks returned containers element by element.
  const y = tf.tidy(fn);
  const v = y.dataSync();
  y.dispose();
  return v;
};
async function each(w, body) {
  if (!R.want(w)) return;
  for (const size of R.sizes(w)) await R.run(w, size, "eager", (t) => body(size, t));
}

// tfjs' tanh/exp gradients reuse the op's saved output, which is not on the outer tape, so grad-of-grad
// throws or is silently wrong. These versions differentiate by calling themselves again: right at any order.
const tanhHO = tf.customGrad((z, save) => {
  save([z]);
  return { value: tf.tanh(z), gradFunc: (dy, [zz]) => tf.mul(dy, tf.sub(1, tf.square(tanhHO(zz)))) };
});
const expHO = tf.customGrad((z, save) => {
  save([z]);
  return { value: tf.exp(z), gradFunc: (dy, [zz]) => tf.mul(dy, expHO(zz)) };
});
const WORKAROUND = "customGrad tanh/exp (tfjs' own give wrong higher derivatives)";

await each("B1", async (size, t) => {
  const n = Number(size);
  const { a, b } = inputs.matmul(n);
  const [A, B] = [tf.tensor(a, [n, n]), tf.tensor(b, [n, n])];
  const m = await measure(() => data(() => tf.matMul(A, B)), t);
  return [
    {
      value: (2 * n ** 3) / (m.ms * 1e6),
      unit: "GFLOPS",
      ...stats(m),
      ...checkFields(checkMatmul(m.first, a, b, n)),
    },
  ];
});

await each("B2", async (_size, t) => {
  const x = inputs.b2();
  const X = tf.tensor(x);
  const m = await measure(() => data(() => tf.tanh(X).mul(tf.exp(X.mul(X).neg()))), t);
  return [timeRec(m, checkFields(relErr(m.first, b2Ref(x))))];
});

await each("B3", async (_size, t) => {
  const d = inputs.mlp();
  const vars = PARAM_NAMES.map((k) => {
    const l = Number(k[1]);
    const shape = k[0] === "W" ? [d.sizes[l], d.sizes[l + 1]] : [d.sizes[l + 1]];
    return tf.variable(tf.tensor(d.params[k], shape), true, k);
  });
  const X = tf.tensor(d.X, [d.B, 784]);
  const Y = tf.tensor(d.Y, [d.B, 10]);
  const lossFn = () => {
    let h = X;
    for (let l = 0; l < 3; l++) {
      h = tf.add(tf.matMul(h, vars[2 * l]), vars[2 * l + 1]);
      if (l < 2) h = tf.relu(h);
    }
    return tf.losses.softmaxCrossEntropy(Y, h); // mean over the batch
  };
  const m = await measure(() => {
    let loss = 0;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      for (const v of vars) v.assign(v.sub(grads[v.name].mul(d.lr)));
      loss = value.dataSync()[0];
    });
    return { loss, values: Object.fromEntries(vars.map((v) => [v.name, v.dataSync()])) };
  }, t);
  const check = checkFields(checkMlpStep(m.first.loss, m.first.values, d));
  return [timeRec(m, check), { value: 1000 / m.ms, unit: "steps/s", ...stats(m), ...check }];
});

await each("B4", async (_size, t) => {
  const x = inputs.rosen();
  const n = x.length;
  const f = (v) => {
    const a = v.slice([0], [n - 1]);
    const b = v.slice([1], [n - 1]);
    return b.sub(a.square()).square().mul(100).add(tf.scalar(1).sub(a).square()).sum();
  };
  const g = tf.grad(f);
  const X = tf.tensor(x);
  const m = await measure(() => data(() => g(X)), t);
  return [timeRec(m, checkFields(relErr(m.first, rosenGradRef(x))))];
});

function tanhSum(n) {
  const { A, x } = inputs.tanhSum(n);
  const At = tf.tensor(A, [n, n]);
  const f = (v) => tanhHO(tf.matMul(At, v.reshape([n, 1]))).sum();
  return { A, x, X: tf.tensor(x), f, eye: tf.eye(n) };
}
const row = (eye, i, n) => eye.slice([i, 0], [1, n]).reshape([n]);

await each("B5", async (size, t) => {
  const n = Number(size);
  const { A, x, X, f, eye } = tanhSum(n);
  const g = tf.grad(f);
  // Row i of the Hessian is the gradient of ⟨∇f(x), e_i⟩.
  const hess = () =>
    tf.stack(
      Array.from({ length: n }, (_, i) =>
        tf.grad((z) =>
          g(z)
            .mul(row(eye, i, n))
            .sum(),
        )(X),
      ),
    );
  const m = await measure(() => data(hess), t);
  return [timeRec(m, { note: WORKAROUND, ...checkFields(relErr(m.first, hessianRef(A, x, n))) })];
});

await each("B6", async (size, t) => {
  const n = Number(size);
  const { A, x, X, f, eye } = tanhSum(n);
  const g = tf.grad(f);
  const third = () => {
    const slabs = [];
    for (let i = 0; i < n; i++) {
      const hi = (z) =>
        tf.grad((w) =>
          g(w)
            .mul(row(eye, i, n))
            .sum(),
        )(z);
      for (let j = 0; j < n; j++)
        slabs.push(
          tf.grad((z) =>
            hi(z)
              .mul(row(eye, j, n))
              .sum(),
          )(X),
        );
    }
    return tf.stack(slabs);
  };
  const m = await measure(() => data(third), t);
  return [timeRec(m, { note: WORKAROUND, ...checkFields(relErr(m.first, thirdRef(A, x, n))) })];
});

await each("B7", async (size, t) => {
  const k = Number(size);
  const x = inputs.b7();
  const X = tf.tensor(x);
  // k = 1 is right with tfjs' own exp; higher orders need the workaround.
  const exp = k === 1 ? tf.exp : expHO;
  let g = (v) => tf.sin(v).mul(exp(v.square().neg()));
  for (let i = 0; i < k; i++) {
    const prev = g;
    g = tf.grad((v) => prev(v).sum());
  }
  const m = await measure(() => data(() => g(X)), t);
  const note = k === 1 ? {} : { note: WORKAROUND };
  return [timeRec(m, { ...note, ...checkFields(relErr(m.first, b7Ref(x, k))) })];
});

await each("B8", async (size, t) => {
  const f = (x, y) => {
    for (let i = 0; i < B8_ITERS; i++)
      x = tf
        .sin(x)
        .mul(y)
        .add(x.div(tf.scalar(1).add(y.mul(y))));
    return x;
  };
  const x0 = tf.scalar(0.5);
  const y0 = tf.scalar(0.3);
  let m;
  let err;
  if (size === "fwd") {
    m = await measure(() => data(() => f(x0, y0))[0], t);
    err = checkB8Value(m.first);
  } else {
    const gf = tf.grads(f);
    m = await measure(
      () =>
        tf.tidy(() => {
          const [gx, gy] = gf([x0, y0]);
          return [gx.dataSync()[0], gy.dataSync()[0]];
        }),
      t,
    );
    err = checkB8Grad(m.first[0], m.first[1]);
  }
  return [{ value: (m.ms * 1000) / B8_OPS, unit: "us/op", ...stats(m), ...checkFields(err) }];
});

// B11: CNN step. tfjs' CPU convolution and pooling take NHWC, so the images and the conv weight are laid out
// NHWC and [kh, kw, in, out] once, outside the timed step; the pooled maps go back to channel-major order
// before the dense layer, so the model is B11's. The updated conv weight is permuted back for the check.
/** tfjs-cpu takes 1–2 s per B11 or B12 call: a --quick run skips them rather than wait for "too slow". */
const slowInQuick = () =>
  R.quick && backend === "cpu"
    ? [{ value: null, unit: "ms", error: "skipped in --quick (tfjs-cpu takes 1–2 s per call)" }]
    : undefined;

await each("B11", async (_size, t) => {
  const slow = slowInQuick();
  if (slow) return slow;
  // tfjs-wasm 4.22 has no kernel for the conv weight's gradient: skipped, not failed.
  if (!tf.getKernel("Conv2DBackpropFilter", tf.getBackend()))
    return [
      { value: null, unit: "ms", error: `skipped: tfjs-${backend} has no Conv2DBackpropFilter kernel` },
    ];
  const d = cnnInputs();
  const X = tf.tensor(d.x, [d.N, 1, 28, 28]).transpose([0, 2, 3, 1]);
  const Y = tf.oneHot(tf.tensor1d(d.labels, "int32"), 10).toFloat();
  const shapes = { cw: [8, 1, 3, 3], cb: [8], W: [1568, 10], b: [10] };
  const init = (k) => {
    const v = tf.tensor(d.params[k], shapes[k]);
    return k === "cw" ? v.transpose([2, 3, 1, 0]) : v; // OIHW → HWIO
  };
  const vars = Object.fromEntries(CNN_PARAM_NAMES.map((k) => [k, tf.variable(init(k), true, `cnn_${k}`)]));
  const lossFn = () => {
    const c = tf.relu(
      tf.add(
        tf.conv2d(X, vars.cw, 1, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        vars.cb,
      ),
    );
    const h = tf.maxPool(c, 2, 2, "valid").transpose([0, 3, 1, 2]).reshape([d.N, 1568]);
    return tf.losses.softmaxCrossEntropy(Y, tf.add(tf.matMul(h, vars.W), vars.b));
  };
  const list = CNN_PARAM_NAMES.map((k) => vars[k]);
  const m = await measure(() => {
    let loss = 0;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, list);
      for (const v of list) v.assign(v.sub(grads[v.name].mul(d.lr)));
      loss = value.dataSync()[0];
    });
    const values = {};
    for (const k of CNN_PARAM_NAMES) values[k] = vars[k].dataSync();
    return { loss, values };
  }, t);
  const hwio = m.first.values.cw;
  const cw = new Float32Array(72);
  for (let o = 0; o < 8; o++) for (let k = 0; k < 9; k++) cw[o * 9 + k] = hwio[k * 8 + o];
  const err = checkCnnStep(m.first.loss, { ...m.first.values, cw }, d);
  return [timeRec(m, { ...checkFields(err), loss0: m.first.loss, note: "NHWC layout (tfjs' CPU conv)" })];
});

// B12: transformer block, loss and the 12 gradients (tf.valueAndGrads); GELU (tanh) written out.
await each("B12", async (_size, t) => {
  const slow = slowInQuick();
  if (slow) return slow;
  const d = transformerInputs();
  const [B, S, D, H] = [d.B, d.S, d.D, d.H];
  const Dh = D / H;
  const X = tf.tensor(d.x, [B * S, D]);
  const params = TF_PARAM_NAMES.map((k) => tf.tensor(d.params[k], TF_SHAPES[k]));
  const ln = (x, g, e) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x
      .sub(mean)
      .div(tf.sqrt(variance.add(1e-5)))
      .mul(g)
      .add(e);
  };
  const heads = (v) =>
    v
      .reshape([B, S, H, Dh])
      .transpose([0, 2, 1, 3])
      .reshape([B * H, S, Dh]);
  const gelu = (z) =>
    z.mul(0.5).mul(tf.tanh(z.add(z.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
  const loss = (Wq, Wk, Wv, Wo, W1, b1, W2, b2, g1, e1, g2, e2) => {
    const a = ln(X, g1, e1);
    const [q, k, v] = [heads(tf.matMul(a, Wq)), heads(tf.matMul(a, Wk)), heads(tf.matMul(a, Wv))];
    const w = tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(Dh)));
    const o = tf
      .matMul(w, v)
      .reshape([B, H, S, Dh])
      .transpose([0, 2, 1, 3])
      .reshape([B * S, D]);
    const h = X.add(tf.matMul(o, Wo));
    const y = h.add(tf.matMul(gelu(tf.matMul(ln(h, g2, e2), W1).add(b1)), W2)).add(b2);
    return y.square().mean();
  };
  const vg = tf.valueAndGrads(loss);
  const m = await measure(() => {
    const out = { loss: 0, grads: {} };
    tf.tidy(() => {
      const { value, grads } = vg(params);
      out.loss = value.dataSync()[0];
      TF_PARAM_NAMES.forEach((k, i) => (out.grads[k] = grads[i].dataSync()));
    });
    return out;
  }, t);
  const err = checkTransformer(m.first.loss, m.first.grads, d);
  return [timeRec(m, { ...checkFields(err), loss0: m.first.loss })];
});

emit({ event: "done" });
