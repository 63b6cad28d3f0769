// The argument convention of the ops: every wrong kind of argument (a missing tensor, a number where an
// options object goes, a misspelt option, an options object where an axis is a plain argument, an axis of
// the wrong type, one argument too many) is a ValueError naming the op and the argument; and the calls the
// convention allows work.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as creation from "../../src/ops/creation.js";
import * as elementwise from "../../src/ops/elementwise.js";
import * as linalg from "../../src/ops/linalg.js";
import * as nn from "../../src/ops/nn.js";
import * as random from "../../src/ops/random.js";
import * as reduce from "../../src/ops/reduce.js";
import * as shape from "../../src/ops/shape.js";

// biome-ignore lint/suspicious/noExplicitAny: plain-JavaScript calls, arguments of any type
const js = nb as any;
const x = nb.array([
  [1, 2],
  [3, 4],
]);
const v = nb.array([0.5, -1, 2]);
const key = nb.random.key(0);

/** The error `f` throws (fails the test when it returns). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return expect.fail("expected an error, got a result");
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

type Call = (bad: unknown) => unknown;

// Each op with the argument that must be a tensor, by position.
const tensorArgs: [op: string, which: string, call: Call][] = [
  ...[
    "neg",
    "square",
    "abs",
    "sign",
    "floor",
    "ceil",
    "round",
    "sqrt",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "erf",
    "sigmoid",
    "relu",
    "softplus",
    "leakyRelu",
    "elu",
    "gelu",
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "argmax",
    "argmin",
    "variance",
    "std",
    "logSumExp",
    "cumsum",
    "norm",
    "softmax",
    "logSoftmax",
    "matrixTranspose",
    "transpose",
    "squeeze",
    "flip",
    "trace",
    "diag",
    "zerosLike",
    "onesLike",
    "array",
  ].map((op): [string, string, Call] => [op, "first", (b) => js[op](b)]),
  ...[
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "maximum",
    "minimum",
    "atan2",
    "equal",
    "notEqual",
    "less",
    "lessEqual",
    "greater",
    "greaterEqual",
    "matmul",
    "dot",
    "outer",
    "tensordot",
  ].flatMap((op): [string, string, Call][] => [
    [op, "first", (b) => js[op](b, [1, 2])],
    [op, "second", (b) => js[op]([1, 2], b)],
  ]),
  ["clip", "first", (b) => js.clip(b, 0, 1)],
  // A bound may be left out (undefined or null), so those two stand in a string for it.
  ["clip", "second", (b) => js.clip(v, b ?? "0", 1)],
  ["clip", "third", (b) => js.clip(v, 0, b ?? "1")],
  ["where", "first", (b) => js.where(b, 1, 2)],
  ["where", "second", (b) => js.where([true], b, 2)],
  ["where", "third", (b) => js.where([true], 1, b)],
  ["astype", "first", (b) => js.astype(b, "int32")],
  ["reshape", "first", (b) => js.reshape(b, [1])],
  ["moveaxis", "first", (b) => js.moveaxis(b, 0, 1)],
  ["expandDims", "first", (b) => js.expandDims(b, 0)],
  ["broadcastTo", "first", (b) => js.broadcastTo(b, [2])],
  ["slice", "first", (b) => js.slice(b, [0])],
  ["take", "first", (b) => js.take(b, [0])],
  ["take", "second", (b) => js.take([1, 2], b)],
  ["pad", "first", (b) => js.pad(b, [1, 1])],
  ["tile", "first", (b) => js.tile(b, 2)],
  ["split", "first", (b) => js.split(b, 2)],
  ["einsum", "second", (b) => js.einsum("i,i->", b, [1])],
  ["einsum", "third", (b) => js.einsum("i,i->", [1], b)],
];

// Ops whose options object is their n-th argument.
const optionArgs: [op: string, position: string, call: Call][] = [
  ...[
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "argmax",
    "argmin",
    "variance",
    "std",
    "logSumExp",
    "cumsum",
    "norm",
  ].map((op): [string, string, Call] => [op, "second", (o) => js[op](x, o)]),
  ["gelu", "second", (o) => js.gelu(x, o)],
  ["array", "second", (o) => js.array([1], o)],
  ["zeros", "second", (o) => js.zeros([2], o)],
  ["ones", "second", (o) => js.ones([2], o)],
  ["full", "third", (o) => js.full([2], 1, o)],
  ["eye", "third", (o) => js.eye(2, 2, o)],
  ["arange", "fourth", (o) => js.arange(0, 3, 1, o)],
  ["linspace", "fourth", (o) => js.linspace(0, 1, 3, o)],
  ["random.uniform", "third", (o) => js.random.uniform(key, [2], o)],
  ["random.normal", "third", (o) => js.random.normal(key, [2], o)],
  ...["cholesky", "qr", "eigh", "svd", "pinv", "matrixRank", "norm"].map((op): [string, string, Call] => [
    `linalg.${op}`,
    "second",
    (o) => js.linalg[op](x, o),
  ]),
  ["linalg.triangularSolve", "third", (o) => js.linalg.triangularSolve(x, x, o)],
  ["linalg.luSolve", "third", (o) => js.linalg.luSolve(js.linalg.lu(x), [1, 2], o)],
  ["linalg.choSolve", "third", (o) => js.linalg.choSolve(x, [1, 2], o)],
  ["linalg.lstsq", "third", (o) => js.linalg.lstsq(x, [1, 2], o)],
];

// Ops whose axis is a plain argument (NumPy's position), with the call the refusal suggests.
const plainAxis: [op: string, call: Call, usage: string][] = [
  ["softmax", (a) => js.softmax(x, a), "nb.softmax(x, 1)"],
  ["logSoftmax", (a) => js.logSoftmax(x, a), "nb.logSoftmax(x, 1)"],
  ["expandDims", (a) => js.expandDims(x, a), "nb.expandDims(x, 1)"],
  ["squeeze", (a) => js.squeeze(nb.zeros([2, 1]), a), "nb.squeeze(x, 1)"],
  ["flip", (a) => js.flip(x, a), "nb.flip(x, 1)"],
  ["concatenate", (a) => js.concatenate([x, x], a), "nb.concatenate(xs, 1)"],
  ["stack", (a) => js.stack([x, x], a), "nb.stack(xs, 1)"],
  ["split", (a) => js.split(x, 2, a), "nb.split(x, sections, 1)"],
  ["take", (a) => js.take(x, [0], a), "nb.take(x, indices, 1)"],
];

describe("a missing or non-tensor value where a tensor is required", () => {
  for (const bad of [undefined, null, "abc", { data: [1] }] as const)
    it.each(tensorArgs)(`%s, the %s argument: ${String(JSON.stringify(bad) ?? bad)}`, (op, which, call) => {
      const e = thrown(() => call(bad));
      expect(e).toBeInstanceOf(nb.ValueError);
      expect(e.message).toMatch(
        new RegExp(`^${escapeRegExp(op)}: cannot make a tensor from .*, the ${which} argument`),
      );
      expect(e.message).toMatch(/pass a tensor, a number/);
    });

  it("names the element of a list of tensors", () => {
    for (const op of ["concatenate", "stack"])
      expect(thrown(() => js[op]([[1], undefined])).message).toMatch(
        new RegExp(`^${op}: cannot make a tensor from undefined, element 1 of the first argument`),
      );
  });

  it("names the missing key of a random function", () => {
    for (const op of ["uniform", "normal", "randint", "permutation", "bernoulli", "split", "foldIn"]) {
      const e = thrown(() => js.random[op](undefined, [2]));
      expect(e).toBeInstanceOf(nb.ValueError);
      expect(e.message).toMatch(new RegExp(`^random\\.${op}: expected a key .* as the first argument`));
    }
  });

  it("Tensor methods refuse a missing operand like the functions they call", () => {
    expect(thrown(() => js.ones([2]).add(undefined)).message).toMatch(
      /^add: cannot make a tensor from undefined, the second argument/,
    );
    expect(thrown(() => js.ones([2, 2]).matmul(null)).message).toMatch(
      /^matmul: .* null, the second argument/,
    );
  });
});

describe("a value that is not an options object where one is expected", () => {
  for (const bad of [1, "float64", true, [0], x, null] as const)
    it.each(optionArgs)(
      `%s (%s argument): ${bad instanceof nb.Tensor ? "a tensor" : JSON.stringify(bad)}`,
      (op, position, call) => {
        const e = thrown(() => call(bad));
        expect(e).toBeInstanceOf(nb.ValueError);
        expect(e.message).toMatch(
          new RegExp(`^${escapeRegExp(op)}: the ${position} argument is an options object, got `),
        );
        expect(e.message).toMatch(new RegExp(`write nb\\.${escapeRegExp(op)}\\(`));
      },
    );

  it("a positional axis on a reduction shows the options object to write", () => {
    expect(thrown(() => js.sum(x, 1)).message).toBe(
      "sum: the second argument is an options object, got the number 1; write nb.sum(x, { axis: 1 })",
    );
    expect(thrown(() => js.mean(x, [0, 1])).message).toMatch(/write nb\.mean\(x, \{ axis: \[0, 1\] \}\)/);
    expect(thrown(() => x.sum(1 as never)).message).toMatch(/^sum: the second argument is an options object/);
  });
});

describe("an unknown option name", () => {
  it.each(optionArgs)("%s", (op, _position, call) => {
    const e = thrown(() => call({ bogus: 1 }));
    expect(e).toBeInstanceOf(nb.ValueError);
    expect(e.message).toMatch(new RegExp(`^${escapeRegExp(op)}: unknown option "bogus"; the options are `));
  });

  it("the usual misspellings", () => {
    expect(thrown(() => js.sum(x, { axes: 1 })).message).toMatch(/^sum: unknown option "axes"/);
    expect(thrown(() => js.max(x, { keepDims: true })).message).toMatch(/^max: unknown option "keepDims"/);
    expect(thrown(() => js.zeros([2], { type: "int32" })).message).toMatch(/^zeros: unknown option "type"/);
    expect(thrown(() => js.gelu(x, { approx: true })).message).toMatch(/^gelu: unknown option "approx"/);
  });
});

describe("an options object where the axis is a plain argument", () => {
  it.each(plainAxis)("%s", (op, call, usage) => {
    const e = thrown(() => call({ axis: 1 }));
    expect(e).toBeInstanceOf(nb.ValueError);
    expect(e.message).toMatch(new RegExp(`^${op}: axis is a plain argument here, not an options object`));
    expect(e.message).toContain(`write ${usage}`);
  });

  it("Tensor.softmax and Tensor.expandDims follow their functions", () => {
    expect(thrown(() => x.softmax({ axis: 0 } as never)).message).toMatch(/write nb\.softmax\(x, 0\)/);
    expect(thrown(() => x.expandDims({ axis: [0, 1] } as never)).message).toMatch(
      /write nb\.expandDims\(x, \[0, 1\]\)/,
    );
  });
});

describe("an axis of the wrong type", () => {
  const reductions = [
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "argmax",
    "argmin",
    "variance",
    "std",
    "logSumExp",
    "cumsum",
    "norm",
  ];
  for (const bad of ["0", 1.5, true])
    it(`${JSON.stringify(bad)}`, () => {
      for (const op of reductions)
        expect(thrown(() => js[op](x, { axis: bad })).message, op).toMatch(
          new RegExp(`^${op}: axis must be`),
        );
      for (const [op, call] of plainAxis)
        expect(thrown(() => call(bad)).message, op).toMatch(new RegExp(`^${op}: axis must be`));
    });

  it("out of range or repeated axes name the op", () => {
    expect(thrown(() => nb.sum(x, { axis: 2 })).message).toMatch(/^sum: axis 2 is out of range/);
    expect(thrown(() => nb.softmax(x, -3)).message).toMatch(/^softmax: axis -3 is out of range/);
    expect(thrown(() => nb.expandDims(x, 3)).message).toMatch(/^expandDims: axis 3 is out of range/);
    expect(thrown(() => nb.expandDims(x, [0, 0])).message).toMatch(/^expandDims: repeated axis/);
    expect(thrown(() => nb.flip(x, [1, -1])).message).toMatch(/^flip: repeated axis/);
  });
});

describe("the calls the convention allows", () => {
  it("clip with one bound, as NumPy and JAX allow", () => {
    expect(nb.clip(v, 0).toArray()).toEqual([0.5, 0, 2]);
    expect(nb.clip(v, undefined, 1).toArray()).toEqual([0.5, -1, 1]);
    expect(nb.clip(v, null, 1).toArray()).toEqual([0.5, -1, 1]);
    expect(nb.clip(v, 0, null).toArray()).toEqual([0.5, 0, 2]);
    expect(nb.clip(v, 0, 1).toArray()).toEqual([0.5, 0, 1]);
    // a bound broadcasts the result, as with both bounds
    expect(nb.clip(v, [[0], [1]]).shape).toEqual([2, 3]);
    // the derivative passes where x is inside the bounds
    expect(
      nb
        .grad((t: nb.Tensor) => nb.sum(nb.clip(t, 0)))(v)
        .toArray(),
    ).toEqual([1, 0, 1]);
    expect(
      nb
        .grad((t: nb.Tensor) => nb.sum(nb.clip(t, undefined, 1)))(v)
        .toArray(),
    ).toEqual([1, 1, 0]);
  });

  it("clip with no bound at all is refused", () => {
    const e = thrown(() => js.clip(v));
    expect(e).toBeInstanceOf(nb.ValueError);
    expect(e.message).toMatch(/^clip: give a lower bound \(the second argument\), an upper bound/);
    expect(thrown(() => nb.clip(v, null, null)).message).toMatch(/^clip: give a lower bound/);
  });

  it("expandDims with several axes, counted in the result as in NumPy", () => {
    expect(nb.expandDims([1, 2], [0, 1]).shape).toEqual([1, 1, 2]);
    expect(nb.expandDims([1, 2], [0, -1]).shape).toEqual([1, 2, 1]);
    expect(nb.expandDims(x, [1, 3]).shape).toEqual([2, 1, 2, 1]);
    expect(nb.expandDims(x, [3, 0]).shape).toEqual([1, 2, 2, 1]);
    expect(nb.expandDims(x, []).shape).toEqual([2, 2]);
    expect(x.expandDims([0, 1]).shape).toEqual([1, 1, 2, 2]);
    expect(nb.expandDims(x, [0, 1]).toArray()).toEqual([[x.toArray()]]);
    const e = thrown(() => js.expandDims(x));
    expect(e.message).toMatch(/^expandDims: the axis \(the second argument\) is required, got undefined/);
  });

  it("an axis as a number or an array, wherever the op takes an axis", () => {
    expect(nb.sum(x, { axis: [0, 1] }).item()).toBe(10);
    expect(nb.sum(x, { axis: -1, keepdims: true }).shape).toEqual([2, 1]);
    expect(nb.squeeze(nb.zeros([1, 2, 1]), [0, 2]).shape).toEqual([2]);
    expect(nb.flip(x, [0, 1]).toArray()).toEqual([
      [4, 3],
      [2, 1],
    ]);
    expect(nb.sum(nb.softmax(x, [0, 1])).item()).toBeCloseTo(1, 6);
    expect(nb.concatenate([x, x], -1).shape).toEqual([2, 4]);
  });

  it("null (NumPy's None) is every axis, or the flattened tensor", () => {
    expect(nb.sum(x, { axis: null }).item()).toBe(10);
    expect(nb.argmax(x, { axis: null }).item()).toBe(3);
    expect(nb.argmin(x, { axis: null }).item()).toBe(0);
    expect(nb.cumsum(x, { axis: null }).toArray()).toEqual([1, 3, 6, 10]);
    expect(nb.squeeze(nb.zeros([1, 2]), null as never).shape).toEqual([2]);
  });

  it("optional arguments left undefined take their defaults", () => {
    expect(nb.sum(x, undefined).item()).toBe(10);
    expect(nb.concatenate([x, x], undefined).shape).toEqual([4, 2]);
    expect(nb.softmax([0, 0], undefined).toArray()).toEqual([0.5, 0.5]);
    expect(nb.zeros([2], undefined).shape).toEqual([2]);
    expect(nb.random.normal(key, [2], undefined).shape).toEqual([2]);
  });
});

// Every op of src/ops that nb exports (nb.random's under their prefix), taken from the modules themselves so
// that a new op is covered as soon as it is exported.
const opModules = [creation, elementwise, linalg, nn, reduce, shape];
const publicOps: [name: string, f: (...args: unknown[]) => unknown][] = [
  ...opModules.flatMap((m) =>
    Object.entries(m).filter(([name, f]) => typeof f === "function" && js[name] === f),
  ),
  ...Object.entries(random)
    .filter(([name, f]) => typeof f === "function" && js.random[name] === f)
    .map(([name, f]): [string, unknown] => [`random.${name}`, f]),
  ...Object.entries(js.linalg as Record<string, unknown>)
    .filter(([, f]) => typeof f === "function")
    .map(([name, f]): [string, unknown] => [`linalg.${name}`, f]),
] as [string, (...args: unknown[]) => unknown][];

// Ops that take any number of arguments, so none is ever extra.
const restArguments: Record<string, string> = {
  einsum: "its operands follow the subscripts as rest arguments: nb.einsum(spec, a, b, ...)",
};

// The most arguments each op takes (its parameters, optional ones included).
const mostArguments: Record<string, number> = {
  ...Object.fromEntries(
    "neg square abs sign floor ceil round sqrt exp log log1p expm1 sin cos tan asin acos atan sinh cosh tanh erf erfc ndtr erfinv lgamma digamma sigmoid relu softplus zerosLike onesLike matrixTranspose trace diag random.key"
      .split(" ")
      .map((op) => [op, 1]),
  ),
  ...Object.fromEntries(
    "add sub mul div pow maximum minimum atan2 polygamma equal notEqual less lessEqual greater greaterEqual leakyRelu elu gelu astype matmul dot outer array zeros ones sum mean prod max min argmax argmin variance std logSumExp cumsum norm softmax logSoftmax reshape transpose expandDims squeeze broadcastTo concatenate stack flip tile random.split random.permutation random.foldIn"
      .split(" ")
      .map((op) => [op, 2]),
  ),
  ...Object.fromEntries(
    "clip where full eye tensordot moveaxis split slice take pad random.uniform random.normal random.bernoulli"
      .split(" ")
      .map((op) => [op, 3]),
  ),
  ...Object.fromEntries("arange linspace random.randint".split(" ").map((op) => [op, 4])),
  ...Object.fromEntries(
    "lu inv det slogdet eigvalsh svdvals expm".split(" ").map((op) => [`linalg.${op}`, 1]),
  ),
  ...Object.fromEntries(
    "cholesky qr eigh svd solve pinv matrixRank cond matrixPower norm"
      .split(" ")
      .map((op) => [`linalg.${op}`, 2]),
  ),
  ...Object.fromEntries("triangularSolve luSolve choSolve lstsq".split(" ").map((op) => [`linalg.${op}`, 3])),
};

// The Tensor methods of src/ops/methods.ts, with the most arguments each takes.
const methodArguments: Record<string, number> = {
  ...Object.fromEntries(
    "neg square sqrt exp log sin cos tanh sigmoid relu abs flatten".split(" ").map((m) => [m, 0]),
  ),
  ...Object.fromEntries(
    "add sub mul div pow maximum minimum reshape transpose expandDims squeeze sum mean max min argmax argmin matmul dot softmax astype"
      .split(" ")
      .map((m) => [m, 1]),
  ),
};

const ordinal = (i: number) => ["first", "second", "third", "fourth", "fifth", "sixth"][i];

/** The refusal of one argument too many: `op` named, the count it takes, the count given and the extra one. */
function expectExtraRefused(e: Error, op: string, n: number) {
  expect(e).toBeInstanceOf(nb.ValueError);
  const takes = n === 0 ? "no arguments" : `(at most )?${n} arguments? \\(([^)]*)\\)`;
  const m = e.message.match(
    new RegExp(
      `^${escapeRegExp(op)}: takes ${takes}, got ${n + 1}; the ${ordinal(n)} is the string "extra"$`,
    ),
  );
  expect(m, e.message).not.toBeNull();
  // the parameters listed are as many as the count
  if (n > 0) expect(m![2]!.split(", ")).toHaveLength(n);
}

describe("an extra argument is refused, not ignored", () => {
  it("the ops are found, and each has its count of arguments here", () => {
    const names = publicOps.map(([op]) => op);
    expect(names).toEqual(
      expect.arrayContaining(["add", "sum", "reshape", "zeros", "softmax", "random.normal"]),
    );
    expect(names.filter((op) => !(op in mostArguments) && !(op in restArguments))).toEqual([]);
    expect(Object.keys(mostArguments).filter((op) => !names.includes(op))).toEqual([]);
  });

  it.each(publicOps.filter(([op]) => !(op in restArguments)))("%s", (op, f) => {
    const n = mostArguments[op]!;
    expectExtraRefused(
      thrown(() => f(...Array(n).fill(undefined), "extra")),
      op,
      n,
    );
    // as many arguments as the op takes are not refused for their count (they may be wrong otherwise)
    try {
      f(...Array(n).fill(undefined));
    } catch (e) {
      expect((e as Error).message).not.toMatch(/: takes /);
    }
  });

  it("an op handed to Array.prototype.map says how to call it", () => {
    expect(thrown(() => [1, 2].map(js.exp)).message).toBe(
      "exp: takes 1 argument (x), got 3; the second is the number 0; called as a callback of map or forEach? write xs.map((x) => nb.exp(x))",
    );
  });

  it("a plausible call with one argument too many", () => {
    expect(thrown(() => js.add(1, 2, 3)).message).toBe(
      "add: takes 2 arguments (x, y), got 3; the third is the number 3",
    );
    expect(thrown(() => js.sum(x, { axis: 0 }, true)).message).toBe(
      "sum: takes at most 2 arguments (x, options), got 3; the third is the boolean true",
    );
    expect(thrown(() => js.random.normal(key, [2], {}, 1)).message).toMatch(
      /^random\.normal: takes at most 3 arguments \(key, shape, options\), got 4; the fourth is the number 1$/,
    );
    expect(thrown(() => js.softmax(x, 0, undefined)).message).toMatch(/^softmax: takes at most 2 arguments/);
  });

  it("einsum takes its operands as rest arguments", () => {
    expect(restArguments).toHaveProperty("einsum");
    expect(nb.einsum("i,i,i->", [1, 2], [3, 4], [5, 6]).item()).toBe(1 * 3 * 5 + 2 * 4 * 6);
  });

  it.each(Object.entries(methodArguments))("Tensor.%s", (m, n) => {
    const t = nb.ones([2, 2]);
    expect(typeof (t as unknown as Record<string, unknown>)[m]).toBe("function");
    expectExtraRefused(
      thrown(() =>
        (t as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!(
          ...Array(n).fill(undefined),
          "extra",
        ),
      ),
      `Tensor.${m}`,
      n,
    );
  });

  it("every Tensor method named after an op is in the table", () => {
    const named = Object.getOwnPropertyNames(nb.Tensor.prototype).filter(
      (m) => typeof js[m] === "function" && m !== "constructor",
    );
    expect(named.filter((m) => !(m in methodArguments))).toEqual([]);
  });
});
