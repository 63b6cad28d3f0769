// Examples of nb.config, written as a user would call it.
import * as nb from "nabla";
import { afterEach, describe, expect, it } from "vitest";

const saved = { ...nb.config };
afterEach(() => Object.assign(nb.config, saved));

describe("nb.config", () => {
  it("lists its settings and their defaults", () => {
    expect({ ...nb.config }).toEqual({
      debugNans: false,
      debugInfs: false,
      maxTensorBytes: 4 * 2 ** 30,
      maxDecodeBytes: 2 ** 30,
      jitCacheSize: 64,
    });
  });

  it("maxTensorBytes refuses a tensor before it is allocated, naming the operation", () => {
    nb.config.maxTensorBytes = 1024;
    expect(nb.zeros([256]).shape).toEqual([256]);
    expect(() => nb.ones([257])).toThrow(nb.ValueError);
    expect(() => nb.matmul(nb.ones([16, 1]), nb.ones([1, 17]))).toThrow(
      /matmul: a float32 tensor of shape \[16,17\] needs 1.1 KiB/,
    );
    expect(() => nb.jit((x: nb.Tensor) => nb.broadcastTo(x, [64, 64]))(nb.ones([64]))).toThrow(
      /maxTensorBytes/,
    );
  });

  it("refuses a value of the wrong kind or an unknown setting", () => {
    expect(() => {
      nb.config.maxTensorBytes = -1;
    }).toThrow(/config.maxTensorBytes: expected a positive number, got -1/);
    expect(() => {
      (nb.config as unknown as { debugNans: unknown }).debugNans = "yes";
    }).toThrow(nb.ValueError);
    expect(() => {
      (nb.config as unknown as Record<string, unknown>).debugNan = true;
    }).toThrow(/config: unknown setting debugNan/);
  });
});
