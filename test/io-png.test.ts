// nb.io PNG: tensors to images and back (gray, RGB, RGBA), scaling and clipping, channel conversion,
// 16-bit, low bit depths and palettes, and clear errors for shapes that are not images.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encode } from "fast-png";
import * as nb from "nabla";
import { afterAll, describe, expect, it } from "vitest";
import * as io from "../src/io/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "nabla-png-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values k/255, which 8-bit PNG stores exactly. */
const levels = (shape: number[], seed: number) =>
  nb.random.randint(nb.random.key(seed), shape, 0, 256).astype("float32").div(255);

const close = (a: nb.Tensor, b: nb.Tensor, tol = 1e-6) => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe("round trips", () => {
  it("gray [H, W], RGB and RGBA keep their shape and values", () => {
    for (const shape of [
      [5, 7],
      [4, 3, 3],
      [2, 6, 4],
      [3, 3, 2],
    ]) {
      const img = levels(shape, shape.length + shape.at(-1)!);
      const back = io.decodePng(io.encodePng(img));
      close(back, img);
      expect(back.dtype).toBe("float32");
    }
  });

  it("[H, W, 1] is written as gray and read back as [H, W]", () => {
    const img = levels([4, 4, 1], 3);
    expect(io.decodePng(io.encodePng(img)).shape).toEqual([4, 4]);
  });

  it("writes and reads files", async () => {
    const file = path.join(dir, "img.png");
    const img = levels([8, 9, 3], 4);
    await io.writePng(file, img);
    close(await io.readPng(file), img);
    close(
      await io.readPng(new URL(`file://${file}`), { channels: 4 }),
      nb.concatenate([img, nb.ones([8, 9, 1])], 2),
    );
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("scaling", () => {
  it("maps [min, max] to [0, 255] and clips outside it; NaN becomes black", () => {
    const w = nb.array([[-2, -1, 0, 1, 2, Number.NaN]]);
    expect(
      io
        .decodePng(io.encodePng(w, { min: -1, max: 1 }))
        .mul(255)
        .toArray(),
    ).toEqual([[0, 0, 128, 255, 255, 0]]);
  });

  it("reads int32 as 0 … 255 and bool as 0 or 1", () => {
    const ints = nb.array([[0, 51, 255, 300]], { dtype: "int32" });
    expect(nb.round(io.decodePng(io.encodePng(ints)).mul(255)).toArray()).toEqual([[0, 51, 255, 255]]);
    const mask = nb.array([[true, false]]);
    expect(io.decodePng(io.encodePng(mask)).toArray()).toEqual([[1, 0]]);
  });
});

describe("channels", () => {
  it("converts RGB to gray by luma and gray to RGB by copying", () => {
    const rgb = nb.array([
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    ]);
    const gray = io.decodePng(io.encodePng(rgb), { channels: 1 });
    close(gray, nb.array([[0.299, 0.587, 0.114]]));
    const g = nb.round(nb.array([[0.2, 0.6]]).mul(255)).div(255);
    close(io.decodePng(io.encodePng(g), { channels: 3 }), nb.stack([g, g, g], 2));
  });

  it("drops alpha when asked for RGB", () => {
    const rgba = levels([2, 2, 4], 9);
    close(io.decodePng(io.encodePng(rgba), { channels: 3 }), nb.slice(rgba, [0, 0, 0], [2, 2, 3]));
  });

  it("reads 16-bit, 1-bit and palette PNGs", () => {
    const deep = io.decodePng(
      encode({ width: 2, height: 1, data: new Uint16Array([0, 65535]), depth: 16, channels: 1 }),
    );
    expect(deep.toArray()).toEqual([[0, 1]]);
    // 1-bit gray, width 10 (rows padded to 2 bytes): 1010101010
    const bits = io.decodePng(
      encode({ width: 10, height: 1, data: new Uint8Array([0b10101010, 0b10000000]), depth: 1, channels: 1 }),
    );
    expect(bits.toArray()).toEqual([[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]]);
    const palette = [
      [255, 0, 0],
      [0, 0, 255],
    ];
    const indexed = io.decodePng(
      encode({ width: 2, height: 1, data: new Uint8Array([1, 0]), depth: 8, channels: 1, palette }),
    );
    expect(indexed.toArray()).toEqual([
      [
        [0, 0, 1],
        [1, 0, 0],
      ],
    ]);
  });
});

describe("errors", () => {
  it("names the shape when a tensor is not an image", () => {
    expect(() => io.encodePng(nb.zeros([3]))).toThrow(nb.ShapeError);
    expect(() => io.encodePng(nb.zeros([2, 2, 5]))).toThrow(/got \[2,2,5\]/);
    expect(() => io.encodePng(nb.zeros([0, 4]))).toThrow(/at least one pixel/);
    expect(() => io.encodePng(nb.zeros([2, 2]), { min: 1, max: 1 })).toThrow(nb.ValueError);
  });

  it("rejects bytes that are not a PNG and bad channel options", async () => {
    expect(() => io.decodePng(new Uint8Array([1, 2, 3]))).toThrow(io.IoError);
    expect(() => io.decodePng(io.encodePng(nb.zeros([1, 1])), { channels: 2 as 1 })).toThrow(
      /channels must be 1, 3 or 4/,
    );
    await expect(io.readPng(path.join(dir, "missing.png"))).rejects.toThrow(/readPng: cannot read/);
  });
});
