// Supply-chain allocation as a constrained optimization: W warehouses (capacities, per-unit costs) ship to S
// stores (demands). The cost of an allocation x ≥ 0 (units on each warehouse → store lane) is
//   f(x) = Σᵢⱼ cᵢⱼxᵢⱼ + ½Σᵢⱼ qᵢⱼxᵢⱼ² + ½h Σⱼ (Σᵢ xᵢⱼ − dⱼ)²
// (transport, quadratic lane congestion, a convex holding/shortage cost at each store) subject to the
// capacities Σⱼ xᵢⱼ ≤ capᵢ. Solved three ways: projected gradient (plain and accelerated, FISTA with restart)
// with the exact projection onto {x ≥ 0, row sums ≤ cap}; an augmented Lagrangian for the capacities whose
// subproblems over x ≥ 0 are nb.optim.minimize with bounds (projected L-BFGS); and exactly, by a primal-dual
// active-set method that solves the KKT system of each active set with nb.linalg.solve and stops when the KKT
// conditions hold. Costs, gaps to the exact optimum and constraint violations; a convergence plot and a
// heatmap of the optimal allocation.
// Run: npm run example supply-chain [--quick] [--out DIR]
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture, titledSvg } from "./common.js";

const { quick, out } = exampleOptions("supply-chain");
const started = performance.now();

// ── The instance (seeded): sites on a 100 km square, cost = handling at the warehouse + 0.03 per unit·km. ──
const W = quick ? 3 : 6;
const S = quick ? 8 : 20;
const n = W * S;
let seed = 12345;
const rand = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const uniform = (a: number, b: number) => a + (b - a) * rand();
const wh = Array.from({ length: W }, () => ({ x: uniform(0, 100), y: uniform(0, 100), base: uniform(1, 3) }));
const st = Array.from({ length: S }, () => ({ x: uniform(0, 100), y: uniform(0, 100) }));
const demand = Float64Array.from({ length: S }, () => Math.round(uniform(20, 80)));
const totalDemand = demand.reduce((a, b) => a + b, 0);
// Capacities: 105% of the total demand, split unevenly, so some warehouses run full and some stores go short.
const CAP_SHARE = 1.05;
const shares = Array.from({ length: W }, () => uniform(0.5, 1.5));
const shareSum = shares.reduce((a, b) => a + b, 0);
const cap = Float64Array.from(shares, (s) => Math.round((CAP_SHARE * totalDemand * s) / shareSum));
const cost = new Float64Array(n); // cᵢⱼ
const cong = new Float64Array(n); // qᵢⱼ
for (let i = 0; i < W; i++)
  for (let j = 0; j < S; j++) {
    const km = Math.hypot(wh[i]!.x - st[j]!.x, wh[i]!.y - st[j]!.y);
    cost[i * S + j] = wh[i]!.base + 0.03 * km;
    cong[i * S + j] = uniform(0.05, 0.1);
  }
const h = 1; // holding/shortage price per unit² at a store
console.log(
  `${W} warehouses (capacity ${Array.from(cap).join(", ")}: ${cap.reduce((a, b) => a + b, 0)} units), ` +
    `${S} stores (demand ${totalDemand} units), ${n} lanes; unit costs ${formatValue(Math.min(...cost), 2)}–${formatValue(Math.max(...cost), 2)}`,
);

// ── The cost in plain numbers (for every method alike) and as a nabla function (for the gradients). ───────
const storeSums = (x: Float64Array) => {
  const s = new Float64Array(S);
  for (let k = 0; k < n; k++) s[k % S] += x[k]!;
  return s;
};
const rowSums = (x: Float64Array) => {
  const r = new Float64Array(W);
  for (let k = 0; k < n; k++) r[Math.floor(k / S)] += x[k]!;
  return r;
};
function f(x: Float64Array): number {
  let v = 0;
  for (let k = 0; k < n; k++) v += cost[k]! * x[k]! + 0.5 * cong[k]! * x[k]! ** 2;
  const s = storeSums(x);
  for (let j = 0; j < S; j++) v += 0.5 * h * (s[j]! - demand[j]!) ** 2;
  return v;
}
/** Largest violation of x ≥ 0 and of the capacities, in units. */
function violation(x: Float64Array): number {
  let v = 0;
  for (const xk of x) v = Math.max(v, -xk);
  rowSums(x).forEach((r, i) => {
    v = Math.max(v, r - cap[i]!);
  });
  return v;
}
const f64 = (a: ArrayLike<number>, shape: number[]) =>
  nb.reshape(nb.array(Array.from(a), { dtype: "float64" }), shape);
const C = f64(cost, [W, S]);
const Q = f64(cong, [W, S]);
const D = f64(demand, [S]);
const CAP = f64(cap, [W]);
const costT = (x: nb.Tensor) =>
  nb.add(
    nb.add(nb.sum(nb.mul(C, x)), nb.mul(0.5, nb.sum(nb.mul(Q, nb.square(x))))),
    nb.mul(0.5 * h, nb.sum(nb.square(nb.sub(nb.sum(x, { axis: 0 }), D)))),
  );
const gradT = nb.jit(nb.grad(costT));
const grad = (x: Float64Array) =>
  Float64Array.from((gradT(f64(x, [W, S])) as nb.Tensor).dataSync() as Float64Array);

// ── Exact optimum: a primal-dual active-set method on the KKT conditions of the quadratic program ─────────
//   min g₀ᵀx + ½xᵀHx  s.t. x ≥ 0, Rx ≤ cap,  H = diag(q) + h·(same store), g₀ = c − h·d_store.
// For a guess of the zero lanes Z and the full warehouses T it solves (nb.linalg.solve)
//   H_FF x_F + R_TFᵀ λ = −g₀_F,  R_TF x_F = cap_T  (F = lanes not in Z),
// then moves lanes/warehouses whose sign conditions fail (x < 0, μ = (Hx + g₀ + Rᵀλ)_Z < 0, λ < 0, Rx > cap)
// and repeats until nothing moves: then x satisfies every KKT condition, so it is the (unique) optimum.
const store = (k: number) => k % S;
const whOf = (k: number) => Math.floor(k / S);
const Hentry = (k: number, l: number) => (k === l ? cong[k]! : 0) + (store(k) === store(l) ? h : 0);
const g0 = Float64Array.from({ length: n }, (_, k) => cost[k]! - h * demand[store(k)]!);
function exactOptimum(): { x: Float64Array; lambda: Float64Array; rounds: number; kkt: number } {
  let zero = new Array<boolean>(n).fill(false);
  let full = new Array<boolean>(W).fill(false);
  for (let round = 1; round <= 100; round++) {
    const F = [...Array(n).keys()].filter((k) => !zero[k]);
    const T = [...Array(W).keys()].filter((i) => full[i]);
    const m = F.length + T.length;
    const K = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    F.forEach((k, a) => {
      F.forEach((l, b) => {
        K[a * m + b] = Hentry(k, l);
      });
      T.forEach((i, t) => {
        if (whOf(k) === i) K[a * m + F.length + t] = K[(F.length + t) * m + a] = 1;
      });
      rhs[a] = -g0[k]!;
    });
    T.forEach((i, t) => {
      rhs[F.length + t] = cap[i]!;
    });
    const sol = nb.linalg.solve(f64(K, [m, m]), f64(rhs, [m])).dataSync() as Float64Array;
    const x = new Float64Array(n);
    F.forEach((k, a) => {
      x[k] = sol[a]!;
    });
    const lambda = new Float64Array(W);
    T.forEach((i, t) => {
      lambda[i] = sol[F.length + t]!;
    });
    // μ = Hx + g₀ + Rᵀλ: the multipliers of x ≥ 0 on Z (zero on F up to rounding).
    const s = storeSums(x);
    const mu = Float64Array.from(
      { length: n },
      (_, k) => cong[k]! * x[k]! + h * s[store(k)]! + g0[k]! + lambda[whOf(k)]!,
    );
    const r = rowSums(x);
    const nextZero = zero.map((z, k) => (z ? mu[k]! > 0 : x[k]! < 0));
    const nextFull = full.map((t, i) => (t ? lambda[i]! > 0 : r[i]! > cap[i]!));
    if (nextZero.every((z, k) => z === zero[k]) && nextFull.every((t, i) => t === full[i])) {
      // Every KKT condition, as one residual: stationarity on F, signs of μ and λ, feasibility.
      let kkt = 0;
      for (let k = 0; k < n; k++) kkt = Math.max(kkt, zero[k] ? -mu[k]! : Math.abs(mu[k]!), -x[k]!);
      for (let i = 0; i < W; i++) kkt = Math.max(kkt, -lambda[i]!, r[i]! - cap[i]!);
      return { x, lambda, rounds: round, kkt };
    }
    zero = nextZero;
    full = nextFull;
  }
  throw new Error("supply-chain: the active-set method did not settle in 100 rounds");
}
const exact = exactOptimum();
const fStar = f(exact.x);
const gap = (x: Float64Array) => (f(x) - fStar) / Math.abs(fStar);
const zeroLanes = exact.x.filter((v) => v === 0).length;
const fullWh = [...exact.lambda].filter((l) => l > 0).length;
console.log(
  `exact optimum: cost ${fStar.toFixed(6)} (primal-dual active set, ${exact.rounds} KKT solves of nb.linalg.solve; ` +
    `${zeroLanes} of ${n} lanes unused, ${fullWh} of ${W} warehouses full; KKT residual ${formatValue(exact.kkt, 2)})`,
);

// ── Projected gradient: x ← P(x − ∇f/L), P the exact projection onto {x ≥ 0, Σⱼ xᵢⱼ ≤ capᵢ} row by row. ──
/** Euclidean projection of v onto {y ≥ 0, Σy ≤ c}: clip at 0, or if that is over c, onto the simplex Σy = c. */
function projectRow(v: Float64Array, c: number): Float64Array {
  const clipped = v.map((t) => Math.max(0, t));
  if (clipped.reduce((a, b) => a + b, 0) <= c) return clipped;
  const u = Float64Array.from(v).sort().reverse();
  let cum = 0;
  let theta = 0;
  for (let k = 0; k < u.length; k++) {
    cum += u[k]!;
    const t = (cum - c) / (k + 1);
    if (u[k]! - t > 0) theta = t;
  }
  return v.map((t) => Math.max(0, t - theta));
}
function projectFeasible(x: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < W; i++) y.set(projectRow(x.subarray(i * S, (i + 1) * S), cap[i]!), i * S);
  return y;
}
// L = largest eigenvalue of H ≤ max q + h·W (each store's block adds h·11ᵀ over W lanes).
const L = Math.max(...cong) + h * W;
const pgIters = quick ? 1000 : 2000;
function projectedGradient(accelerated: boolean): { x: Float64Array; gaps: number[]; ms: number } {
  const t0 = performance.now();
  let x: Float64Array = new Float64Array(n);
  let y: Float64Array = x;
  let t = 1;
  const gaps = [gap(x)];
  for (let k = 0; k < pgIters; k++) {
    const g = grad(y);
    const next = projectFeasible(y.map((v, i) => v - g[i]! / L));
    if (accelerated) {
      // FISTA, restarted whenever the cost goes up (O'Donoghue & Candès).
      if (f(next) > f(x)) {
        t = 1;
        y = x;
        continue;
      }
      const t1 = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      y = next.map((v, i) => v + ((t - 1) / t1) * (v - x[i]!));
      t = t1;
    } else y = next;
    x = next;
    gaps.push(gap(x));
  }
  return { x, gaps, ms: performance.now() - t0 };
}
const pg = projectedGradient(false);
const fista = projectedGradient(true);

// ── Augmented Lagrangian for the capacities, each subproblem min over x ≥ 0 by minimize with bounds. ───────
//   L_ρ(x, λ) = f(x) + (1/2ρ) Σᵢ (max(0, λᵢ + ρ(Σⱼxᵢⱼ − capᵢ))² − λᵢ²),  λ ← max(0, λ + ρ(Rx − cap)).
const rho = 10;
const outerRounds = quick ? 12 : 15;
let lambda = new Float64Array(W);
let xAl = new Float64Array(n);
const alGaps: number[] = [gap(xAl)];
let inner = 0;
const tAl = performance.now();
for (let round = 0; round < outerRounds; round++) {
  const lam = f64(lambda, [W]);
  const lagrangian = (x: nb.Tensor) => {
    const over = nb.relu(nb.add(lam, nb.mul(rho, nb.sub(nb.sum(x, { axis: 1 }), CAP))));
    return nb.add(costT(x), nb.mul(0.5 / rho, nb.sum(nb.square(over))));
  };
  const r = nb.optim.minimize(lagrangian, f64(xAl, [W, S]), {
    method: "lbfgs",
    bounds: [0, Infinity],
    tol: 1e-9,
    callback: (e) => {
      alGaps.push(gap(e.x!));
    },
  });
  inner += r.iterations;
  xAl = Float64Array.from((r.x as nb.Tensor).dataSync() as Float64Array);
  const rs = rowSums(xAl);
  lambda = lambda.map((l, i) => Math.max(0, l + rho * (rs[i]! - cap[i]!)));
}
const alMs = performance.now() - tAl;
const lambdaErr = Math.max(...lambda.map((l, i) => Math.abs(l - exact.lambda[i]!)));

// ── Report ────────────────────────────────────────────────────────────────────────────────────────────────
const rows: [string, Float64Array, string][] = [
  ["projected gradient", pg.x, `${pgIters} steps, ${(pg.ms / 1000).toFixed(2)} s`],
  ["accelerated projected gradient", fista.x, `${pgIters} steps, ${(fista.ms / 1000).toFixed(2)} s`],
  [
    "augmented Lagrangian + minimize(bounds)",
    xAl,
    `${outerRounds} rounds, ${inner} L-BFGS steps, ${(alMs / 1000).toFixed(2)} s`,
  ],
  ["exact (active-set KKT)", exact.x, `${exact.rounds} solves`],
];
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, x, how] of rows)
  console.log(
    `  ${name.padEnd(width)}  cost ${f(x).toFixed(6)}  gap ${formatValue(gap(x), 2).padStart(9)}  ` +
      `violation ${formatValue(violation(x), 2).padStart(9)}  (${how})`,
  );
console.log(
  `capacity prices λ (cost of one more unit of capacity): ${Array.from(exact.lambda, (l) => l.toFixed(3)).join(", ")}; ` +
    `augmented Lagrangian's within ${formatValue(lambdaErr, 2)}`,
);
const shipped = storeSums(exact.x);
const short = [...demand].reduce((a, d, j) => a + Math.max(0, d - shipped[j]!), 0);
console.log(
  `optimal plan ships ${shipped.reduce((a, b) => a + b, 0).toFixed(1)} of ${totalDemand} units demanded (short ${short.toFixed(1)})`,
);

// ── Pictures: convergence of the three methods; the optimal allocation as a heatmap. ───────────────────────
const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");
const floor = 1e-15; // below this the gap is rounding
const series = [
  ["projected gradient", pg.gaps],
  ["accelerated projected gradient", fista.gaps],
  ["augmented Lagrangian + minimize(bounds), per L-BFGS step", alGaps],
] as const;
const colors = ["#e45756", "#f58518", "#1f77b4"];
const points = series.flatMap(([name, gs]) =>
  gs.map((g, k) => ({ k, gap: Math.max(floor, Math.abs(g)), method: name })),
);
const convergence = Plot.plot({
  document: document as unknown as Document,
  width: 860,
  height: 460,
  marginLeft: 60,
  marginTop: 56,
  x: { label: "iteration", type: "log", grid: true },
  y: { label: null, type: "log", grid: true, tickFormat: ".0e" },
  color: { domain: series.map(([s]) => s), range: colors },
  marks: [
    Plot.frame({ strokeOpacity: 0.25 }),
    Plot.line(
      points.map((p) => ({ ...p, k: p.k + 1 })),
      { x: "k", y: "gap", z: "method", stroke: "method", strokeWidth: 2 },
    ),
  ],
});
console.log(
  `wrote ${await savePicture(
    out,
    "supply-chain",
    titledSvg(
      convergence,
      `Supply chain (${W} warehouses, ${S} stores): relative gap |f − f*| / |f*| to the exact optimum`,
      series.map(([name], k) => [colors[k]!, name]),
    ),
  )}`,
);
const cells = [...exact.x].map((v, k) => ({
  warehouse: `W${whOf(k) + 1} (${cap[whOf(k)]}${exact.lambda[whOf(k)]! > 0 ? ", full" : ""})`,
  store: `S${store(k) + 1}`,
  units: v,
}));
const heat = Plot.plot({
  document: document as unknown as Document,
  width: 160 + 36 * S,
  height: 100 + 36 * W,
  marginLeft: 120,
  marginTop: 40,
  x: { label: "store", domain: Array.from({ length: S }, (_, j) => `S${j + 1}`) },
  y: { label: null },
  color: { scheme: "blues" },
  marks: [
    Plot.cell(cells, { x: "store", y: "warehouse", fill: (d) => (d.units > 0 ? d.units : null), inset: 0.5 }),
    Plot.text(cells, {
      x: "store",
      y: "warehouse",
      text: (d) => (d.units > 0.5 ? d.units.toFixed(0) : ""),
      fill: (d) => (d.units > 0.6 * Math.max(...exact.x) ? "white" : "black"),
      fontSize: 10,
    }),
  ],
});
console.log(
  `wrote ${await savePicture(
    out,
    "supply-chain-allocation",
    titledSvg(
      heat,
      `Optimal allocation, units per lane (rows: warehouse, capacity; blank: unused); short ${short.toFixed(1)} of ${totalDemand} units`,
    ),
  )}`,
);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
const worst = Math.max(Math.abs(gap(fista.x)), Math.abs(gap(xAl)));
console.log(
  `gaps to the exact optimum: projected gradient ${formatValue(gap(pg.x), 2)}, accelerated ${formatValue(gap(fista.x), 2)}, ` +
    `minimize with bounds ${formatValue(gap(xAl), 2)} (violation ${formatValue(violation(xAl), 2)})`,
);
headline("optimality-gap", worst, 2);
