// The types of vmap, jvp, vjp, linearize and jit, and of nb.TensorTree.
import * as nb from "nabla";
import { type Equal, expectTrue, expectType } from "./expect.js";

type Tensor = nb.Tensor;
declare const x: Tensor;

// TensorTree: each tensor or number leaf becomes a Tensor; containers keep their shape.
expectTrue<Equal<nb.TensorTree<{ w: Tensor; b: number[]; n: null }>, { w: Tensor; b: Tensor[]; n: null }>>();
expectTrue<Equal<nb.TensorTree<readonly [number, { a: Tensor }]>, [Tensor, { a: Tensor }]>>();
expectTrue<Equal<nb.TensorTree<nb.TensorLike>, Tensor>>();
expectTrue<Equal<nb.TensorTree<string>, never>>();

// vmap keeps the parameters (a tensor may be passed as a number) and maps the result to tensors.
const perRow = nb.vmap((row: Tensor, scale: number) => ({ s: nb.mul(nb.sum(row), scale), n: 3 }), {
  inAxes: [0, null],
});
expectType<{ s: Tensor; n: Tensor }>()(perRow(x, 2));
expectTrue<Equal<Parameters<typeof perRow>, [row: Tensor | number, scale: number]>>();
// @ts-expect-error vmap keeps the parameters of f: a string is not a tensor
perRow("rows", 2);
// @ts-expect-error the mapped result has keys s and n only
perRow(x, 2).t;

// jvp: primals and tangents follow the parameters; outputs are f's result as tensors.
expectType<[Tensor, Tensor]>()(nb.jvp(nb.sin, [0], [1]));
expectType<[{ a: Tensor; b: Tensor[] }, { a: Tensor; b: Tensor[] }]>()(
  nb.jvp((p: { u: Tensor }) => ({ a: p.u, b: [p.u] }), [{ u: x }], [{ u: x }]),
);
// @ts-expect-error tangents are shaped like the primals
nb.jvp((p: { u: Tensor }) => p.u, [{ u: x }], [x]);
// @ts-expect-error primals must match the parameters of f
nb.jvp((t: Tensor) => t, ["x"], [1]);

// vjp: the pullback takes a cotangent shaped like the output and returns one cotangent per primal.
const [y, pullback] = nb.vjp((a: Tensor, p: { w: Tensor }) => nb.mul(a, p.w), x, { w: x });
expectType<Tensor>()(y);
expectType<[Tensor, { w: Tensor }]>()(pullback(x));
expectType<[Tensor, { w: Tensor }]>()(pullback(1));
// @ts-expect-error a cotangent of a tensor output is a tensor or a number
pullback({ w: x });
// @ts-expect-error vjp's primals must match f's parameters
nb.vjp((a: Tensor) => a, "a");

// linearize: the linear map takes tangents shaped like the primals.
const [y2, fLin] = nb.linearize((p: { a: Tensor; b: Tensor }) => [nb.mul(p.a, p.b)], { a: x, b: x });
expectType<Tensor[]>()(y2);
expectType<Tensor[]>()(fLin({ a: x, b: 1 }));
// @ts-expect-error the tangent needs the keys of the primal
fLin({ a: x });

// jit keeps f's signature.
const jitted = nb.jit((a: Tensor, n: number) => nb.mul(a, n));
expectTrue<Equal<Parameters<typeof jitted>, [a: Tensor, n: number]>>();
expectType<Tensor>()(jitted(x, 2));
// @ts-expect-error jit keeps the parameters of f
jitted(x, "2");
