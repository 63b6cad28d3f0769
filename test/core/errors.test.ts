// Clear errors: each mistake a user can make throws a typed error whose message names the operation, the
// shapes or dtypes involved and what to do. Also: derivatives at benign points never produce spurious NaN.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectTensor } from "../util/approx.js";

type T = nb.Tensor;
type Ctor = new (...args: never[]) => Error;

/** Expects `fn` to throw an instance of `cls` whose message matches every pattern. */
function expectError(fn: () => unknown, cls: Ctor, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected an error to be thrown").toBeInstanceOf(cls);
  for (const p of patterns) expect((caught as Error).message).toMatch(p);
}

/** A literal-text regex (for shapes like `[2,3]`). */
const lit = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

describe("shape errors", () => {
  it("matmul names both shapes and the inner dimensions", () => {
    expectError(
      () => nb.matmul(nb.zeros([2, 3]), nb.zeros([2, 2])),
      nb.ShapeError,
      lit("matmul: [2,3] @ [2,2]: inner dimensions 3 and 2 differ"),
    );
    expectError(() => nb.zeros([2, 3]).matmul(nb.zeros([4])), nb.ShapeError, lit("[2,3] @ [4]"));
    expectError(() => nb.matmul(2, [1]), nb.ShapeError, /matmul/, /at least 1 dimension/, /nb\.mul/);
  });

  it("matmul with incompatible batch dimensions names both operand shapes", () => {
    expectError(
      () => nb.matmul(nb.zeros([2, 2, 3]), nb.zeros([3, 3, 4])),
      nb.ShapeError,
      /matmul/,
      lit("[2,2,3]"),
      lit("[3,3,4]"),
    );
  });

  it("other products name both shapes", () => {
    expectError(
      () => nb.dot(nb.zeros([2, 3]), nb.zeros([2])),
      nb.ShapeError,
      /dot/,
      lit("[2,3]"),
      lit("[2]"),
    );
    expectError(
      () => nb.tensordot(nb.zeros([2, 3]), nb.zeros([2, 3]), 1),
      nb.ShapeError,
      /tensordot/,
      lit("[2,3]"),
    );
    expectError(() => nb.trace([1, 2]), nb.ShapeError, /trace/, /at least 2 dimensions/);
  });

  it("broadcasting errors name the operation and both shapes", () => {
    const a = nb.zeros([2, 3]);
    const b = nb.zeros([4]);
    const ops = {
      add: nb.add,
      sub: nb.sub,
      mul: nb.mul,
      div: nb.div,
      pow: nb.pow,
      maximum: nb.maximum,
      minimum: nb.minimum,
      atan2: nb.atan2,
      equal: nb.equal,
      notEqual: nb.notEqual,
      less: nb.less,
      lessEqual: nb.lessEqual,
      greater: nb.greater,
      greaterEqual: nb.greaterEqual,
    };
    for (const [name, op] of Object.entries(ops))
      expectError(
        () => op(a, b),
        nb.ShapeError,
        new RegExp(`^${name}: `),
        lit("[2,3]"),
        lit("[4]"),
        /cannot be broadcast/,
      );
    expectError(() => a.add(b), nb.ShapeError, /^add: /, lit("[2,3], [4]"));
    expectError(
      () => nb.where(nb.zeros([5]), nb.zeros([2, 3]), 0),
      nb.ShapeError,
      /^where: /,
      lit("[5]"),
      lit("[2,3]"),
    );
    expectError(
      () => nb.broadcastTo(a, [3, 3]),
      nb.ShapeError,
      lit("broadcastTo: cannot broadcast [2,3] to [3,3]"),
    );
  });

  it("reshape names the shapes and element counts", () => {
    expectError(
      () => nb.reshape(nb.zeros([2, 3]), [4, 2]),
      nb.ShapeError,
      lit("reshape: cannot reshape [2,3] (6 elements) to [4,2]"),
    );
    expectError(() => nb.zeros([2, 3]).reshape([4, -1]), nb.ShapeError, lit("[4,-1]"));
    expectError(() => nb.reshape(nb.zeros([6]), [-1, -1]), nb.ShapeError, /at most one -1/);
  });

  it("joining, splitting and slicing name the shapes involved", () => {
    expectError(() => nb.stack([nb.zeros([2]), nb.zeros([3])]), nb.ShapeError, /stack/, lit("[2], [3]"));
    expectError(
      () => nb.concatenate([nb.zeros([2, 3]), nb.zeros([3, 3])], 1),
      nb.ShapeError,
      lit("concatenate: shapes [2,3], [3,3] must agree except on axis 1"),
    );
    expectError(() => nb.concatenate([1, 2]), nb.ShapeError, /scalars/, /nb\.stack/);
    expectError(() => nb.split(nb.zeros([2, 3]), 2, 1), nb.ShapeError, /split/, /size 3/, /2 equal parts/);
    expectError(() => nb.slice(nb.zeros([2, 3]), [1, 1], [2, 1]), nb.ShapeError, /slice/, lit("[2,3]"));
    expectError(() => nb.squeeze(nb.zeros([2, 3]), 0), nb.ShapeError, /squeeze: axis 0/, /size 2, not 1/);
    expectError(() => nb.pad(nb.zeros([2, 3]), [[1, 1]]), nb.ShapeError, /pad/, /rank 2/);
  });
});

describe("axis errors", () => {
  const x = nb.zeros([2, 3]);
  const cases: [string, () => unknown][] = [
    ["sum", () => nb.sum(x, { axis: 2 })],
    ["mean", () => nb.mean(x, { axis: -3 })],
    ["max", () => nb.max(x, { axis: 2 })],
    ["min", () => nb.min(x, { axis: 2 })],
    ["prod", () => nb.prod(x, { axis: 2 })],
    ["variance", () => nb.variance(x, { axis: 2 })],
    ["argmax", () => nb.argmax(x, { axis: 2 })],
    ["cumsum", () => nb.cumsum(x, { axis: 2 })],
    ["logSumExp", () => nb.logSumExp(x, { axis: 2 })],
    ["softmax", () => nb.softmax(x, 5)],
    ["logSoftmax", () => nb.logSoftmax(x, 2)],
    ["concatenate", () => nb.concatenate([x, x], 2)],
    ["expandDims", () => nb.expandDims(x, 4)],
    ["flip", () => nb.flip(x, 2)],
    ["take", () => nb.take(x, [0], 2)],
    ["split", () => nb.split(x, 2, 3)],
    ["moveaxis", () => nb.moveaxis(x, 0, 3)],
    ["squeeze", () => nb.squeeze(x, 5)],
  ];
  for (const [op, fn] of cases)
    it(`${op}: an out-of-range axis names the operation, the axis and the valid range`, () => {
      expectError(fn, nb.ValueError, new RegExp(`^${op}: axis -?\\d+ is out of range`), /valid: -\d+ to \d+/);
    });

  it("a scalar has no axes; repeated axes are rejected", () => {
    expectError(() => nb.sum(1, { axis: 0 }), nb.ValueError, /sum: axis 0 is out of range for a scalar/);
    expectError(() => nb.sum(x, { axis: [0, 0] }), nb.ValueError, /sum: repeated axis/);
    expectError(() => nb.transpose(x, [0, 0]), nb.ValueError, /transpose/, /not a permutation/, lit("[2,3]"));
  });
});

describe("value and creation errors", () => {
  it("ragged nested arrays name the offending element", () => {
    expectError(
      () => nb.array([[1, 2], [3]] as unknown as nb.TensorLike),
      nb.ShapeError,
      /array: ragged nested array/,
      lit("element [1] should have length 2"),
    );
    expectError(() => nb.array([[1, 2], 3] as unknown as nb.TensorLike), nb.ShapeError, /ragged/, lit("[1]"));
    expectError(() => nb.array([1, "a"] as unknown as nb.TensorLike), nb.ShapeError, /non-numeric/);
    expectError(
      () => nb.array("abc" as unknown as nb.TensorLike),
      nb.ValueError,
      /cannot make a tensor from the string "abc"/,
    );
  });

  it("take with an out-of-range index names the index, axis size and shape", () => {
    expectError(
      () => nb.take([1, 2, 3], [3]),
      nb.ShapeError,
      lit("take: index 3 is out of range for axis 0 of size 3 (shape [3])"),
    );
    expectError(() => nb.take([1, 2, 3], [-4]), nb.ShapeError, /index -4/);
  });

  it("einsum with a bad spec says what is wrong", () => {
    const m = nb.zeros([2, 3]);
    expectError(
      () => nb.einsum("ij,jk->ik", m),
      nb.ValueError,
      /einsum/,
      /names 2 operand\(s\) but 1 were given/,
    );
    expectError(() => nb.einsum("ij->ik", m), nb.ValueError, /output index "k" does not appear/);
    expectError(() => nb.einsum("i1,j->i", m, nb.zeros([3])), nb.ValueError, /bad subscripts "i1"/);
    expectError(() => nb.einsum("ijk->i", m), nb.ShapeError, /"ijk" have 3 letters/, lit("[2,3]"));
    expectError(
      () => nb.einsum("ij,jk->ik", m, nb.zeros([4, 2])),
      nb.ShapeError,
      /index "j" has size 3 in one operand and 4/,
    );
  });

  it("random functions reject a non-key, naming what a key is", () => {
    expectError(
      () => nb.random.normal(nb.zeros([3]), [2]),
      nb.ValueError,
      /random\.normal: expected a key from nb\.random\.key\(seed\)/,
      /float32\[3\]/,
    );
    expectError(
      () => nb.random.uniform(nb.array([1, 2]), [2]),
      nb.ValueError,
      /random\.uniform/,
      /float32\[2\]/,
    );
    expectError(() => nb.random.split(nb.arange(3)), nb.ValueError, /random\.split/, /int32\[3\]/);
    expectError(() => nb.random.key(1.5), nb.ValueError, /seed must be an integer/);
    expectError(() => nb.random.randint(nb.random.key(0), [2], 5, 5), nb.ValueError, /minval < maxval/);
  });

  it("bad creation arguments", () => {
    expectError(() => nb.arange(0, 1, 0), nb.ValueError, /arange: step must be a finite non-zero number/);
    expectError(() => nb.linspace(0, 1, -1), nb.ValueError, /linspace: num/);
    expectError(() => nb.full([-1], 0), nb.ValueError, /full: shape \[-1\]/);
    expectError(() => nb.setDefaultFloat("int32" as "float32"), nb.DTypeError, /setDefaultFloat/);
  });

  it("reductions and norms without a meaning", () => {
    expectError(() => nb.max(nb.zeros([0])), nb.ValueError, /max: cannot reduce an empty axis/);
    expectError(() => nb.norm([1], { ord: -1 }), nb.ValueError, /norm: ord must be/);
    expect(() => nb.zeros([2]).item()).toThrow(/item\(\) needs exactly one/);
  });
});

describe("transformation errors", () => {
  it("grad of a non-scalar function says it needs a scalar and suggests jacrev / vjp", () => {
    expectError(
      () => nb.grad((x: T) => nb.mul(x, 2))(nb.array([1, 2])),
      nb.ShapeError,
      /grad: the function must return a scalar/,
      lit("[2]"),
      /nb\.jacrev/,
      /nb\.vjp/,
    );
    expectError(
      // @ts-expect-error grad needs a function returning a scalar
      () => nb.grad((x: T) => [x, x])(nb.array([1, 2])),
      nb.ShapeError,
      /single scalar/,
      /jacrev or nb\.vjp/,
    );
    expectError(
      () => nb.grad((x: T) => nb.greater(x, 0))(1),
      nb.DTypeError,
      /returned dtype bool/,
      /float scalar/,
    );
  });

  it("grad of an int input says derivatives need floats and how to convert", () => {
    expectError(
      () => nb.grad((x: T) => nb.sum(x))(nb.array([1, 2], { dtype: "int32" })),
      nb.DTypeError,
      /grad: a differentiated input has dtype int32/,
      /float/,
      /argnums/,
    );
    expectError(() => nb.vjp(nb.sin, nb.arange(2)), nb.DTypeError, /vjp: .*int32/);
    expectError(
      () => nb.jacrev((x: T) => nb.astype(x, "int32"))(nb.array([1.5])),
      nb.DTypeError,
      /jacrev: output 0 has dtype int32/,
    );
  });

  it("argnums, hasAux and derivative orders are checked", () => {
    // @ts-expect-error argnums 3 does not select x, so x must be a tensor
    expectError(() => nb.grad((x: T) => x, { argnums: 3 })(1), nb.ValueError, /argnums 3 is out of range/);
    // @ts-expect-error with hasAux the function must return a [value, aux] pair
    expectError(() => nb.grad((x: T) => x, { hasAux: true })(1), nb.PytreeError, /hasAux.*\[value, aux\]/);
    expectError(() => nb.derivative(nb.sin, -1), nb.ValueError, /derivative: order/);
    expectError(() => nb.checkGrads(nb.sin, [1], { order: 0 }), nb.ValueError, /checkGrads: order/);
  });

  it("jvp: primals and tangents with different structures", () => {
    expectError(
      // @ts-expect-error the tangents must be shaped like the primals
      () => nb.jvp((a: T, b: T) => nb.add(a, b), [1, 2], [1]),
      nb.PytreeError,
      lit("jvp: primals have structure [*, *] but tangents have [*]"),
    );
    expectError(
      // @ts-expect-error the tangents must be shaped like the primals
      () => nb.jvp((p: { a: T; b: T }) => nb.add(p.a, p.b), [{ a: 1, b: 2 }], [{ a: 1, c: 2 }]),
      nb.PytreeError,
      lit("{a: *, b: *}"),
      lit("{a: *, c: *}"),
    );
    expectError(
      () => nb.jvp((a: T) => a, [nb.zeros([2])], [nb.zeros([3])]),
      nb.ShapeError,
      lit("jvp: tangent 0 has shape [3] but its primal has [2]"),
    );
    expectError(
      () => nb.jvp(nb.sin, 1 as unknown as [number], 1 as unknown as [number]),
      nb.PytreeError,
      /jvp\(f, \[x\], \[dx\]\)/,
    );
  });

  it("vjp / linearize: a cotangent or tangent with the wrong structure", () => {
    const [, pullback] = nb.vjp((x: T) => [x, x], nb.zeros([2]));
    expectError(
      // @ts-expect-error the cotangent must be shaped like the output [x, x]
      () => pullback(nb.zeros([2])),
      nb.PytreeError,
      lit("vjp: the cotangent has structure * but the output has [*, *]"),
    );
    const [, fLin] = nb.linearize(nb.sin, 1);
    // @ts-expect-error the linear map of a one-argument function takes one tangent
    expectError(() => fLin(1, 2), nb.PytreeError, /linearize: tangents have structure/);
  });

  it("vjp: a cotangent of the wrong shape is reported by vjp", () => {
    const [, pullback] = nb.vjp((x: T) => x, nb.zeros([2]));
    expectError(() => pullback(nb.zeros([3])), nb.ShapeError, /^vjp/, lit("[3]"), lit("[2]"));
  });

  it("linearize: a tangent of the wrong shape is a ShapeError naming linearize", () => {
    const [, fLin] = nb.linearize((x: T) => nb.mul(x, 2), nb.ones([2]));
    expectError(() => fLin(nb.ones([3])), nb.ShapeError, /linearize/, lit("[3]"), lit("[2]"));
  });

  it("vmap: mismatched axis sizes and out-of-range axes", () => {
    expectError(
      () => nb.vmap((a: T, b: T) => nb.add(a, b))(nb.zeros([2, 3]), nb.zeros([3, 3])),
      nb.ValueError,
      /vmap: mapped axes have different sizes \(2, 3\)/,
    );
    expectError(
      () => nb.vmap((a: T) => a, { inAxes: 2 })(nb.zeros([2, 3])),
      nb.ValueError,
      lit("vmap: inAxes 2 is out of range for input 0 of shape [2,3]"),
    );
    expectError(
      () => nb.vmap((a: T) => a, { inAxes: [0, 0] })(nb.zeros([2])),
      nb.PytreeError,
      /inAxes has 2 entries/,
    );
    expectError(() => nb.vmap((a: T) => a)(1), nb.ValueError, /input 0 is a scalar/, /inAxes null/);
    expectError(
      () => nb.vmap((a: T) => a, { inAxes: [null] })(nb.zeros([2])),
      nb.ValueError,
      /at least one input/,
    );
    expectError(
      () => nb.vmap((a: T) => a, { outAxes: 3 })(nb.zeros([2, 3])),
      nb.ValueError,
      /outAxes 3 is out of range/,
    );
    expectError(
      () => nb.vmap((a: T) => a, { outAxes: [null] })(nb.zeros([2])),
      nb.ValueError,
      /depends on the mapped inputs/,
    );
  });

  it("reading a value inside vmap is a TraceError", () => {
    for (const read of [(x: T) => x.item(), (x: T) => x.toArray(), (x: T) => x.dataSync()])
      expectError(
        () =>
          nb.vmap((x: T) => {
            read(x);
            return x;
          })(nb.zeros([2])),
        nb.TraceError,
        /inside vmap/,
        /read it after vmap returns/,
      );
    // printing is still allowed: it shows the abstract value
    let printed = "";
    nb.vmap((x: T) => {
      printed = String(x);
      return x;
    })(nb.zeros([2]));
    expect(printed).toMatch(/<traced>/);
  });

  it("reading a value while staging a program is a TraceError", () => {
    expectError(
      () =>
        nb.makeProgram((x: T) => {
          x.item();
          return x;
        })(1),
      nb.TraceError,
      /no data yet/,
    );
  });

  const leakyTransforms: [string, (f: (x: T) => T) => unknown][] = [
    ["grad", (f) => nb.grad(f)(nb.array([3]))],
    ["jvp", (f) => nb.jvp(f, [nb.array([3])], [nb.array([1])])],
    ["vjp", (f) => nb.vjp(f, nb.array([3]))],
    ["vmap", (f) => nb.vmap(f)(nb.zeros([3, 2]))],
    ["makeProgram", (f) => nb.makeProgram(f)(nb.array([3]))],
  ];
  it.each(leakyTransforms)("a tracer leaking out of %s and used later is a TraceError", (_, run) => {
    let leaked: T | undefined;
    run((x) => {
      leaked = x; // the mistake: storing a traced value in an outer variable
      return nb.sum(nb.mul(x, x));
    });
    expectError(
      () => nb.add(leaked!, 1),
      nb.TraceError,
      /^add: a traced value was used after/,
      /outer variable/,
    );
  });

  it("pytree leaves must be tensors or numbers", () => {
    // @ts-expect-error a Date is not a pytree leaf
    expectError(() => nb.jvp(nb.sin, [new Date()], [1]), nb.PytreeError, /is a Date/);
    // @ts-expect-error a string is not a pytree leaf
    expectError(() => nb.grad((x: T) => nb.sum(x))("s"), nb.PytreeError, /is a string/);
  });
});

describe("derivatives at benign points never produce NaN the mathematics does not", () => {
  const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
  const hasNaN = (t: T) => Array.from(t.dataSync()).some(Number.isNaN);
  const weights = (x: T) => nb.astype(nb.arange(x.size), x.dtype);

  // Scalar functions whose guards live inside the op (max subtracted, unused branch clamped, ...).
  const fns: Record<string, (x: T) => T> = {
    relu: (x) => nb.sum(nb.relu(x)),
    leakyRelu: (x) => nb.sum(nb.leakyRelu(x)),
    elu: (x) => nb.sum(nb.elu(x)),
    softplus: (x) => nb.sum(nb.softplus(x)),
    sigmoid: (x) => nb.sum(nb.sigmoid(x)),
    tanh: (x) => nb.sum(nb.tanh(x)),
    gelu: (x) => nb.sum(nb.gelu(x)),
    geluTanh: (x) => nb.sum(nb.gelu(x, { approximate: true })),
    logSumExp: (x) => nb.logSumExp(x),
    softmax: (x) => nb.sum(nb.mul(nb.softmax(x), weights(x))),
    logSoftmax: (x) => nb.sum(nb.mul(nb.logSoftmax(x), weights(x))),
    norm2: (x) => nb.norm(x),
    norm1: (x) => nb.norm(x, { ord: 1 }),
    normInf: (x) => nb.norm(x, { ord: Infinity }),
    norm3: (x) => nb.norm(x, { ord: 3 }),
    absSum: (x) => nb.sum(nb.abs(x)),
    clip: (x) => nb.sum(nb.clip(x, -1, 1)),
    // the safe form of where(x > 0, sqrt(x), 0): the untaken branch never sees a negative number
    guardedSqrt: (x) => nb.sum(nb.where(nb.greater(x, 0), nb.sqrt(nb.maximum(x, 1e-12)), 0)),
  };
  const points = [
    [50, -50, 1],
    [500, -500, 2],
    [1000, -1000, 3],
    [1000, 1000, 999],
  ];

  for (const dtype of ["float32", "float64"] as const)
    for (const [name, f] of Object.entries(fns))
      it(`${name} (${dtype}): grad and jacfwd are NaN-free at ±50, ±500, ±1000`, () => {
        for (const p of points) {
          const x = nb.array(p, { dtype });
          const g = nb.grad(f)(x) as T;
          const j = nb.jacfwd(f)(x) as T;
          expect(hasNaN(g), `grad at [${p}]: ${g}`).toBe(false);
          expect(hasNaN(j), `jacfwd at [${p}]: ${j}`).toBe(false);
        }
      });

  it("second derivatives are NaN-free too (float64)", () => {
    for (const [name, f] of Object.entries(fns))
      for (const p of points) {
        const h = nb.hessian(f)(f64(p)) as T;
        expect(hasNaN(h), `hessian of ${name} at [${p}]: ${h}`).toBe(false);
      }
  });

  it("and the values are the right limits", () => {
    expectTensor(nb.grad((x: T) => nb.sum(nb.softplus(x)))(f64([1000, -1000])), [1, 0]);
    expectTensor(nb.grad((x: T) => nb.sum(nb.elu(x)))(f64([1000, -1000])), [1, 0]);
    expectTensor(nb.grad((x: T) => nb.sum(nb.sigmoid(x)))(f64([1000, -1000])), [0, 0]);
    expectTensor(nb.grad((x: T) => nb.logSumExp(x))(f64([1000, 1000, -1000])), [0.5, 0.5, 0]);
    expectTensor(nb.grad((x: T) => nb.logSumExp(x))(nb.array([1000, 1000])), [0.5, 0.5]);
    expectTensor(nb.grad((x: T) => nb.sum(nb.gelu(x)))(f64([500, -500])), [1, 0]);
    expectTensor(nb.grad((x: T) => nb.norm(x, { ord: 1 }))(f64([500, -500])), [1, -1]);
    expectTensor(nb.grad((x: T) => nb.norm(x))(f64([300, -400])), [0.6, -0.8]);
    expectTensor(nb.grad((x: T) => nb.sum(nb.relu(x)))(f64([500, -500, 0])), [1, 0, 0]);
    const s = nb.grad((x: T) => nb.sum(nb.mul(nb.softmax(x), [0, 1])))(f64([1000, 1000])) as T;
    expectTensor(s, [-0.25, 0.25]);
  });
});

describe("tensors in JavaScript arithmetic and conditions", () => {
  it("a one-element tensor converts to its number, like PyTorch's float(t)", () => {
    const t = nb.array(2.5);
    expect(+t).toBe(2.5);
    expect(2 * (nb.array([4]) as unknown as number)).toBe(8);
    expect((t as unknown as number) > 2).toBe(true);
    expect(`${t}`).toBe(String(t));
  });

  it("a larger tensor refuses to become a number (JavaScript would give NaN and false) and names its shape", () => {
    const t = nb.array([1, 2, 3]);
    expectError(
      () => +t,
      nb.ValueError,
      /a tensor of shape \[3\] \(3 elements\) was used as a JavaScript number/,
    );
    expectError(() => (t as unknown as number) > 0, nb.ValueError, /nb\.greater, nb\.where/);
    expect(`x = ${t}`).toBe(`x = ${t.toString()}`); // strings still work
  });

  it("inside jit and vmap a condition on a tensor is a TraceError that points to nb.where", () => {
    const absByIf = (x: T) => ((x as unknown as number) > 0 ? x : nb.neg(x));
    expectError(
      () => nb.jit(absByIf)(nb.array(-2)),
      nb.TraceError,
      /used as a JavaScript number/,
      /nb\.where/,
    );
    expectError(() => nb.vmap(absByIf)(nb.array([-2, 3])), nb.TraceError, /nb\.where/);
  });

  it("under grad a value that carries a derivative is not a number, but a comparison drives control flow", () => {
    const byNumber = (x: T) => ((x as unknown as number) > 0 ? nb.mul(x, x) : nb.neg(x));
    expectError(
      () => nb.grad(byNumber)(3),
      nb.TraceError,
      /carries a derivative/,
      /nb\.greater\(x, 0\)\.item\(\)/,
    );
    const f = (x: T) => (nb.greater(x, 0).item() ? nb.mul(x, x) : nb.neg(x));
    expect(nb.grad(f)(3).item()).toBe(6);
    expect(nb.grad(f)(-3).item()).toBe(-1);
  });
});

describe("bad arguments are refused where they enter, naming the public function", () => {
  const x = nb.array([
    [1, 2],
    [3, 4],
  ]);
  const key = nb.random.key(0);
  // biome-ignore lint/suspicious/noExplicitAny: plain-JavaScript calls, arguments of any type
  const js = nb as any;

  it("a non-object where an options object is expected is a ValueError that shows the call to write", () => {
    expectError(
      () =>
        js.sum(
          [
            [1, 2],
            [3, 4],
          ],
          1,
        ),
      nb.ValueError,
      lit("sum: the second argument is an options object, got the number 1; write nb.sum(x, { axis: 1 })"),
    );
    const calls: [string, (bad: unknown) => unknown][] = [
      ["array", (o) => js.array([1], o)],
      ["zeros", (o) => js.zeros([2], o)],
      ["ones", (o) => js.ones([2], o)],
      ["full", (o) => js.full([2], 1, o)],
      ["arange", (o) => js.arange(0, 3, 1, o)],
      ["linspace", (o) => js.linspace(0, 1, 3, o)],
      ["eye", (o) => js.eye(2, 2, o)],
      ["sum", (o) => js.sum(x, o)],
      ["mean", (o) => js.mean(x, o)],
      ["prod", (o) => js.prod(x, o)],
      ["max", (o) => js.max(x, o)],
      ["min", (o) => js.min(x, o)],
      ["argmax", (o) => js.argmax(x, o)],
      ["argmin", (o) => js.argmin(x, o)],
      ["variance", (o) => js.variance(x, o)],
      ["std", (o) => js.std(x, o)],
      ["logSumExp", (o) => js.logSumExp(x, o)],
      ["cumsum", (o) => js.cumsum(x, o)],
      ["norm", (o) => js.norm(x, o)],
      ["gelu", (o) => js.gelu(x, o)],
      ["random.uniform", (o) => js.random.uniform(key, [2], o)],
      ["random.normal", (o) => js.random.normal(key, [2], o)],
      ["grad", (o) => js.grad(nb.sin, o)],
      ["valueAndGrad", (o) => js.valueAndGrad(nb.sin, o)],
      ["jacrev", (o) => js.jacrev(nb.sin, o)],
      ["jacfwd", (o) => js.jacfwd(nb.sin, o)],
      ["hessian", (o) => js.hessian(nb.sin, o)],
      ["derivative", (o) => js.derivative(nb.sin, 2, o)],
      ["vmap", (o) => js.vmap(nb.sin, o)],
      ["checkGrads", (o) => js.checkGrads(nb.sin, [1], o)],
      ["sgd", (o) => js.optim.sgd(o)],
      ["adam", (o) => js.optim.adam(o)],
      ["adamw", (o) => js.optim.adamw(o)],
      ["rmsprop", (o) => js.optim.rmsprop(o)],
      ["adagrad", (o) => js.optim.adagrad(o)],
      ["stepSchedule", (o) => js.optim.stepSchedule(o)],
      ["exponentialDecay", (o) => js.optim.exponentialDecay(o)],
      ["linearSchedule", (o) => js.optim.linearSchedule(o)],
      ["cosineDecay", (o) => js.optim.cosineDecay(o)],
      ["warmup", (o) => js.optim.warmup(o)],
      ["warmupCosineDecay", (o) => js.optim.warmupCosineDecay(o)],
    ];
    for (const [name, call] of calls)
      for (const bad of [1, "float64", [0], x, null])
        expectError(
          () => call(bad),
          nb.ValueError,
          new RegExp(`^${name.replace(".", "\\.")}: the \\w+ argument is an options object`),
          /write nb\./,
        );
  });

  it("a misspelt option is refused rather than ignored", () => {
    expectError(
      () => js.sum(x, { axes: 1 }),
      nb.ValueError,
      /sum: unknown option "axes"; the options are axis, keepdims/,
    );
    expectError(() => js.grad(nb.sin, { argnum: 1 }), nb.ValueError, /grad: unknown option "argnum"/);
    expectError(
      () => js.optim.sgd({ learningRate: 0.1, weight_decay: 0.1 }),
      nb.ValueError,
      /sgd: unknown option "weight_decay"/,
    );
    expectError(() => js.zeros([2], { dtyp: "int32" }), nb.ValueError, /zeros: unknown option "dtyp"/);
  });

  it("wrong types inside options and arguments are ValueErrors or DTypeErrors, not TypeErrors", () => {
    expectError(() => js.array(null), nb.ValueError, /^array: cannot make a tensor from null/);
    expectError(() => js.add(x, null), nb.ValueError, /^add: cannot make a tensor from null/);
    expectError(() => js.astype(x, "float16"), nb.DTypeError, /^astype: .*float16/);
    expectError(() => js.zeros([2], { dtype: "int64" }), nb.DTypeError, /^zeros: dtype must be one of/);
    expectError(() => js.random.normal(key, [2], { dtype: "int32" }), nb.DTypeError, /random\.normal: dtype/);
    expectError(
      () => js.sum(x, { axis: "0" }),
      nb.ValueError,
      /^sum: axis must be an integer.*the string "0"/,
    );
    expectError(() => js.sum(x, { keepdims: 1 }), nb.ValueError, /^sum: keepdims must be true or false/);
    expectError(() => js.moveaxis(x, "0", 1), nb.ValueError, /^moveaxis: source must be an integer/);
    expectError(() => js.transpose(x, "10"), nb.ValueError, /^transpose: perm/);
    expectError(() => js.reshape(x, "4"), nb.ValueError, /^reshape: the new shape/);
    expectError(
      () => js.concatenate(null),
      nb.ValueError,
      /^concatenate: the first argument must be an array/,
    );
    expectError(() => js.einsum(1, x), nb.ValueError, /^einsum: the first argument is the subscripts string/);
    expectError(() => js.tensordot(x, x, "1"), nb.ValueError, /^tensordot: axes must be/);
    expectError(() => js.pad(x, "1"), nb.ValueError, /^pad: widths must be/);
    expectError(() => js.leakyRelu(x, "0.1"), nb.ValueError, /^leakyRelu: slope/);
    expectError(
      () => js.random.normal(123, [2]),
      nb.ValueError,
      /^random\.normal: expected a key.*the number 123/,
    );
    expectError(
      () => js.grad(5),
      nb.ValueError,
      /^grad: the first argument must be a function, got the number 5/,
    );
    expectError(() => js.vmap(nb.sin, { inAxes: "0" })(x), nb.ValueError, /^vmap: inAxes must be/);
    expectError(() => js.grad(nb.sin, { argnums: "0" }), nb.ValueError, /^grad: argnums must be/);
    expectError(
      () => js.optim.sgd({ learningRate: "0.1" }),
      nb.ValueError,
      /^sgd: learningRate must be a finite number/,
    );
    expectError(() => js.optim.sgd({ learningRate: 0.1, momentum: "0.9" }), nb.ValueError, /^sgd: momentum/);
    expectError(() => js.optim.clipByValue("1"), nb.ValueError, /^clipByValue: maxDelta/);
    expectError(() => js.optim.chain(nb.optim.identity(), 3), nb.ValueError, /^chain: argument 1/);
    expectError(
      () => js.optim.stepSchedule({ init: 0.1 }),
      nb.ValueError,
      /stepSchedule: the option stepSize is required/,
    );
    expectError(
      () => nb.optim.sgd({ learningRate: 0.1 }).update({ w: nb.ones([1]) }, 5 as never),
      nb.ValueError,
      /^sgd\.update: the state has no step count/,
    );
  });

  it("values with no meaning are refused instead of giving garbage", () => {
    expectError(
      () => nb.random.uniform(key, [2], { minval: 2, maxval: 1 }),
      nb.ValueError,
      /random\.uniform: need minval < maxval/,
    );
    expectError(() => nb.arange(Number.NaN), nb.ValueError, /^arange: stop must be a finite number/);
    expectError(
      () => nb.arange(0, Number.POSITIVE_INFINITY),
      nb.ValueError,
      /^arange: stop must be a finite/,
    );
    expectError(() => nb.linspace(0, Number.NaN, 3), nb.ValueError, /^linspace: stop/);
    expectError(
      () => nb.random.permutation(key, 2.5),
      nb.ValueError,
      /random\.permutation: n must be an integer/,
    );
    expectError(
      () => nb.random.split(key, -1),
      nb.ValueError,
      /random\.split: n must be a non-negative integer/,
    );
    expectError(() => nb.random.bernoulli(key, 1.5, [2]), nb.ValueError, /random\.bernoulli: p must be/);
    expectError(() => js.full([2], "x"), nb.ValueError, /^full: the fill value must be a number/);
    expectError(() => nb.elu(x, Number.NaN), nb.ValueError, /^elu: alpha/);
  });

  it("int32 data refuses NaN, infinities and values beyond ±2³¹; in-range fractions are truncated", () => {
    expectError(
      () => nb.array([Number.NaN], { dtype: "int32" }),
      nb.ValueError,
      /^array: NaN cannot be stored as int32/,
    );
    expectError(
      () => nb.array([1e10], { dtype: "int32" }),
      nb.ValueError,
      /^array: 10000000000 cannot be stored as int32/,
    );
    expectError(() => nb.array(Number.POSITIVE_INFINITY, { dtype: "int32" }), nb.ValueError, /int32/);
    expectError(() => nb.array(new Float32Array([Number.NaN]), { dtype: "int32" }), nb.ValueError, /int32/);
    expectError(() => nb.full([2], Number.NaN, { dtype: "int32" }), nb.ValueError, /^full: NaN/);
    expectError(
      () => nb.arange(2 ** 31 - 1, 2 ** 31 + 1),
      nb.ValueError,
      /^arange: 2147483648 cannot be stored/,
    );
    expectError(
      () => nb.add(nb.arange(3), 1e10),
      nb.ValueError,
      /^add: 10000000000 cannot be stored as int32/,
    );
    expectError(() => nb.array([Number.NaN], { dtype: "bool" }), nb.ValueError, /NaN has no bool value/);
    expectTensor(nb.array([1.7, -1.7, 2 ** 31 - 1], { dtype: "int32" }), [1, -1, 2 ** 31 - 1]);
    expectTensor(nb.astype([Number.NaN, 1.5], "float32"), [Number.NaN, 1.5]);
    // bool ranges hold 0 and 1 (a raw 2 or 3 was stored, and summed as such)
    expectTensor(nb.arange(0, 4, 1, { dtype: "bool" }), [false, true, true, true]);
    expect(nb.sum(nb.arange(0, 4, 1, { dtype: "bool" })).item()).toBe(3);
  });

  it("every creation function checks its shape and size before allocating, naming itself", () => {
    const makers: [string, (shape: unknown) => unknown][] = [
      ["zeros", (s) => js.zeros(s)],
      ["ones", (s) => js.ones(s)],
      ["full", (s) => js.full(s, 1)],
      ["random.normal", (s) => js.random.normal(key, s)],
      ["random.uniform", (s) => js.random.uniform(key, s)],
      ["random.randint", (s) => js.random.randint(key, s, 0, 3)],
      ["random.bernoulli", (s) => js.random.bernoulli(key, 0.5, s)],
      ["broadcastTo", (s) => js.broadcastTo(1, s)],
    ];
    for (const [name, make] of makers) {
      const at = new RegExp(`^${name.replace(".", "\\.")}: `);
      expectError(() => make([-2]), nb.ValueError, at, /dimension -2/);
      expectError(() => make([2.5]), nb.ValueError, at, /dimension 2\.5/);
      expectError(() => make([Number.NaN]), nb.ValueError, at, /dimension NaN/);
      expectError(() => make([1e6, 1e6]), nb.ValueError, at, /maxTensorBytes/);
      expectError(() => make("3"), nb.ValueError, at, /the string "3"/);
      expectError(() => make([2, "3"]), nb.ValueError, at, /the string "3"/);
    }
    expectError(() => nb.eye(1e6), nb.ValueError, /^eye: .*maxTensorBytes/);
    expectError(() => nb.eye(-1), nb.ValueError, /^eye: n must be a non-negative integer/);
    expectError(() => nb.arange(0, 1e12), nb.ValueError, /^arange: .*maxTensorBytes/);
    expectError(() => nb.linspace(0, 1, 1e12), nb.ValueError, /^linspace: .*maxTensorBytes/);
    expectError(
      () => nb.random.permutation(key, 2 ** 31 - 1),
      nb.ValueError,
      /^random\.permutation: .*maxTensorBytes/,
    );
    expectError(() => nb.tile(x, [1e5, 1e5]), nb.ValueError, /^tile: .*maxTensorBytes/);
    expectError(() => nb.pad(x, [1e5, 1e5]), nb.ValueError, /^pad: .*maxTensorBytes/);
    expectError(() => nb.outer(nb.zeros([1e5]), nb.zeros([1e5])), nb.ValueError, /^outer: .*maxTensorBytes/);
    expectError(
      () => nb.matmul(nb.zeros([1e5, 1]), nb.zeros([1, 1e5])),
      nb.ValueError,
      /^matmul: .*maxTensorBytes/,
    );
    expectError(() => nb.jacrev(nb.sin)(nb.zeros([1e5])), nb.ValueError, /^jacrev: .*maxTensorBytes/);
  });

  it("a composite function reports errors under its own name, not its building blocks'", () => {
    expectError(() => nb.logSumExp(nb.zeros([0])), nb.ValueError, /^logSumExp: cannot reduce an empty axis/);
    expectError(() => nb.softmax(nb.zeros([0])), nb.ValueError, /^softmax: cannot reduce an empty axis/);
    expectError(() => nb.norm(nb.zeros([0]), { ord: Number.POSITIVE_INFINITY }), nb.ValueError, /^norm: /);
    expectError(() => nb.std(x, { axis: 5 }), nb.ValueError, /^std: axis 5/);
    expectError(() => nb.clip(nb.zeros([3]), nb.zeros([2]), 1), nb.ShapeError, /^clip: /);
    expectError(() => js.eye(2, 2, { dtype: "x" }), nb.DTypeError, /^eye: /);
    expectError(
      () => nb.hessian((v: T) => nb.sum(v))(nb.arange(2)),
      nb.DTypeError,
      /^hessian: a differentiated input has dtype int32/,
    );
    expectError(
      () => nb.hvp((v: T) => nb.sum(v), nb.array([1, 2]), nb.array([1])),
      nb.ShapeError,
      /^hvp: the vector v has shape \[1\] but x has \[2\]/,
    );
    expectError(
      () => nb.valueAndGrad((v: T) => v)(nb.array([1, 2])),
      nb.ShapeError,
      /^valueAndGrad: the function must return a scalar/,
    );
    expectError(
      () => nb.derivative((v: T) => nb.sum(v), 2)(nb.arange(2)),
      nb.DTypeError,
      /^derivative: a differentiated input has dtype int32/,
    );
  });

  it("checkGrads refuses int and bool arguments instead of checking nothing", () => {
    // The rule is 100 times too large; with an int32 argument nothing was differentiated and it passed.
    const wrong = nb.customJvp(
      (v: T) => nb.mul(v, 2),
      ([v], [dv]) => [nb.mul(v as T, 2), nb.mul(dv as T, 200)],
    );
    expectError(
      () => nb.checkGrads(wrong, [nb.array([1, 2], { dtype: "int32" })]),
      nb.DTypeError,
      /^checkGrads: args\[0\] has dtype int32/,
      /close over it/,
    );
    expectError(() => nb.checkGrads(wrong, [nb.array([1, 2])]), nb.GradCheckError);
    expectError(() => nb.checkGrads(nb.sin, [1], { order: 1, atol: "1" as never }), nb.ValueError, /atol/);
  });

  it("a traced value inside a nested array is a TraceError that points to nb.stack", () => {
    expectError(
      () => nb.grad((v: T) => nb.sum(nb.array([v, v])))(1),
      nb.TraceError,
      /^array: element \[0\] of the nested array is a traced value/,
      /nb\.stack/,
    );
  });

  it("derivative refuses orders that would not finish", () => {
    expectError(
      () => nb.derivative(nb.sin, 2 ** 31),
      nb.ValueError,
      /^derivative: order must be an integer from 0 to 100/,
    );
    expectError(
      () => nb.derivative((v: T) => nb.sum(v), 20)(nb.ones([1])),
      nb.ValueError,
      /nested Jacobians/,
    );
    expectError(() => nb.derivative((v: T) => nb.sum(v), 12)(nb.ones([20])), nb.ValueError, /maxTensorBytes/);
    expect(nb.derivative(nb.sin, 40)(0).item()).toBeCloseTo(0);
  });
});
