// Examples: 1-D convolutions over sequences and transposed convolutions for upsampling, as a user writes them.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("Conv1d and ConvTranspose2d", () => {
  it("a 1-D convolution over a batch of signals", () => {
    const options: nb.nn.Conv1dOptions = { padding: "same", dilation: 2 };
    const conv = nb.nn.Conv1d(2, 4, 3, options);
    const { params }: { params: nb.nn.Conv1dParams } = conv.init(0);
    const x = nb.random.normal(nb.random.key(1), [8, 2, 100]); // [batch, channels, length]
    expect(conv.apply(params, x).shape).toEqual([8, 4, 100]);
    // The functional form, with a moving-average kernel.
    const smooth = nb.nn.conv1d(nb.array([[[1, 2, 3, 4, 5]]]), nb.full([1, 1, 3], 1 / 3));
    expect(smooth.toArray()).toEqual([[[2, 3, 4].map((v) => expect.closeTo(v, 5))]]);
  });

  it("a transposed convolution doubles the resolution (a decoder's upsampling)", () => {
    const options: nb.nn.ConvTranspose2dOptions = { stride: 2, padding: 1, outputPadding: 1 };
    const up = nb.nn.ConvTranspose2d(16, 8, 3, options);
    const { params }: { params: nb.nn.ConvTranspose2dParams } = up.init(0);
    expect(params.weight.shape).toEqual([16, 8, 3, 3]); // PyTorch's [in, out, kh, kw]
    expect(up.apply(params, nb.zeros([4, 16, 7, 7])).shape).toEqual([4, 8, 14, 14]);
    // Stride 2 with a 2×2 kernel of ones copies every pixel into a 2×2 block.
    const y = nb.nn.convTranspose2d(nb.array([[[[1, 2]]]]), nb.ones([1, 1, 2, 2]), { stride: 2 });
    expect(y.toArray()).toEqual([
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
        ],
      ],
    ]);
  });

  it("an autoencoder of Conv2d down and ConvTranspose2d up trains with nn.fit", () => {
    const model = nb.nn.Sequential([
      nb.nn.Conv2d(1, 4, 3, { stride: 2, padding: 1 }),
      nb.nn.relu,
      nb.nn.ConvTranspose2d(4, 1, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    ]);
    const { params } = model.init(0, [1, 1, 8, 8]);
    const x = nb.random.uniform(nb.random.key(2), [16, 1, 8, 8]);
    const result = nb.nn.fit({
      model,
      params,
      loss: nb.nn.mse,
      optimizer: nb.optim.adam({ learningRate: 0.02 }),
      data: { x, y: x },
      epochs: 30,
      batchSize: 8,
      silent: true,
    });
    expect(result.history.loss.at(-1)!).toBeLessThan(result.history.loss[0]! / 2);
  });
});
