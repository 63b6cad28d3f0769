// Runs one example by name, `npm run example <name> [--quick] [--out DIR]`; lists them when the name is missing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Every example: its name (the file examples/<name>.ts) and what it shows. */
const examples: [name: string, description: string][] = [
  ["tour", "a short tour: derivatives of any order, staged programs, vmap, checkGrads"],
  ["linear-regression", "linear regression by gradient descent against the closed-form solution"],
  ["backprop-by-hand", "backpropagation by hand in a two-weight sigmoid network, checked against nb.grad"],
  ["mnist-mlp", "an MLP on MNIST: ≥ 95% accuracy on 2,000 held-out digits"],
  ["mnist-cnn", "a small CNN on MNIST: ≥ 97% accuracy on 2,000 held-out digits"],
  ["embeddings", "a sentiment model, skip-gram character vectors, third derivatives w.r.t. an embedding"],
  [
    "names-rnn",
    "a character-level GRU on first names (lax.scan under jit): bits per character, sampled names",
  ],
  ["image-derivatives", "Sobel derivatives of order 1–3 and edge magnitude of a real photo, as PNG"],
  ["gan-2d", "a GAN learning a ring of 8 Gaussians, with a picture of real vs generated samples"],
  ["optimizers", "GD, SGD, momentum, RMSProp and Adam on one problem: loss curves on one chart"],
  ["optimizers-curvature", "Newton-type vs first-order optimizers on Rosenbrock: table and contour plot"],
  [
    "gp-regression",
    "Gaussian-process regression on Mauna Loa CO₂: hyperparameters by nb.linalg + nb.grad, Laplace error bars",
  ],
  ["cartpole", "REINFORCE with a baseline on cart-pole dynamics: ≥ 475 mean return, learning curve"],
  [
    "forecast",
    "Mauna Loa CO₂ forecasts: fixed-α smoothing, Holt–Winters fitted by grad through scan, an LSTM",
  ],
  ["names-lm", "an LSTM and a small causal transformer on first names against a bigram model; sampled names"],
  [
    "maintenance",
    "sensor faults flagged by derivatives of a smoothed signal and by an autoencoder: precision/recall",
  ],
  [
    "hypergradients",
    "learning rate and weight decay tuned by grad and hessian through an unrolled training scan, vs grid search",
  ],
  ["path-planning", "a path around obstacles by L-BFGS on a smooth cost, against greedy grid search and A*"],
  [
    "supply-chain",
    "warehouse-to-store allocation: projected gradient and minimize with bounds against the exact optimum",
  ],
];

const available = examples.filter(([name]) => existsSync(join(here, `${name}.ts`)));

function usage(): string {
  const width = Math.max(...available.map(([n]) => n.length));
  return [
    "usage: npm run example <name> [--quick] [--out DIR]",
    "",
    "  --quick     the small size the smoke tests run (a few seconds)",
    "  --out DIR   where pictures go (default out/)",
    "",
    "examples:",
    ...available.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`),
  ].join("\n");
}

/**
 * `npm run example mnist-mlp --quick` (without `--`) hands --quick and --out to npm, which passes them on
 * as npm_config_quick / npm_config_out; put them back so both spellings work.
 */
function npmFlags(args: string[]): string[] {
  const env = process.env;
  if (env.npm_lifecycle_event !== "example") return args;
  const out = [...args];
  if (env.npm_config_quick === "true" && !out.includes("--quick")) out.push("--quick");
  const dir = env.npm_config_out;
  if (dir !== undefined && !out.some((a) => a === "--out" || a.startsWith("--out="))) {
    // `--out DIR` leaves DIR as a plain argument after the name; `--out=DIR` sets the value itself.
    const at = out.findIndex((a, i) => i > 0 && !a.startsWith("-"));
    if (dir !== "true") out.push("--out", dir);
    else if (at > 0) out.splice(at, 1, "--out", out[at]!);
  }
  return out;
}

const [name, ...rest] = npmFlags(process.argv.slice(2));
if (name === undefined || name === "--help" || name === "-h" || name === "list") {
  // Asking what there is (no name, --help, list) is not an error.
  console.log(usage());
  process.exit(0);
}
if (!available.some(([n]) => n === name)) {
  console.error(`unknown example "${name}"\n\n${usage()}`);
  process.exit(1);
}

const file = join(here, `${name}.ts`);
process.argv = [process.argv[0]!, file, ...rest];
try {
  await import(pathToFileURL(file).href);
} catch (e) {
  console.error(e);
  process.exit(1);
}
