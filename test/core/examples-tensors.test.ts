// Readable examples: creating tensors, dtypes and weak JS numbers, reading values back, Tensor methods,
// pytrees, error classes and memory (no dispose anywhere).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectTensor } from "../util/approx.js";

describe("creating tensors", () => {
  it("array: numbers and nested arrays become float32 by default", () => {
    const x = nb.array([
      [1, 2],
      [3, 4],
    ]);
    expect(x.shape).toEqual([2, 2]);
    expect(x.dtype).toBe("float32");
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(nb.array(2.5).dtype).toBe("float32");
    expect(nb.array(2.5).shape).toEqual([]);
  });

  it("array: the dtype option", () => {
    expect(nb.array([1, 2], { dtype: "float64" }).dtype).toBe("float64");
    const i = nb.array([1.7, -1.7], { dtype: "int32" });
    expect(i.dtype).toBe("int32");
    expect(i.toArray()).toEqual([1, -1]); // truncated toward zero
    expect(nb.array([0, 2], { dtype: "bool" }).toArray()).toEqual([false, true]);
  });

  it("array: typed arrays keep their element type", () => {
    expect(nb.array(new Float64Array([1, 2])).dtype).toBe("float64");
    expect(nb.array(new Float32Array([1, 2])).dtype).toBe("float32");
    expect(nb.array(new Int32Array([1, 2])).dtype).toBe("int32");
    expect(nb.array(new Uint8Array([1, 0])).toArray()).toEqual([true, false]);
    const rows = nb.array([new Float32Array([1, 2]), new Float32Array([3, 4])]);
    expect(rows.shape).toEqual([2, 2]);
  });

  it("array: booleans give bool, scalar tensors may sit inside nested arrays", () => {
    expect(nb.array([true, false]).dtype).toBe("bool");
    expectTensor(nb.array([nb.array(1), 2]), [1, 2]);
    expect(nb.array([]).shape).toEqual([0]);
  });

  it("array of a tensor returns it, or converts it when a dtype is given", () => {
    const x = nb.array([1.5, 2.5]);
    expect(nb.array(x)).toBe(x);
    expect(nb.array(x, { dtype: "int32" }).toArray()).toEqual([1, 2]);
  });

  it("DTypeOption is the options bag of the creation functions", () => {
    const opts: nb.DTypeOption = { dtype: "int32" };
    expect(nb.arange(3, undefined, 1, opts).dtype).toBe("int32");
    expect(nb.linspace(0, 1, 3, opts).toArray()).toEqual([0, 0, 1]);
  });

  it("zeros / ones / full (shape as a list or a single number)", () => {
    expect(nb.zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(nb.ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(nb.full([2, 3], 7).toArray()).toEqual([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    expect(nb.zeros(3).shape).toEqual([3]);
    expect(nb.full([2], 3, { dtype: "int32" }).dtype).toBe("int32");
    expect(nb.ones([2], { dtype: "bool" }).toArray()).toEqual([true, true]);
  });

  it("zerosLike / onesLike copy shape and dtype", () => {
    expect(nb.zerosLike(nb.array([1, 2])).toArray()).toEqual([0, 0]);
    expect(nb.onesLike(nb.array([1, 2])).toArray()).toEqual([1, 1]);
    const i = nb.onesLike(nb.arange(3));
    expect(i.dtype).toBe("int32");
    expect(i.shape).toEqual([3]);
  });

  it("arange: integers give int32, fractions the default float", () => {
    const a = nb.arange(4);
    expect(a.toArray()).toEqual([0, 1, 2, 3]);
    expect(a.dtype).toBe("int32");
    const f = nb.arange(0, 1, 0.25);
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(f.dtype).toBe("float32");
    expect(nb.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(nb.arange(3, undefined, 1, { dtype: "float64" }).dtype).toBe("float64");
  });

  it("linspace includes both ends", () => {
    expect(nb.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(nb.linspace(2, 3, 1).toArray()).toEqual([2]);
    expect(nb.linspace(0, 1).shape).toEqual([50]);
  });

  it("eye: square and rectangular identities", () => {
    expect(nb.eye(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(nb.eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it("setDefaultFloat / getDefaultFloat switch what JS data becomes", () => {
    expect(nb.getDefaultFloat()).toBe("float32");
    nb.setDefaultFloat("float64");
    try {
      expect(nb.getDefaultFloat()).toBe("float64");
      expect(nb.array([1, 2]).dtype).toBe("float64");
      expect(nb.zeros([2]).dtype).toBe("float64");
    } finally {
      nb.setDefaultFloat("float32");
    }
    expect(nb.array([1, 2]).dtype).toBe("float32");
  });
});

describe("dtypes and weak JS numbers", () => {
  it("a JS number adopts the dtype of the tensor it meets", () => {
    expect(nb.add(nb.array([1], { dtype: "float32" }), 2.5).dtype).toBe("float32");
    expect(nb.mul(2, nb.array([1], { dtype: "float64" })).dtype).toBe("float64");
  });

  it("a bare number alone is float64", () => {
    expect(nb.add(2, 3).dtype).toBe("float64");
    expect(nb.exp(1).dtype).toBe("float64");
    expect(nb.exp(1).item()).toBe(Math.E);
  });

  it("int32 with an integer stays int32; with a fraction becomes float32", () => {
    const i = nb.array([1, 2], { dtype: "int32" });
    const r = nb.add(i, 3);
    expect(r.dtype).toBe("int32");
    expect(r.toArray()).toEqual([4, 5]);
    expect(nb.add(i, 2.5).dtype).toBe("float32");
    expect(nb.add(i, 2.5).toArray()).toEqual([3.5, 4.5]);
  });

  it("tensors promote to the wider type; div and float maths turn integers into floats", () => {
    expect(nb.add(nb.array([1], { dtype: "float64" }), nb.array([1])).dtype).toBe("float64");
    expect(nb.add(nb.array([1], { dtype: "int32" }), nb.array([1])).dtype).toBe("float32");
    expect(nb.div(nb.arange(3), 2).toArray()).toEqual([0, 0.5, 1]);
    expect(nb.sqrt(nb.arange(3)).dtype).toBe("float32");
  });

  it("arithmetic on bool tensors: mul with a number gives int32", () => {
    const m = nb.mul([true, false], 2);
    expect(m.dtype).toBe("int32");
    expect(m.toArray()).toEqual([2, 0]);
  });

  it("bool + bool stays a valid bool (logical or, as NumPy)", () => {
    const b = nb.add([true, false], [true, true]);
    expect(b.dtype).toBe("bool");
    expect(nb.sum(b).item()).toBe(2);
    expect(nb.astype(b, "float32").toArray()).toEqual([1, 1]);
  });

  it("neg / sub of bool tensors never store values other than 0 and 1", () => {
    for (const f of [() => nb.neg([true, false]), () => nb.sub([true, false], [false, true])]) {
      let r: nb.Tensor;
      try {
        r = f();
      } catch (e) {
        expect(e).toBeInstanceOf(nb.DTypeError);
        continue;
      }
      expect(Array.from(r.dataSync()).every((v) => v === 0 || v === 1)).toBe(true);
    }
  });

  it("TypedArray and DType name the storage of each dtype", () => {
    const cases: [nb.DType, string][] = [
      ["float32", "Float32Array"],
      ["float64", "Float64Array"],
      ["int32", "Int32Array"],
      ["bool", "Uint8Array"],
    ];
    for (const [dtype, ctor] of cases) {
      const data: nb.TypedArray = nb.zeros([2], { dtype }).dataSync();
      expect(data.constructor.name).toBe(ctor);
    }
  });
});

describe("reading values back", () => {
  it("readonlyData shares the tensor's own memory (a ReadonlyTypedArray); dataSync copies", () => {
    const y = nb.exp(nb.arange(3, { dtype: "float64" }));
    const view: nb.ReadonlyTypedArray = y.readonlyData();
    expect(view[1]).toBeCloseTo(Math.E, 15);
    expect(y.readonlyData()).toBe(view); // no copy
    const copy = y.dataSync();
    copy[1] = 0; // a copy may be changed; the tensor keeps its values
    expect(view[1]).toBeCloseTo(Math.E, 15);
    expect(Array.from(view.slice(0, 1))).toEqual([1]);
  });

  it("toArray gives nested arrays, or a plain number for a 0-d tensor", () => {
    expect(nb.array([[1, 2]]).toArray()).toEqual([[1, 2]]);
    const s = nb.sum([1, 2, 3]).toArray();
    expect(typeof s).toBe("number");
    expect(s).toBe(6);
    expect(nb.greater(2, 1).toArray()).toBe(true);
  });

  it("item reads the one element; dataSync gives a flat typed-array copy", () => {
    expect(nb.array([[7]]).item()).toBe(7);
    const x = nb.array([
      [1, 2],
      [3, 4],
    ]);
    const d = x.dataSync();
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1, 2, 3, 4]);
    d[0] = 100; // a copy: the tensor is unchanged
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(nb.arange(2).dataSync()).toBeInstanceOf(Int32Array);
  });

  it("shape, dtype, ndim, size and aval", () => {
    const x = nb.zeros([2, 3, 4]);
    expect(x.shape).toEqual([2, 3, 4]);
    expect(x.dtype).toBe("float32");
    expect(x.ndim).toBe(3);
    expect(x.size).toBe(24);
    const aval: nb.Aval = x.aval;
    expect(aval).toEqual({ shape: [2, 3, 4], dtype: "float32", weak: false });
    expect(nb.array(1).ndim).toBe(0);
    expect(nb.array(1).size).toBe(1);
  });

  it("toString shows values, dtype and shape", () => {
    const x = nb.reshape(nb.arange(4), [2, 2]).astype("float32");
    expect(String(x)).toBe("Tensor([[0, 1], [2, 3]], f32[2,2])");
    expect(nb.array([0.5, 1 / 3]).toString()).toBe("Tensor([0.5, 0.333333], f32[2])");
    expect(nb.greater([1, 2], 1).toString()).toBe("Tensor([false, true], bool[2])");
  });

  it("NestedArray is the type toArray returns", () => {
    const n: nb.NestedArray = nb.array([[1, 2]]).toArray();
    expect(Array.isArray(n)).toBe(true);
  });
});

describe("Tensor methods", () => {
  const x = nb.array([
    [1, 2],
    [3, 4],
  ]);

  it("the class example", () => {
    expect(x.shape).toEqual([2, 2]);
    expect(x.add(1).toArray()).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect(x).toBeInstanceOf(nb.Tensor);
  });

  it("arithmetic", () => {
    expect(x.sub(1).toArray()).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(x.mul(2).toArray()).toEqual([
      [2, 4],
      [6, 8],
    ]);
    expect(x.div(2).toArray()).toEqual([
      [0.5, 1],
      [1.5, 2],
    ]);
    expect(x.pow(2).toArray()).toEqual([
      [1, 4],
      [9, 16],
    ]);
    expect(x.neg().toArray()).toEqual([
      [-1, -2],
      [-3, -4],
    ]);
    expect(x.square().toArray()).toEqual([
      [1, 4],
      [9, 16],
    ]);
    expect(x.maximum(2.5).toArray()).toEqual([
      [2.5, 2.5],
      [3, 4],
    ]);
    expect(x.minimum(2.5).toArray()).toEqual([
      [1, 2],
      [2.5, 2.5],
    ]);
    expect(x.neg().abs().toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("elementwise maths", () => {
    const v = nb.array([0, 1], { dtype: "float64" });
    expectTensor(v.exp(), [1, Math.E]);
    expectTensor(v.add(1).log(), [0, Math.log(2)]);
    expectTensor(nb.array([4, 9]).sqrt(), [2, 3]);
    expectTensor(v.sin(), [0, Math.sin(1)]);
    expectTensor(v.cos(), [1, Math.cos(1)]);
    expectTensor(v.tanh(), [0, Math.tanh(1)]);
    expectTensor(v.sigmoid(), [0.5, 1 / (1 + Math.exp(-1))]);
    expectTensor(nb.array([-1, 2]).relu(), [0, 2]);
  });

  it("shape methods", () => {
    expect(x.reshape([4]).toArray()).toEqual([1, 2, 3, 4]);
    expect(x.transpose().toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(x.T.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(nb.zeros([2, 3, 4]).transpose([2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(x.expandDims(0).shape).toEqual([1, 2, 2]);
    expect(nb.zeros([1, 2, 1]).squeeze().shape).toEqual([2]);
    expect(nb.zeros([1, 2, 1]).squeeze(0).shape).toEqual([2, 1]);
    expect(x.flatten().toArray()).toEqual([1, 2, 3, 4]);
  });

  it("reductions", () => {
    expect(x.sum().item()).toBe(10);
    expect(x.sum({ axis: 0 }).toArray()).toEqual([4, 6]);
    expect(x.sum({ axis: 1, keepdims: true }).toArray()).toEqual([[3], [7]]);
    expect(x.mean().item()).toBe(2.5);
    expect(x.max().item()).toBe(4);
    expect(x.min({ axis: 1 }).toArray()).toEqual([1, 3]);
    expect(x.argmax().item()).toBe(3);
    expect(x.argmin({ axis: 0 }).toArray()).toEqual([0, 0]);
  });

  it("products, softmax and astype", () => {
    expect(x.matmul([[1], [1]]).toArray()).toEqual([[3], [7]]);
    expect(x.dot([1, 0]).toArray()).toEqual([1, 3]);
    expectTensor(nb.array([0, 0]).softmax(), [0.5, 0.5]);
    expectTensor(nb.zeros([2, 2]).softmax(0), [
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    const i = nb.array([1.7, -1.7]).astype("int32");
    expect(i.dtype).toBe("int32");
    expect(i.toArray()).toEqual([1, -1]);
  });

  it("methods chain", () => {
    const y = nb.arange(6).astype("float32").reshape([2, 3]).mul(2).sum({ axis: 1 });
    expect(y.toArray()).toEqual([6, 24]);
  });
});

describe("pytrees", () => {
  it("treeMap applies a function to every leaf, keeping the structure", () => {
    const tree: nb.Pytree = { a: nb.array([1]), b: [2, nb.array([3])] };
    const doubled = nb.treeMap<{ a: nb.Tensor; b: [nb.Tensor, nb.Tensor] }>((l) => nb.mul(l, 2), tree);
    expect(doubled.a.toArray()).toEqual([2]);
    expect(doubled.b[0].item()).toBe(4);
    expect(doubled.b[1].toArray()).toEqual([6]);
  });

  it("the treeMap TSDoc example", () => {
    const out = nb.treeMap<{ b: nb.Tensor; w: nb.Tensor }>((t) => nb.mul(t, 2), { w: nb.ones([2]), b: 1 });
    expect(Object.keys(out)).toEqual(["b", "w"]);
    expect(out.b.item()).toBe(2);
    expect(out.w.toArray()).toEqual([2, 2]);
  });

  it("treeMap passes the leaf index (leaves in sorted-key order)", () => {
    const idx = nb.treeMap<Record<string, number>>((_, i) => i, { z: 1, a: 2 });
    expect(idx).toEqual({ a: 0, z: 1 });
  });

  it("treeMap rejects leaves that are not tensors or numbers", () => {
    expect(() => nb.treeMap((l) => l, { a: "text" })).toThrow(nb.PytreeError);
    expect(() => nb.treeMap((l) => l, { a: "text" })).toThrow(/string/);
  });
});

describe("error classes", () => {
  it("every error nabla throws on purpose is a NablaError", () => {
    for (const E of [
      nb.ShapeError,
      nb.DTypeError,
      nb.ValueError,
      nb.PytreeError,
      nb.TraceError,
      nb.GradCheckError,
    ]) {
      const e = new E("msg");
      expect(e).toBeInstanceOf(nb.NablaError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(E.name);
    }
    expect(() => nb.matmul(nb.zeros([2, 3]), nb.zeros([2, 2]))).toThrow(nb.NablaError);
  });

  it("the NablaError TSDoc example: catch any nabla error by its base class", () => {
    let caught: unknown;
    try {
      nb.reshape(nb.zeros([6]), [4]);
    } catch (e) {
      caught = e;
    }
    expect(caught instanceof nb.NablaError).toBe(true);
  });

  it("each class marks its kind of problem", () => {
    expect(() => nb.add(nb.zeros([2]), nb.zeros([3]))).toThrow(nb.ShapeError);
    expect(() => nb.grad((x: nb.Tensor) => nb.sum(x))(nb.arange(3))).toThrow(nb.DTypeError);
    expect(() => nb.sum(nb.ones([2]), { axis: 3 })).toThrow(
      /sum: axis 3 is out of range for an array of rank 1/,
    );
    expect(() => nb.sum(nb.zeros([2]), { axis: 1 })).toThrow(nb.ValueError);
    // @ts-expect-error sin takes one argument
    expect(() => nb.jvp(nb.sin, [1, 2], [1])).toThrow(nb.PytreeError);
    expect(() => nb.vmap((x: nb.Tensor) => x.item())(nb.zeros([2]))).toThrow(nb.TraceError);
    expect(() => nb.checkGrads((x: nb.Tensor) => nb.mul(x, nb.stopGradient(x)), [2])).toThrow(
      nb.GradCheckError,
    );
    expect(() => nb.setDefaultFloat("int32" as "float32")).toThrow(nb.DTypeError);
  });
});

describe("memory: no dispose needed", () => {
  it("tensors have no dispose; 10k small ops just run and the garbage collector frees them", async () => {
    expect("dispose" in nb.zeros([1])).toBe(false);
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const probes: WeakRef<nb.Tensor>[] = [];
    let acc = nb.zeros([4]);
    for (let i = 0; i < 10_000; i++) {
      const t = nb.add(acc, 1);
      if (i % 1000 === 0) probes.push(new WeakRef(t));
      acc = nb.mul(t, 0.5); // converges to 1
    }
    expectTensor(acc, [1, 1, 1, 1]);
    // WeakRefs stay alive until the current job ends, so let it end before collecting.
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(probes.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it("values traced inside transformations are released too", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const probes: WeakRef<nb.Tensor>[] = [];
    const df = nb.grad((x: nb.Tensor) => {
      const y = nb.sum(nb.sin(x));
      probes.push(new WeakRef(y));
      return y;
    });
    let g = nb.zeros([3]);
    for (let i = 0; i < 200; i++) g = df(nb.full([3], i * 0.01));
    expectTensor(g, [Math.cos(1.99), Math.cos(1.99), Math.cos(1.99)]);
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(probes.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});

describe("printing", () => {
  it("console.log shows values by rows, the dtype and the shape; long axes are summarized", async () => {
    const { inspect } = await import("node:util");
    expect(
      inspect(
        nb.array([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe("Tensor([[1, 2],\n        [3, 4]], f32[2,2])");
    expect(String(nb.arange(2000))).toBe("Tensor([0, 1, 2, ..., 1997, 1998, 1999], i32[2000])");
    expect(inspect(nb.array([true, false]))).toBe("Tensor([true, false], bool[2])");
    expect(String(nb.array(0.1, { dtype: "float64" }))).toBe("Tensor(0.1, f64[])");
  });
});
