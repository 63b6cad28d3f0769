// Path planning around obstacles in a 10 × 10 field: circles and two walls (capsules: rectangles with
// rounded ends, so their distance function is smooth outside them) that form an L whose inside corner faces
// the start. Baselines on a 0.1-spaced grid of nodes (8 neighbours): the seeds' greedy search (step to the free
// neighbour closest to the goal; stop when no free neighbour is closer, i.e. stuck) and, for fairness, A*.
// Method: a path of N waypoints with fixed ends, the interior ones optimized by L-BFGS (nb.optim.minimize,
// staged under jit, gradients from nabla) on a smooth cost: path length + a small spacing term + μ × a
// penalty, the squared softplus of how far points sampled along each segment come inside the safety
// distance of any obstacle; μ is raised step by step (continuation). Started from the straight line with a
// small seeded perturbation and from the A* path. Feasibility: the least clearance over densely sampled
// segments must be at least the robot's radius. Path lengths of all three, and a picture.
// Run: npm run example path-planning [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture } from "./common.js";

const { quick, out } = exampleOptions("path-planning");
const started = performance.now();

type Pt = [number, number];
const SIZE = 10;
const START: Pt = [1, 1];
const GOAL: Pt = [9, 9];
const RADIUS = 0.15; // the robot's radius: a path is feasible when every point keeps this clearance
const SAFE = RADIUS + 0.05; // what the planners aim for (grid nodes and the penalty), a small margin on top
const circles: { c: Pt; r: number }[] = [
  { c: [2.6, 4.2], r: 0.9 },
  { c: [5.2, 2.0], r: 0.8 },
  { c: [2.0, 6.0], r: 1.0 },
  { c: [8.3, 3.0], r: 0.8 },
  { c: [4.6, 8.6], r: 0.7 },
];
const walls: { a: Pt; b: Pt; r: number }[] = [
  { a: [3.8, 7.2], b: [7.2, 7.2], r: 0.25 },
  { a: [7.2, 3.8], b: [7.2, 7.2], r: 0.25 },
];

// ── Clearance (signed distance to the nearest obstacle surface) in plain numbers, for the checks. ─────────
function clearance(x: number, y: number): number {
  let d = Number.POSITIVE_INFINITY;
  for (const { c, r } of circles) d = Math.min(d, Math.hypot(x - c[0], y - c[1]) - r);
  for (const { a, b, r } of walls) {
    const [abx, aby] = [b[0] - a[0], b[1] - a[1]];
    const t = Math.min(1, Math.max(0, ((x - a[0]) * abx + (y - a[1]) * aby) / (abx * abx + aby * aby)));
    d = Math.min(d, Math.hypot(x - a[0] - t * abx, y - a[1] - t * aby) - r);
  }
  return d;
}
const pathLength = (p: readonly Pt[]) =>
  p.slice(1).reduce((s, q, i) => s + Math.hypot(q[0] - p[i]![0], q[1] - p[i]![1]), 0);
/** The least clearance over points every 0.005 along each segment. */
function minClearance(p: readonly Pt[]): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < p.length; i++) {
    const [a, b] = [p[i]!, p[i + 1]!];
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 0.005));
    for (let k = 0; k <= n; k++)
      m = Math.min(m, clearance(a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n));
  }
  return m;
}
const describe = (name: string, p: readonly Pt[]) => {
  const c = minClearance(p);
  console.log(
    `${name.padEnd(30)} length ${pathLength(p).toFixed(3)}, ${String(p.length).padStart(3)} points, ` +
      `least clearance ${c.toFixed(3)} (${c >= RADIUS ? "feasible" : "COLLIDES"})`,
  );
  return c;
};

// ── Baselines on the grid of nodes (i·H, j·H), a node free when its clearance is at least SAFE. ─────────────
const H = 0.1;
const G = Math.round(SIZE / H) + 1;
const free = new Uint8Array(G * G);
for (let i = 0; i < G; i++)
  for (let j = 0; j < G; j++) free[i * G + j] = clearance(i * H, j * H) >= SAFE ? 1 : 0;
const node = (p: Pt) => [Math.round(p[0] / H), Math.round(p[1] / H)] as const;
const [si, sj] = node(START);
const [gi, gj] = node(GOAL);
const STEPS = [-1, 0, 1]
  .flatMap((di) => [-1, 0, 1].map((dj) => [di, dj] as const))
  .filter(([a, b]) => a || b);
const inside = (i: number, j: number) => i >= 0 && j >= 0 && i < G && j < G;
const toGoal = (i: number, j: number) => Math.hypot(gi - i, gj - j);

// The seeds' greedy search, with the fix of stopping when stuck (no free neighbour closer to the goal).
const greedy: Pt[] = [[si * H, sj * H]];
let [ci, cj] = [si, sj];
let stuck = false;
while (ci !== gi || cj !== gj) {
  let best: [number, number] | undefined;
  for (const [di, dj] of STEPS) {
    const [ni, nj] = [ci + di, cj + dj];
    if (inside(ni, nj) && free[ni * G + nj] && (!best || toGoal(ni, nj) < toGoal(best[0], best[1])))
      best = [ni, nj];
  }
  if (!best || toGoal(best[0], best[1]) >= toGoal(ci, cj)) {
    stuck = true;
    break;
  }
  [ci, cj] = best;
  greedy.push([ci * H, cj * H]);
}

// A*, 8 neighbours, octile-distance heuristic (exact on an empty grid), a binary heap.
function aStar(): Pt[] {
  const n = G * G;
  const gScore = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array(n).fill(-1);
  const closed = new Uint8Array(n);
  const octile = (k: number) => {
    const [dx, dy] = [Math.abs(Math.floor(k / G) - gi), Math.abs((k % G) - gj)];
    return Math.max(dx, dy) + (Math.SQRT2 - 1) * Math.min(dx, dy);
  };
  const heap: [number, number][] = []; // [f, node]
  const push = (f: number, k: number) => {
    heap.push([f, k]);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (heap[p]![0] <= heap[i]![0]) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
        if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top[1];
  };
  const s = si * G + sj;
  const goal = gi * G + gj;
  gScore[s] = 0;
  push(octile(s), s);
  while (heap.length > 0) {
    const k = pop();
    if (closed[k]) continue;
    closed[k] = 1;
    if (k === goal) break;
    const [i, j] = [Math.floor(k / G), k % G];
    for (const [di, dj] of STEPS) {
      const [ni, nj] = [i + di, j + dj];
      if (!inside(ni, nj) || !free[ni * G + nj]) continue;
      const m = ni * G + nj;
      const g = gScore[k]! + (di && dj ? Math.SQRT2 : 1);
      if (g < gScore[m]!) {
        gScore[m] = g;
        from[m] = k;
        push(g + octile(m), m);
      }
    }
  }
  if (from[goal] === -1) throw new Error("A*: the goal cannot be reached on the grid");
  const path: Pt[] = [];
  for (let k = goal; k !== -1; k = from[k]!) path.unshift([Math.floor(k / G) * H, (k % G) * H]);
  return path;
}
const astar = aStar();

console.log(
  `field ${SIZE} × ${SIZE}: ${circles.length} circles, ${walls.length} walls; start (${START}), goal (${GOAL}); ` +
    `robot radius ${RADIUS}, planners keep ${SAFE}`,
);
console.log(`grid: ${G} × ${G} nodes ${H} apart, ${free.reduce((s, v) => s + v, 0)} free, 8 neighbours`);
describe("greedy (seeds)", greedy);
if (stuck)
  console.log(
    `  greedy is stuck at (${(ci * H).toFixed(1)}, ${(cj * H).toFixed(1)}), ${(toGoal(ci, cj) * H).toFixed(2)} ` +
      "from the goal: no free neighbour is closer to it",
  );
else console.log("  greedy reached the goal");
describe("A* (grid)", astar);

// ── The smooth cost in nabla. x: the N − 2 interior waypoints [N − 2, 2], float64. ───────────────────────
const N = quick ? 32 : 64; // waypoints, ends included
const K = 8; // points sampled per segment for the penalty
const f64 = (v: number[] | number[][]) => nb.array(v, { dtype: "float64" });
const startT = f64([START]);
const goalT = f64([GOAL]);
const centers = f64(circles.map((o) => o.c));
const radii = f64(circles.map((o) => o.r));
const wallA = f64(walls.map((w) => w.a));
const wallAB = f64(walls.map((w) => [w.b[0] - w.a[0], w.b[1] - w.a[1]]));
const wallAB2 = f64(walls.map((w) => (w.b[0] - w.a[0]) ** 2 + (w.b[1] - w.a[1]) ** 2));
const wallR = f64(walls.map((w) => w.r));
const fractions = nb.reshape(f64(Array.from({ length: K }, (_, k) => k / K)), [1, K, 1]);
const SHARP = 200; // softplus(SHARP·v)/SHARP: a smooth max(v, 0)
const norm = (d: nb.Tensor) => nb.sqrt(nb.add(nb.sum(nb.square(d), { axis: -1 }), 1e-12));

/** Clearance of points q [M, 2] to every obstacle: [M, circles + walls]. */
function clearances(q: nb.Tensor): nb.Tensor {
  const qe = nb.expandDims(q, 1); // [M, 1, 2]
  const toCircles = nb.sub(norm(nb.sub(qe, centers)), radii);
  const ap = nb.sub(qe, wallA); // [M, walls, 2]
  const t = nb.clip(nb.div(nb.sum(nb.mul(ap, wallAB), { axis: -1 }), wallAB2), 0, 1);
  const toWalls = nb.sub(norm(nb.sub(ap, nb.mul(nb.expandDims(t, -1), wallAB))), wallR);
  return nb.concatenate([toCircles, toWalls], 1);
}

function pathCost(x: nb.Tensor, mu: number): nb.Tensor {
  const p = nb.concatenate([startT, x, goalT], 0); // [N, 2]
  const a = nb.slice(p, [0, 0], [N - 1, 2]);
  const d = nb.sub(nb.slice(p, [1, 0], [N - 1, 2]), a); // segments [N − 1, 2]
  const length = nb.sum(norm(d));
  const spacing = nb.mul(0.02 * (N - 1), nb.sum(nb.square(d))); // ≥ 0.02·length², equal when even
  const q = nb.reshape(nb.add(nb.expandDims(a, 1), nb.mul(fractions, nb.expandDims(d, 1))), [-1, 2]);
  const inside = nb.div(nb.softplus(nb.mul(SHARP, nb.sub(SAFE, clearances(q)))), SHARP);
  const penalty = nb.div(nb.sum(nb.square(inside)), K);
  return nb.add(nb.add(length, spacing), nb.mul(mu, penalty));
}

const MUS = [100, 1000, 10000];
function optimize(label: string, x0: nb.Tensor): { path: Pt[]; iterations: number; seconds: number } {
  const t0 = performance.now();
  let x = x0;
  let iterations = 0;
  for (const mu of MUS) {
    const r = nb.optim.minimize((z: nb.Tensor) => pathCost(z, mu), x, {
      method: "lbfgs",
      maxIter: quick ? 150 : 400,
      jit: true,
    });
    x = r.x;
    iterations += r.iterations;
  }
  const gradNorm = nb.sqrt(nb.sum(nb.square(costGrad(x)))).item();
  const seconds = (performance.now() - t0) / 1000;
  const xs = x.toArray() as number[][];
  const path: Pt[] = [START, ...xs.map((v) => [v[0]!, v[1]!] as Pt), GOAL];
  console.log(
    `  ${label}: L-BFGS, μ = ${MUS.join(", ")}: ${iterations} iterations, ‖∇cost‖ = ${formatValue(gradNorm)}, ` +
      `${seconds.toFixed(2)} s`,
  );
  return { path, iterations, seconds };
}
const costGrad = nb.jit(nb.grad((x: nb.Tensor) => pathCost(x, MUS.at(-1)!)));

/** n points evenly spaced along a polyline by arc length. */
function resample(p: readonly Pt[], n: number): Pt[] {
  const cum = [0];
  for (let i = 1; i < p.length; i++)
    cum.push(cum[i - 1]! + Math.hypot(p[i]![0] - p[i - 1]![0], p[i]![1] - p[i - 1]![1]));
  const total = cum.at(-1)!;
  const outPts: Pt[] = [];
  let seg = 0;
  for (let k = 0; k < n; k++) {
    const s = (total * k) / (n - 1);
    while (seg < p.length - 2 && cum[seg + 1]! < s) seg++;
    const w = Math.min(1, Math.max(0, (s - cum[seg]!) / (cum[seg + 1]! - cum[seg]! || 1)));
    outPts.push([
      p[seg]![0] + w * (p[seg + 1]![0] - p[seg]![0]),
      p[seg]![1] + w * (p[seg + 1]![1] - p[seg]![1]),
    ]);
  }
  return outPts;
}

console.log(
  `\noptimized: ${N} waypoints (${N - 2} free, ${2 * (N - 2)} numbers), ${K} penalty samples per segment`,
);
const line = resample([START, GOAL], N).slice(1, -1);
const noise = nb.random.normal(nb.random.key(0), [N - 2, 2]).toArray() as number[][];
const fromLine = optimize(
  "from the straight line (+ 0.05·normal noise, seed 0)",
  f64(line.map((p, i) => [p[0] + 0.05 * noise[i]![0]!, p[1] + 0.05 * noise[i]![1]!])),
);
const fromAStar = optimize("from the A* path", f64(resample(astar, N).slice(1, -1)));
const lineClear = describe("optimized from the line", fromLine.path);
const astarClear = describe("optimized from A*", fromAStar.path);
const candidates = [
  { name: "from the line", path: fromLine.path, ok: lineClear >= RADIUS },
  { name: "from A*", path: fromAStar.path, ok: astarClear >= RADIUS },
].filter((c) => c.ok);
if (candidates.length === 0) throw new Error("no optimized path is feasible");
const best = candidates.reduce((a, b) => (pathLength(b.path) < pathLength(a.path) ? b : a));
const bestLength = pathLength(best.path);

// ── The picture: obstacles (and the robot-radius margin), the grid paths and the optimized ones. ──────────
const PX = 56;
const M = 20;
const W = SIZE * PX + 2 * M;
const TOP = 76;
const sx = (x: number) => M + x * PX;
const sy = (y: number) => TOP + (SIZE - y) * PX;
const poly = (p: readonly Pt[], color: string, width: number, dash = "") =>
  `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${p.map((q) => `${sx(q[0]).toFixed(1)},${sy(q[1]).toFixed(1)}`).join(" ")}"/>`;
const shapes = (grow: number, fill: string) =>
  circles
    .map((o) => `<circle cx="${sx(o.c[0])}" cy="${sy(o.c[1])}" r="${(o.r + grow) * PX}" fill="${fill}"/>`)
    .join("") +
  walls
    .map(
      (w) =>
        `<line x1="${sx(w.a[0])}" y1="${sy(w.a[1])}" x2="${sx(w.b[0])}" y2="${sy(w.b[1])}" stroke="${fill}" stroke-width="${2 * (w.r + grow) * PX}" stroke-linecap="round"/>`,
    )
    .join("");
const legend: [string, string][] = [
  ["#e45756", `greedy (seeds): ${stuck ? "stuck" : pathLength(greedy).toFixed(2)}`],
  ["#f2a900", `A* on the grid: ${pathLength(astar).toFixed(2)}`],
  ["#1f77b4", `optimized ${best.name}: ${bestLength.toFixed(2)}`],
];
const other = best.path === fromAStar.path ? fromLine : fromAStar;
const otherOk = minClearance(other.path) >= RADIUS;
legend.push([
  "#9ecae1",
  `optimized ${other === fromLine ? "from the line" : "from A*"}: ${pathLength(other.path).toFixed(2)}${otherOk ? "" : ", collides"}`,
]);
const svg =
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${TOP + SIZE * PX + M}" font-family="'DejaVu Sans', system-ui, Helvetica, Arial, sans-serif">` +
  `<rect width="100%" height="100%" fill="white"/>` +
  `<text x="${M}" y="20" font-size="14" font-weight="bold">Paths from (${START}) to (${GOAL}) around obstacles (robot radius ${RADIUS}, shaded)</text>` +
  legend
    .map(
      ([c, t], k) =>
        `<rect x="${M + (k % 2) * 300}" y="${32 + 16 * Math.floor(k / 2)}" width="14" height="4" fill="${c}"/><text x="${M + (k % 2) * 300 + 20}" y="${39 + 16 * Math.floor(k / 2)}" font-size="12">${t}</text>`,
    )
    .join("") +
  `<clipPath id="field"><rect x="${sx(0)}" y="${sy(SIZE)}" width="${SIZE * PX}" height="${SIZE * PX}"/></clipPath>` +
  `<rect x="${sx(0)}" y="${sy(SIZE)}" width="${SIZE * PX}" height="${SIZE * PX}" fill="#fafafa" stroke="#ccc"/>` +
  `<g clip-path="url(#field)">` +
  shapes(RADIUS, "#e6e6e6") +
  shapes(0, "#777") +
  poly(greedy, "#e45756", 2.5) +
  poly(astar, "#f2a900", 2.5) +
  poly(other.path, "#9ecae1", 2, "5,4") +
  poly(best.path, "#1f77b4", 3) +
  best.path.map((q) => `<circle cx="${sx(q[0])}" cy="${sy(q[1])}" r="2.5" fill="#1f77b4"/>`).join("") +
  (stuck
    ? `<circle cx="${sx(ci * H)}" cy="${sy(cj * H)}" r="6" fill="none" stroke="#e45756" stroke-width="2"/>`
    : "") +
  [START, GOAL].map((q) => `<circle cx="${sx(q[0])}" cy="${sy(q[1])}" r="6" fill="#2ca02c"/>`).join("") +
  "</g></svg>";
const png = await savePicture(out, "path-planning", svg);
console.log(`wrote ${png}`);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(
  `path lengths: greedy ${pathLength(greedy).toFixed(3)}${stuck ? " (stuck)" : ""}, A* ${pathLength(astar).toFixed(3)}, ` +
    `optimized ${bestLength.toFixed(3)} (${best.name}; straight line ${Math.hypot(GOAL[0] - START[0], GOAL[1] - START[1]).toFixed(3)})`,
);
headline("optimized-length", bestLength);
