// nb.io safetensors: round trips of every dtype and shape, nested names, metadata, the exact bytes
// Python writes, and a clear SafetensorsError (never a partial load) for every kind of corrupt file.
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as nb from "nabla";
import { afterAll, describe, expect, it } from "vitest";
import * as io from "../../src/io/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "nabla-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Expects `fn` to throw an instance of `cls` whose message matches every pattern. */
function expectError(fn: () => unknown, cls: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected an error").toBeInstanceOf(cls);
  for (const p of patterns) expect((caught as Error).message).toMatch(p);
}

const sample = () => ({
  f32: nb.array([
    [1.5, -2],
    [3.25, 1e-30],
  ]),
  f64: nb.array([Math.PI, -Math.E, 1e-300, 1e300], { dtype: "float64" }),
  i32: nb.array([[-2147483648, 2147483647, 0]], { dtype: "int32" }),
  bool: nb.array([true, false, true]),
  scalar: nb.array(7.5),
  empty: nb.zeros([0, 3]),
  emptyInt: nb.zeros([2, 0], { dtype: "int32" }),
});

/** A header-and-data file built by hand, to corrupt one field at a time. */
function rawFile(header: object | string, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("round trips", () => {
  it("keeps the dtype, shape and values of every dtype, 0-d and empty tensors included", () => {
    const t = sample();
    const back = io.decodeSafetensors(io.encodeSafetensors(t)).tensors;
    expect(Object.keys(back).sort()).toEqual(Object.keys(t).sort());
    for (const [k, v] of Object.entries(t)) {
      expect(back[k]!.dtype, k).toBe(v.dtype);
      expect(back[k]!.shape, k).toEqual(v.shape);
      expect(Array.from(back[k]!.dataSync()), k).toEqual(Array.from(v.dataSync()));
    }
    expect(back.scalar!.item()).toBe(7.5);
    expect(back.bool!.toArray()).toEqual([true, false, true]);
  });

  it("flattens nested objects and arrays with dots and nests them back", () => {
    const params = {
      layer1: { w: nb.ones([2, 3]), b: nb.zeros([3]) },
      layers: [{ w: nb.ones([1]) }, { w: nb.ones([2]) }],
    };
    const bytes = io.encodeSafetensors(params);
    const flat = io.decodeSafetensors(bytes).tensors;
    expect(Object.keys(flat).sort()).toEqual(["layer1.b", "layer1.w", "layers.0.w", "layers.1.w"]);
    const nested = io.decodeSafetensors(bytes, { nested: true }).tensors as {
      layer1: { w: nb.Tensor; b: nb.Tensor };
      layers: { w: nb.Tensor }[];
    };
    expect(nested.layer1.w.shape).toEqual([2, 3]);
    expect(Array.isArray(nested.layers)).toBe(true);
    expect(nested.layers[1]!.w.shape).toEqual([2]);
  });

  it("stores metadata, numbers as float32 scalars, and names that are unusual as object keys", () => {
    const bytes = io.encodeSafetensors(
      { lr: 0.5, "0": nb.ones([1]), __proto__x: nb.ones([1]) },
      { epoch: "3", ünï: "cödé" },
    );
    const { tensors, metadata } = io.decodeSafetensors(bytes);
    expect(metadata).toEqual({ epoch: "3", ünï: "cödé" });
    expect(tensors.lr!.dtype).toBe("float32");
    expect(tensors.lr!.item()).toBe(0.5);
    expect(tensors["0"]!.shape).toEqual([1]);
    expect(io.decodeSafetensors(io.encodeSafetensors({})).metadata).toEqual({});
  });

  it("treats a tensor named __proto__ as an ordinary name", () => {
    const bytes = rawFile('{"__proto__":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', new Uint8Array(4));
    const { tensors } = io.decodeSafetensors(bytes);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
  });

  it("writes the header as Python does: sorted by dtype alignment then name, padded to 8 bytes", () => {
    const bytes = io.encodeSafetensors(
      {
        b: nb.zeros([2]),
        a: nb.zeros([3], { dtype: "int32" }),
        c: nb.zeros([1], { dtype: "float64" }),
        z: nb.array(true),
        y: nb.zeros([0]),
      },
      { k: "v" },
    );
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    // the exact header safetensors 0.8 (Python) writes for the same tensors
    expect(header).toBe(
      '{"__metadata__":{"k":"v"},"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
        '"y":{"dtype":"F32","shape":[0],"data_offsets":[16,16]},' +
        '"a":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
        '"z":{"dtype":"BOOL","shape":[],"data_offsets":[28,29]}}      ',
    );
    expect(Array.from(io.encodeSafetensors({}))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
  });

  it("saves and loads files, nested and checked against the expected parameters", async () => {
    const file = path.join(dir, "model.safetensors");
    const params = {
      dense: { w: nb.random.normal(nb.random.key(0), [4, 3]), b: nb.zeros([3]) },
      steps: nb.array(10, { dtype: "int32" }),
    };
    await io.saveSafetensors(file, params, { note: "test" });
    const flat = await io.loadSafetensors(file);
    expect(flat.metadata).toEqual({ note: "test" });
    expect(flat.tensors["dense.w"]!.toArray()).toEqual(params.dense.w.toArray());
    const nested = await io.loadSafetensors(file, { nested: true });
    expect((nested.tensors.dense as Record<string, nb.Tensor>).b!.shape).toEqual([3]);
    const { tensors } = await io.loadSafetensors(new URL(`file://${file}`), { expect: params });
    expect(tensors.dense.w.toArray()).toEqual(params.dense.w.toArray());
    expect(tensors.steps.dtype).toBe("int32");
  });

  it("widens BF16 exactly to float32", () => {
    // bfloat16 1.0 = 0x3f80, -2.5 = 0xc020
    const bytes = rawFile(
      { h: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } },
      new Uint8Array([0x80, 0x3f, 0x20, 0xc0]),
    );
    const h = io.decodeSafetensors(bytes).tensors.h!;
    expect(h.dtype).toBe("float32");
    expect(h.toArray()).toEqual([1, -2.5]);
  });
});

describe("corrupt and truncated files give a SafetensorsError and load nothing", () => {
  const good = io.encodeSafetensors(sample());
  const headerLength = new DataView(good.buffer).getUint32(0, true);

  it("truncated anywhere: in the length field, the header, the data", () => {
    const cuts = [
      0,
      4,
      7,
      8,
      20,
      8 + headerLength - 1,
      8 + headerLength,
      8 + headerLength + 5,
      good.length - 1,
    ];
    for (const cut of cuts)
      expectError(() => io.decodeSafetensors(good.subarray(0, cut)), io.SafetensorsError, /truncated/);
    expectError(
      () => io.decodeSafetensors(good.subarray(0, good.length - 1)),
      io.SafetensorsError,
      /tensor "\w+" ends at byte/,
    );
  });

  it("a header length past the end of the file or absurdly large", () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(0, good.length, true);
    expectError(
      () => io.decodeSafetensors(bad),
      io.SafetensorsError,
      /header length field says \d+ bytes but only/,
    );
    new DataView(bad.buffer).setUint32(4, 1, true);
    expectError(() => io.decodeSafetensors(bad), io.SafetensorsError, /more than the 100 MB limit/);
  });

  it("a header that is not UTF-8, not JSON, or not an object", () => {
    expectError(
      () => io.decodeSafetensors(rawFile('{"a": ', new Uint8Array())),
      io.SafetensorsError,
      /not valid JSON/,
    );
    const latin = rawFile("{}", new Uint8Array());
    latin[8] = 0xff;
    expectError(() => io.decodeSafetensors(latin), io.SafetensorsError, /not valid UTF-8/);
    expectError(
      () => io.decodeSafetensors(rawFile("[1,2]", new Uint8Array())),
      io.SafetensorsError,
      /must be a JSON object/,
    );
    expectError(
      () => io.decodeSafetensors(rawFile({ __metadata__: { a: 1 } }, new Uint8Array())),
      io.SafetensorsError,
      /__metadata__/,
    );
  });

  it("unknown dtypes and malformed entries", () => {
    const f8 = rawFile({ x: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
    expectError(
      () => io.decodeSafetensors(f8),
      io.SafetensorsError,
      /tensor "x" has dtype "F8_E4M3", which nabla cannot read/,
    );
    const noShape = rawFile({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4));
    expectError(() => io.decodeSafetensors(noShape), io.SafetensorsError, /invalid shape \[-1\]/);
    const offs = rawFile({ x: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4));
    expectError(() => io.decodeSafetensors(offs), io.SafetensorsError, /end before they begin/);
    expectError(
      () => io.decodeSafetensors(rawFile({ x: 3 }, new Uint8Array())),
      io.SafetensorsError,
      /not an object/,
    );
  });

  it("a byte length that disagrees with dtype and shape", () => {
    const f = rawFile({ w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20));
    expectError(
      () => io.decodeSafetensors(f),
      io.SafetensorsError,
      /"w" has dtype F32 and shape \[2,3\], which need 24 bytes, but data_offsets \[0,20\] span 20/,
    );
  });

  it("overlapping offsets, gaps, and bytes no tensor covers", () => {
    const overlap = rawFile(
      {
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      },
      new Uint8Array(12),
    );
    expectError(
      () => io.decodeSafetensors(overlap),
      io.SafetensorsError,
      /"a" \[0,8\) and "b" \[4,12\) overlap/,
    );
    const gap = rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expectError(
      () => io.decodeSafetensors(gap),
      io.SafetensorsError,
      /bytes \[0,4\) of the data belong to no tensor/,
    );
    const trailing = rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(9));
    expectError(() => io.decodeSafetensors(trailing), io.SafetensorsError, /5 bytes after the last tensor/);
  });

  it("64-bit integers outside int32", () => {
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    const f = rawFile({ n: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, big);
    expectError(
      () => io.decodeSafetensors(f),
      io.SafetensorsError,
      /tensor "n" holds I64 value 1099511627776/,
    );
  });

  it("names the file when loading, and reports failed saves without leaving temporary files", async () => {
    const file = path.join(dir, "bad.safetensors");
    writeFileSync(file, good.subarray(0, 30));
    await expect(io.loadSafetensors(file)).rejects.toThrow(
      /loadSafetensors: .*bad\.safetensors: .*truncated/,
    );
    await expect(io.loadSafetensors(path.join(dir, "missing.safetensors"))).rejects.toBeInstanceOf(
      io.IoError,
    );
    await expect(
      io.saveSafetensors(path.join(dir, "no-such-dir", "x.safetensors"), { a: nb.ones([1]) }),
    ).rejects.toThrow(/saveSafetensors: cannot write/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("expect: the file must match the parameters", () => {
  const params = { layer1: { w: nb.zeros([4, 3]), b: nb.zeros([3]) }, layer2: { w: nb.zeros([3, 2]) } };

  it("lists missing, unexpected and mismatched tensors in one error", () => {
    const other = {
      layer1: { w: nb.zeros([3, 4]), b: nb.zeros([3], { dtype: "float64" }) },
      layer3: { b: nb.zeros([2]) },
    };
    const bytes = io.encodeSafetensors(other);
    expectError(
      () => io.decodeSafetensors(bytes, { expect: params }),
      io.SafetensorsError,
      /nothing was loaded/,
      /missing 1: layer2\.w \(float32\[3,2\]\)/,
      /unexpected 1: layer3\.b \(float32\[2\]\)/,
      /mismatched 2: layer1\.w \(expected float32\[4,3\], found float32\[3,4\]\), /,
      /layer1\.b \(expected float32\[3\], found float64\[3\]\)/,
    );
  });

  it("returns the structure of the expected tree, arrays included", () => {
    const tree = { layers: [{ w: nb.ones([2]) }, { w: nb.ones([3]) }], none: null };
    const { tensors } = io.decodeSafetensors(io.encodeSafetensors(tree), { expect: tree });
    expect(Array.isArray(tensors.layers)).toBe(true);
    expect(tensors.layers[1]!.w.shape).toEqual([3]);
    expect(tensors.none).toBeNull();
  });

  it("rejects names that cannot be nested, and bad arguments when encoding", () => {
    const bytes = io.encodeSafetensors({ a: nb.ones([1]), "a.b": nb.ones([1]) });
    expectError(
      () => io.decodeSafetensors(bytes, { nested: true }),
      io.SafetensorsError,
      /"a" is both a tensor and a group/,
    );
    expectError(
      () => io.encodeSafetensors({ "a.b": nb.ones([1]), a: { b: nb.ones([1]) } }),
      nb.ValueError,
      /both be named "a\.b"/,
    );
    expectError(
      () => io.encodeSafetensors(nb.ones([1]) as unknown as object),
      nb.PytreeError,
      /got a single tensor/,
    );
    expectError(
      () => io.encodeSafetensors({ a: "x" as unknown as nb.Tensor }),
      nb.PytreeError,
      /a is a string/,
    );
    expectError(() => io.encodeSafetensors({ __metadata__: nb.ones([1]) }), nb.ValueError, /reserved/);
    expectError(
      () => io.encodeSafetensors({}, { n: 1 as unknown as string }),
      nb.ValueError,
      /metadata value "n" is a number/,
    );
  });

  it("reads back what was saved byte for byte", () => {
    const file = path.join(dir, "bytes.safetensors");
    writeFileSync(file, io.encodeSafetensors(sample()));
    expect(new Uint8Array(readFileSync(file))).toEqual(
      io.encodeSafetensors(io.decodeSafetensors(readFileSync(file)).tensors),
    );
  });
});

describe("sizes are checked against nb.config before anything is allocated", () => {
  const limits = () => ({ decode: nb.config.maxDecodeBytes, tensor: nb.config.maxTensorBytes });
  const restore = (l: { decode: number; tensor: number }) => {
    nb.config.maxDecodeBytes = l.decode;
    nb.config.maxTensorBytes = l.tensor;
  };

  it("the decoded size of all tensors against maxDecodeBytes, of each against maxTensorBytes", () => {
    // 1 MiB of F16 becomes 2 MiB of float32; 1 MiB of BOOL stays 1 MiB
    const n = 2 ** 19;
    const half = rawFile(
      {
        h: { dtype: "F16", shape: [n], data_offsets: [0, 2 * n] },
        b: { dtype: "BOOL", shape: [2 * n], data_offsets: [2 * n, 4 * n] },
      },
      new Uint8Array(4 * n),
    );
    const saved = limits();
    try {
      nb.config.maxDecodeBytes = 3 * 2 ** 20 - 1;
      expectError(
        () => io.decodeSafetensors(half),
        io.SafetensorsError,
        /decodeSafetensors: the 2 tensors of the file would take 3\.0 MiB decoded, more than nb\.config\.maxDecodeBytes \(3\.0 MiB\)/,
        /raise the limit/,
      );
      nb.config.maxDecodeBytes = 3 * 2 ** 20;
      expect(io.decodeSafetensors(half).tensors.h!.dtype).toBe("float32");
      nb.config.maxTensorBytes = 2 ** 20;
      expectError(
        () => io.decodeSafetensors(half),
        io.SafetensorsError,
        /tensor "h" \(F16 \[524288\]\) would take 2\.0 MiB, more than nb\.config\.maxTensorBytes/,
      );
    } finally {
      restore(saved);
    }
  });

  it("refuses a file too large for the limit before reading it", async () => {
    const file = path.join(dir, "limit.safetensors");
    writeFileSync(file, io.encodeSafetensors({ a: nb.zeros([4]) }));
    truncateSync(file, 100_001_000); // sparse: no disk space, and never read
    const saved = limits();
    try {
      nb.config.maxDecodeBytes = 64;
      await expect(io.loadSafetensors(file)).rejects.toThrow(
        /loadSafetensors: .*limit\.safetensors is 95 MiB, more than a file whose tensors fit nb\.config\.maxDecodeBytes \(64 B\)/,
      );
    } finally {
      restore(saved);
      rmSync(file);
    }
  });

  it("header edits with huge shapes fail on the data they would need", () => {
    const huge = rawFile(
      { w: { dtype: "F32", shape: [65536, 65536], data_offsets: [0, 2 ** 34] } },
      new Uint8Array(8),
    );
    expectError(
      () => io.decodeSafetensors(huge),
      io.SafetensorsError,
      /truncated: tensor "w" ends at byte 17179869184 of the data but only 8 bytes follow the header/,
    );
    const beyond = rawFile(
      { w: { dtype: "F64", shape: [2 ** 40, 2 ** 20], data_offsets: [0, 8] } },
      new Uint8Array(8),
    );
    expectError(() => io.decodeSafetensors(beyond), io.SafetensorsError, /too large to address/);
  });
});

describe("whatever the header holds, the error is a SafetensorsError with a short message", () => {
  it("deeply nested JSON values, and enormous names", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    for (const header of [
      `{"a":${deep}}`,
      `{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`,
      `{"__metadata__":{"k":${deep}}}`,
    ]) {
      const e = (() => {
        try {
          io.decodeSafetensors(rawFile(header, new Uint8Array()));
        } catch (err) {
          return err as Error;
        }
      })();
      expect(e).toBeInstanceOf(io.SafetensorsError);
      expect(e!.message.length).toBeLessThan(300);
    }
    const name = "n".repeat(100_000);
    expectError(
      () =>
        io.decodeSafetensors(
          rawFile({ [name]: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
        ),
      io.SafetensorsError,
      /tensor "n{79}… ends at byte 8/,
    );
  });

  it("input that is not bytes is a ValueError, never a huge zero-filled buffer", () => {
    expectError(
      () => io.decodeSafetensors(1e9 as unknown as Uint8Array),
      nb.ValueError,
      /decodeSafetensors: expected the file's bytes as a Uint8Array or an ArrayBuffer, got a number/,
    );
    expect(
      io.decodeSafetensors(
        new DataView(io.encodeSafetensors({ a: nb.ones([2]) }).buffer) as unknown as Uint8Array,
      ).tensors.a!.shape,
    ).toEqual([2]);
  });
});
