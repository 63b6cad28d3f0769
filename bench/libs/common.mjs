// Shared by the benchmark workers and the parent: case lists, seeded inputs, the timer, JSON-line output and
// float64 reference results for the correctness checks. Plain JS so the comparator workers run on bare node.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const WORKLOADS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12"];

/**
 * The sizes run for a workload: matrix size (B1), n (B5, B6), k (B7), the measured pass (B8). nabla also
 * runs B7 up to k = 10 (the growth from k = 1 to k = 10 is one of its bars); without a library, the union.
 * B9's "sizes" are its cases: the step at T = 100 (scan, and a JS loop unrolled under jit), and the first
 * (compiling) call at T = 10, 100 and 1,000.
 */
export function sizesOf(workload, quick, library) {
  switch (workload) {
    case "B1":
      return quick ? ["256"] : ["256", "512", "1024"];
    case "B2":
      return ["1e6"];
    case "B4":
      // "1e6-grad-of-jit": nb.grad(nb.jit(f)) rather than nb.jit(nb.grad(f)) (nabla only, jit only).
      return library === undefined || library === "nabla" ? ["1e6", "1e6-grad-of-jit"] : ["1e6"];
    case "B3":
      // "128-dropout": the same step with Dropout after each hidden layer (nabla only, jit only).
      return library === undefined || library === "nabla" ? ["128", "128-dropout"] : ["128"];
    case "B5":
      return quick ? ["100"] : ["100", "300"];
    case "B6":
      return ["20"];
    case "B7":
      if (quick) return ["1", "2", "3"];
      return library === undefined || library === "nabla"
        ? ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
        : ["1", "2", "3", "4", "5"];
    case "B8":
      return ["fwd+bwd", "fwd"];
    case "B9":
      return B9_SIZES;
    case "B11":
      return ["64"]; // the batch
    case "B12":
      return ["8x64x128"]; // batch × sequence × model width
    case "B10":
      return (quick ? [64] : B10_N).flatMap((n) => B10_OPS.map((op) => `${op}-${n}`));
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

/** B9's cases (see sizesOf). Only "T100" has an eager mode; the others are jit only. */
export const B9_SIZES = ["T100", "T100-unrolled", "compile-T10", "compile-T100", "compile-T1000"];

/** B10's operations and sizes: a case (and a table row) per op and n, named like "cholesky-256". */
export const B10_OPS = ["cholesky", "solve", "eigh"];
export const B10_N = [64, 256, 1024];

/** The modes a case runs in, out of the ones a library has: B1 and B10 (one kernel) are eager only, B9 mostly jit. */
export function modesOf(workload, size, modes) {
  if (workload === "B1" || workload === "B10") return modes.filter((m) => m === "eager");
  if (workload === "B9" && size !== "T100") return modes.filter((m) => m === "jit");
  if (workload === "B3" && size === "128-dropout") return modes.filter((m) => m === "jit");
  if (workload === "B4" && size === "1e6-grad-of-jit") return modes.filter((m) => m === "jit");
  return modes;
}

export function unitsOf(workload) {
  if (workload === "B1") return ["GFLOPS"];
  if (workload === "B3") return ["ms", "steps/s"];
  if (workload === "B8") return ["us/op"];
  return ["ms"];
}

/** Units where a larger number is better. */
export const higherIsBetter = (unit) => unit === "GFLOPS" || unit === "steps/s";

// ---------------------------------------------------------------- options
/** Timed reps aim at `budgetMs` (at least `minReps`); a case whose `minReps` reps would pass `capMs` is skipped. */
export const FULL = { minReps: 5, maxReps: 30, budgetMs: 1000, warmupMs: 800, capMs: 30_000 };
export const QUICK = { minReps: 3, maxReps: 10, budgetMs: 150, warmupMs: 250, capMs: 5_000 };

export function parseWorkerArgs(argv) {
  const get = (name) => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1];
  };
  const only = get("--only");
  const skip = get("--skip");
  const quick = argv.includes("--quick");
  return {
    quick,
    only: only ? new Set(only.split(",")) : null,
    skip: new Set(skip ? skip.split(",") : []),
    timing: quick ? QUICK : FULL,
  };
}

export const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

/**
 * Runs cases of one library: emits a start event, then one record per unit (or an error record).
 * The body gets the timing options and returns [{unit, value, ...extra}].
 */
export function createRunner(library) {
  const args = parseWorkerArgs(process.argv.slice(2));
  return {
    ...args,
    want: (w) => !args.only || args.only.has(w),
    sizes: (w) => sizesOf(w, args.quick, library),
    async run(workload, size, mode, body) {
      const key = `${workload}/${size}/${mode}`;
      if (args.skip.has(key)) return;
      emit({ event: "start", key });
      try {
        const recs = await body(args.timing);
        for (const r of recs) emit({ workload, size, library, mode, ...r });
      } catch (e) {
        const error = e instanceof TooSlow ? e.message : `error: ${String(e?.message ?? e).slice(0, 200)}`;
        for (const unit of unitsOf(workload))
          emit({ workload, size, library, mode, value: null, unit, error });
      }
      globalThis.gc?.();
    },
  };
}

export class TooSlow extends Error {}

// ---------------------------------------------------------------- timing
const now = () => performance.now();

/**
 * Warm up, then time `reps` calls (enough for `budgetMs`, at least `minReps`) and return the median.
 * `fn` may be async; its first result is returned as `first` for the correctness check.
 */
export async function measure(fn, t) {
  let start = now();
  const first = await fn();
  const firstMs = now() - start;
  if (firstMs > t.capMs) throw new TooSlow(`too slow (one call > ${t.capMs / 1000} s)`);
  let lastMs = firstMs;
  let warm = 0;
  // The first call may include tracing and compiling, and V8 optimizes a JS library only after several
  // calls: warm up for at least one more call and then until `warmupMs` has passed (at most 30 calls).
  for (let i = 1; i === 1 || (warm < t.warmupMs && i < 30); i++) {
    start = now();
    await fn();
    lastMs = now() - start;
    warm += lastMs;
  }
  if (lastMs * t.minReps > t.capMs) throw new TooSlow(`too slow (${t.minReps} reps > ${t.capMs / 1000} s)`);
  const reps = Math.max(t.minReps, Math.min(t.maxReps, Math.ceil(t.budgetMs / lastMs)));
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const faults0 = process.resourceUsage().minorPageFault;
  const times = [];
  let total = 0;
  while (times.length < reps && !(times.length >= t.minReps && total > t.capMs)) {
    start = now();
    await fn();
    const dt = now() - start;
    times.push(dt);
    total += dt;
  }
  // Minor page faults per timed call: fresh pages the calls touched (allocations the allocator had to map).
  const faults = (process.resourceUsage().minorPageFault - faults0) / times.length;
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const ms = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  const used = process.cpuUsage(cpu0);
  // CPU time per wall time while timed: well below 1 means other processes took the core.
  const cpu = Number(((used.user + used.system) / 1000 / total).toFixed(2));
  return { ms, reps: times.length, cpu, faults, firstMs, first };
}

/** The fields every timed record carries; `faults`: minor page faults per timed call. */
export const stats = (m) => ({ reps: m.reps, cpu: m.cpu, faults: Number(m.faults.toPrecision(3)) });

/** Records for a timed case: `unit` is "ms" unless given; B1/B3/B8 convert. */
export const timeRec = (m, extra = {}) => ({ value: m.ms, unit: "ms", ...stats(m), ...extra });

// ---------------------------------------------------------------- seeded inputs (identical for every library)
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` float32 values uniform in [lo, hi). */
export function uniform(seed, size, lo, hi) {
  const r = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export const inputs = {
  matmul: (n) => ({ a: uniform(100 + n, n * n, -1, 1), b: uniform(200 + n, n * n, -1, 1) }),
  b2: () => uniform(2, 1e6, -2, 2),
  rosen: () => uniform(4, 1e6, -1, 1),
  /** f(x) = Σ tanh(A x): A uniform in [−1, 1)/√n, x uniform in [−1, 1). */
  tanhSum: (n) => {
    const s = 1 / Math.sqrt(n);
    return { A: uniform(500 + n, n * n, -s, s), x: uniform(600 + n, n, -1, 1) };
  },
  b7: () => uniform(7, 1e5, -2, 2),
  mlp: () => {
    const B = 128;
    const sizes = [784, 256, 128, 10];
    const params = {};
    for (let l = 0; l < 3; l++) {
      const lim = Math.sqrt(6 / (sizes[l] + sizes[l + 1])); // Glorot uniform
      params[`W${l}`] = uniform(30 + l, sizes[l] * sizes[l + 1], -lim, lim);
      params[`b${l}`] = new Float32Array(sizes[l + 1]);
    }
    const X = uniform(33, B * 784, -1, 1);
    const r = mulberry32(34);
    const labels = Int32Array.from({ length: B }, () => Math.floor(r() * 10));
    const Y = new Float32Array(B * 10);
    labels.forEach((c, i) => (Y[i * 10 + c] = 1));
    return { B, sizes, params, X, labels, Y, lr: 0.01 };
  },
};
export const PARAM_NAMES = ["W0", "b0", "W1", "b1", "W2", "b2"];

/**
 * B9's tanh RNN: batch 32, hidden 128, input 64, T steps. xs [T, B, I] uniform in [−1, 1); W [I, H] uniform in
 * [−1, 1)/√I, U [H, H] uniform in [−1, 1)/√H, b zero; h0 = 0; SGD with lr 0.01.
 */
export const RNN_PARAM_NAMES = ["W", "U", "b"];
export function rnnInputs(T) {
  const [B, H, I] = [32, 128, 64];
  const params = {
    W: uniform(90, I * H, -1 / Math.sqrt(I), 1 / Math.sqrt(I)),
    U: uniform(91, H * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H)),
    b: new Float32Array(H),
  };
  return { T, B, H, I, params, xs: uniform(92 + T, T * B * I, -1, 1), lr: 0.01 };
}
/**
 * `size` float64 values uniform in [lo, hi), from the same mulberry32 stream as `uniform` but not rounded to
 * float32. bench/libs/numpy_linalg.py reproduces it exactly (the generator's state after k calls is
 * seed + k·0x6d2b79f5, so NumPy computes all values at once).
 */
export function uniform64(seed, size, lo, hi) {
  const r = mulberry32(seed);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/**
 * B10's float64 inputs at size n: the SPD matrix A = M Mᵀ/n + I with M uniform in [−1, 1) (seed 1000 + n),
 * row-major, and one right-hand side b of shape [n, 1] uniform in [−1, 1) (seed 2000 + n). Cholesky and eigh
 * use A; solve uses A and b (A is SPD, but solve is the general LU solve).
 */
export function b10Inputs(n) {
  const M = uniform64(1000 + n, n * n, -1, 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += M[i * n + k] * M[j * n + k];
      const v = acc / n + (i === j ? 1 : 0);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  return { a, b: uniform64(2000 + n, n, -1, 1) };
}

/**
 * B10 checks, cheap at n = 1,024 (no O(n³) work): Cholesky, 64 sampled entries of L Lᵀ against A (and L lower
 * triangular there); solve, the residual ‖A x − b‖ / (‖A‖_F ‖x‖); eigh, ‖A v − λ v‖ / ‖A‖_F for 8 sampled
 * eigenpairs and ascending eigenvalues. Returns the largest relative error (Infinity when something is off).
 */
export function checkB10(op, n, a, b, out) {
  const r = mulberry32(n + 7);
  const pick = () => Math.floor(r() * n);
  let anorm = 0;
  for (let i = 0; i < n * n; i++) anorm += a[i] * a[i];
  anorm = Math.sqrt(anorm);
  if (op === "cholesky") {
    const L = out.l;
    const got = [];
    const ref = [];
    for (let s = 0; s < 64; s++) {
      const i = pick();
      const j = pick();
      if (j > i && L[i * n + j] !== 0) return Number.POSITIVE_INFINITY;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += L[i * n + k] * L[j * n + k];
      got.push(acc);
      ref.push(a[i * n + j]);
    }
    return relErr(got, ref);
  }
  if (op === "solve") {
    const x = out.x;
    let res = 0;
    let xn = 0;
    for (let i = 0; i < n; i++) {
      let acc = -b[i];
      for (let k = 0; k < n; k++) acc += a[i * n + k] * x[k];
      res += acc * acc;
      xn += x[i] * x[i];
    }
    const e = Math.sqrt(res) / (anorm * Math.sqrt(xn));
    return Number.isFinite(e) ? e : Number.POSITIVE_INFINITY;
  }
  const { w, v } = out;
  for (let i = 1; i < n; i++) if (!(w[i] >= w[i - 1])) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let s = 0; s < 8; s++) {
    const j = pick();
    let res = 0;
    for (let i = 0; i < n; i++) {
      let acc = -w[j] * v[i * n + j];
      for (let k = 0; k < n; k++) acc += a[i * n + k] * v[k * n + j];
      res += acc * acc;
    }
    worst = Math.max(worst, Math.sqrt(res) / anorm);
  }
  return Number.isFinite(worst) ? worst : Number.POSITIVE_INFINITY;
}

export const B8_ITERS = 250;
export const B8_OPS = 1500; // 6 scalar ops per iteration: sin, mul, mul, add, div, add

// ---------------------------------------------------------------- float64 references and checks
export const TOL = 1e-3;

/** max |got − ref| / max |ref|. */
export function relErr(got, ref) {
  let e = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    e = Math.max(e, Math.abs(got[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return Number.isFinite(e) ? e / (m || 1) : Number.POSITIVE_INFINITY;
}

/** The check fields of a record: `check` is "ok" or "WRONG", `err` the relative error. */
export const checkFields = (err) => ({ check: err < TOL ? "ok" : "WRONG", err: Number(err.toPrecision(3)) });

/** Relative error of C = A B on 64 sampled entries. */
export function checkMatmul(c, a, b, n) {
  const r = mulberry32(n);
  const got = [];
  const ref = [];
  for (let s = 0; s < 64; s++) {
    const i = Math.floor(r() * n);
    const j = Math.floor(r() * n);
    let acc = 0;
    for (let k = 0; k < n; k++) acc += a[i * n + k] * b[k * n + j];
    got.push(c[i * n + j]);
    ref.push(acc);
  }
  return relErr(got, ref);
}

export const b2Ref = (x) => Float64Array.from(x, (v) => Math.tanh(v) * Math.exp(-v * v));

export function rosenGradRef(x) {
  const n = x.length;
  const g = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const t = x[i + 1] - x[i] * x[i];
    g[i] += -400 * x[i] * t - 2 * (1 - x[i]);
    g[i + 1] += 200 * t;
  }
  return g;
}

/** tanh and its derivatives at z = A x: d/dz tanh = s = 1 − t², then −2ts, then −2s(1 − 3t²). */
function tanhDerivs(A, x, n) {
  const d2 = new Float64Array(n);
  const d3 = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let z = 0;
    for (let c = 0; c < n; c++) z += A[r * n + c] * x[c];
    const t = Math.tanh(z);
    const s = 1 - t * t;
    d2[r] = -2 * t * s;
    d3[r] = -2 * s * (1 - 3 * t * t);
  }
  return { d2, d3 };
}

/** Hessian of Σ tanh(A x): Aᵀ diag(tanh″(A x)) A, row-major n×n. */
export function hessianRef(A, x, n) {
  const { d2 } = tanhDerivs(A, x, n);
  const H = new Float64Array(n * n);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < n; i++) {
      const w = d2[r] * A[r * n + i];
      for (let j = 0; j < n; j++) H[i * n + j] += w * A[r * n + j];
    }
  return H;
}

/** Third-order tensor T[i,j,k] = Σ_r tanh‴(z_r) A[r,i] A[r,j] A[r,k]. */
export function thirdRef(A, x, n) {
  const { d3 } = tanhDerivs(A, x, n);
  const T = new Float64Array(n * n * n);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const w = d3[r] * A[r * n + i] * A[r * n + j];
        for (let k = 0; k < n; k++) T[(i * n + j) * n + k] += w * A[r * n + k];
      }
  return T;
}

/** k-th derivative of sin(x)·exp(−x²) at each point, by Taylor coefficients in float64. */
export function b7Ref(xs, k) {
  const out = new Float64Array(xs.length);
  let fact = 1;
  for (let i = 2; i <= k; i++) fact *= i;
  const s = new Float64Array(k + 1);
  const w = new Float64Array(k + 1);
  for (let p = 0; p < xs.length; p++) {
    const x = xs[p];
    const sx = Math.sin(x);
    const cx = Math.cos(x);
    const cyc = [sx, cx, -sx, -cx];
    let f = 1;
    for (let j = 0; j <= k; j++) {
      if (j > 0) f *= j;
      s[j] = cyc[j % 4] / f;
    }
    // exp(−(x+h)²) = exp(−x²)·exp(u), u = −2x h − h²; (exp u)' = u' exp u gives j w_j = Σ i u_i w_{j−i}.
    const u1 = -2 * x;
    w[0] = 1;
    for (let j = 1; j <= k; j++) w[j] = (u1 * w[j - 1] - (j >= 2 ? 2 * w[j - 2] : 0)) / j;
    let c = 0;
    for (let i = 0; i <= k; i++) c += s[i] * w[k - i];
    out[p] = fact * Math.exp(-x * x) * c;
  }
  return out;
}

/** B8 in float64 forward mode: the final x and its derivatives with respect to the starting x and y. */
export function b8Ref() {
  let x = 0.5;
  let dx = 1; // ∂x/∂x0
  let ex = 0; // ∂x/∂y0
  const y = 0.3;
  const q = 1 + y * y;
  for (let i = 0; i < B8_ITERS; i++) {
    const s = Math.sin(x);
    const c = Math.cos(x);
    const nx = s * y + x / q;
    const ndx = c * dx * y + dx / q;
    const nex = c * ex * y + s + ex / q - (x * 2 * y) / (q * q);
    x = nx;
    dx = ndx;
    ex = nex;
  }
  return { value: x, gx: dx, gy: ex };
}

/** Relative error of the B8 gradient: ∂/∂y against float64; ∂/∂x (about 1e−38) must come out tiny. */
export function checkB8Grad(gx, gy) {
  return Math.max(relErr([gy], [b8Ref().gy]), Math.abs(gx) < 1e-20 ? 0 : 1);
}

export const checkB8Value = (value) => relErr([value], [b8Ref().value]);

/** Float64 loss and gradients of the B3 MLP (ReLU, softmax cross-entropy averaged over the batch). */
export function mlpRef(params, X, Y, B, sizes) {
  const mm = (a, b, m, k, n) => {
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++) {
        const v = a[i * k + p];
        if (v !== 0) for (let j = 0; j < n; j++) c[i * n + j] += v * b[p * n + j];
      }
    return c;
  };
  const tr = (a, m, n) => {
    const t = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
    return t;
  };
  const hs = [Float64Array.from(X)];
  const zs = [];
  for (let l = 0; l < 3; l++) {
    const z = mm(hs[l], params[`W${l}`], B, sizes[l], sizes[l + 1]);
    const bias = params[`b${l}`];
    for (let i = 0; i < z.length; i++) z[i] += bias[i % sizes[l + 1]];
    zs.push(z);
    if (l < 2) hs.push(z.map((v) => Math.max(v, 0)));
  }
  const logits = zs[2];
  let loss = 0;
  let d = new Float64Array(B * 10);
  for (let i = 0; i < B; i++) {
    let m = -Infinity;
    for (let j = 0; j < 10; j++) m = Math.max(m, logits[i * 10 + j]);
    let se = 0;
    for (let j = 0; j < 10; j++) se += Math.exp(logits[i * 10 + j] - m);
    for (let j = 0; j < 10; j++) {
      const lp = logits[i * 10 + j] - m - Math.log(se);
      loss -= (Y[i * 10 + j] * lp) / B;
      d[i * 10 + j] = (Math.exp(lp) - Y[i * 10 + j]) / B;
    }
  }
  const grads = {};
  for (let l = 2; l >= 0; l--) {
    const [fi, fo] = [sizes[l], sizes[l + 1]];
    grads[`W${l}`] = mm(tr(hs[l], B, fi), d, fi, B, fo);
    const gb = new Float64Array(fo);
    for (let i = 0; i < d.length; i++) gb[i % fo] += d[i];
    grads[`b${l}`] = gb;
    if (l > 0) {
      const dh = mm(d, tr(params[`W${l}`], fi, fo), B, fo, fi);
      const z = zs[l - 1];
      for (let i = 0; i < dh.length; i++) if (z[i] <= 0) dh[i] = 0;
      d = dh;
    }
  }
  return { loss, grads };
}

/** Relative error of one SGD step: the loss, and every parameter update against −lr·∇ in float64. */
export function checkMlpStep(loss, newParams, data) {
  const { loss: lossRef, grads } = mlpRef(data.params, data.X, data.Y, data.B, data.sizes);
  return stepError(loss, newParams, data, PARAM_NAMES, lossRef, grads);
}

/**
 * Relative error of one SGD step with learning rate `d.lr` from `d.params`: the loss against `lossRef`, and
 * each parameter's update against −lr·∇ from the float64 `grads`.
 */
function stepError(loss, newParams, d, names, lossRef, grads) {
  let err = relErr([loss], [lossRef]);
  for (const name of names) {
    const p0 = d.params[name];
    const upd = Float64Array.from(newParams[name], (v, i) => v - p0[i]);
    err = Math.max(
      err,
      relErr(
        upd,
        grads[name].map((g) => -d.lr * g),
      ),
    );
  }
  return err;
}

/**
 * Float64 loss and gradients of the B9 RNN: h_t = tanh(x_t W + h_{t−1} U + b), loss = mean(h_T²), by
 * backpropagation through time.
 */
export function rnnRef(d) {
  const { T, B, H, I, params, xs } = d;
  const { W, U, b } = params;
  const hs = [new Float64Array(B * H)];
  for (let t = 0; t < T; t++) {
    const prev = hs[t];
    const h = new Float64Array(B * H);
    for (let r = 0; r < B; r++) {
      const row = h.subarray(r * H, (r + 1) * H);
      for (let j = 0; j < H; j++) row[j] = b[j];
      for (let k = 0; k < I; k++) {
        const v = xs[(t * B + r) * I + k];
        for (let j = 0; j < H; j++) row[j] += v * W[k * H + j];
      }
      for (let k = 0; k < H; k++) {
        const v = prev[r * H + k];
        if (v !== 0) for (let j = 0; j < H; j++) row[j] += v * U[k * H + j];
      }
      for (let j = 0; j < H; j++) row[j] = Math.tanh(row[j]);
    }
    hs.push(h);
  }
  const N = B * H;
  const hT = hs[T];
  let loss = 0;
  let dh = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    loss += (hT[i] * hT[i]) / N;
    dh[i] = (2 * hT[i]) / N;
  }
  const gW = new Float64Array(I * H);
  const gU = new Float64Array(H * H);
  const gb = new Float64Array(H);
  for (let t = T; t >= 1; t--) {
    const h = hs[t];
    const prev = hs[t - 1];
    const dz = dh.map((v, i) => v * (1 - h[i] * h[i]));
    const next = new Float64Array(N);
    for (let r = 0; r < B; r++) {
      const dzr = dz.subarray(r * H, (r + 1) * H);
      for (let j = 0; j < H; j++) gb[j] += dzr[j];
      for (let k = 0; k < I; k++) {
        const v = xs[((t - 1) * B + r) * I + k];
        for (let j = 0; j < H; j++) gW[k * H + j] += v * dzr[j];
      }
      for (let k = 0; k < H; k++) {
        const v = prev[r * H + k];
        let acc = 0;
        for (let j = 0; j < H; j++) {
          gU[k * H + j] += v * dzr[j];
          acc += dzr[j] * U[k * H + j];
        }
        next[r * H + k] = acc;
      }
    }
    dh = next;
  }
  return { loss, grads: { W: gW, U: gU, b: gb } };
}

/** Relative error of one B9 SGD step: the loss, and every parameter update against −lr·∇ in float64. */
export function checkRnnStep(loss, newParams, d) {
  const { loss: lossRef, grads } = rnnRef(d);
  return stepError(loss, newParams, d, RNN_PARAM_NAMES, lossRef, grads);
}

// ---------------------------------------------------------------- comparator packages
const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * A `require` that sees the comparator packages: $ANCHORS_DIR first, then bench/node_modules.
 * Returns null when neither has them.
 */
export function comparatorRequire(pkg) {
  const dirs = [process.env.ANCHORS_DIR, benchDir].filter(Boolean);
  for (const dir of dirs) {
    const req = createRequire(path.join(path.resolve(dir), "package.json"));
    try {
      req.resolve(pkg);
      return { req, dir: path.resolve(dir) };
    } catch {}
  }
  return null;
}

// ---------------------------------------------------------------- B11 (CNN step) and B12 (transformer block)
/** `size` values uniform in [−l, l) with l = √(6 / (fanIn + fanOut)) (Glorot uniform). */
const glorotUniform = (seed, fanIn, fanOut, size) => {
  const l = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(seed, size, -l, l);
};

/**
 * B11's inputs: images x [64, 1, 28, 28] uniform in [0, 1), integer labels [64] in 0…9, conv weight cw [8, 1, 3, 3]
 * (Glorot with fan-in 9, fan-out 72), conv bias cb [8] = 0, dense W [1568, 10] (Glorot), b [10] = 0. The seeds
 * (1001–1004) are those of the recorded CNN runs. A label is ⌊u⌋ of u uniform in [0, 10) after u was rounded
 * to float32, capped at 9 (rounding can carry a value just below 10 up to 10).
 */
export function cnnInputs() {
  const u = uniform(1004, 64, 0, 10);
  return {
    N: 64,
    x: uniform(1001, 64 * 28 * 28, 0, 1),
    labels: Int32Array.from(u, (v) => Math.min(9, Math.floor(v))),
    params: {
      cw: glorotUniform(1002, 9, 72, 8 * 9),
      cb: new Float32Array(8),
      W: glorotUniform(1003, 1568, 10, 1568 * 10),
      b: new Float32Array(10),
    },
    lr: 0.01,
  };
}
export const CNN_PARAM_NAMES = ["cw", "cb", "W", "b"];
export const CNN_SHAPES = { cw: [8, 1, 3, 3], cb: [8], W: [1568, 10], b: [10] };

/** Float64 loss and gradients of B11: conv 3×3 pad 1 + bias, ReLU, 2×2 max pool, dense, mean cross-entropy. */
export function cnnRef(d) {
  const { x, labels, params } = d;
  const { cw, cb, W, b } = params;
  const [N, O, S, P] = [64, 8, 28, 14];
  const F = O * P * P; // 1568
  const conv = new Float64Array(N * O * S * S);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < S; i++)
        for (let j = 0; j < S; j++) {
          let acc = cb[o];
          for (let di = 0; di < 3; di++) {
            const r = i + di - 1;
            if (r < 0 || r >= S) continue;
            for (let dj = 0; dj < 3; dj++) {
              const c = j + dj - 1;
              if (c >= 0 && c < S) acc += cw[o * 9 + di * 3 + dj] * x[n * S * S + r * S + c];
            }
          }
          conv[((n * O + o) * S + i) * S + j] = acc;
        }
  // Pooled features h [N, 1568] (channel-major, as reshape of [N, 8, 14, 14]) and the winning position.
  const h = new Float64Array(N * F);
  const arg = new Int32Array(N * F);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let a = 0; a < P; a++)
        for (let c = 0; c < P; c++) {
          let best = -Infinity;
          let at = -1;
          for (let u = 0; u < 2; u++)
            for (let v = 0; v < 2; v++) {
              const k = ((n * O + o) * S + 2 * a + u) * S + 2 * c + v;
              const val = Math.max(conv[k], 0);
              if (val > best) [best, at] = [val, k];
            }
          h[n * F + (o * P + a) * P + c] = best;
          arg[n * F + (o * P + a) * P + c] = at;
        }
  let loss = 0;
  const dz = new Float64Array(N * 10);
  for (let n = 0; n < N; n++) {
    const z = new Float64Array(10);
    for (let k = 0; k < 10; k++) z[k] = b[k];
    for (let f = 0; f < F; f++) {
      const v = h[n * F + f];
      if (v !== 0) for (let k = 0; k < 10; k++) z[k] += v * W[f * 10 + k];
    }
    const m = Math.max(...z);
    let se = 0;
    for (let k = 0; k < 10; k++) se += Math.exp(z[k] - m);
    const lse = m + Math.log(se);
    loss += (lse - z[labels[n]]) / N;
    for (let k = 0; k < 10; k++) dz[n * 10 + k] = (Math.exp(z[k] - lse) - (k === labels[n] ? 1 : 0)) / N;
  }
  const gW = new Float64Array(F * 10);
  const gb = new Float64Array(10);
  const gcw = new Float64Array(72);
  const gcb = new Float64Array(8);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++) {
      const v = h[n * F + f];
      let dh = 0;
      for (let k = 0; k < 10; k++) {
        if (v !== 0) gW[f * 10 + k] += v * dz[n * 10 + k];
        dh += dz[n * 10 + k] * W[f * 10 + k];
      }
      // The gradient reaches the window's maximum, through ReLU only where the convolution was positive.
      const k = arg[n * F + f];
      if (conv[k] <= 0) continue;
      const o = Math.floor(k / (S * S)) % O;
      const i = Math.floor(k / S) % S;
      const j = k % S;
      gcb[o] += dh;
      for (let di = 0; di < 3; di++) {
        const r = i + di - 1;
        if (r < 0 || r >= S) continue;
        for (let dj = 0; dj < 3; dj++) {
          const c = j + dj - 1;
          if (c >= 0 && c < S) gcw[o * 9 + di * 3 + dj] += dh * x[n * S * S + r * S + c];
        }
      }
    }
  for (let n = 0; n < N; n++) for (let k = 0; k < 10; k++) gb[k] += dz[n * 10 + k];
  return { loss, grads: { cw: gcw, cb: gcb, W: gW, b: gb } };
}

let cnnRefCache;
/** Relative error of one B11 SGD step: the loss, and every parameter update against −lr·∇ in float64. */
export function checkCnnStep(loss, newParams, d) {
  cnnRefCache ??= cnnRef(d);
  const { loss: lossRef, grads } = cnnRefCache;
  return stepError(loss, newParams, d, CNN_PARAM_NAMES, lossRef, grads);
}

/**
 * B12's inputs: x [8, 64, 128] uniform in [−1, 1); Wq, Wk, Wv, Wo [128, 128], W1 [128, 512] and W2 [512, 128]
 * Glorot uniform; biases b1 [512] and b2 [128] zero; LayerNorm gains g1, g2 one and shifts e1, e2 zero (all [128]).
 * Seeds 2001–2011, those of the recorded transformer runs.
 */
export function transformerInputs() {
  const params = {};
  ["Wq", "Wk", "Wv", "Wo"].forEach((k, i) => (params[k] = glorotUniform(2002 + i, 128, 128, 128 * 128)));
  params.W1 = glorotUniform(2010, 128, 512, 128 * 512);
  params.b1 = new Float32Array(512);
  params.W2 = glorotUniform(2011, 512, 128, 512 * 128);
  params.b2 = new Float32Array(128);
  params.g1 = new Float32Array(128).fill(1);
  params.e1 = new Float32Array(128);
  params.g2 = new Float32Array(128).fill(1);
  params.e2 = new Float32Array(128);
  return { B: 8, S: 64, D: 128, H: 4, F: 512, x: uniform(2001, 8 * 64 * 128, -1, 1), params };
}
export const TF_PARAM_NAMES = ["Wq", "Wk", "Wv", "Wo", "W1", "b1", "W2", "b2", "g1", "e1", "g2", "e2"];
export const TF_SHAPES = {
  Wq: [128, 128],
  Wk: [128, 128],
  Wv: [128, 128],
  Wo: [128, 128],
  W1: [128, 512],
  b1: [512],
  W2: [512, 128],
  b2: [128],
  g1: [128],
  e1: [128],
  g2: [128],
  e2: [128],
};

/** C [m, n] = A [m, k] · B [k, n], float64. */
function matmul64(a, b, m, k, n) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = c.subarray(i * n, (i + 1) * n);
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p];
      const off = p * n;
      for (let j = 0; j < n; j++) row[j] += v * b[off + j];
    }
  }
  return c;
}

/** Row-wise LayerNorm over the last axis (eps 1e-5) with gain g and shift e. */
function layerNorm64(x, rows, d, g, e) {
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let mu = 0;
    for (let j = 0; j < d; j++) mu += x[r * d + j];
    mu /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r * d + j] - mu) ** 2;
    const s = 1 / Math.sqrt(v / d + 1e-5);
    for (let j = 0; j < d; j++) y[r * d + j] = (x[r * d + j] - mu) * s * g[j] + e[j];
  }
  return y;
}

/** The float64 loss of B12: a pre-LayerNorm block (4-head attention, then a GELU(tanh) MLP), mean(y²). */
export function transformerLoss64(x, p) {
  const [B, S, D, H, F] = [8, 64, 128, 4, 512];
  const Dh = D / H;
  const R = B * S;
  const a = layerNorm64(x, R, D, p.g1, p.e1);
  const [q, k, v] = [matmul64(a, p.Wq, R, D, D), matmul64(a, p.Wk, R, D, D), matmul64(a, p.Wv, R, D, D)];
  const o = new Float64Array(R * D);
  const w = new Float64Array(S);
  const scale = 1 / Math.sqrt(Dh);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < S; i++) {
        const qi = (b * S + i) * D + h * Dh;
        let m = -Infinity;
        for (let j = 0; j < S; j++) {
          const kj = (b * S + j) * D + h * Dh;
          let s = 0;
          for (let t = 0; t < Dh; t++) s += q[qi + t] * k[kj + t];
          w[j] = s * scale;
          m = Math.max(m, w[j]);
        }
        let z = 0;
        for (let j = 0; j < S; j++) z += w[j] = Math.exp(w[j] - m);
        for (let j = 0; j < S; j++) {
          const c = w[j] / z;
          const vj = (b * S + j) * D + h * Dh;
          for (let t = 0; t < Dh; t++) o[qi + t] += c * v[vj + t];
        }
      }
  const hres = matmul64(o, p.Wo, R, D, D);
  for (let i = 0; i < R * D; i++) hres[i] += x[i];
  const z = matmul64(layerNorm64(hres, R, D, p.g2, p.e2), p.W1, R, D, F);
  const c0 = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < R * F; i++) {
    const t = z[i] + p.b1[i % F];
    z[i] = 0.5 * t * (1 + Math.tanh(c0 * (t + 0.044715 * t * t * t)));
  }
  const y = matmul64(z, p.W2, R, F, D);
  let loss = 0;
  for (let i = 0; i < R * D; i++) {
    const yi = y[i] + p.b2[i % D] + hres[i];
    loss += yi * yi;
  }
  return loss / (R * D);
}

/** The parameter groups of B12's gradient check: one random direction per group. */
export const TF_GROUPS = [
  ["Wq", "Wk", "Wv", "Wo"],
  ["W1", "b1", "W2", "b2"],
  ["g1", "e1", "g2", "e2"],
];

let tfRefCache;
/**
 * Float64 reference of B12: the loss, and per parameter group (TF_GROUPS) a random direction v (uniform in
 * [−1, 1), seed 3000 + group) with the directional derivative ⟨∇L, v⟩ by central differences (step 1e-4)
 * of the float64 loss. Seven float64 forward passes, computed once per process.
 */
export function transformerRef(d) {
  if (tfRefCache) return tfRefCache;
  const base = Object.fromEntries(TF_PARAM_NAMES.map((k) => [k, Float64Array.from(d.params[k])]));
  const x = Float64Array.from(d.x);
  const loss = transformerLoss64(x, base);
  const eps = 1e-4;
  const dirs = TF_GROUPS.map((group, gi) => {
    const v = {};
    let seed = 3000 + 16 * gi;
    for (const k of group) v[k] = uniform64(seed++, base[k].length, -1, 1);
    const shifted = (sign) => {
      const p = { ...base };
      for (const k of group) p[k] = base[k].map((val, i) => val + sign * eps * v[k][i]);
      return transformerLoss64(x, p);
    };
    return { group, v, slope: (shifted(1) - shifted(-1)) / (2 * eps) };
  });
  tfRefCache = { loss, dirs };
  return tfRefCache;
}

/**
 * Relative error of a B12 result: the loss against float64, and per group ⟨g, v⟩ against the float64 central
 * difference, scaled by Σ|g_i v_i| (the size of the terms the dot product adds up).
 */
export function checkTransformer(loss, grads, d) {
  const ref = transformerRef(d);
  let err = relErr([loss], [ref.loss]);
  for (const { group, v, slope } of ref.dirs) {
    let dot = 0;
    let mag = 0;
    for (const k of group) {
      const g = grads[k];
      for (let i = 0; i < g.length; i++) {
        dot += g[i] * v[k][i];
        mag += Math.abs(g[i] * v[k][i]);
      }
    }
    const e = Math.abs(dot - slope) / (mag || 1);
    err = Math.max(err, Number.isFinite(e) ? e : Number.POSITIVE_INFINITY);
  }
  return err;
}
