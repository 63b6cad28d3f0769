// Taylor mode (jet): exact results on polynomials, a closed form to order 10, composition with grad, vmap,
// jvp, staging and itself, the derivative helpers, and errors. Per-primitive checks are in jet-ops.test.ts.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { setEvalPrimitive } from "../../src/core/trace.js";
import { evalPrimitive } from "../../src/interpret/eval.js";
import {
  type CustomJvpRule,
  customJvpUnderJet,
  elementwiseDerivatives,
  isScalarArgument,
  jet,
  jetFlat,
  taylorDerivative,
  taylorDerivatives,
} from "../../src/interpret/jet.js";
import * as lax from "../../src/primitives/lax.js";
import { expectClose } from "../util/close.js";

type Tensor = nb.Tensor;
const f64 = (v: number | number[]) => nb.array(v, { dtype: "float64" });
const items = (ts: Tensor[]) => ts.map((t) => t.item());

// g(x) = sin(x)·exp(−x²), the function of benchmark B7.
const g = (x: Tensor) => nb.mul(nb.sin(x), nb.exp(nb.neg(nb.square(x))));

/**
 * g^(k)(x) in closed form: g = Im(e^(ix − x²)), and d/dx [P(x) e^(ix − x²)] = (P′ + (i − 2x) P) e^(ix − x²), so
 * g^(k) = e^(−x²)·(Re P_k(x)·sin x + Im P_k(x)·cos x) with P_0 = 1. Also returns the size of the terms summed
 * (for a tolerance that allows for cancellation).
 */
function gClosedForm(x: number, k: number): [number, number] {
  let re = [1];
  let im = [0];
  for (let j = 0; j < k; j++) {
    const n = re.length + 1;
    const nr = new Array<number>(n).fill(0);
    const ni = new Array<number>(n).fill(0);
    re.forEach((c, d) => {
      if (d > 0) nr[d - 1]! += d * c; // P′
      nr[d + 1]! += -2 * c; // −2x·P
      ni[d]! += c; // i·P
    });
    im.forEach((c, d) => {
      if (d > 0) ni[d - 1]! += d * c;
      ni[d + 1]! += -2 * c;
      nr[d]! -= c; // i·(i·Im) = −Im
    });
    re = nr;
    im = ni;
  }
  const ev = (cs: number[], abs: boolean) =>
    cs.reduce((s, c, d) => s + (abs ? Math.abs(c * x ** d) : c * x ** d), 0);
  const e = Math.exp(-x * x);
  const value = e * (ev(re, false) * Math.sin(x) + ev(im, false) * Math.cos(x));
  return [value, e * (ev(re, true) + ev(im, true))];
}

describe("jet: exact and closed-form results", () => {
  it("gives f, f′, f″, ... of the seed polynomial x⁴ − 2x³ + 3x² − 4x + 5 exactly", () => {
    const viaPow = (x: Tensor) =>
      nb.add(
        nb.sub(nb.add(nb.sub(nb.pow(x, 4), nb.mul(2, nb.pow(x, 3))), nb.mul(3, nb.pow(x, 2))), nb.mul(4, x)),
        5,
      );
    const horner = (x: Tensor) =>
      nb.add(nb.mul(nb.sub(nb.mul(nb.add(nb.mul(nb.sub(x, 2), x), 3), x), 4), x), 5);
    // f′ = 4x³ − 6x² + 6x − 4, f″ = 12x² − 12x + 6, f‴ = 24x − 12, f⁗ = 24
    const expected = (x: number) => [
      x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5,
      4 * x ** 3 - 6 * x ** 2 + 6 * x - 4,
      12 * x ** 2 - 12 * x + 6,
      24 * x - 12,
      24,
      0,
      0,
    ];
    for (const x of [2, 0, -1.5, 0.25])
      for (const f of [viaPow, horner]) {
        const [y, terms] = jet<Tensor>(f, [f64(x)], [[1, 0, 0, 0, 0, 0]]);
        expect(items([y, ...terms])).toEqual(expected(x));
      }
  });

  it("matches the closed form of the k-th derivative of sin(x)·exp(−x²) for k = 1 … 10", () => {
    const xs = [-2, -1.3, -0.4, 0, 0.3, 0.9, 1.7, 2];
    const ds = elementwiseDerivatives<Tensor>(g, f64(xs), 10);
    for (let k = 0; k <= 10; k++) {
      const got = ds[k]!.dataSync();
      xs.forEach((x, i) => {
        const [want, size] = gClosedForm(x, k);
        expect(Math.abs(got[i]! - want), `k = ${k}, x = ${x}`).toBeLessThanOrEqual(1e-13 * Math.max(1, size));
      });
    }
  });

  it("propagates a given curved path: jet(f∘h) from h's series is Faà di Bruno's formula", () => {
    // h(z) = z³ at z = 0.5: h0 = 0.125, h1 = 3·0.25, h2 = 6·0.5; f = sin
    const [y0, [y1, y2]] = jet<Tensor>(nb.sin, [0.125], [[0.75, 3]]);
    expect(y0.item()).toBeCloseTo(Math.sin(0.125), 15);
    expect(y1.item()).toBeCloseTo(Math.cos(0.125) * 0.75, 15);
    expect(y2.item()).toBeCloseTo(-Math.sin(0.125) * 0.75 ** 2 + Math.cos(0.125) * 3, 14);
  });

  it("keeps derivatives of integer powers finite at 0 (x³ at 0: 0, 0, 6, 0)", () => {
    const [, terms] = jet<Tensor>((x: Tensor) => nb.pow(x, 3), [f64(0)], [[1, 0, 0, 0]]);
    expect(items(terms)).toEqual([0, 0, 6, 0]);
    // and x^2.5 at 0: 0, 0, then infinite
    const [, t2] = jet<Tensor>((x: Tensor) => nb.pow(x, 2.5), [f64(0)], [[1, 0, 0]]);
    expect(items(t2).slice(0, 2)).toEqual([0, 0]);
  });

  it("goes to high order: the 30th derivative of exp(2x) at 0 is 2³⁰", () => {
    const ds = taylorDerivatives<Tensor>((x: Tensor) => nb.exp(nb.mul(2, x)), f64(0), 30);
    expect(ds[30]!.item()).toBeCloseTo(2 ** 30, 3);
  });
});

describe("jet: the derivative helpers", () => {
  it("taylorDerivatives lists f(x), f′(x), …, f^(k)(x)", () => {
    expect(items(taylorDerivatives<Tensor>(nb.sin, 0, 4))).toEqual([0, 1, 0, -1, 0]);
    expect(taylorDerivatives(nb.exp, 1, 0)).toHaveLength(1);
  });

  it("taylorDerivatives agrees with nested gradients on sin(x)·exp(−x²)", () => {
    const ds = taylorDerivatives<Tensor>(g, f64(0.3), 4);
    // biome-ignore lint/suspicious/noExplicitAny: nested grads of a scalar function
    let h: any = g;
    for (let k = 1; k <= 4; k++) {
      h = nb.grad(h);
      expectClose(ds[k], h(f64(0.3)), { atol: 1e-13, rtol: 1e-13 }, `order ${k}`);
    }
  });

  it("taylorDerivatives keeps the output's structure", () => {
    const ds = taylorDerivatives<{ s: Tensor; c: Tensor[] }>(
      (x: Tensor) => ({ s: nb.sin(x), c: [nb.cos(x)] }),
      0,
      2,
    );
    expect(ds[1]!.s.item()).toBe(1);
    expect(ds[2]!.c[0]!.item()).toBe(-1);
  });

  it("taylorDerivative gives the k-th derivative only, matching nb.derivative", () => {
    expect(taylorDerivative((x: Tensor) => nb.pow(x, 4), 3)(2).item()).toBe(48);
    const h = (a: Tensor, x: Tensor) => nb.mul(a, nb.tanh(nb.mul(x, x)));
    for (let k = 1; k <= 4; k++)
      expectClose(
        taylorDerivative(h, k, { argnums: 1 })(f64([1, 2]), f64(0.7)),
        nb.derivative(h, k, { argnums: 1 })(f64([1, 2]), f64(0.7)),
        { atol: 1e-12, rtol: 1e-12 },
        `order ${k}`,
      );
    expect(taylorDerivative(nb.sin, 0)(1).item()).toBe(Math.sin(1));
  });

  it("elementwiseDerivatives equals vmap of taylorDerivatives for an elementwise function", () => {
    const xs = f64([-1, 0, 0.5, 2]);
    const all = elementwiseDerivatives<Tensor>(g, xs, 5);
    for (let k = 0; k <= 5; k++)
      expectClose(
        all[k],
        nb.vmap((x: Tensor) => taylorDerivatives<Tensor>(g, x, 5)[k]!)(xs),
        {},
        `order ${k}`,
      );
  });

  it("computes only the terms asked for, with the same values", () => {
    const x = f64([0.1, -0.7]);
    const one = lax.scalarLike(x, 1);
    const [, all] = jetFlat((v) => [g(v)], [x], [[one, null, null, null, null]], 5);
    const [, last] = jetFlat((v) => [g(v)], [x], [[one, null, null, null, null]], 5, [5]);
    expectClose(last[0]![4], all[0]![4]);
    expect(Array.from(last[0]![1]!.dataSync())).toEqual([0, 0]);
  });

  it("works in float32, close to float64", () => {
    const xs = [-1.5, -0.2, 0.6, 1.9];
    const d32 = elementwiseDerivatives<Tensor>(g, nb.array(xs, { dtype: "float32" }), 6);
    const d64 = elementwiseDerivatives<Tensor>(g, f64(xs), 6);
    expect(d32[6]!.dtype).toBe("float32");
    for (let k = 0; k <= 6; k++)
      expectClose(d32[k], d64[k], { atol: 1e-4 * 10 ** (k / 2), rtol: 1e-4 }, `order ${k}`);
  });

  it("computes the k-th derivative alone in few operations: 64 for the 10th derivative of sin(x)·exp(−x²)", () => {
    // Counts primitive evaluations on an array (not time): the bound guards the O(k) cost of the k-th term
    // alone (lazy terms, constants folded), which is what keeps B7's time nearly flat in k.
    const x = f64(Array.from({ length: 16 }, (_, i) => i / 8 - 1));
    let count = 0;
    setEvalPrimitive((p, args, params) => {
      const r = evalPrimitive(p, args, params);
      if (r.data.length > 1) count++;
      return r;
    });
    try {
      const cost = (k: number) => {
        count = 0;
        nb.vmap(taylorDerivative(g, k))(x);
        return count;
      };
      expect(cost(1)).toBeLessThanOrEqual(12);
      expect(cost(10)).toBeLessThanOrEqual(64);
      const all = () => {
        count = 0;
        elementwiseDerivatives(g, x, 10);
        return count;
      };
      expect(all()).toBeLessThanOrEqual(200);
    } finally {
      setEvalPrimitive(evalPrimitive);
    }
  });

  it("isScalarArgument tells which calls nb.derivative can hand to Taylor mode", () => {
    expect(isScalarArgument([1], 0)).toBe(true);
    expect(isScalarArgument([nb.ones([2]), f64(1)], 1)).toBe(true);
    expect(isScalarArgument([nb.ones([2])], 0)).toBe(false);
    expect(isScalarArgument([nb.array(1, { dtype: "int32" })], 0)).toBe(false);
    expect(isScalarArgument([1, 2], [0, 1])).toBe(false);
  });
});

describe("jet: composition with other transformations", () => {
  const x0 = f64(0.4);
  const d = (k: number) => taylorDerivatives<Tensor>(g, x0, k)[k]!;

  it("grad of jet: d/dx g‴(x) = g⁗(x)", () => {
    const third = (x: Tensor) => taylorDerivatives<Tensor>(g, x, 3)[3]!;
    expectClose(nb.grad(third)(x0), d(4), { atol: 1e-12, rtol: 1e-12 });
    expectClose(nb.grad(nb.grad(third))(x0), d(5), { atol: 1e-12, rtol: 1e-12 });
  });

  it("jet of grad: the series of g′ is g″, g‴, g⁗", () => {
    const ds = taylorDerivatives<Tensor>(nb.grad(g), x0, 3);
    for (let k = 0; k <= 3; k++) expectClose(ds[k], d(k + 1), { atol: 1e-12, rtol: 1e-12 }, `order ${k}`);
  });

  it("jet of jvp and jet of jet", () => {
    const viaJvp = taylorDerivatives<Tensor>((x: Tensor) => nb.jvp(g, [x], [f64(1)])[1], x0, 2);
    expectClose(viaJvp[2], d(3), { atol: 1e-12, rtol: 1e-12 });
    const nested = taylorDerivatives<Tensor>((x: Tensor) => taylorDerivatives<Tensor>(g, x, 3)[3]!, x0, 3);
    expectClose(nested[3], d(6), { atol: 1e-11, rtol: 1e-11 });
  });

  it("vmap of jet and jet of vmap agree with a loop", () => {
    const xs = f64([-1.2, 0.1, 0.8]);
    const loop = [-1.2, 0.1, 0.8].map((v) => taylorDerivatives<Tensor>(g, f64(v), 4)[4]!.item());
    expectClose(nb.vmap((x: Tensor) => taylorDerivatives<Tensor>(g, x, 4)[4]!)(xs), loop, {
      atol: 1e-12,
      rtol: 1e-12,
    });
    expectClose(elementwiseDerivatives<Tensor>(nb.vmap(g), xs, 4)[4], loop, { atol: 1e-12, rtol: 1e-12 });
  });

  it("jet of a Hessian (third and fourth derivatives of a function of two variables)", () => {
    const h = (v: Tensor) => nb.mul(nb.sin(nb.sum(nb.mul(v, f64([1, 2])))), v);
    const x = f64([0.3, -0.2]);
    const dir = f64([1, 0.5]);
    const [, [h1]] = jet<Tensor>(nb.hessian(h), [x], [[dir]]);
    expectClose(h1, nb.jvp(nb.hessian(h), [x], [dir])[1], { atol: 1e-12, rtol: 1e-12 });
  });

  it("jet inside a staged program runs the same", () => {
    const fourth = (x: Tensor) => taylorDerivatives<Tensor>(g, x, 4)[4]!;
    const program = nb.makeProgram(fourth)(x0);
    expectClose(program.run([x0])[0], fourth(x0), { atol: 1e-12, rtol: 1e-12 });
  });

  it("jet through customJvp, customVjp and checkpoint uses the functions' own definitions", () => {
    const soft = (x: Tensor) => nb.softplus(x);
    const ref = (x: Tensor) => nb.log1p(nb.exp(x));
    expectClose(taylorDerivatives<Tensor>(soft, x0, 4)[4], taylorDerivatives<Tensor>(ref, x0, 4)[4], {
      atol: 1e-12,
      rtol: 1e-12,
    });
    // A checkpointed function under jvp binds custom_linear with its forward map, which jet expands.
    const cp = nb.checkpoint(g);
    const viaCp = taylorDerivatives<Tensor>((x: Tensor) => nb.jvp(cp, [x], [f64(1)])[1], x0, 3);
    for (let k = 0; k <= 3; k++) expectClose(viaCp[k], d(k + 1), { atol: 1e-12, rtol: 1e-12 }, `order ${k}`);
  });

  it("uses a custom JVP rule at every order (through the customJvpUnderJet hook of nb.customJvp)", () => {
    // nb.customJvp with the jet hook, as src/interpret/custom.ts calls it
    const customJvp = (f: (...a: Tensor[]) => Tensor, rule: CustomJvpRule) => {
      const plain = nb.customJvp(f, rule);
      return (...args: Tensor[]): Tensor => {
        const r = customJvpUnderJet(f, rule, args);
        return r === null ? plain(...args) : (r.value as Tensor);
      };
    };
    // softplus = max(x, 0) + log(e^(x − m) + e^(−m)) with m = max(x, 0) held constant: at the tie x = 0 the
    // body's series takes half of max's, so its first derivative there is 1 instead of 1/2.
    const body = (x: Tensor) => {
      const m = nb.stopGradient(nb.maximum(x, 0));
      return nb.add(nb.maximum(x, 0), nb.log(nb.add(nb.exp(nb.sub(x, m)), nb.exp(nb.neg(m)))));
    };
    const sp: (x: Tensor) => Tensor = customJvp(body, ([x], [dx]) => [
      sp(x as Tensor),
      nb.mul(dx as Tensor, nb.sigmoid(x as Tensor)),
    ]);
    expect(taylorDerivatives<Tensor>(body, f64(0), 1)[1]!.item()).toBe(1);
    const at0 = items(taylorDerivatives<Tensor>(sp, f64(0), 5));
    [Math.LN2, 0.5, 0.25, 0, -0.125, 0].forEach((v, k) => {
      expect(at0[k]).toBeCloseTo(v, 15);
    });
    const ref = (x: Tensor) => nb.log1p(nb.exp(x));
    for (const x of [-1.3, 0.7])
      expectClose(taylorDerivatives<Tensor>(sp, f64(x), 5), taylorDerivatives<Tensor>(ref, f64(x), 5), {
        atol: 1e-13,
        rtol: 1e-13,
      });
    // composed: the rule is also what grad sees inside jet, and jet inside vmap
    expectClose(taylorDerivatives<Tensor>(nb.grad(sp), f64(0), 3)[3], -0.125, { atol: 1e-15 });
    expectClose(
      nb.vmap((x: Tensor) => taylorDerivatives<Tensor>(sp, x, 4)[4]!)(f64([0, 0])),
      [-0.125, -0.125],
      {
        atol: 1e-15,
      },
    );
  });

  it("handles long chains (thousands of operations) without exhausting the stack", () => {
    const chain = (x: Tensor) => {
      let y = x;
      for (let i = 0; i < 3000; i++) y = nb.add(nb.mul(nb.sin(y), 0.5), x);
      return y;
    };
    const ds = taylorDerivatives<Tensor>(chain, f64(0.2), 4);
    // y = 0.5 sin y + x is a contraction; compare with nested forward mode on a shorter, equivalent fixed point
    const fixed = nb.derivative(chain, 2)(f64(0.2)) as Tensor;
    expectClose(ds[2], fixed, { atol: 1e-10, rtol: 1e-10 });
  });
});

describe("jet: inputs and errors", () => {
  it("accepts pytrees of primals, with numbers as constant terms", () => {
    const f = (p: { a: Tensor; b: Tensor }, s: Tensor) => nb.mul(nb.mul(p.a, p.b), s);
    const [y, [t1, t2]] = jet<Tensor>(
      f,
      [{ a: f64([1, 2]), b: f64([3, 4]) }, 2],
      [
        [
          { a: 1, b: 0 },
          { a: 0, b: 0 },
        ],
        [0, 0],
      ],
    );
    expect(y.toArray()).toEqual([6, 16]);
    expect(t1.toArray()).toEqual([6, 8]);
    expect(t2.toArray()).toEqual([0, 0]);
  });

  it("returns zero terms for outputs that do not depend on the inputs, and for order 0", () => {
    const [y, [t]] = jet<Tensor[]>((x: Tensor) => [nb.sin(x), nb.ones([2])], [1], [[1]]);
    expect(y[1]!.toArray()).toEqual([1, 1]);
    expect(t![1]!.toArray()).toEqual([0, 0]);
    expect(jet(nb.sin, [1], [[]])[1]).toEqual([]);
  });

  it("names the problem in its errors", () => {
    const f = (x: Tensor) => nb.sin(x);
    expect(() => jet(f, [1, 2], [[1]])).toThrow(/jet: 2 primal\(s\) but 1 series/);
    expect(() => jet(f, [1], [1] as never)).toThrow(/series 0 must be an array of terms/);
    expect(() => jet((a, b) => nb.add(a, b), [1, 2], [[1, 0], [1]])).toThrow(
      /different numbers of terms \(2, 1\)/,
    );
    expect(() => jet(f, [{ a: 1 }], [[[1]]])).toThrow(nb.PytreeError);
    expect(() => jet(f, [{ a: 1 }], [[[1]]])).toThrow(
      /term 0 of series 0 has structure \[\*\] but primal 0 has \{a: \*\}/,
    );
    expect(() => jet(f, [nb.ones([2])], [[nb.ones([3])]])).toThrow(nb.ShapeError);
    expect(() => jet(f, [nb.ones([2])], [[nb.ones([3])]])).toThrow(/shape \[3\] but its primal has \[2\]/);
    expect(() => jet(f, [nb.arange(3)], [[nb.ones([3])]])).toThrow(nb.DTypeError);
    expect(() => taylorDerivatives(f, nb.ones([2]), 2)).toThrow(/must be a scalar.*elementwiseDerivatives/);
    expect(() => taylorDerivatives(f, 1, -1)).toThrow(nb.ValueError);
    expect(() => elementwiseDerivatives(f, nb.arange(3), 1)).toThrow(nb.DTypeError);
    expect(() => taylorDerivative(f, 2)(nb.ones([2]))).toThrow(nb.ShapeError);
  });
});
