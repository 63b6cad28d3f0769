// Examples: saving parameters (nb.io) and loading the shipped datasets (nb.data).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("nb.io", () => {
  it("round-trips parameters through safetensors bytes", () => {
    const params = { layer: { w: nb.ones([2, 3]), b: nb.zeros([3]) } };
    const bytes = nb.io.encodeSafetensors(params, { epoch: "3" });
    const { tensors, metadata } = nb.io.decodeSafetensors(bytes, { nested: true });
    expect(metadata).toEqual({ epoch: "3" });
    expect((tensors as typeof params).layer.w.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });

  it("encodes PNG images", () => {
    const png = nb.io.encodePng(nb.linspace(0, 1, 16).reshape([4, 4]));
    expect(nb.io.decodePng(png).shape).toEqual([4, 4]);
  });
});

describe("nb.data", () => {
  it("loads MNIST digits and splits them", async () => {
    const d = await nb.data.mnist({ count: 50 });
    expect(d.images.shape).toEqual([50, 28, 28]);
    const { train, test } = nb.data.trainTestSplit(d, { testSize: 0.2, seed: 0 });
    expect(train.images.shape[0]! + test.images.shape[0]!).toBe(50);
  });

  it("loads Iris and a names corpus", async () => {
    expect((await nb.data.iris()).features.shape).toEqual([150, 4]);
    expect((await nb.data.names({ count: 10 })).length).toBe(10);
  });
});

describe("nb.viz", () => {
  it("draws a line chart as a standalone SVG and converts it to PNG", async () => {
    const x = [0, 1, 2, 3];
    const svg = nb.viz.lineChart([{ label: "x²", x, y: x.map((v) => v * v) }], {
      title: "squares",
      xLabel: "x",
    });
    expect(svg.startsWith("<svg")).toBe(true);
    const png = await nb.viz.svgToPng(svg);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});
