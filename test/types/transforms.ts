// The types of grad, valueAndGrad, jacobians, derivative and hvp: what compiles and what must not.
import * as nb from "nabla";
import { type Equal, expectTrue, expectType } from "./expect.js";

type Tensor = nb.Tensor;
declare const x: Tensor;
declare const params: { w: Tensor; b: Tensor };

const loss = (p: { w: Tensor; b: Tensor }, xs: Tensor) => nb.sum(nb.add(nb.mul(xs, p.w), p.b));

// grad keeps the parameters of f and shapes the gradient like the differentiated argument.
const g: Tensor = nb.grad((t: Tensor) => nb.sum(t))(x);
expectType<Tensor>()(nb.grad((t: Tensor) => nb.sum(t))(x));
expectType<{ w: Tensor; b: Tensor }>()(nb.grad(loss)(params, x));
expectType<Tensor>()(nb.grad(loss, { argnums: 1 })(params, x));
expectType<[{ w: Tensor; b: Tensor }, Tensor]>()(nb.grad(loss, { argnums: [0, 1] })(params, x));
expectType<[Tensor]>()(nb.grad(loss, { argnums: [1] })(params, x));
// Numbers are leaves (they come back as tensors); arrays are containers, element by element.
expectType<Tensor>()(nb.grad((t: Tensor) => nb.mul(t, t))(3));
expectType<Tensor[]>()(nb.grad((ts: number[]) => nb.add(ts[0]!, ts[1]!))([1, 2]));
expectType<[Tensor, { c: Tensor[] }]>()(
  nb.grad((p: [Tensor, { c: number[] }]) => nb.sum(p[0]))([x, { c: [1] }]),
);
expectType<{ a: Tensor; n: null }>()(nb.grad((p: { a: Tensor; n: null }) => nb.sum(p.a))({ a: x, n: null }));
// A function of TensorLike (like nb.sin) gives one tensor; grad of grad composes.
expectType<Tensor>()(nb.grad(nb.sin)(x));
expectType<Tensor>()(nb.grad(nb.grad(nb.grad((t: Tensor) => t.mul(t).mul(t))))(2));
expectType<Tensor>()(nb.grad(nb.grad(nb.tanh))(0.5));
const gradLoss = nb.grad(loss);
expectTrue<Equal<Parameters<typeof gradLoss>, [p: { w: Tensor | number; b: Tensor | number }, xs: Tensor]>>();

// hasAux: f returns [scalar, aux]; grad gives [grads, aux], valueAndGrad [[value, aux], grads].
const withAux = (t: Tensor) => [nb.sum(t), { double: nb.mul(t, 2), label: 7 }] as const;
expectType<[Tensor, { double: Tensor; label: Tensor }]>()(nb.grad(withAux, { hasAux: true })(x));
expectType<[[Tensor, { double: Tensor; label: Tensor }], Tensor]>()(
  nb.valueAndGrad(withAux, { hasAux: true })(x),
);
expectType<[Tensor, { w: Tensor; b: Tensor }]>()(nb.valueAndGrad(loss)(params, x));
const auxTuple = (a: Tensor, b: Tensor): [Tensor, string[]] => [nb.sum(nb.mul(a, b)), []];
expectType<[[Tensor, never[]], [Tensor, Tensor]]>()(
  nb.valueAndGrad(auxTuple, { argnums: [0, 1], hasAux: true })(x, x),
);
// hasAux known only at run time: either shape.
declare const aux: boolean;
expectType<Tensor | [Tensor, Tensor]>()(nb.grad((t: Tensor) => [nb.sum(t), t] as const, { hasAux: aux })(x));

// Jacobians: the output tree with each leaf a tree shaped like the differentiated arguments.
expectType<Tensor>()(nb.jacrev((t: Tensor) => nb.mul(t, t))(x));
expectType<Tensor>()(nb.jacfwd(nb.exp)(x));
expectType<[Tensor, Tensor]>()(nb.jacrev((a: Tensor, b: Tensor) => nb.mul(a, b), { argnums: [0, 1] })(x, x));
expectType<{ y: { w: Tensor; b: Tensor }; z: [{ w: Tensor; b: Tensor }] }>()(
  nb.jacfwd((p: { w: Tensor; b: Tensor }) => ({ y: p.w, z: [p.b] as [Tensor] }))(params),
);
expectType<Tensor>()(nb.hessian((t: Tensor) => nb.sum(nb.pow(t, 3)))(x));
expectType<[[Tensor, Tensor], [Tensor, Tensor]]>()(
  nb.hessian((a: Tensor, b: Tensor) => nb.sum(nb.mul(a, b)), { argnums: [0, 1] })(x, x),
);
expectType<Tensor>()(nb.derivative((t: Tensor) => nb.pow(t, 4), 3)(2));
expectType<Tensor>()(nb.derivative(nb.sin, 40)(0));
expectType<number>()(nb.derivative((_t: Tensor) => 4, 0)(2));
expectType<{ w: { w: Tensor } }>()(nb.derivative((p: { w: Tensor }) => ({ w: nb.sum(p.w) }), 1)({ w: x }));
expectType<{ w: { w: { w: Tensor } } }>()(
  nb.derivative((p: { w: Tensor }) => ({ w: nb.sum(p.w) }), 2)({ w: x }),
);
declare const k: number;
expectType<Tensor>()(nb.derivative((t: Tensor) => nb.pow(t, 4), k)(x));
expectType<Tensor>()(nb.hvp((t: Tensor) => nb.sum(nb.pow(t, 3)), x, x));
expectType<{ w: Tensor }>()(nb.hvp((p: { w: Tensor }) => nb.sum(p.w), { w: x }, { w: x }));

// What must not compile.
// @ts-expect-error a string is not a tensor argument
nb.grad((t: Tensor) => nb.sum(t))("x");
// @ts-expect-error grad's function has one parameter
nb.grad((t: Tensor) => nb.sum(t))(x, 42);
// @ts-expect-error a gradient is a Tensor, which has no method nope
nb.grad((t: Tensor) => nb.sum(t))(x).nope();
// @ts-expect-error the gradient of an object argument has its keys only
nb.grad(loss)(params, x).c;
// @ts-expect-error grad needs a function returning a scalar (a tensor or a number), not a string
nb.grad((_t: Tensor) => "loss");
// @ts-expect-error grad needs a scalar, not a list of tensors
nb.grad((t: Tensor) => [t, t]);
// @ts-expect-error with hasAux the function must return a [value, aux] pair
nb.grad((t: Tensor) => nb.sum(t), { hasAux: true });
// @ts-expect-error with hasAux the first of the pair must be a scalar
nb.valueAndGrad((t: Tensor) => ["loss", t] as const, { hasAux: true });
// @ts-expect-error argnums 1 picks the second argument, a Tensor, not an object
nb.grad(loss, { argnums: 1 })(params, x).w;
// @ts-expect-error the Jacobian of a tensor function is a tensor
nb.jacrev((t: Tensor) => nb.sin(t))(x).w;
// @ts-expect-error the vector of hvp is shaped like x
nb.hvp((p: { w: Tensor }) => nb.sum(p.w), { w: x }, x);
// @ts-expect-error hvp differentiates a function of one argument
nb.hvp((a: Tensor, b: Tensor) => nb.sum(nb.mul(a, b)), x, x);

void g;
