// A small MLP classifier on 2-D toy data, trained with nb.valueAndGrad; per-layer gradient norms recorded.
import * as nb from "nabla";

nb.setDefaultFloat("float64");

export type Activation = "relu" | "tanh" | "sigmoid";
export type DatasetKind = "spirals" | "moons" | "circles" | "xor";
export type OptimizerKind = "sgd" | "momentum" | "adam";

export interface TrainConfig {
  dataset: DatasetKind;
  /** Number of points (both classes together). */
  points: number;
  noise: number;
  seed: number;
  activation: Activation;
  /** Hidden layers, each `width` wide: 2 → width → … → width → 2. */
  layers: number;
  width: number;
  /** Weights start as N(0, (scale/√fan_in)²): 1 keeps signals steady for tanh, √2 for relu. */
  initScale: number;
  optimizer: OptimizerKind;
  lr: number;
}

export const LIMITS = { points: [20, 1000], layers: [1, 8], width: [2, 64], noise: [0, 1] } as const;

export interface Dataset {
  /** Row-major n × 2. */
  X: Float64Array;
  /** Class 0 or 1 per row. */
  y: Int32Array;
}

const TAU = 2 * Math.PI;

/** Two interleaved classes of 2-D points in about [−1, 1]², from nb.random with the given seed. */
export function makeDataset(kind: DatasetKind, n: number, noise: number, seed: number): Dataset {
  const [ka, kb, kc] = nb.random.split(nb.random.key(seed), 3);
  const u = nb.random.uniform(ka!, [n]).dataSync();
  const v = nb.random.uniform(kc!, [n]).dataSync();
  const eps = nb.random.normal(kb!, [n, 2]).dataSync();
  const X = new Float64Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Number(u[i]);
    let px: number;
    let py: number;
    if (kind === "spirals") {
      const r = 0.08 + 0.92 * t;
      const a = 1.75 * TAU * t + c * Math.PI;
      [px, py] = [r * Math.cos(a), r * Math.sin(a)];
    } else if (kind === "moons") {
      const a = Math.PI * t;
      [px, py] = c === 0 ? [Math.cos(a), Math.sin(a)] : [1 - Math.cos(a), 0.5 - Math.sin(a)];
      [px, py] = [(px - 0.5) * 0.8, (py - 0.25) * 0.8];
    } else if (kind === "circles") {
      const a = TAU * t;
      const r = c === 0 ? 0.95 : 0.45;
      [px, py] = [r * Math.cos(a), r * Math.sin(a)];
    } else {
      [px, py] = [2 * t - 1, 2 * Number(v[i]) - 1];
      y[i] = px * py > 0 ? 0 : 1;
    }
    if (kind !== "xor") y[i] = c;
    X[2 * i] = px + noise * 0.25 * Number(eps[2 * i]);
    X[2 * i + 1] = py + noise * 0.25 * Number(eps[2 * i + 1]);
  }
  return { X, y };
}

type Params = nb.Tensor[];

const act = (kind: Activation, h: nb.Tensor): nb.Tensor =>
  kind === "relu" ? nb.relu(h) : kind === "tanh" ? nb.tanh(h) : nb.sigmoid(h);

/** The network's logits: params are [W1, b1, W2, b2, …]. */
export function forward(params: Params, X: nb.Tensor, activation: Activation): nb.Tensor {
  let h = X;
  const L = params.length / 2;
  for (let l = 0; l < L; l++) {
    h = nb.add(nb.matmul(h, params[2 * l]!), params[2 * l + 1]!);
    if (l < L - 1) h = act(activation, h);
  }
  return h;
}

export interface TrainSnapshot {
  step: number;
  loss: number;
  accuracy: number;
  /** ‖∂loss/∂(W, b)‖ per layer, input side first. */
  gradNorms: number[];
}

/** Holds the data, parameters and optimizer state; `step()` does one full-batch update. */
export class Trainer {
  readonly data: Dataset;
  params: Params;
  stepCount = 0;
  private readonly X: nb.Tensor;
  private readonly onehot: nb.Tensor;
  private readonly lossGrad: (p: Params) => [nb.Tensor, Params];
  private m: Params;
  private v: Params;

  constructor(public config: TrainConfig) {
    const n = Math.round(clamp(config.points, LIMITS.points));
    this.data = makeDataset(config.dataset, n, clamp(config.noise, LIMITS.noise), config.seed);
    this.X = nb.reshape(nb.array(this.data.X, { dtype: "float64" }), [n, 2]);
    const labels = nb.array(this.data.y, { dtype: "int32" });
    this.onehot = nb.astype(nb.equal(nb.expandDims(labels, 1), nb.arange(2)), "float64");
    const sizes = [
      2,
      ...Array(Math.round(clamp(config.layers, LIMITS.layers))).fill(
        Math.round(clamp(config.width, LIMITS.width)),
      ),
      2,
    ];
    const keys = nb.random.split(nb.random.key(config.seed + 1), sizes.length);
    this.params = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l]!, sizes[l + 1]!];
      this.params.push(
        nb.mul(nb.random.normal(keys[l]!, [fanIn, fanOut]), config.initScale / Math.sqrt(fanIn)),
      );
      this.params.push(nb.zeros([fanOut], { dtype: "float64" }));
    }
    this.m = this.params.map((p) => nb.zerosLike(p));
    this.v = this.params.map((p) => nb.zerosLike(p));
    const activation = config.activation;
    const loss = (p: Params) =>
      nb.neg(
        nb.mean(nb.sum(nb.mul(nb.logSoftmax(forward(p, this.X, activation), 1), this.onehot), { axis: 1 })),
      );
    this.lossGrad = nb.valueAndGrad(loss) as unknown as (p: Params) => [nb.Tensor, Params];
  }

  /** One update; returns the loss and gradient norms measured before it. */
  step(): TrainSnapshot {
    const [lossT, grads] = this.lossGrad(this.params);
    const gradNorms: number[] = [];
    for (let l = 0; l < grads.length / 2; l++) {
      const w = nb.sum(nb.square(grads[2 * l]!)).item();
      const b = nb.sum(nb.square(grads[2 * l + 1]!)).item();
      gradNorms.push(Math.sqrt(w + b));
    }
    const { optimizer, lr } = this.config;
    const t = this.stepCount + 1;
    this.params = this.params.map((p, i) => {
      const g = grads[i]!;
      if (optimizer === "sgd") return nb.sub(p, nb.mul(g, lr));
      if (optimizer === "momentum") {
        this.m[i] = nb.add(nb.mul(this.m[i]!, 0.9), g);
        return nb.sub(p, nb.mul(this.m[i]!, lr));
      }
      this.m[i] = nb.add(nb.mul(this.m[i]!, 0.9), nb.mul(g, 0.1));
      this.v[i] = nb.add(nb.mul(this.v[i]!, 0.999), nb.mul(nb.square(g), 0.001));
      const mh = nb.div(this.m[i]!, 1 - 0.9 ** t);
      const vh = nb.div(this.v[i]!, 1 - 0.999 ** t);
      return nb.sub(p, nb.mul(nb.div(mh, nb.add(nb.sqrt(vh), 1e-8)), lr));
    });
    const snap = { step: this.stepCount, loss: lossT.item(), accuracy: Number.NaN, gradNorms };
    this.stepCount++;
    return snap;
  }

  /** The fraction of points classified correctly by the current parameters. */
  accuracy(): number {
    const pred = nb.argmax(forward(this.params, this.X, this.config.activation), { axis: 1 }).dataSync();
    let ok = 0;
    for (let i = 0; i < this.data.y.length; i++) if (Number(pred[i]) === this.data.y[i]) ok++;
    return ok / this.data.y.length;
  }

  /** P(class 1) on a res × res grid over [−extent, extent]², rows from bottom to top. */
  boundary(res: number, extent: number): Float64Array {
    const pts = new Float64Array(res * res * 2);
    for (let j = 0; j < res; j++)
      for (let i = 0; i < res; i++) {
        const k = 2 * (j * res + i);
        pts[k] = -extent + (2 * extent * i) / (res - 1);
        pts[k + 1] = -extent + (2 * extent * j) / (res - 1);
      }
    const X = nb.reshape(nb.array(pts, { dtype: "float64" }), [res * res, 2]);
    const p = nb.softmax(forward(this.params, X, this.config.activation), 1);
    const d = nb.reshape(nb.slice(p, [0, 1], [res * res, 1]), [res * res]).dataSync();
    return Float64Array.from(d as ArrayLike<number>, Number);
  }
}

function clamp(v: number, [lo, hi]: readonly [number, number]): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
}
