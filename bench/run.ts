// Benchmarks (workloads B5–B8 of shared/anchors/WORKLOADS.md) with other libraries side by side.
// Usage: npm run bench [-- --only B8,B5]   Live comparisons need ANCHORS_DIR (see bench/README.md).
import * as nb from "nabla";
import { anchors } from "./anchors.js";
import { liveTfjs } from "./live.js";
import { type Timing, timeit } from "./timeit.js";

const onlyAt = process.argv.findIndex((a) => a.startsWith("--only"));
const only = onlyAt < 0 ? undefined : (process.argv[onlyAt]!.split("=")[1] ?? process.argv[onlyAt + 1]);
const want = (id: string) => only === undefined || only.split(",").includes(id);

interface Row {
  id: string;
  what: string;
  unit: string;
  ours: number;
  others: Record<string, number>;
}
const rows: Row[] = [];

function report(id: string, what: string, unit: string, ours: number, live: Record<string, number> = {}) {
  const others = { ...(anchors[id] ?? {}), ...live };
  rows.push({ id, what, unit, ours, others });
  const cmp = Object.entries(others)
    .map(([lib, v]) => `${lib} ${fmt(v)} (${ratio(v, ours)})`)
    .join(", ");
  console.log(`${id.padEnd(9)} ${what.padEnd(34)} nabla ${fmt(ours)} ${unit}   vs ${cmp}`);
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3));
/** How many times faster nabla is (lower time is better for every unit used here). */
const ratio = (theirs: number, ours: number) => `${(theirs / ours).toFixed(2)}×`;

const ms = (t: Timing) => t.medianMs;

// B8: scalar graph, 250 × (x = sin(x)·y + x/(1 + y·y)), 1,500 ops, gradient with respect to x and y.
if (want("B8")) {
  const f = (x: nb.Tensor, y: nb.Tensor) => {
    for (let i = 0; i < 250; i++) x = nb.add(nb.mul(nb.sin(x), y), nb.div(x, nb.add(1, nb.mul(y, y))));
    return x;
  };
  const g = nb.grad(f, { argnums: [0, 1] });
  const x0 = nb.array(0.5);
  const y0 = nb.array(0.3);
  const both = timeit(() => {
    const [gx, gy] = g(x0, y0);
    gx.item();
    gy.item();
  });
  const fwd = timeit(() => f(x0, y0).item());
  const live = await liveTfjs("B8");
  report("B8", "scalar graph fwd+bwd", "µs/op", (ms(both) * 1000) / 1500, live.fwdBwd);
  report("B8-fwd", "scalar graph fwd only", "µs/op", (ms(fwd) * 1000) / 1500, live.fwd);
}

// B5: Hessian of f(x) = Σ tanh(A x), A uniform in [−1, 1)/√n.
if (want("B5")) {
  for (const n of [100]) {
    const A = nb.mul(
      nb.random.uniform(nb.random.key(0), [n, n], { minval: -1, maxval: 1 }),
      1 / Math.sqrt(n),
    );
    const x = nb.random.uniform(nb.random.key(1), [n], { minval: -1, maxval: 1 });
    const H = nb.hessian((v: nb.Tensor) => nb.sum(nb.tanh(nb.matmul(A, v))));
    report(`B5-${n}`, `Hessian n=${n}`, "ms", ms(timeit(() => H(x).dataSync())));
  }
}

// B6: third-order derivative tensor of the same f, n = 20.
if (want("B6")) {
  const n = 20;
  const A = nb.mul(nb.random.uniform(nb.random.key(0), [n, n], { minval: -1, maxval: 1 }), 1 / Math.sqrt(n));
  const x = nb.random.uniform(nb.random.key(1), [n], { minval: -1, maxval: 1 });
  const D3 = nb.derivative((v: nb.Tensor) => nb.sum(nb.tanh(nb.matmul(A, v))), 3);
  report("B6", "3rd-order tensor n=20", "ms", ms(timeit(() => D3(x).dataSync())));
}

// B7: k-th derivative of g(x) = sin(x)·exp(−x²) at 1e5 points (elementwise, so grad of the sum).
if (want("B7")) {
  const x = nb.random.uniform(nb.random.key(2), [100000], { minval: -2, maxval: 2 });
  let g = (v: nb.Tensor) => nb.mul(nb.sin(v), nb.exp(nb.neg(nb.square(v))));
  for (let k = 1; k <= 3; k++) {
    const prev = g;
    g = nb.grad((v: nb.Tensor) => nb.sum(prev(v)));
    const gk = g;
    report(`B7-k${k}`, `k=${k} derivative, 1e5 points`, "ms", ms(timeit(() => gk(x).dataSync())));
  }
}

console.log("\nratios are (other library's time) / (nabla's time): above 1× means nabla is faster.");
console.log(
  "Anchor numbers are from shared/anchors/RESULTS.md (same machine); 'live' ones were measured in this run.",
);
