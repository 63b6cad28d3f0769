// A short tour of nabla: the seed examples' derivatives, computed and checked. Run with `npm start`.
import * as nb from "nabla";

const line = (s = "") => console.log(s);
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(6));

line("∇ nabla — derivatives of any order, in TypeScript\n");

// 1. A polynomial and its derivatives, to order 4, against the closed forms.
line("1. f(x) = x⁴ − 2x³ + 3x² − 4x + 5 and its derivatives at x = 2.5 (grad of grad of ...)");
const poly = (x: nb.Tensor) => x.pow(4).sub(x.pow(3).mul(2)).add(x.pow(2).mul(3)).sub(x.mul(4)).add(5);
const closed = [
  (x: number) => x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5,
  (x: number) => 4 * x ** 3 - 6 * x ** 2 + 6 * x - 4,
  (x: number) => 12 * x ** 2 - 12 * x + 6,
  (x: number) => 24 * x - 12,
  () => 24,
];
let d: (x: nb.Tensor) => nb.Tensor = poly;
for (let k = 0; k <= 4; k++) {
  const ad = d(nb.array(2.5, { dtype: "float64" })).item();
  line(`   order ${k}: autodiff ${fmt(ad).padStart(10)}   closed form ${fmt(closed[k]!(2.5)).padStart(10)}`);
  d = nb.grad(d);
}

// 2. The program autodiff traced for f'(x).
line("\n2. The program that computes f'(x), staged with makeProgram:");
line(
  String(nb.makeProgram(nb.grad(poly))(2.5))
    .split("\n")
    .map((l) => `   ${l}`)
    .join("\n"),
);

// 3. Hessian and third-order tensor of a small tanh network.
line("\n3. A tanh network f(x) = Σ tanh(A x), x ∈ R³:");
const key = nb.random.key(0);
const [kA, kx] = nb.random.split(key);
const A = nb.random.normal(kA!, [3, 3], { dtype: "float64" });
const x = nb.random.normal(kx!, [3], { dtype: "float64" });
const net = (v: nb.Tensor) => nb.sum(nb.tanh(nb.matmul(A, v)));
line(`   gradient          ${JSON.stringify(round(nb.grad(net)(x).toArray()))}`);
const H = nb.hessian(net)(x);
line(`   Hessian (3×3)     ${JSON.stringify(round(H.toArray()))}`);
const H2 = nb.jacrev(nb.jacrev(net))(x);
line(
  `   jacrev∘jacrev agrees with jacfwd∘jacrev: max |Δ| = ${nb
    .max(nb.abs(nb.sub(H, H2)))
    .item()
    .toExponential(1)}`,
);
const T = nb.derivative(net, 3)(x);
const t012 = (T.toArray() as number[][][])[0]![1]![2]!;
line(`   third derivative  shape [${T.shape}], ∂³f/∂x₀∂x₁∂x₂ = ${fmt(t012)}`);

// 4. A tensor network written with einsum, differentiated.
line("\n4. A tensor network contracted with einsum: E = Σ a_i B_ij C_jk d_k");
const a = nb.array([1, 2], { dtype: "float64" });
const B = nb.array(
  [
    [1, 0.5],
    [0.5, 2],
  ],
  { dtype: "float64" },
);
const C = nb.array(
  [
    [0, 1],
    [1, 0],
  ],
  { dtype: "float64" },
);
const dv = nb.array([3, -1], { dtype: "float64" });
const E = (b: nb.Tensor) => nb.einsum("i,ij,jk,k->", a, b, C, dv);
line(`   E = ${fmt(E(B).item())}, ∂E/∂B = ${JSON.stringify(round(nb.grad(E)(B).toArray()))} (= a ⊗ (C d))`);

// 5. Per-example gradients with vmap.
line("\n5. Per-example gradients of a squared error, batched with vmap:");
const w = nb.array([0.5, -1], { dtype: "float64" });
const xs = nb.array(
  [
    [1, 2],
    [3, 4],
    [5, 6],
  ],
  { dtype: "float64" },
);
const ys = nb.array([1, 0, -1], { dtype: "float64" });
const lossOne = (wt: nb.Tensor, xi: nb.Tensor, yi: nb.Tensor) => nb.square(nb.sub(nb.dot(wt, xi), yi));
const perExample = nb.vmap(nb.grad(lossOne), { inAxes: [null, 0, 0] })(w, xs, ys);
line(`   ${JSON.stringify(round(perExample.toArray()))}`);

// 6. checkGrads: autodiff against finite differences, to third order.
line(
  "\n6. checkGrads(net, [x], { order: 3 }) — JVPs vs central differences, VJPs vs the inner-product identity:",
);
nb.checkGrads(net, [x], { order: 3 });
line("   all derivatives agree to order 3 ✓");

function round(v: unknown): unknown {
  return Array.isArray(v) ? v.map(round) : typeof v === "number" ? Number(v.toFixed(4)) : v;
}
