// nn.RNN, nn.LSTM and nn.GRU against a reference written independently: a plain JavaScript loop in float64
// implementing PyTorch's documented equations (torch.nn.RNN / LSTM / GRU). PyTorch itself is not installed
// here, so the outputs are not compared with torch directly; the reference follows its documentation (gate
// order i, f, g, o and r, z, n, b_hn inside r ⊙ (…), packed-sequence semantics for lengths).
// Also: masks, jit against eager, vmap over a batch, checkGrads to order 2, dropout and bad input errors.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose } from "../util/close.js";

type T = nb.Tensor;
type Kind = "RNN" | "RNN-relu" | "LSTM" | "GRU";
type Mat = number[][];

const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });

// ---- the reference ------------------------------------------------------------------------------------

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const matvec = (w: Mat, v: number[]) => w.map((row) => row.reduce((s, a, j) => s + a * v[j]!, 0));

interface RefOptions {
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  h0?: number[][][]; // [L·D][B][H]
  c0?: number[][][];
  mask?: boolean[][]; // [T][B]
}

/** One cell step of PyTorch's equations for one sequence: (x, h, c) → (h', c'). */
function cell(
  kind: Kind,
  p: Record<string, Mat | number[]>,
  s: string,
  H: number,
  x: number[],
  h: number[],
  c: number[],
) {
  const wi = p[`weightIh${s}`] as Mat;
  const wh = p[`weightHh${s}`] as Mat;
  const G = wi.length;
  const bi = (p[`biasIh${s}`] as number[] | undefined) ?? new Array<number>(G).fill(0);
  const bh = (p[`biasHh${s}`] as number[] | undefined) ?? new Array<number>(G).fill(0);
  const a = matvec(wi, x).map((v, k) => v + bi[k]!); // W_i* x + b_i*
  const b = matvec(wh, h).map((v, k) => v + bh[k]!); // W_h* h + b_h*
  const gate = (v: number[], k: number) => v.slice(k * H, (k + 1) * H);
  if (kind === "LSTM") {
    const pre = a.map((v, k) => v + b[k]!);
    const [i, f, g, o] = [0, 1, 2, 3].map((k) => gate(pre, k));
    const c1 = c.map((cv, j) => sig(f![j]!) * cv + sig(i![j]!) * Math.tanh(g![j]!));
    return { h: c1.map((cv, j) => sig(o![j]!) * Math.tanh(cv)), c: c1 };
  }
  if (kind === "GRU") {
    const r = gate(a, 0).map((v, j) => sig(v + gate(b, 0)[j]!));
    const z = gate(a, 1).map((v, j) => sig(v + gate(b, 1)[j]!));
    const n = gate(a, 2).map((v, j) => Math.tanh(v + r[j]! * gate(b, 2)[j]!));
    return { h: n.map((nv, j) => (1 - z[j]!) * nv + z[j]! * h[j]!), c };
  }
  const pre = a.map((v, k) => v + b[k]!);
  return { h: pre.map((v) => (kind === "RNN" ? Math.tanh(v) : Math.max(v, 0))), c };
}

/** The whole layer on time-major input x [T][B][I]: output [T][B][D·H], h_n and c_n [L·D][B][H]. */
function reference(kind: Kind, params: Record<string, T>, H: number, x: number[][][], o: RefOptions) {
  const p = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.toArray() as Mat | number[]]));
  const Tn = x.length;
  const B = x[0]!.length;
  const D = o.bidirectional ? 2 : 1;
  const zero = () => new Array<number>(H).fill(0);
  let seq = x;
  const hn: number[][][] = [];
  const cn: number[][][] = [];
  for (let l = 0; l < o.numLayers; l++) {
    const outs: number[][][][] = [];
    for (let d = 0; d < D; d++) {
      const s = `L${l}${d === 1 ? "Reverse" : ""}`;
      const k = l * D + d;
      const y: number[][][] = Array.from({ length: Tn }, () => Array.from({ length: B }, zero));
      const hLast: number[][] = [];
      const cLast: number[][] = [];
      for (let bi = 0; bi < B; bi++) {
        let h = o.h0 ? [...o.h0[k]![bi]!] : zero();
        let c = o.c0 ? [...o.c0[k]![bi]!] : zero();
        for (let step = 0; step < Tn; step++) {
          const t = d === 0 ? step : Tn - 1 - step;
          if (o.mask && !o.mask[t]![bi]) continue; // padding: the state is kept, the output is zero
          const next = cell(kind, p, s, H, seq[t]![bi]!, h, c);
          h = next.h;
          c = next.c;
          y[t]![bi] = h;
        }
        hLast.push(h);
        cLast.push(c);
      }
      outs.push(y);
      hn.push(hLast);
      cn.push(cLast);
    }
    seq = outs[0]!.map((row, t) => row.map((v, bi) => (D === 2 ? [...v, ...outs[1]![t]![bi]!] : v)));
  }
  return { output: seq, hidden: hn, cell: cn };
}

// ---- helpers ------------------------------------------------------------------------------------------

const layerOf = (kind: Kind, I: number, H: number, o: nb.nn.RecurrentOptions) =>
  kind === "LSTM"
    ? nb.nn.LSTM(I, H, { ...o, dtype: "float64" })
    : kind === "GRU"
      ? nb.nn.GRU(I, H, { ...o, dtype: "float64" })
      : nb.nn.RNN(I, H, { ...o, dtype: "float64", nonlinearity: kind === "RNN" ? "tanh" : "relu" });

const transpose3 = <V>(a: V[][][]): V[][][] => a[0]!.map((_, j) => a.map((row) => row[j]!));
const transpose2 = <V>(a: V[][]): V[][] => a[0]!.map((_, j) => a.map((row) => row[j]!));
const TOL = { atol: 1e-12, rtol: 1e-10 };

const KINDS: Kind[] = ["RNN", "RNN-relu", "LSTM", "GRU"];
const [Tn, B, I, H] = [4, 3, 3, 2];

// ---- outputs against the reference --------------------------------------------------------------------

describe("outputs match the float64 reference for every option combination", () => {
  const variants = ["plain", "initial state", "lengths", "mask"] as const;
  for (const kind of KINDS)
    for (const numLayers of [1, 2])
      for (const bidirectional of [false, true])
        for (const batchFirst of [false, true])
          for (const bias of [true, false])
            it(`${kind}, numLayers ${numLayers}${bidirectional ? ", bidirectional" : ""}${batchFirst ? ", batchFirst" : ""}${bias ? "" : ", no bias"}`, () => {
              const layer = layerOf(kind, I, H, { numLayers, bidirectional, batchFirst, bias });
              const seed = numLayers * 8 + (bidirectional ? 4 : 0) + (batchFirst ? 2 : 0) + (bias ? 1 : 0);
              const { params } = layer.init(seed);
              const D = bidirectional ? 2 : 1;
              const xTime = randn(100 + seed, [Tn, B, I]);
              const x = batchFirst ? nb.transpose(xTime, [1, 0, 2]) : xTime;
              const xs = xTime.toArray() as number[][][];
              for (const variant of variants) {
                const opts: nb.nn.RecurrentApplyOptions = {};
                const ref: RefOptions = { numLayers, bidirectional, bias };
                if (variant === "initial state") {
                  const h0 = randn(200 + seed, [numLayers * D, B, H]);
                  const c0 = randn(300 + seed, [numLayers * D, B, H]);
                  opts.h0 = h0;
                  ref.h0 = h0.toArray() as number[][][];
                  if (kind === "LSTM") {
                    opts.c0 = c0;
                    ref.c0 = c0.toArray() as number[][][];
                  }
                } else if (variant === "lengths") {
                  const lengths = [4, 1, 2];
                  opts.lengths = lengths;
                  ref.mask = Array.from({ length: Tn }, (_, t) => lengths.map((n) => t < n));
                } else if (variant === "mask") {
                  // Not a prefix: a masked step in the middle of a sequence keeps its state too.
                  const m = [
                    [1, 1, 0],
                    [0, 1, 1],
                    [1, 0, 1],
                    [1, 1, 0],
                  ];
                  opts.mask = batchFirst ? transpose2(m) : m;
                  ref.mask = m.map((row) => row.map((v) => v === 1));
                }
                const got = layer.apply(params, x, opts);
                const want = reference(kind, params, H, xs, ref);
                const out = batchFirst ? transpose3(want.output) : want.output;
                expect(got.output.shape).toEqual(batchFirst ? [B, Tn, D * H] : [Tn, B, D * H]);
                expectClose(got.output, out, TOL, `${variant}: output`);
                expectClose(got.hidden, want.hidden, TOL, `${variant}: hidden`);
                if (kind === "LSTM")
                  expectClose((got as nb.nn.LSTMOutput).cell, want.cell, TOL, `${variant}: cell`);
                else expect("cell" in got && got.cell !== undefined).toBe(false);
              }
            });
});

describe("layout, state and masks", () => {
  it("unbatched input [T, I] is batched input with a batch of one, h0 [L·D, H]", () => {
    for (const kind of KINDS) {
      const layer = layerOf(kind, I, H, { numLayers: 2, bidirectional: true });
      const { params } = layer.init(1);
      const x = randn(2, [Tn, I]);
      const h0 = randn(3, [4, H]);
      const opts = kind === "LSTM" ? { h0, c0: nb.mul(h0, 0.5) } : { h0 };
      const one = layer.apply(params, x, opts);
      const batched = layer.apply(params, nb.expandDims(x, 1), {
        h0: nb.expandDims(h0, 1),
        ...(kind === "LSTM" ? { c0: nb.expandDims(nb.mul(h0, 0.5), 1) } : {}),
      });
      expect(one.output.shape).toEqual([Tn, 2 * H]);
      expect(one.hidden.shape).toEqual([4, H]);
      expectClose(one.output, nb.squeeze(batched.output, 1), TOL, `${kind} output`);
      expectClose(one.hidden, nb.squeeze(batched.hidden, 1), TOL, `${kind} hidden`);
      const masked = layer.apply(params, x, { lengths: 2 });
      expectClose(nb.slice(masked.output, [2, 0]), nb.zeros([2, 2 * H]), TOL, `${kind} padded output`);
    }
  });

  it("lengths and the equivalent mask agree; a full mask is no mask", () => {
    const layer = nb.nn.LSTM(I, H, { batchFirst: true, bidirectional: true, dtype: "float64" });
    const { params } = layer.init(4);
    const x = randn(5, [B, Tn, I]);
    const a = layer.apply(params, x, { lengths: nb.array([3, 4, 1], { dtype: "int32" }) });
    const mask = nb.less(nb.arange(Tn), nb.array([[3], [4], [1]]));
    const b = layer.apply(params, x, { mask });
    expectClose(a.output, b.output, TOL, "output");
    expectClose(a.cell, b.cell, TOL, "cell");
    const full = layer.apply(params, x, { mask: nb.ones([B, Tn]) });
    expectClose(full.output, layer.apply(params, x).output, TOL, "full mask");
  });

  it("the output of a padded sequence is the output of the sequence alone", () => {
    const layer = nb.nn.GRU(I, H, { bidirectional: true, dtype: "float64" });
    const { params } = layer.init(6);
    const x = randn(7, [Tn, 2, I]);
    const got = layer.apply(params, x, { lengths: [2, 4] });
    const alone = layer.apply(params, nb.slice(x, [0, 0, 0], [2, 1, I]));
    expectClose(nb.slice(got.output, [0, 0, 0], [2, 1, 2 * H]), alone.output, TOL, "output");
    expectClose(nb.slice(got.hidden, [0, 0, 0], [2, 1, H]), alone.hidden, TOL, "hidden");
  });

  it("init draws U(−1/√H, 1/√H) for every parameter; counts match PyTorch's", () => {
    const lstm = nb.nn.LSTM(10, 20, { numLayers: 2 });
    const { params } = lstm.init(0);
    expect(nb.nn.countParams(params)).toBe(4 * 20 * (10 + 20 + 2) + 4 * 20 * (20 + 20 + 2));
    const all = Object.values(params).flatMap((t) => Array.from(t.dataSync()));
    const bound = 1 / Math.sqrt(20);
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(nb.nn.countParams(nb.nn.GRU(3, 5, { bias: false }).init(0).params)).toBe(3 * 5 * 8);
    expect(Object.keys(nb.nn.RNN(2, 3, { bidirectional: true }).init(0).params)).toEqual([
      "weightIhL0",
      "weightHhL0",
      "biasIhL0",
      "biasHhL0",
      "weightIhL0Reverse",
      "weightHhL0Reverse",
      "biasIhL0Reverse",
      "biasHhL0Reverse",
    ]);
    expect(lstm.outputShape([7, 2, 10])).toEqual([7, 2, 20]);
    expect(String(lstm)).toBe("LSTM(10, 20, numLayers=2)");
  });

  it("a float32 input or state with float64 parameters runs in float64", () => {
    for (const kind of KINDS) {
      const layer = layerOf(kind, I, H, { bidirectional: true });
      const { params } = layer.init(20);
      const x = randn(21, [Tn, B, I]);
      const h0 = randn(22, [2, B, H]);
      const want = layer.apply(params, x, { h0 });
      const got = layer.apply(params, nb.astype(x, "float32"), { h0: nb.astype(h0, "float32") });
      expect(got.output.dtype).toBe("float64");
      expectClose(got.output, want.output, { atol: 1e-6, rtol: 1e-5 }, kind);
    }
  });

  it("inside a Sequential, the layer contributes its output sequence", () => {
    const lstm = nb.nn.LSTM(I, H);
    const model = nb.nn.Sequential([lstm, nb.nn.Linear(H, 1)]);
    const { params } = model.init(0);
    expect(model.apply(params, nb.ones([Tn, B, I])).shape).toEqual([Tn, B, 1]);
  });
});

// ---- transformations ----------------------------------------------------------------------------------

describe("jit, vmap and derivatives", () => {
  it("jit gives eager's outputs, compiling each direction as one scan", () => {
    for (const kind of KINDS) {
      const layer = layerOf(kind, I, H, { numLayers: 2, bidirectional: true });
      const { params } = layer.init(8);
      const x = randn(9, [Tn, B, I]);
      const f = (p: nb.nn.RecurrentParams, x: T, h0: T) => {
        const r = layer.apply(p, x, { h0, lengths: [4, 2, 3] });
        return [r.output, r.hidden] as const;
      };
      const h0 = randn(10, [4, B, H]);
      const [y, h] = nb.jit(f)(params, x, h0);
      const [ye, he] = f(params, x, h0);
      expectClose(y, ye, { atol: 1e-12, rtol: 1e-12 }, `${kind} output`);
      expectClose(h, he, { atol: 1e-12, rtol: 1e-12 }, `${kind} hidden`);
      const program = String(nb.makeProgram(f)(params, x, h0));
      expect(program.match(/\bscan\b/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
    }
  });

  it("vmap over unbatched sequences is the batched layer", () => {
    for (const kind of KINDS) {
      const layer = layerOf(kind, I, H, { bidirectional: true, batchFirst: true });
      const { params } = layer.init(11);
      const x = randn(12, [B, Tn, I]);
      const one = (xi: T) => layer.apply(params, xi).output;
      expectClose(nb.vmap(one)(x), layer.apply(params, x).output, TOL, kind);
      // with per-sequence lengths mapped too
      const lens = nb.array([1, 4, 2], { dtype: "int32" });
      const masked = nb.vmap((xi: T, n: T) => layer.apply(params, xi, { lengths: n }).output)(x, lens);
      expectClose(masked, layer.apply(params, x, { lengths: lens }).output, TOL, `${kind} lengths`);
    }
  });

  for (const kind of KINDS)
    it(`checkGrads of ${kind} (order 2, float64): input, initial state and every parameter`, () => {
      const layer = layerOf(kind, 2, 2, { numLayers: 2, bidirectional: true });
      const { params } = layer.init(13);
      const x = randn(14, [3, 2, 2]);
      const h0 = nb.mul(randn(15, [4, 2, 2]), 0.5);
      const f = (p: nb.nn.RecurrentParams, x: T, h0: T) => {
        const r = layer.apply(p, x, { h0, lengths: [3, 2], ...(kind === "LSTM" ? { c0: h0 } : {}) });
        const c = (r as Partial<nb.nn.LSTMOutput>).cell;
        return nb.add(nb.sum(nb.sin(r.output)), nb.sum(nb.mul(r.hidden, c ?? r.hidden)));
      };
      // relu's kink: keep the inputs off it by checking the tanh-like kinds more strictly
      nb.checkGrads(f, [params, x, h0], { order: 2, modes: ["fwd", "rev"], atol: 1e-6, rtol: 1e-5 });
    });

  it("grad under jit matches eager grad (LSTM, the training step's shape)", () => {
    const layer = nb.nn.LSTM(I, H, { batchFirst: true, dtype: "float64" });
    const { params } = layer.init(16);
    const x = randn(17, [B, Tn, I]);
    const loss = (p: nb.nn.RecurrentParams) => nb.sum(nb.square(layer.apply(p, x).output));
    const ge = nb.grad(loss)(params);
    const gj = nb.jit(nb.grad(loss))(params);
    for (const k of Object.keys(ge)) expectClose(gj[k]!, ge[k]!, { atol: 1e-12, rtol: 1e-10 }, k);
  });
});

// ---- dropout --------------------------------------------------------------------------------------------

describe("dropout between layers", () => {
  const layer = nb.nn.LSTM(I, H, { numLayers: 3, dropout: 0.5, dtype: "float64" });
  const { params } = layer.init(18);
  const x = randn(19, [Tn, B, I]);

  it("drops only in training mode, the same key giving the same result, also under jit", () => {
    expect(layer.stochastic).toBe(true);
    expect(nb.nn.LSTM(I, H, { dropout: 0.5 }).stochastic).toBe(false); // one layer: nothing between layers
    const evalOut = layer.apply(params, x).output;
    const a = layer.apply(params, x, { train: true, key: nb.random.key(1) }).output;
    const b = layer.apply(params, x, { train: true, key: nb.random.key(1) }).output;
    const c = layer.apply(params, x, { train: true, key: nb.random.key(2) }).output;
    expectClose(a, b, TOL, "same key");
    expect(nb.max(nb.abs(nb.sub(a, evalOut))).item()).toBeGreaterThan(1e-6);
    expect(nb.max(nb.abs(nb.sub(a, c))).item()).toBeGreaterThan(1e-6);
    const jitted = nb.jit((k: nb.random.Key) => layer.apply(params, x, { train: true, key: k }).output);
    expectClose(jitted(nb.random.key(1)), a, TOL, "jit with a traced key");
    expect(() => layer.apply(params, x, { train: true })).toThrow(/LSTM\(3, 2, numLayers=3\): .*key/);
  });
});

// ---- errors ---------------------------------------------------------------------------------------------

describe("bad input errors name the layer and the argument", () => {
  const lstm = nb.nn.LSTM(3, 4, { numLayers: 2 });
  const { params } = lstm.init(0);

  it("input of the wrong rank or size", () => {
    expect(() => lstm.apply(params, nb.ones([5]))).toThrow(
      /LSTM\(3, 4, numLayers=2\): expected input of rank 3/,
    );
    expect(() => lstm.apply(params, nb.ones([2, 5, 2, 3]))).toThrow(
      /rank 3 .*got \[2, 5, 2, 3\]|got \[2,5,2,3\]/,
    );
    expect(() => lstm.apply(params, nb.ones([5, 2, 4]))).toThrow(
      /LSTM\(3, 4, numLayers=2\): .*inputSize = 3/,
    );
    expect(() => lstm.outputShape([5, 2, 4])).toThrow(/inputSize = 3/);
    expect(() => lstm.init(0, [5, 2])).toThrow(/inputSize = 3/);
  });

  it("initial states, lengths and masks of the wrong shape", () => {
    const x = nb.ones([5, 2, 3]);
    expect(() => lstm.apply(params, x, { h0: nb.zeros([1, 2, 4]) })).toThrow(/LSTM.*h0 has shape.*expected/);
    expect(() => lstm.apply(params, x, { c0: nb.zeros([2, 3, 4]) })).toThrow(/LSTM.*c0 has shape.*expected/);
    expect(() => lstm.apply(params, x, { lengths: [5, 2, 1] })).toThrow(/LSTM.*lengths has shape/);
    expect(() => lstm.apply(params, x, { lengths: [6, 2] })).toThrow(
      /LSTM.*lengths must be integers in \[0, 5\]/,
    );
    expect(() => lstm.apply(params, x, { mask: nb.ones([2, 5]) })).toThrow(/LSTM.*mask has shape/);
    expect(() => lstm.apply(params, x, { mask: nb.ones([5, 2]), lengths: [1, 2] })).toThrow(
      /lengths or mask/,
    );
    const gru = nb.nn.GRU(3, 4);
    expect(() => gru.apply(gru.init(0).params, x, { c0: nb.zeros([1, 2, 4]) })).toThrow(/GRU\(3, 4\): c0/);
  });

  it("params that are missing or of the wrong shape", () => {
    const x = nb.ones([5, 2, 3]);
    const { weightHhL1: _, ...missing } = params;
    expect(() => lstm.apply(missing, x)).toThrow(/LSTM.*no tensor "weightHhL1"/);
    expect(() => lstm.apply({ ...params, biasIhL0: nb.zeros([4]) }, x)).toThrow(
      /params.biasIhL0 has shape \[4\], expected \[16\]/,
    );
  });

  it("bad options", () => {
    expect(() => nb.nn.LSTM(3, 0)).toThrow(/LSTM: hiddenSize must be a positive integer/);
    expect(() => nb.nn.GRU(0, 3)).toThrow(/GRU: inputSize must be a positive integer/);
    expect(() => nb.nn.RNN(3, 4, { numLayers: 1.5 })).toThrow(/RNN: numLayers must be a positive integer/);
    expect(() => nb.nn.LSTM(3, 4, { dropout: 1 })).toThrow(/LSTM: dropout must be a number in \[0, 1\)/);
    expect(() => nb.nn.RNN(3, 4, { nonlinearity: "sigmoid" as "tanh" })).toThrow(/RNN: nonlinearity must be/);
    expect(() => nb.nn.GRU(3, 4, { nonlinearity: "relu" } as nb.nn.RecurrentOptions)).toThrow(
      /GRU: unknown option "nonlinearity"/,
    );
    expect(() => nb.nn.LSTM(3, 4, { batch_first: true } as nb.nn.RecurrentOptions)).toThrow(
      /unknown option "batch_first"/,
    );
    expect(() => nb.nn.LSTM(3, 4, { bidirectional: 1 as unknown as boolean })).toThrow(
      /bidirectional must be true or false/,
    );
  });

  it("hiddenSize may be given in the options object", () => {
    const a = nb.nn.GRU(3, { hiddenSize: 4, numLayers: 2 });
    expect(a.hiddenSize).toBe(4);
    expect(String(a)).toBe("GRU(3, 4, numLayers=2)");
  });
});
