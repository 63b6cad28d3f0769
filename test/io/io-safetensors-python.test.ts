// Interoperability with Python's safetensors: the committed fixtures written by Python load with every value
// right; where Python with safetensors is installed, files go both ways and the bytes match Python's exactly.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as nb from "nabla";
import { afterAll, describe, expect, it } from "vitest";
import * as io from "../../src/io/index.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");
const dir = mkdtempSync(path.join(tmpdir(), "nabla-py-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Python that can import safetensors and numpy, if this machine has one (CI does not need it). */
function findPython(): string | undefined {
  for (const py of ["/tmp/st-venv/bin/python", "python3"]) {
    const r = spawnSync(py, ["-c", "import safetensors, numpy"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}
const python = findPython();

function runPython(code: string, ...args: string[]): string {
  const r = spawnSync(python!, ["-c", code, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

// Prints {name: {dtype, shape, values}} and the metadata of a file, as Python's safetensors reads it.
const DUMP = `
import json, sys
from safetensors import safe_open
out = {}
with safe_open(sys.argv[1], framework="numpy") as f:
    meta = f.metadata()
    for k in f.keys():
        a = f.get_tensor(k)
        out[k] = {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.reshape(-1).tolist()}
print(json.dumps({"tensors": out, "metadata": meta}))
`;

const flat = (t: nb.Tensor) => Array.from(t.dataSync(), (v) => (t.dtype === "bool" ? v === 1 : v));

describe("the fixture written by Python (test/fixtures/make-safetensors-fixture.py)", () => {
  it("loads every dtype, shape and value, 0-d and empty included, with the metadata", async () => {
    const { tensors: t, metadata } = await io.loadSafetensors(path.join(fixtures, "python.safetensors"));
    expect(metadata).toEqual({ format: "np", source: "make-safetensors-fixture.py" });
    expect(Object.keys(t).sort()).toEqual([
      "bool.mask",
      "f32.empty",
      "f32.matrix",
      "f32.scalar",
      "f64.vector",
      "i32.cube",
      "i32.extremes",
      "layer1.bias",
      "layer1.weight",
    ]);
    expect(t["f32.matrix"]!.dtype).toBe("float32");
    expect(t["f32.matrix"]!.toArray()).toEqual([
      [-1, -0.5, 0],
      [0.5, 1, 1.5],
    ]);
    expect(t["f32.scalar"]!.shape).toEqual([]);
    expect(t["f32.scalar"]!.item()).toBe(3.25);
    expect(t["f32.empty"]!.shape).toEqual([0, 3]);
    expect(t["f64.vector"]!.dtype).toBe("float64");
    expect(t["f64.vector"]!.toArray()).toEqual([Math.PI, -Math.E, 1e-300, 1e300]);
    expect(t["i32.cube"]!.dtype).toBe("int32");
    expect(t["i32.cube"]!.toArray()).toEqual([
      [
        [-4, -3],
        [-2, -1],
      ],
      [
        [0, 1],
        [2, 3],
      ],
    ]);
    expect(t["i32.extremes"]!.toArray()).toEqual([-2147483648, 2147483647]);
    expect(t["bool.mask"]!.dtype).toBe("bool");
    expect(t["bool.mask"]!.toArray()).toEqual([true, false, true]);
    expect(t["layer1.weight"]!.toArray()).toEqual([
      [1.5, -2],
      [0.25, 4],
    ]);
    expect(flat(t["layer1.bias"]!)).toEqual([Math.fround(0.1), Math.fround(-0.1)]);
  });

  it("nests Python's dotted names and checks them against parameters", async () => {
    const file = path.join(fixtures, "python.safetensors");
    const { tensors } = await io.loadSafetensors(file, { nested: true });
    expect(Object.keys(tensors.layer1 as object).sort()).toEqual(["bias", "weight"]);
    const params = { layer1: { weight: nb.zeros([2, 2]), bias: nb.zeros([3]) } };
    await expect(io.loadSafetensors(file, { expect: params })).rejects.toThrow(
      /unexpected 7: .*mismatched 1: layer1\.bias \(expected float32\[3\], found float32\[2\]\)/,
    );
  });

  it("re-encodes to exactly the bytes Python wrote", () => {
    const bytes = new Uint8Array(readFileSync(path.join(fixtures, "python.safetensors")));
    const { tensors, metadata } = io.decodeSafetensors(bytes);
    // metadata keys in the order Python's HashMap happened to write them
    expect(io.encodeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  it("widens F16 and 8-, 16-, 32- and 64-bit integers exactly", async () => {
    const { tensors: t } = await io.loadSafetensors(path.join(fixtures, "python-widen.safetensors"));
    expect(t.f16!.dtype).toBe("float32");
    expect(t.f16!.toArray()).toEqual([1, -2.5, 65504, 2 ** -24]);
    expect(t.u8!.toArray()).toEqual([0, 255]);
    expect(t.i8!.toArray()).toEqual([-128, 127]);
    expect(t.i16!.toArray()).toEqual([-32768, 32767]);
    expect(t.u16!.toArray()).toEqual([0, 65535]);
    expect(t.u32!.toArray()).toEqual([0, 2147483647]);
    expect(t.i64!.dtype).toBe("int32");
    expect(t.i64!.toArray()).toEqual([-2147483648, 7, 2147483647]);
    expect(t.u64!.toArray()).toEqual([0, 12345]);
  });
});

describe.skipIf(python === undefined)(
  `live round trips with Python's safetensors (${python ?? "not installed"})`,
  () => {
    const tensors = {
      layer1: { w: nb.random.normal(nb.random.key(1), [3, 4]), b: nb.array([0.5, -0.25, 1e-8]) },
      f64: nb.random.normal(nb.random.key(2), [2, 2], { dtype: "float64" }),
      ids: nb.array(
        [
          [1, -2],
          [2147483647, -2147483648],
        ],
        { dtype: "int32" },
      ),
      mask: nb.array([false, true]),
      scalar: nb.array(2.5),
      empty: nb.zeros([0]),
    };

    it("a file written by nabla loads in Python with every value", async () => {
      const file = path.join(dir, "from-nabla.safetensors");
      await io.saveSafetensors(file, tensors, { written_by: "nabla" });
      const got = JSON.parse(runPython(DUMP, file));
      expect(got.metadata).toEqual({ written_by: "nabla" });
      const expected = io.decodeSafetensors(io.encodeSafetensors(tensors)).tensors;
      const npDtype = { float32: "float32", float64: "float64", int32: "int32", bool: "bool" };
      expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(expected).sort());
      for (const [k, t] of Object.entries(expected)) {
        expect(got.tensors[k].dtype, k).toBe(npDtype[t.dtype]);
        expect(got.tensors[k].shape, k).toEqual(t.shape);
        expect(got.tensors[k].values, k).toEqual(flat(t));
      }
    });

    it("a file written by Python loads in nabla with every value", async () => {
      const file = path.join(dir, "from-python.safetensors");
      runPython(
        `
import sys, numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(0)
save_file({
    "enc.w": rng.standard_normal((5, 3)).astype(np.float32),
    "enc.b": rng.standard_normal(3),
    "counts": rng.integers(-1000, 1000, (2, 3, 2), dtype=np.int32),
    "flags": rng.random(4) < 0.5,
    "zero_d": np.array(-1.5, dtype=np.float32),
}, sys.argv[1], metadata={"seed": "0"})
`,
        file,
      );
      const want = JSON.parse(runPython(DUMP, file));
      const { tensors: t, metadata } = await io.loadSafetensors(file);
      expect(metadata).toEqual({ seed: "0" });
      for (const [k, w] of Object.entries(
        want.tensors as Record<string, { shape: number[]; values: unknown[] }>,
      )) {
        expect(t[k]!.shape, k).toEqual(w.shape);
        expect(flat(t[k]!), k).toEqual(w.values);
      }
      expect(t["enc.b"]!.dtype).toBe("float64");
    });

    it("Python re-saving nabla's file writes the same bytes", async () => {
      const file = path.join(dir, "nabla.safetensors");
      const again = path.join(dir, "python-again.safetensors");
      await io.saveSafetensors(file, tensors, { k: "v" });
      runPython(
        `
import sys
from safetensors.numpy import load_file, save_file
save_file(load_file(sys.argv[1]), sys.argv[2], metadata={"k": "v"})
`,
        file,
        again,
      );
      expect(new Uint8Array(readFileSync(again))).toEqual(new Uint8Array(readFileSync(file)));
    });

    it("a truncated file is rejected by Python and by nabla alike", () => {
      const bad = path.join(dir, "bad.safetensors");
      const bytes = io.encodeSafetensors(tensors);
      const truncated = bytes.subarray(0, bytes.length - 3);
      writeFileSync(bad, truncated);
      const r = spawnSync(python!, [
        "-c",
        "import sys; from safetensors.numpy import load_file; load_file(sys.argv[1])",
        bad,
      ]);
      expect(r.status).not.toBe(0);
      expect(() => io.decodeSafetensors(truncated)).toThrow(io.SafetensorsError);
    });
  },
);
