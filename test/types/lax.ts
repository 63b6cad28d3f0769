// The types of nb.lax's loops and branches: carries, xs and ys keep their pytree shapes.
import * as nb from "nabla";
import { expectType } from "./expect.js";

type Tensor = nb.Tensor;
declare const x: Tensor;
declare const xs: Tensor;

// scan: the final carry is shaped like init, the ys like what the body returns as y.
expectType<[Tensor, Tensor]>()(
  nb.lax.scan(
    (c, v) => {
      const s = nb.add(c, v);
      return [s, s];
    },
    x,
    xs,
  ),
);
// A number in the initial carry becomes a tensor; pytree carries and ys keep their keys and tuples.
expectType<[Tensor, null]>()(nb.lax.scan((c) => [nb.mul(c, 2), null], 1, null, { length: 3 }));
expectType<[{ h: Tensor; n: Tensor }, [Tensor, { y: Tensor }]]>()(
  nb.lax.scan(
    (c, v: { a: Tensor }) => [{ h: nb.tanh(nb.add(c.h, v.a)), n: nb.add(c.n, 1) }, [c.h, { y: v.a }]],
    { h: x, n: 0 },
    { a: xs },
  ),
);
expectType<[[Tensor, Tensor], Tensor]>()(
  nb.lax.scan(([a, b]) => [[b, nb.add(a, b)], a], [x, x], null, { length: 5, checkpoint: "sqrt" }),
);
// A body written apart from the call returns its pair `as const`.
const step = (c: Tensor, v: Tensor) => [nb.add(c, v), nb.mul(c, v)] as const;
expectType<[Tensor, Tensor]>()(nb.lax.scan(step, x, xs, { unroll: 4 }));

// foriLoop and whileLoop give the carry's shape back.
expectType<Tensor>()(nb.lax.foriLoop(0, 5, (_i, c) => nb.mul(c, 2), x));
expectType<[Tensor, Tensor]>()(nb.lax.foriLoop(0, 5, (i, [a, b]) => [nb.add(a, i), b], [x, 0]));
expectType<{ i: Tensor; v: Tensor }>()(
  nb.lax.whileLoop(
    (c) => nb.less(c.i, 10),
    (c) => ({ i: nb.add(c.i, 1), v: nb.mul(c.v, 2) }),
    { i: 0, v: x },
  ),
);

// cond and switch: the branches receive the operands as tensors and return one shape.
expectType<Tensor>()(
  nb.lax.cond(
    nb.greater(x, 0),
    (y) => nb.sin(y),
    (y) => nb.cos(y),
    x,
  ),
);
expectType<{ s: Tensor }>()(
  nb.lax.cond(
    true,
    (a, b) => ({ s: nb.add(a, b) }),
    (a, b) => ({ s: nb.sub(a, b) }),
    x,
    2,
  ),
);
expectType<Tensor>()(nb.lax.switch(1, [(y) => nb.neg(y), (y) => nb.exp(y)], x));

// What must not compile.
// @ts-expect-error the carry must keep its structure: a tensor carry cannot become a pair
nb.lax.scan((c) => [[c, c], null], x, null, { length: 2 });
// @ts-expect-error the body returns a pair [carry, y]
nb.lax.scan((c) => c, x, xs);
// @ts-expect-error unknown option
nb.lax.scan((c: Tensor) => [c, null] as const, x, null, { lenght: 2 });
nb.lax.cond(
  true,
  (y) => ({ a: y }),
  // @ts-expect-error the branches must return the same structure
  (y) => ({ b: y }),
  x,
);
// @ts-expect-error a loop's carry is the carry, not a number where a pair is expected
nb.lax.foriLoop(0, 3, (_i, c) => nb.add(c[0], 1), [x, x]);
