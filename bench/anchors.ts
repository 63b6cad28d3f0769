// Other libraries' numbers for the same workloads on this machine, from shared/anchors/RESULTS.md
// (median of ≥5 runs, float32, one thread unless noted). Lower is better for every unit here.
export const anchors: Record<string, Record<string, number>> = {
  B8: { "pytorch-1T": 5.9, "tfjs-cpu": 20.9, "tfjs-wasm": 32.5, "jax-js-eager": 44.1, "jax-js-jit": 3.2 },
  "B8-fwd": { "pytorch-1T": 1.28, "tfjs-cpu": 1.6, "tfjs-wasm": 3.34, "jax-js-eager": 8.6 },
  "B5-100": {
    "pytorch-1T-vectorized": 0.58,
    "pytorch-1T-loop": 6.6,
    "jax-js-eager": 22.9,
    "jax-js-jit": 7.4,
    "tfjs-cpu": 46.8,
  },
  B6: {
    "pytorch-1T-vectorized": 16.9,
    "pytorch-1T-loop": 232,
    "jax-js-eager": 44.7,
    "jax-js-jit": 6.7,
    "tfjs-cpu": 194,
  },
  "B7-k1": { "pytorch-1T": 0.53, "jax-js-eager": 6.0, "jax-js-jit": 3.6, "tfjs-cpu": 30.8 },
  "B7-k2": { "pytorch-1T": 1.29, "jax-js-eager": 12.9, "jax-js-jit": 3.3, "tfjs-cpu": 80.3 },
  "B7-k3": { "pytorch-1T": 3.58, "jax-js-eager": 27.9, "jax-js-jit": 3.5, "tfjs-cpu": 213 },
};
