// Numbers recorded in shared/anchors/RESULTS.md (float32, one thread), and for B11 and B12 in
// shared/anchors/round2/table_p5.md. They stand in for a library that is not installed or not run (JAX and
// PyTorch included, when python3 cannot import them). Keys are `${workload}/${size}`; B3 is in ms per step
// (steps/s is derived), B8 in µs per op.

const series = (workload: string, sizes: string[], values: (number | undefined)[]) =>
  Object.fromEntries(
    sizes.flatMap((s, i) => (values[i] === undefined ? [] : [[`${workload}/${s}`, values[i]!] as const])),
  );

const K = ["1", "2", "3", "4", "5"];
const B8 = ["fwd+bwd", "fwd"];

/** One row per workload: B1 (256, 512, 1024), B2, B3, B4, B5 (100, 300), B6, B7 (k = 1…5), B8 (fwd+bwd, fwd). */
function table(v: {
  b1: number[];
  b2?: number;
  b3?: number;
  b4?: number;
  b5: (number | undefined)[];
  b6?: number;
  b7: number[];
  b8: (number | undefined)[];
}): Record<string, number> {
  return {
    ...series("B1", ["256", "512", "1024"], v.b1),
    ...series("B2", ["1e6"], [v.b2]),
    ...series("B3", ["128"], [v.b3]),
    ...series("B4", ["1e6"], [v.b4]),
    ...series("B5", ["100", "300"], v.b5),
    ...series("B6", ["20"], [v.b6]),
    ...series("B7", K, v.b7),
    ...series("B8", B8, v.b8),
  };
}

/** Recorded values by column key `${library}/${mode}`. tfjs B5–B7 (k ≥ 2) use the customGrad workaround. */
export const recorded: Record<string, Record<string, number>> = {
  "tfjs-cpu/eager": table({
    b1: [0.88, 0.79, 0.86],
    b2: 71.7,
    b3: 182,
    b4: 328,
    b5: [46.8, 380],
    b6: 194,
    b7: [30.8, 80.3, 213, 462, 1057],
    b8: [20.9, 1.6],
  }),
  "tfjs-wasm/eager": table({
    b1: [26.6, 26.9, 28.1],
    b2: 29.6,
    b3: 43.6,
    b4: 29.7,
    b5: [35.3, 252],
    b6: 191,
    b7: [8.7, 19.5, 44.2, 92.6, 193],
    b8: [32.5, 3.34],
  }),
  "jax-js/eager": table({
    b1: [19.6, 23.8, 23.0],
    b2: 22.7,
    b3: 14.6,
    b4: 18.3,
    b5: [22.9, 128],
    b6: 44.7,
    b7: [6.0, 12.9, 27.9, 67.7, 111],
    b8: [44.1, 8.6],
  }),
  "jax-js/jit": table({
    b1: [],
    b2: 18.7,
    b3: 11.5,
    b4: 7.7,
    b5: [7.4, 187],
    b6: 6.7,
    b7: [3.6, 3.3, 3.5, 4.9, 5.1],
    b8: [3.2, undefined],
  }),
  // PyTorch 2.13 (MKL wheel), 1 thread, the fastest of its eager variants (autograd or torch.func).
  "torch/eager": table({
    b1: [101, 97, 89],
    b2: 5.5,
    b3: 2.25,
    b4: 9.6,
    b5: [0.8, 2.3],
    b6: 2.01,
    b7: [0.87, 1.53, 4.76, 9.82, 21.7],
    b8: [8.28, 1.49],
  }),
  // JAX 0.10.2 (XLA), one core (taskset), jax.jit; B8 is the unrolled graph, B7 jit(vmap(grad^k)).
  "jax/jit": table({
    b1: [102, 109, 100],
    b2: 0.9,
    b3: 1.71,
    b4: 0.91,
    b5: [0.077, 1.24],
    b6: 0.041,
    b7: [0.77, 0.78, 0.78, 0.95, 0.99],
    b8: [2.28, 0.0065],
  }),
};

/** B11 (CNN step) and B12 (transformer block) from round2/table_p5.md: medians over three windows. */
const P5: Record<string, [cnn: number, transformer: number]> = {
  "jax/jit": [7.35, 9.96],
  "jax/eager": [24.5, 55.7],
  "torch/eager": [8.48, 11.3], // 1 thread
};
for (const [key, [cnn, block]] of Object.entries(P5))
  recorded[key] = { ...recorded[key], "B11/64": cnn, "B12/8x64x128": block };
// table_p5.md has one row each for TensorFlow.js: the CNN on tfjs-cpu, the block on tfjs-wasm.
recorded["tfjs-cpu/eager"]!["B11/64"] = 886;
recorded["tfjs-wasm/eager"]!["B12/8x64x128"] = 279;

/** Where a recorded number comes from: table_p5.md for B11 and B12, RESULTS.md for the rest. */
export const recordedSource = (workload: string) =>
  workload === "B11" || workload === "B12" ? "round2/table_p5.md" : "RESULTS.md";
