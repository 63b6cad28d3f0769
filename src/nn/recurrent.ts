// Recurrent layers: RNN, LSTM and GRU with PyTorch's equations, gate layout and parameter names, each
// direction of each layer one nb.lax.scan (so jit compiles it as one loop and every order differentiates).

import { optionsArg } from "../core/args.js";
import { fmtShape, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { arange, zeros } from "../ops/creation.js";
import { add, astype, div, less, mul, notEqual, sigmoid, sub, tanh, where } from "../ops/elementwise.js";
import { matmul } from "../ops/linalg.js";
import { type ScanOptions, scan } from "../ops/loops.js";
import { bernoulli, type Key, split, uniform } from "../ops/random.js";
import {
  concatenate,
  expandDims,
  reshape,
  slice,
  split as splitAxis,
  stack,
  transpose,
} from "../ops/shape.js";
import { asTensor, floatArg, type TensorLike } from "../ops/util.js";
import { relu } from "./activations.js";
import { type ApplyOptions, floatOption, type Layer, makeLayer, positiveInt, shapeError } from "./layer.js";

/** Options shared by {@link RNN}, {@link LSTM} and {@link GRU} (PyTorch's constructor arguments). */
export interface RecurrentOptions {
  /** Stacked layers; layer k > 0 reads the (concatenated) outputs of layer k − 1. Default 1. */
  numLayers?: number;
  /** Learned biases `biasIh…` and `biasHh…`. Default true. */
  bias?: boolean;
  /** Input and output as [batch, time, features] instead of [time, batch, features]. Default false. */
  batchFirst?: boolean;
  /** Dropout rate on the outputs of every layer but the last, in training mode (needs a key). Default 0. */
  dropout?: number;
  /** Also run each layer backward in time and concatenate both directions' outputs. Default false. */
  bidirectional?: boolean;
  /** Parameter dtype. Default the default float. */
  dtype?: "float32" | "float64";
}

/** Options of {@link RNN}: those of every recurrent layer and the nonlinearity. */
export interface RNNOptions extends RecurrentOptions {
  /** h' = act(W_ih x + b_ih + W_hh h + b_hh). Default "tanh". */
  nonlinearity?: "tanh" | "relu";
}

/** Options of a recurrent layer's `apply`. */
export interface RecurrentApplyOptions extends ApplyOptions {
  /** Initial hidden state [numLayers·directions, batch, hidden] ([numLayers·directions, hidden] unbatched). Default zeros. */
  h0?: TensorLike;
  /** Initial cell state of an LSTM, shaped like `h0`. Default zeros. */
  c0?: TensorLike;
  /**
   * The length of each sequence of a padded batch ([batch] integers): steps at or beyond a sequence's length
   * keep its state and give zero output, so `hidden` is the state after its last real step (and, for the
   * backward direction, the state after its first).
   */
  lengths?: TensorLike;
  /** Which steps are real, [time, batch] ([batch, time] with batchFirst, [time] unbatched); masked steps act as `lengths` says. */
  mask?: TensorLike;
}

/** What a recurrent layer's `apply` returns. */
export interface RecurrentOutput {
  /** [time, batch, directions·hidden] ([batch, time, …] with batchFirst; [time, …] unbatched). */
  output: Tensor;
  /** The last hidden state h_n of every layer and direction: [numLayers·directions, batch, hidden]. */
  hidden: Tensor;
}

/** What an LSTM's `apply` returns: also the last cell state c_n, shaped like `hidden`. */
export interface LSTMOutput extends RecurrentOutput {
  cell: Tensor;
}

/**
 * Parameters of a recurrent layer, named as PyTorch's state dict in camel case: `weightIhL0` [G·H, in],
 * `weightHhL0` [G·H, H], `biasIhL0`, `biasHhL0` [G·H], with `Reverse` appended for the backward direction
 * (G = 1 for RNN, 4 for LSTM with gates i, f, g, o, 3 for GRU with r, z, n).
 */
export type RecurrentParams = { [name: string]: Tensor };

/**
 * A recurrent layer: a {@link Layer} whose `apply` returns `{ output, hidden }` (and `cell` for an LSTM).
 * `applyWithState` returns the output sequence as its tensor, as a Layer does, which is what
 * `nn.Sequential` runs: a recurrent layer goes into a Sequential as it is (see `SequentialChild`).
 * @example
 * ```ts
 * const model = nb.nn.Sequential([nb.nn.LSTM(3, 8, { batchFirst: true }), nb.nn.Linear(8, 1)]);
 * model.apply(model.init(0).params, nb.ones([4, 10, 3])).shape; // [4, 10, 1]
 * ```
 */
export interface RecurrentLayer<O extends RecurrentOutput = RecurrentOutput>
  extends Omit<Layer<RecurrentParams>, "apply"> {
  apply(params: RecurrentParams, x: TensorLike, options?: RecurrentApplyOptions): O;
  readonly inputSize: number;
  readonly hiddenSize: number;
}

/** scan over flat lists of tensors (the carry and the xs of one direction), typed loosely. */
const scanList = scan as unknown as (
  f: (carry: Tensor[], x: Tensor[]) => readonly [Tensor[], Tensor],
  init: Tensor[],
  xs: Tensor[],
  options?: ScanOptions,
) => [Tensor[], Tensor];

type Kind = "RNN" | "LSTM" | "GRU";
const GATES: Record<Kind, number> = { RNN: 1, LSTM: 4, GRU: 3 };
const OPTION_KEYS = ["numLayers", "bias", "batchFirst", "dropout", "bidirectional", "dtype"];

/** The parameter names of layer `l` in direction `d` (0 forward, 1 backward). */
const names = (l: number, d: number) => {
  const s = `L${l}${d === 1 ? "Reverse" : ""}`;
  return { wi: `weightIh${s}`, wh: `weightHh${s}`, bi: `biasIh${s}`, bh: `biasHh${s}` };
};

function build(
  kind: Kind,
  inputSize: number,
  hiddenArg: number | (RNNOptions & { hiddenSize: number }),
  optionsArg2: RNNOptions | undefined,
): RecurrentLayer<RecurrentOutput & { cell?: Tensor }> {
  let hiddenSize: number;
  let given: RNNOptions | undefined;
  if (typeof hiddenArg === "object" && hiddenArg !== null) {
    const { hiddenSize: h, ...rest } = hiddenArg;
    hiddenSize = h;
    given = rest;
  } else {
    hiddenSize = hiddenArg;
    given = optionsArg2;
  }
  positiveInt(kind, "inputSize", inputSize);
  positiveInt(kind, "hiddenSize", hiddenSize);
  const keys = kind === "RNN" ? [...OPTION_KEYS, "nonlinearity"] : OPTION_KEYS;
  const o = optionsArg(kind, given, keys, `${kind}(${inputSize}, ${hiddenSize}, { numLayers: 2 })`, "third");
  const numLayers = positiveInt(kind, "numLayers", o.numLayers ?? 1);
  const { bias = true, batchFirst = false, bidirectional = false, dropout = 0 } = o;
  for (const [k, v] of [
    ["bias", bias],
    ["batchFirst", batchFirst],
    ["bidirectional", bidirectional],
  ] as const)
    if (typeof v !== "boolean") throw new ValueError(`${kind}: ${k} must be true or false, got ${String(v)}`);
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1))
    throw new ValueError(`${kind}: dropout must be a number in [0, 1), got ${String(dropout)}`);
  const nonlinearity = o.nonlinearity ?? "tanh";
  if (nonlinearity !== "tanh" && nonlinearity !== "relu")
    throw new ValueError(`${kind}: nonlinearity must be "tanh" or "relu", got ${String(nonlinearity)}`);
  const dtype = floatOption(kind, o.dtype);
  const H = hiddenSize;
  const G = GATES[kind];
  const D = bidirectional ? 2 : 1;
  const extras = [
    numLayers > 1 ? `numLayers=${numLayers}` : "",
    bidirectional ? "bidirectional" : "",
    kind === "RNN" && nonlinearity === "relu" ? "relu" : "",
  ].filter((s) => s);
  const name = `${kind}(${[inputSize, hiddenSize, ...extras].join(", ")})`;
  const inOf = (l: number) => (l === 0 ? inputSize : H * D);

  const checkInput = (s: readonly number[]) => {
    if (s.length !== 2 && s.length !== 3)
      throw shapeError(
        name,
        `expected input of rank 3 (${batchFirst ? "batch, time" : "time, batch"}, ${inputSize}) or rank 2 (time, ${inputSize}) unbatched, got ${fmtShape(s)}`,
      );
    if (s[s.length - 1] !== inputSize)
      throw shapeError(
        name,
        `expected input with last dimension inputSize = ${inputSize}, got ${fmtShape(s)}`,
      );
  };
  const outputShape = (s: readonly number[]) => {
    checkInput(s);
    return [...s.slice(0, -1), H * D];
  };

  const expected = (l: number): [string, number[]][] => {
    const out: [string, number[]][] = [];
    for (let d = 0; d < D; d++) {
      const n = names(l, d);
      out.push([n.wi, [G * H, inOf(l)]], [n.wh, [G * H, H]]);
      if (bias) out.push([n.bi, [G * H]], [n.bh, [G * H]]);
    }
    return out;
  };
  const checkParams = (p: RecurrentParams) => {
    for (let l = 0; l < numLayers; l++)
      for (const [what, shape] of expected(l)) {
        const t = p[what];
        if (!(t instanceof Tensor))
          throw new ValueError(`${name}: params have no tensor "${what}"; pass the params returned by init`);
        if (fmtShape(t.shape) !== fmtShape(shape))
          throw shapeError(
            name,
            `params.${what} has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`,
          );
      }
  };

  /** An initial state option as [L·D, B, H] (a batch of 1 for unbatched input), or zeros. */
  const initialState = (
    what: string,
    v: TensorLike | undefined,
    B: number,
    unbatched: boolean,
    like: Tensor,
  ) => {
    if (v === undefined) return zeros([numLayers * D, B, H], { dtype: like.dtype });
    const t = floatArg(name, v);
    const want = unbatched ? [numLayers * D, H] : [numLayers * D, B, H];
    if (fmtShape(t.shape) !== fmtShape(want))
      throw shapeError(
        name,
        `${what} has shape ${fmtShape(t.shape)}, expected ${fmtShape(want)} (numLayers·directions, ${unbatched ? "" : "batch, "}hidden)`,
      );
    return unbatched ? expandDims(t, 1) : t;
  };

  /** The mask [T, B] (bool) from `lengths` or `mask`, or undefined. */
  const maskOf = (
    options: RecurrentApplyOptions,
    T: number,
    B: number,
    unbatched: boolean,
  ): Tensor | undefined => {
    if (options.lengths !== undefined && options.mask !== undefined)
      throw new ValueError(`${name}: give lengths or mask, not both`);
    if (options.lengths !== undefined) {
      const raw = options.lengths;
      if (Array.isArray(raw))
        raw.forEach((n) => {
          if (!Number.isInteger(n) || n < 0 || n > T)
            throw new ValueError(
              `${name}: lengths must be integers in [0, ${T}] (the time steps), got ${String(n)}`,
            );
        });
      let len = asTensor(raw, name);
      const want = unbatched ? [] : [B];
      if (fmtShape(len.shape) !== fmtShape(want))
        throw shapeError(
          name,
          `lengths has shape ${fmtShape(len.shape)}, expected ${fmtShape(want)} (one length per sequence)`,
        );
      if (unbatched) len = reshape(len, [1]);
      return less(expandDims(arange(T, undefined, 1, { dtype: "int32" }), 1), expandDims(len, 0));
    }
    if (options.mask !== undefined) {
      const m = asTensor(options.mask, name);
      const want = unbatched ? [T] : batchFirst ? [B, T] : [T, B];
      if (fmtShape(m.shape) !== fmtShape(want))
        throw shapeError(
          name,
          `mask has shape ${fmtShape(m.shape)}, expected ${fmtShape(want)} (${unbatched ? "time" : batchFirst ? "batch, time" : "time, batch"})`,
        );
      const tb = unbatched ? expandDims(m, 1) : batchFirst ? transpose(m, [1, 0]) : m;
      return tb.dtype === "bool" ? tb : notEqual(tb, 0);
    }
    return undefined;
  };

  /** One direction of one layer over seq [T, B, in]: the outputs [T, B, H], h_n and c_n [B, H]. */
  const direction = (
    p: RecurrentParams,
    l: number,
    d: number,
    seq: Tensor,
    h0: Tensor,
    c0: Tensor,
    mask: Tensor | undefined,
  ): [Tensor, Tensor, Tensor | undefined] => {
    const n = names(l, d);
    const bi = bias ? p[n.bi]! : undefined;
    const bh = bias ? p[n.bh]! : undefined;
    // The input's projection for every step at once, outside the recurrence (and b_hh too, except for the
    // GRU, whose b_hn sits inside r ⊙ (W_hn h + b_hn)).
    let xp = matmul(seq, transpose(p[n.wi]!, [1, 0]));
    if (bi) xp = add(xp, bi);
    if (bh && kind !== "GRU") xp = add(xp, bh);
    const whT = transpose(p[n.wh]!, [1, 0]);
    const gates = (t: Tensor) => splitAxis(t, G, -1);
    const keep = (m: Tensor | undefined, next: Tensor, prev: Tensor) => (m ? where(m, next, prev) : next);
    const reverse = d === 1;
    const xs = mask ? [xp, mask] : [xp];
    // The state takes the dtype of the step's result (float64 params promote a float32 input).
    const like = (t: Tensor) => (t.dtype === xp.dtype ? t : astype(t, xp.dtype));
    const init = kind === "LSTM" ? [like(h0), like(c0)] : [like(h0)];
    const [last, ys] = scanList(
      (carry, [xt, mt]) => {
        const h = carry[0]!;
        let h1: Tensor;
        let c1: Tensor | undefined;
        if (kind === "LSTM") {
          const [i, f, g, o] = gates(add(xt!, matmul(h, whT)));
          c1 = add(mul(sigmoid(f!), carry[1]!), mul(sigmoid(i!), tanh(g!)));
          h1 = mul(sigmoid(o!), tanh(c1));
        } else if (kind === "GRU") {
          const hp = bh ? add(matmul(h, whT), bh) : matmul(h, whT);
          const [xr, xz, xn] = gates(xt!);
          const [hr, hz, hn] = gates(hp);
          const r = sigmoid(add(xr!, hr!));
          const z = sigmoid(add(xz!, hz!));
          const cand = tanh(add(xn!, mul(r, hn!)));
          h1 = add(mul(sub(1, z), cand), mul(z, h));
        } else {
          const pre = add(xt!, matmul(h, whT));
          h1 = nonlinearity === "relu" ? relu(pre) : tanh(pre);
        }
        // A masked step keeps the state and outputs zeros.
        const m = mt ? expandDims(mt, 1) : undefined;
        const next = [keep(m, h1, h)];
        if (c1) next.push(keep(m, c1, carry[1]!));
        return [next, m ? where(m, h1, 0) : h1] as const;
      },
      init,
      xs,
      { reverse },
    );
    return [ys, last[0]!, last[1]];
  };

  const run = (p: RecurrentParams, input: Tensor, options: RecurrentApplyOptions) => {
    if (p === null || typeof p !== "object" || p instanceof Tensor)
      throw new ValueError(
        `${name}: params must be the object returned by init(key).params, got ${String(p)}`,
      );
    checkParams(p);
    checkInput(input.shape);
    const x = floatArg(name, input);
    const unbatched = x.ndim === 2;
    let seq = unbatched ? expandDims(x, 1) : batchFirst ? transpose(x, [1, 0, 2]) : x; // [T, B, I]
    const [T, B] = seq.shape as [number, number];
    const h0 = initialState("h0", options.h0, B, unbatched, seq);
    if (options.c0 !== undefined && kind !== "LSTM")
      throw new ValueError(`${name}: c0 is the initial cell state of an LSTM; a ${kind} has none`);
    const c0 = kind === "LSTM" ? initialState("c0", options.c0, B, unbatched, seq) : undefined;
    const mask = maskOf(options, T, B, unbatched);
    const drop = options.train === true && dropout > 0 && numLayers > 1;
    if (drop && options.key === undefined)
      throw new ValueError(
        `${name}: training mode with dropout needs randomness: pass { train: true, key: nb.random.key(seed) }`,
      );
    const dropKeys: Key[] = drop ? split(options.key!, numLayers - 1) : [];
    const row = (t: Tensor, k: number) => reshape(slice(t, [k, 0, 0], [1, B, H]), [B, H]);
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let l = 0; l < numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const [y, hn, cn] = direction(p, l, d, seq, row(h0, k), c0 ? row(c0, k) : h0, mask);
        outs.push(y);
        hs.push(hn);
        if (cn) cs.push(cn);
      }
      seq = D === 2 ? concatenate(outs, 2) : outs[0]!;
      if (drop && l < numLayers - 1) {
        const kept = bernoulli(dropKeys[l]!, 1 - dropout, seq.shape);
        seq = where(kept, div(seq, 1 - dropout), 0);
      }
    }
    const output = unbatched ? reshape(seq, [T, H * D]) : batchFirst ? transpose(seq, [1, 0, 2]) : seq;
    const flat = (ts: Tensor[]) => {
      const s = stack(ts, 0);
      return unbatched ? reshape(s, [numLayers * D, H]) : s;
    };
    const result: RecurrentOutput & { cell?: Tensor } = { output, hidden: flat(hs) };
    if (kind === "LSTM") result.cell = flat(cs);
    return result;
  };

  const base = makeLayer<RecurrentParams>({
    name,
    stochastic: dropout > 0 && numLayers > 1,
    init: (key) => {
      // PyTorch's default: every weight and bias U(−1/√H, 1/√H).
      const bound = 1 / Math.sqrt(H);
      const shapes = Array.from({ length: numLayers }, (_, l) => expected(l)).flat();
      const ks = split(key, shapes.length);
      const params: RecurrentParams = {};
      shapes.forEach(([what, shape], i) => {
        params[what] = uniform(ks[i]!, shape, { dtype, minval: -bound, maxval: bound });
      });
      return { params, state: {} };
    },
    forward: (p, state, x, options) => [run(p, x, options).output, state],
    outputShape,
  });
  const layer: RecurrentLayer<RecurrentOutput & { cell?: Tensor }> = {
    ...base,
    inputSize,
    hiddenSize,
    apply: (params, x, options = {}) => run(params, asTensor(x, name), options),
  };
  return Object.assign(layer, { toString: () => name });
}

/**
 * An Elman RNN (PyTorch's `nn.RNN`): h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), over input
 * [time, batch, inputSize] (or [batch, time, inputSize] with `batchFirst`, or [time, inputSize] unbatched).
 * `apply` returns `{ output, hidden }`; see {@link RecurrentOptions} and {@link RecurrentApplyOptions}.
 * Each direction of each layer is one `nb.lax.scan`, so jit compiles it as one loop.
 * @example
 * ```ts
 * const rnn = nb.nn.RNN(3, 5, { numLayers: 2, nonlinearity: "relu" });
 * const { params } = rnn.init(0);
 * const { output, hidden } = rnn.apply(params, nb.ones([7, 2, 3])); // [7, 2, 5] and [2, 2, 5]
 * ```
 */
export function RNN(
  inputSize: number,
  hiddenSize: number | (RNNOptions & { hiddenSize: number }),
  options?: RNNOptions,
): RecurrentLayer {
  return build("RNN", inputSize, hiddenSize, options);
}

/**
 * A long short-term memory layer (PyTorch's `nn.LSTM`): gates i, f, g, o stacked in that order in
 * `weightIh…` [4H, in] and `weightHh…` [4H, H]; c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c').
 * `apply` returns `{ output, hidden, cell }` (h_n and c_n, [numLayers·directions, batch, H]); `h0` and `c0`
 * set the initial state, `lengths` or `mask` handle padded batches.
 * @example
 * ```ts
 * const lstm = nb.nn.LSTM(8, 16, { batchFirst: true, bidirectional: true });
 * const { params } = lstm.init(0);
 * const { output, hidden, cell } = lstm.apply(params, nb.ones([4, 10, 8]), { lengths: [10, 7, 3, 1] });
 * // output [4, 10, 32], hidden and cell [2, 4, 16]
 * ```
 */
export function LSTM(
  inputSize: number,
  hiddenSize: number | (RecurrentOptions & { hiddenSize: number }),
  options?: RecurrentOptions,
): RecurrentLayer<LSTMOutput> {
  return build("LSTM", inputSize, hiddenSize, options) as RecurrentLayer<LSTMOutput>;
}

/**
 * A gated recurrent unit (PyTorch's `nn.GRU`): gates r, z, n stacked in that order;
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * `apply` returns `{ output, hidden }`.
 * @example
 * ```ts
 * const gru = nb.nn.GRU(4, 6);
 * const { params } = gru.init(0);
 * gru.apply(params, nb.ones([5, 4])).output.shape; // [5, 6] (unbatched)
 * ```
 */
export function GRU(
  inputSize: number,
  hiddenSize: number | (RecurrentOptions & { hiddenSize: number }),
  options?: RecurrentOptions,
): RecurrentLayer {
  return build("GRU", inputSize, hiddenSize, options);
}
