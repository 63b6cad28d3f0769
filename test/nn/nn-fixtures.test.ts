// The sequence, attention and convolution layers against fixtures written by scripts/nn-fixtures.py: seeded
// float64 weights under PyTorch's state-dict names and the outputs of PyTorch's documented equations for
// them, computed there in NumPy (and checked against torch itself where torch is installed). Each state dict
// is mapped into nabla's parameter pytree by renaming keys only (snake_case → camelCase, "." → nesting).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose } from "../util/close.js";

type Nested = number | boolean | Nested[];
type Tree = { [k: string]: nb.Tensor | Tree };
const TOL = { atol: 1e-10, rtol: 1e-10 };
const f64 = { dtype: "float64" as const };

const here = path.dirname(fileURLToPath(import.meta.url));
function fixture<C>(name: string): C[] {
  const file = path.join(here, "..", "fixtures", "nn", name);
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { cases: C[] }).cases;
}
const t64 = (v: Nested): nb.Tensor => nb.array(v as nb.TensorLike, f64);
const tBool = (v: Nested): nb.Tensor => nb.astype(nb.array(v as nb.TensorLike, { dtype: "int32" }), "bool");

/** "weight_ih_l0_reverse" → "weightIhL0Reverse". */
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** A PyTorch state dict (flat, dotted keys) as a nabla parameter pytree. */
function fromStateDict(sd: Record<string, Nested>): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(sd)) {
    const parts = key.split(".").map(camel);
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Tree;
    node[parts[parts.length - 1]!] = t64(value);
  }
  return out;
}

// ---- recurrent layers --------------------------------------------------------------------------------

interface RecurrentCase {
  config: {
    mode: "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";
    input_size: number;
    hidden_size: number;
    num_layers: number;
    bidirectional: boolean;
    batch_first: boolean;
    bias: boolean;
  };
  params: Record<string, Nested>;
  input: Nested;
  h0: Nested;
  c0?: Nested;
  lengths?: number[];
  output: Nested;
  hn: Nested;
  cn?: Nested;
}

describe("recurrent layers match PyTorch's equations (fixtures)", () => {
  for (const c of fixture<RecurrentCase>("recurrent.json")) {
    const g = c.config;
    const label = `${g.mode}, ${g.num_layers} layer(s)${g.bidirectional ? ", bidirectional" : ""}${g.batch_first ? ", batchFirst" : ""}${g.bias ? "" : ", no bias"}${c.lengths ? `, lengths ${c.lengths.join(",")}` : ""}`;
    it(label, () => {
      const options = {
        numLayers: g.num_layers,
        bidirectional: g.bidirectional,
        batchFirst: g.batch_first,
        bias: g.bias,
        dtype: "float64" as const,
      };
      const params = fromStateDict(c.params) as nb.nn.RecurrentParams;
      const x = t64(c.input);
      const apply = { h0: t64(c.h0), lengths: c.lengths };
      if (g.mode === "LSTM") {
        const lstm = nb.nn.LSTM(g.input_size, g.hidden_size, options);
        const r = lstm.apply(params, x, { ...apply, c0: t64(c.c0!) });
        expectClose(r.output, c.output, TOL, "output");
        expectClose(r.hidden, c.hn, TOL, "h_n");
        expectClose(r.cell, c.cn, TOL, "c_n");
        // The compiled program (one scan per direction and layer) gives the same numbers.
        const jitted = nb.jit((q: nb.nn.RecurrentParams, xs: nb.Tensor) => {
          const o = lstm.apply(q, xs, { ...apply, c0: t64(c.c0!) });
          return [o.output, o.hidden, o.cell];
        })(params, x);
        [c.output, c.hn, c.cn].forEach((want, i) => expectClose(jitted[i], want, TOL, `under jit, ${i}`));
        return;
      }
      const layer =
        g.mode === "GRU"
          ? nb.nn.GRU(g.input_size, g.hidden_size, options)
          : nb.nn.RNN(g.input_size, g.hidden_size, {
              ...options,
              nonlinearity: g.mode === "RNN_TANH" ? "tanh" : "relu",
            });
      const r = layer.apply(params, x, apply);
      expectClose(r.output, c.output, TOL, "output");
      expectClose(r.hidden, c.hn, TOL, "h_n");
      const jitted = nb.jit((q: nb.nn.RecurrentParams, xs: nb.Tensor) => {
        const o = layer.apply(q, xs, apply);
        return [o.output, o.hidden];
      })(params, x);
      [c.output, c.hn].forEach((want, i) => expectClose(jitted[i], want, TOL, `under jit, ${i}`));
    });
  }
});

// ---- attention -----------------------------------------------------------------------------------------

interface SdpaCase {
  q: Nested;
  k: Nested;
  v: Nested;
  mask?: Nested;
  causal: boolean;
  scale?: number;
  output: Nested;
}

describe("scaledDotProductAttention matches F.scaled_dot_product_attention (fixtures)", () => {
  fixture<SdpaCase>("sdpa.json").forEach((c, i) => {
    const maskKind =
      c.mask === undefined
        ? "no mask"
        : typeof (c.mask as Nested[][])[0]![0] === "boolean"
          ? "bool mask"
          : "float mask";
    it(`case ${i}: ${maskKind}${c.causal ? ", causal" : ""}${c.scale ? `, scale ${c.scale}` : ""}`, () => {
      let mask: nb.Tensor | undefined;
      if (c.mask !== undefined) mask = maskKind === "bool mask" ? tBool(c.mask) : t64(c.mask);
      const y = nb.nn.scaledDotProductAttention(t64(c.q), t64(c.k), t64(c.v), {
        mask,
        causal: c.causal,
        scale: c.scale,
      });
      expectClose(y, c.output, TOL, "output");
    });
  });
});

interface MhaCase {
  config: {
    embed_dim: number;
    num_heads: number;
    kdim: number;
    vdim: number;
    bias: boolean;
    batch_first: boolean;
  };
  params: Record<string, Nested>;
  query: Nested;
  key?: Nested;
  value?: Nested;
  key_padding_mask?: Nested;
  attn_mask?: Nested;
  causal?: boolean;
  output: Nested;
  weights: Nested;
}

describe("MultiHeadAttention matches nn.MultiheadAttention (fixtures)", () => {
  fixture<MhaCase>("mha.json").forEach((c, i) => {
    const g = c.config;
    it(`case ${i}: E ${g.embed_dim}, ${g.num_heads} heads, kdim ${g.kdim}, vdim ${g.vdim}${g.batch_first ? ", batchFirst" : ""}${c.causal ? ", causal" : ""}${c.attn_mask ? ", attnMask" : ""}${c.key_padding_mask ? ", keyPaddingMask" : ""}`, () => {
      const mha = nb.nn.MultiHeadAttention(g.embed_dim, g.num_heads, {
        kdim: g.kdim,
        vdim: g.vdim,
        bias: g.bias,
        batchFirst: g.batch_first,
        dtype: "float64",
      });
      const params = fromStateDict(c.params) as unknown as nb.nn.MultiHeadAttentionParams;
      const am = c.attn_mask;
      const r = mha.apply(params, t64(c.query), {
        key: c.key === undefined ? undefined : t64(c.key),
        value: c.value === undefined ? undefined : t64(c.value),
        keyPaddingMask: c.key_padding_mask === undefined ? undefined : tBool(c.key_padding_mask),
        attnMask:
          am === undefined ? undefined : typeof (am as Nested[][])[0]![0] === "boolean" ? tBool(am) : t64(am),
        causal: c.causal,
      });
      expectClose(r.output, c.output, TOL, "output");
      expectClose(r.weights, c.weights, TOL, "weights");
    });
  });
});

interface TransformerCase {
  config: {
    d_model: number;
    nhead: number;
    dim_feedforward: number;
    norm_first: boolean;
    activation: "relu" | "gelu";
    batch_first: boolean;
    decoder: boolean;
  };
  params: Record<string, Nested>;
  input: Nested;
  memory?: Nested;
  memory_key_padding_mask?: Nested;
  src_key_padding_mask?: Nested;
  causal?: boolean;
  output: Nested;
}

describe("Transformer layers match nn.TransformerEncoderLayer / DecoderLayer (fixtures)", () => {
  for (const c of fixture<TransformerCase>("transformer.json")) {
    const g = c.config;
    const label = `${g.decoder ? "decoder" : "encoder"}, ${g.norm_first ? "pre" : "post"}-norm, ${g.activation}${g.batch_first ? ", batchFirst" : ""}`;
    it(label, () => {
      const options = {
        dimFeedforward: g.dim_feedforward,
        dropout: 0,
        activation: g.activation,
        normFirst: g.norm_first,
        batchFirst: g.batch_first,
        dtype: "float64" as const,
      };
      const params = fromStateDict(c.params);
      if (g.decoder) {
        const dec = nb.nn.TransformerDecoderLayer(g.d_model, g.nhead, options);
        const y = dec.apply(params as unknown as nb.nn.TransformerDecoderLayerParams, t64(c.input), {
          memory: t64(c.memory!),
          memoryKeyPaddingMask: tBool(c.memory_key_padding_mask!),
          causal: c.causal,
        });
        expectClose(y, c.output, TOL, "output");
        // Decoding one position per call with the key/value cache gives the same outputs.
        const x = t64(c.input);
        const ax = g.batch_first ? 1 : 0;
        const steps: nb.Tensor[] = [];
        let cache: nb.nn.DecoderCache | null = null;
        for (let t = 0; t < x.shape[ax]!; t++) {
          const start = [0, 0, 0];
          const size = [...x.shape];
          start[ax] = t;
          size[ax] = 1;
          const r = dec.applyWithCache(
            params as unknown as nb.nn.TransformerDecoderLayerParams,
            nb.slice(x, start, size),
            {
              memory: t64(c.memory!),
              memoryKeyPaddingMask: tBool(c.memory_key_padding_mask!),
              causal: true,
              cache,
            },
          );
          steps.push(r.output);
          cache = r.cache;
        }
        expectClose(nb.concatenate(steps, ax), c.output, TOL, "decoded with the cache");
      } else {
        const enc = nb.nn.TransformerEncoderLayer(g.d_model, g.nhead, options);
        const y = enc.apply(params as unknown as nb.nn.TransformerEncoderLayerParams, t64(c.input), {
          keyPaddingMask: tBool(c.src_key_padding_mask!),
        });
        expectClose(y, c.output, TOL, "output");
      }
    });
  }
});

interface PositionalCase {
  length: number;
  dim: number;
  output: Nested;
}

describe("sinusoidalPositionalEncoding matches the paper's table (fixtures)", () => {
  for (const c of fixture<PositionalCase>("positional.json"))
    it(`length ${c.length}, dim ${c.dim}`, () => {
      expectClose(nb.nn.sinusoidalPositionalEncoding(c.length, c.dim, f64), c.output, TOL);
    });
});

// ---- convolutions --------------------------------------------------------------------------------------

interface ConvCase {
  layer: "Conv1d" | "ConvTranspose2d";
  config: {
    in_channels: number;
    out_channels: number;
    kernel_size: number | [number, number];
    stride: number | [number, number];
    padding: number | "same" | [number, number];
    output_padding?: [number, number];
    dilation: number | [number, number];
  };
  params: { weight: Nested; bias?: Nested };
  input: Nested;
  output: Nested;
}

describe("Conv1d and ConvTranspose2d match PyTorch's definitions (fixtures)", () => {
  for (const c of fixture<ConvCase>("conv.json")) {
    const g = c.config;
    const label = `${c.layer}(${g.in_channels}→${g.out_channels}, k ${String(g.kernel_size)}, stride ${String(g.stride)}, padding ${String(g.padding)}${g.output_padding ? `, outputPadding ${String(g.output_padding)}` : ""}, dilation ${String(g.dilation)}${c.params.bias ? "" : ", no bias"})`;
    it(label, () => {
      const params = fromStateDict(c.params) as { weight: nb.Tensor; bias?: nb.Tensor };
      const bias = c.params.bias !== undefined;
      const layer =
        c.layer === "Conv1d"
          ? nb.nn.Conv1d(g.in_channels, g.out_channels, g.kernel_size as number, {
              stride: g.stride as number,
              padding: g.padding as number | "same",
              dilation: g.dilation as number,
              bias,
              dtype: "float64",
            })
          : nb.nn.ConvTranspose2d(g.in_channels, g.out_channels, g.kernel_size as [number, number], {
              stride: g.stride as [number, number],
              padding: g.padding as [number, number],
              outputPadding: g.output_padding,
              dilation: g.dilation as [number, number],
              bias,
              dtype: "float64",
            });
      const y = layer.apply(params, t64(c.input));
      expectClose(y, c.output, TOL, "output");
    });
  }
});

it("the fixtures cover every layer family the script writes", () => {
  const files = fs.readdirSync(path.join(here, "..", "fixtures", "nn")).sort();
  expect(files).toEqual([
    "conv.json",
    "mha.json",
    "positional.json",
    "recurrent.json",
    "sdpa.json",
    "transformer.json",
  ]);
});
