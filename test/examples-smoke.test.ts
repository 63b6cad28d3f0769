// Smoke tests of examples/: each runs from its one command with --quick in a child process, exits 0,
// writes its pictures and prints its headline metric last as `name: value`.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const outRoot = mkdtempSync(join(tmpdir(), "nabla-examples-"));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx examples/run.ts ...args` from the repository root. */
function runExample(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "examples/run.ts", ...args],
      { cwd: root, timeout: 120_000, maxBuffer: 1 << 24, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const HEADLINE = /^([\w-]+): ([-\d.e]+)$/;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

/** Runs an example quickly into its own folder; checks the exit code, the headline and the pictures. */
async function quickRun(
  name: string,
): Promise<{ metric: string; value: number; stdout: string; files: string[] }> {
  const out = join(outRoot, name);
  const r = await runExample([name, "--quick", "--out", out]);
  if (r.code !== 0) expect.fail(`${name} exited with ${r.code}\n${r.stderr}\n${r.stdout}`);
  const last = r.stdout.trimEnd().split("\n").at(-1)!;
  const m = HEADLINE.exec(last);
  expect(m, `${name}: last line "${last}" is not "name: value"`).not.toBeNull();
  const files = existsSync(out) ? readdirSync(out) : [];
  for (const f of files.filter((f) => f.endsWith(".png")))
    expect([...readFileSync(join(out, f)).subarray(0, 4)], `${name}: ${f} is not a PNG`).toEqual(PNG_MAGIC);
  return { metric: m![1]!, value: Number(m![2]), stdout: r.stdout, files };
}

const TIMEOUT = 150_000;

describe.concurrent("examples (--quick)", () => {
  it(
    "linear-regression: gradient descent approaches the closed form",
    async () => {
      const r = await quickRun("linear-regression");
      expect(r.metric).toBe("max-coef-diff");
      expect(r.value).toBeLessThan(1e-2);
      expect(r.files).toContain("linear-regression.png");
    },
    TIMEOUT,
  );

  it(
    "backprop-by-hand: hand-derived gradients equal nb.grad",
    async () => {
      const r = await quickRun("backprop-by-hand");
      expect(r.metric).toBe("max-grad-diff");
      expect(r.value).toBeLessThanOrEqual(1e-12);
      expect(r.files).toContain("backprop-by-hand.png");
    },
    TIMEOUT,
  );

  it(
    "mnist-mlp: learns well above chance from 1,000 digits",
    async () => {
      const r = await quickRun("mnist-mlp");
      expect(r.metric).toBe("accuracy");
      expect(r.value).toBeGreaterThan(0.5);
      expect(r.stdout).toMatch(/training time: [\d.]+ s/);
      expect(r.files).toEqual(expect.arrayContaining(["mnist-mlp-loss.png", "mnist-mlp-mistakes.png"]));
    },
    TIMEOUT,
  );

  it(
    "mnist-cnn: learns above chance from 1,000 digits",
    async () => {
      const r = await quickRun("mnist-cnn");
      expect(r.metric).toBe("accuracy");
      expect(r.value).toBeGreaterThan(0.3);
      expect(r.files).toEqual(expect.arrayContaining(["mnist-cnn-loss.png", "mnist-cnn-filters.png"]));
    },
    TIMEOUT,
  );

  it(
    "embeddings: sentiment accuracy, skip-gram vectors, third derivatives against closed forms",
    async () => {
      const r = await quickRun("embeddings");
      expect(r.metric).toBe("accuracy");
      expect(r.value).toBeGreaterThanOrEqual(0.5);
      expect(r.stdout).toContain("nb.derivative(loss, 3)(e) has shape [16,16,16]");
      expect(r.files).toContain("embeddings-letters.png");
    },
    TIMEOUT,
  );

  it(
    "names-rnn: a GRU over the letters of names beats a uniform model in bits per character",
    async () => {
      const r = await quickRun("names-rnn");
      expect(r.metric).toBe("bits-per-char");
      const m = /uniform ([\d.]+), bigram ([\d.]+), GRU ([\d.]+)/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(r.stdout).toContain("bits per character");
      expect(Number(m![3])).toBeCloseTo(r.value, 2);
      expect(r.value).toBeLessThan(Number(m![1]));
      expect(r.stdout).toMatch(/sampled names: /);
    },
    TIMEOUT,
  );

  it(
    "image-derivatives: Sobel derivatives of the photo as PNG",
    async () => {
      const r = await quickRun("image-derivatives");
      expect(r.metric).toBe("edge-mean");
      expect(r.value).toBeGreaterThan(0.005);
      expect(r.value).toBeLessThan(0.5);
      expect(r.files).toEqual(
        expect.arrayContaining([
          "image-derivatives.png",
          "image-derivatives-edges.png",
          "image-derivatives-dxxx.png",
        ]),
      );
    },
    TIMEOUT,
  );

  it(
    "gan-2d: trains and draws real vs generated samples",
    async () => {
      const r = await quickRun("gan-2d");
      expect(r.metric).toBe("mode-tv-distance");
      expect(r.value).toBeGreaterThanOrEqual(0);
      expect(r.value).toBeLessThanOrEqual(1);
      expect(r.files).toContain("gan-2d.png");
    },
    TIMEOUT,
  );

  it(
    "optimizers: five optimizers' loss curves on one chart",
    async () => {
      const r = await quickRun("optimizers");
      expect(r.metric).toBe("best-final-loss");
      expect(r.value).toBeLessThan(0.5);
      for (const m of ["GD", "SGD", "momentum", "RMSProp", "Adam"]) expect(r.stdout).toContain(m);
      expect(r.files).toContain("optimizers.png");
    },
    TIMEOUT,
  );

  it.skipIf(!existsSync(join(root, "examples/optimizers-curvature.ts")))(
    "optimizers-curvature runs (its --out folder becomes a file name)",
    async () => {
      const r = await quickRun("optimizers-curvature");
      expect(r.files).toContain("optimizers-curvature.svg");
    },
    TIMEOUT,
  );

  it(
    "gp-regression: a GP on Mauna Loa CO₂ beats a linear trend on the held-out months, with Laplace error bars",
    async () => {
      const r = await quickRun("gp-regression");
      expect(r.metric).toBe("rmse");
      const m = /linear trend ([\d.]+), quadratic trend ([\d.]+), GP ([\d.]+) ppm/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(r.value).toBeLessThan(Number(m![1]));
      expect(r.stdout).toMatch(/σ noise \(ppm\) +[\d.]+ +-?[\d.]+ ± [\d.]+/);
      expect(r.files).toContain("gp-regression.png");
    },
    TIMEOUT,
  );

  it(
    "cartpole: REINFORCE returns beat a random policy's",
    async () => {
      const r = await quickRun("cartpole");
      expect(r.metric).toBe("mean-return");
      const m = /a random policy: mean return ([\d.]+)/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(r.value).toBeGreaterThan(2 * Number(m![1]));
      expect(r.stdout).toMatch(/training episodes used: \d+/);
      expect(r.files).toContain("cartpole.png");
    },
    TIMEOUT,
  );

  it(
    "forecast: Holt–Winters fitted through lax.scan beats fixed-α smoothing on the held-out months",
    async () => {
      const r = await quickRun("forecast");
      expect(r.metric).toBe("holt-winters-rmse");
      const m = /exponential smoothing ([\d.]+), Holt–Winters ([\d.]+), LSTM ([\d.]+) ppm/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(Number(m![2])).toBeCloseTo(r.value, 2);
      expect(r.value).toBeLessThan(Number(m![1]));
      expect(r.stdout).toMatch(
        /fitted α = [\d.e-]+ \(level\), β = [\d.e-]+ \(trend\), γ = [\d.e-]+ \(season\)/,
      );
      expect(r.files).toContain("forecast.png");
    },
    TIMEOUT,
  );

  it(
    "hypergradients: grad and hessian through the training scan match finite differences",
    async () => {
      const r = await quickRun("hypergradients");
      expect(r.metric).toBe("hypergradient-test-loss");
      const g = /hypergradient vs finite differences: max relative difference ([\d.e-]+)/.exec(r.stdout);
      expect(g, r.stdout).not.toBeNull();
      expect(Number(g![1])).toBeLessThan(1e-5);
      const h = /Hessian vs finite differences: max difference \/ max entry ([\d.e-]+)/.exec(r.stdout);
      expect(h, r.stdout).not.toBeNull();
      expect(Number(h![1])).toBeLessThan(1e-4);
      const m =
        /grid search: validation ([\d.]+), test ([\d.]+) \((\d+) runs\); hypergradients: validation ([\d.]+), test ([\d.]+) \((\d+) runs\)/.exec(
          r.stdout,
        );
      expect(m, r.stdout).not.toBeNull();
      expect(Number(m![5])).toBeCloseTo(r.value, 3);
      expect(Number(m![3])).toBeGreaterThanOrEqual(Number(m![6]));
      expect(Number(m![4])).toBeLessThan(0.6);
      expect(r.files).toContain("hypergradients.png");
    },
    TIMEOUT,
  );

  it(
    "supply-chain: projected gradient and minimize with bounds reach the exact optimum",
    async () => {
      const r = await quickRun("supply-chain");
      expect(r.metric).toBe("optimality-gap");
      expect(r.value).toBeLessThan(1e-6);
      expect(r.stdout).toMatch(/exact optimum: cost [\d.]+ \(primal-dual active set, \d+ KKT solves/);
      expect(r.stdout).toMatch(
        /augmented Lagrangian \+ minimize\(bounds\) +cost [\d.]+ +gap +[-\d.e]+ +violation +[\d.e-]+/,
      );
      expect(r.files).toEqual(expect.arrayContaining(["supply-chain.png", "supply-chain-allocation.png"]));
    },
    TIMEOUT,
  );

  it(
    "tour runs",
    async () => {
      const r = await runExample(["tour", "--quick"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("all derivatives agree to order 3");
    },
    TIMEOUT,
  );

  it(
    "names-lm: an LSTM and a causal transformer beat a uniform model in bits per character",
    async () => {
      const r = await quickRun("names-lm");
      expect(r.metric).toBe("transformer-bits-per-char");
      const m = /uniform ([\d.]+), bigram ([\d.]+), LSTM ([\d.]+) .*transformer ([\d.]+)/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      const [uniform, bigram, lstm, transformer] = m!.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
      ];
      expect(bigram).toBeCloseTo(3.297, 2);
      expect(r.stdout).toMatch(/^bigram-bits-per-char: [\d.]+$/m);
      expect(r.stdout).toMatch(/^lstm-bits-per-char: [\d.]+$/m);
      expect(transformer).toBeCloseTo(r.value, 2);
      expect(lstm).toBeLessThan(uniform - 0.5);
      expect(transformer).toBeLessThan(uniform - 0.5);
      expect(r.stdout).toMatch(/LSTM names: /);
      expect(r.stdout).toMatch(/transformer names: /);
      const diff = /largest logit difference ([\d.e+-]+)/.exec(r.stdout);
      expect(Number(diff![1])).toBeLessThan(1e-3);
      expect(r.files).toContain("names-lm.png");
    },
    TIMEOUT,
  );

  it(
    "maintenance: derivative and autoencoder detectors beat flagging every window on the test span",
    async () => {
      const r = await quickRun("maintenance");
      expect(r.metric).toBe("autoencoder-f1");
      const m = /flag every window ([\d.]+), derivatives ([\d.]+), autoencoder ([\d.]+)/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      const [trivial, deriv, ae] = m!.slice(1).map(Number) as [number, number, number];
      expect(ae).toBeCloseTo(r.value, 2);
      expect(deriv).toBeGreaterThan(trivial);
      expect(ae).toBeGreaterThan(trivial);
      for (const k of [
        "derivative-precision",
        "derivative-recall",
        "autoencoder-precision",
        "autoencoder-recall",
      ])
        expect(r.stdout).toMatch(new RegExp(`^${k}: [\\d.]+$`, "m"));
      expect(r.files).toContain("maintenance.png");
    },
    TIMEOUT,
  );

  it(
    "path-planning: the optimized path is feasible and shorter than A*'s grid path",
    async () => {
      const r = await quickRun("path-planning");
      expect(r.metric).toBe("optimized-length");
      const astar = /^A\* \(grid\) +length ([\d.]+)/m.exec(r.stdout);
      expect(astar, r.stdout).not.toBeNull();
      expect(r.value).toBeLessThan(Number(astar![1]));
      expect(r.stdout).toMatch(/greedy \(seeds\) +length [\d.]+/);
      const best =
        /^optimized from A\* +length ([\d.]+), +\d+ points, least clearance ([-\d.]+) \(feasible\)/m.exec(
          r.stdout,
        );
      expect(best, r.stdout).not.toBeNull();
      expect(Number(best![1])).toBeCloseTo(r.value, 3);
      expect(Number(best![2])).toBeGreaterThanOrEqual(0.15);
      expect(r.files).toContain("path-planning.png");
    },
    TIMEOUT,
  );
});

describe("examples/run.ts", () => {
  it("lists the examples and exits 1 for an unknown name", async () => {
    const r = await runExample(["no-such-example"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown example "no-such-example"');
    for (const name of ["mnist-mlp", "mnist-cnn", "gan-2d", "image-derivatives"])
      expect(r.stderr).toContain(name);
  });

  it("lists the examples and exits 0 without a name", async () => {
    const r = await runExample([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: npm run example <name> [--quick] [--out DIR]");
  });
});
