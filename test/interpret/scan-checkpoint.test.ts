// scan's unroll and checkpoint options, and nb.checkpoint's rematerialized call: the same values and
// derivatives as the plain scan at every order, and the memory reverse mode keeps between its passes.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { sizeOf } from "../../src/core/shape.js";
import type { ConcreteTensor } from "../../src/core/tensor.js";
import { linearizeFlat } from "../../src/interpret/partial-eval.js";
import { expectClose } from "../util/close.js";

const T = 23;
const f64 = { dtype: "float64" } as const;
const xs = nb.random.normal(nb.random.key(1), [T, 3], f64);
const w0 = nb.random.normal(nb.random.key(2), [3, 3], f64);
const weights = nb.reshape(nb.arange(0, T, 1, f64), [T, 1]);

/** A recurrence with pytree xs and ys, a loop-invariant weight and a loss reading the carry and every y. */
const model = (options: nb.lax.ScanOptions) => (w: nb.Tensor) => {
  const [h, ys] = nb.lax.scan(
    (c: nb.Tensor, x: { a: nb.Tensor }) => {
      const n = nb.tanh(nb.add(nb.matmul(c, w), x.a));
      return [n, { y: nb.mul(n, n), z: nb.sum(n) }];
    },
    nb.zeros([3], f64),
    { a: xs },
    options,
  ) as [nb.Tensor, { y: nb.Tensor; z: nb.Tensor }];
  return nb.add(nb.sum(nb.mul(h, h)), nb.add(nb.sum(nb.mul(ys.y, weights)), nb.sum(nb.sin(ys.z))));
};

const variants: nb.lax.ScanOptions[] = [
  { unroll: 4 },
  { unroll: true },
  { checkpoint: "steps" },
  { checkpoint: "sqrt" },
  { checkpoint: 7 },
  { checkpoint: 1 },
  { checkpoint: 5, unroll: 2 },
];

describe("lax.scan unroll and checkpoint", () => {
  for (const reverse of [false, true])
    for (const v of variants)
      it(`${JSON.stringify(v)}${reverse ? ", reversed" : ""}: values and derivatives equal the plain scan's`, () => {
        const f = model({ ...v, reverse });
        const g = model({ reverse });
        expectClose(f(w0), g(w0), { atol: 1e-12, rtol: 1e-12 });
        expectClose(nb.grad(f)(w0), nb.grad(g)(w0), { atol: 1e-12, rtol: 1e-12 });
        expectClose(nb.hessian(f)(w0) as nb.Tensor, nb.hessian(g)(w0) as nb.Tensor, {
          atol: 1e-12,
          rtol: 1e-12,
        });
        expectClose(nb.jit(nb.grad(f))(w0), nb.grad(g)(w0), { atol: 1e-12, rtol: 1e-12 });
        const dir = nb.onesLike(w0);
        expectClose(nb.jvp(f, [w0], [dir])[1], nb.jvp(g, [w0], [dir])[1], { atol: 1e-12, rtol: 1e-12 });
      });

  it("ys keep the xs' order with a remainder segment, forwards and reversed", () => {
    for (const reverse of [false, true]) {
      const run = (o: nb.lax.ScanOptions) =>
        nb.lax.scan(
          (c: nb.Tensor, x: nb.Tensor) => [nb.add(nb.mul(c, 0.5), x), c],
          nb.array(0, f64),
          nb.arange(0, 10, 1, f64),
          { ...o, reverse },
        ) as [nb.Tensor, nb.Tensor];
      const [c0, y0] = run({});
      for (const o of [{ checkpoint: 3 }, { unroll: 4 }, { checkpoint: 4, unroll: 3 }]) {
        const [c, y] = run(o);
        expect(c.item()).toBe(c0.item());
        expect(y.toArray()).toEqual(y0.toArray());
      }
    }
  });

  it("checkGrads to third order through a segmented, unrolled scan", () => {
    const f = (a: nb.Tensor) =>
      nb.sum(
        nb.lax.scan((c: nb.Tensor) => [nb.sin(nb.mul(c, a)), null], nb.array([0.3, 0.7], f64), null, {
          length: 11,
          checkpoint: "sqrt",
          unroll: 2,
        })[0] as nb.Tensor,
      );
    nb.checkGrads(f, [nb.array([1.1, 0.9], f64)], { order: 3 });
  });

  it("refuses unknown options and bad values", () => {
    const body = (c: nb.Tensor) => [c, null] as const;
    const bad: unknown[] = [
      { unrol: 2 },
      { checkpoint: "all" },
      { checkpoint: 0 },
      { unroll: 1.5 },
      { unroll: 0 },
      "sqrt",
    ];
    for (const o of bad)
      expect(() => nb.lax.scan(body, nb.array(1), null, { length: 3, ...(o as object) })).toThrow(
        nb.ValueError,
      );
    expect(() => nb.lax.scan(body, nb.array(1), null, "sqrt" as never)).toThrow(
      /lax.scan: the fourth argument/,
    );
  });
});

/**
 * Bytes of the values the linearized program keeps (what reverse mode holds between its passes), not
 * counting the memory of tensors the caller holds anyway (`own`: the inputs, read in place, or reshaped
 * without a copy).
 */
function heldBytes(f: (w: nb.Tensor) => nb.Tensor, w: nb.Tensor, own: readonly nb.Tensor[]): number {
  const [, linear] = linearizeFlat((v) => [f(v)], [w]);
  const buffers = own.map((t) => (t as ConcreteTensor).data.buffer);
  return linear.constValues
    .filter((c) => !buffers.includes((c as ConcreteTensor).data.buffer))
    .reduce((s, c) => s + sizeOf(c.aval.shape) * 8, 0);
}

describe("what reverse mode keeps through a long scan", () => {
  const steps = 400;
  const B = 4;
  const H = 16;
  const xsLong = nb.random.normal(nb.random.key(3), [steps, B, H], f64);
  const carryBytes = B * H * 8;
  const rnn = (checkpoint: nb.lax.ScanOptions["checkpoint"]) => (w: nb.Tensor) =>
    nb.sum(
      nb.lax.scan(
        (h: nb.Tensor, x: nb.Tensor) => [nb.tanh(nb.add(nb.matmul(h, w), x)), null],
        nb.zeros([B, H], f64),
        xsLong,
        { checkpoint },
      )[0] as nb.Tensor,
    );
  const w = nb.mul(nb.random.normal(nb.random.key(4), [H, H], f64), 0.2);
  const held = (checkpoint: nb.lax.ScanOptions["checkpoint"]) => heldBytes(rnn(checkpoint), w, [w, xsLong]);

  it("does not stack a loop-invariant weight or the xs once per step", () => {
    // Every step stores its carry and its tanh output; the weight and the xs are read where they are.
    expect(held("none")).toBeLessThanOrEqual(2 * steps * carryBytes + 4096);
  });

  it('"steps" keeps one carry per step, "sqrt" one per segment of ⌈√T⌉ steps', () => {
    expect(held("none")).toBeGreaterThan(2 * steps * carryBytes - 4096);
    expect(held("steps")).toBeLessThanOrEqual(steps * carryBytes + 4096);
    // 20 segments of 20 steps: 20 carries.
    expect(held("sqrt")).toBeLessThanOrEqual(20 * carryBytes + 4096);
    expectClose(nb.grad(rnn("sqrt"))(w), nb.grad(rnn("none"))(w), { atol: 1e-12, rtol: 1e-12 });
  });
});

describe("nb.checkpoint with pytree inputs and outputs", () => {
  const block = nb.checkpoint((p: { a: nb.Tensor; b: nb.Tensor }) => {
    const s = nb.sin(nb.mul(p.a, p.b));
    return [nb.tanh(s), { c: nb.mul(s, s) }] as const;
  });
  const plain = (p: { a: nb.Tensor; b: nb.Tensor }) => {
    const s = nb.sin(nb.mul(p.a, p.b));
    return [nb.tanh(s), { c: nb.mul(s, s) }] as const;
  };
  const loss =
    (g: typeof plain) =>
    (a: nb.Tensor): nb.Tensor => {
      const [t, { c }] = g({ a, b: nb.add(a, 1) });
      return nb.sum(nb.mul(t, c));
    };
  const a = nb.array([0.4, -0.8, 1.3], f64);

  it("matches the plain function in value, grad, hessian, jit, vmap and jet", () => {
    expectClose(loss(block)(a), loss(plain)(a), { atol: 0, rtol: 0 });
    expectClose(nb.grad(loss(block))(a), nb.grad(loss(plain))(a), { atol: 1e-14, rtol: 1e-14 });
    expectClose(nb.hessian(loss(block))(a) as nb.Tensor, nb.hessian(loss(plain))(a) as nb.Tensor, {
      atol: 1e-13,
      rtol: 1e-13,
    });
    expectClose(nb.jit(nb.grad(loss(block)))(a), nb.grad(loss(plain))(a), { atol: 1e-14, rtol: 1e-14 });
    const rows = nb.reshape(nb.arange(0, 6, 1, f64), [2, 3]);
    expectClose(nb.vmap(nb.grad(loss(block)))(rows), nb.vmap(nb.grad(loss(plain)))(rows), {
      atol: 1e-14,
      rtol: 1e-14,
    });
    const scalar = (x: nb.Tensor) => loss(block)(nb.mul(a, x));
    const scalar0 = (x: nb.Tensor) => loss(plain)(nb.mul(a, x));
    expectClose(nb.derivative(scalar, 3)(nb.array(0.7, f64)), nb.derivative(scalar0, 3)(nb.array(0.7, f64)), {
      atol: 1e-12,
      rtol: 1e-12,
    });
    nb.checkGrads(loss(block), [a], { order: 3 });
  });

  it("keeps only the call's operands as residuals", () => {
    const deep = (v: nb.Tensor) => {
      let h = v;
      for (let i = 0; i < 6; i++) h = nb.tanh(nb.sin(nb.mul(h, h)));
      return nb.sum(h);
    };
    const [, lin] = linearizeFlat((v) => [nb.checkpoint(deep)(v)], [a]);
    expect(lin.constValues.length).toBeLessThanOrEqual(1);
    expect(String(lin)).toMatch(/remat=true/);
  });
});
