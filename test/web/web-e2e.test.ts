// End-to-end tests of the playground in a real browser: Debian chromium driven by playwright-core.
// Builds web/ into .tmp, serves it with web/serve.ts on a free loopback port, saves screenshots in
// test-artifacts/web/. A second page in the same folder (threads.html, built here) exposes the threaded
// kernels, to check that the isolated page runs them on Web Workers.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../web/serve.js";
import { CHROMIUM, CHROMIUM_FLAGS } from "../util/chromium.js";

const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = path.resolve("test-artifacts/web");
const DIST = path.resolve(".tmp/web-e2e-dist");

if (!HAVE_CHROMIUM)
  console.warn(
    "\n[web e2e] SKIPPED: /usr/bin/chromium is not installed. `.ci/run` installs it (apt-get install -y chromium).\n",
  );

/** Reads a number the page printed with a real minus sign. */
const num = (s: string | null): number => Number(String(s).replace(/\u2212/g, "-"));

const fp = (x: number) => 4 * x ** 3 - 6 * x ** 2 + 6 * x - 4;

const abs = (p: string) => JSON.stringify(path.resolve(p));
/** The kernels on `globalThis.nablaThreads`; `?threads=N` sets NABLA_THREADS first. Minified, as in the playground. */
const THREADS_ENTRY = `
const n = new URLSearchParams(location.search).get("threads");
if (n !== null) globalThis.NABLA_THREADS = n;
import { threadedMatmul, threadsReady } from ${abs("src/backend/threads/matmul.ts")};
import { splitStats } from ${abs("src/backend/threads/elementwise.ts")};
import { sharedPool, threadCount } from ${abs("src/backend/threads/pool.ts")};
import { compileSimdF32 } from ${abs("src/backend/wasm/elementwise.ts")};
import { wasmMatmul } from ${abs("src/backend/wasm/matmul.ts")};
globalThis.nablaThreads = { threadedMatmul, threadsReady, splitStats, sharedPool, threadCount, compileSimdF32, wasmMatmul };
`;

async function buildThreadsPage(): Promise<void> {
  await build({
    stdin: { contents: THREADS_ENTRY, loader: "ts", resolveDir: path.resolve(".") },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile: path.join(DIST, "threads.js"),
    logLevel: "error",
    plugins: [
      {
        name: "node-stub",
        setup(b) {
          b.onResolve({ filter: /^(node:.*|@resvg\/resvg-js|linkedom)$/ }, () => ({
            path: path.resolve("web/src/node-stub.ts"),
          }));
        },
      },
    ],
  });
  writeFileSync(
    path.join(DIST, "threads.html"),
    '<!doctype html><meta charset="utf-8"><title>threads</title><script type="module" src="threads.js"></script>\n',
  );
}

describe.skipIf(!HAVE_CHROMIUM)("playground in chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  /** Shows every iteration and waits until the table has caught up. */
  const showAll = async () => {
    await page.click("#opt-end");
    await page.waitForFunction(() =>
      /^k = (\d+) \/ \1$/.test(document.querySelector("#opt-counter")?.textContent ?? ""),
    );
  };
  /** A fresh load of the page with the given hash (a new document, not a same-page hash change). */
  const open = async (hash: string) => {
    await page.goto("about:blank");
    await page.goto(`${server.url}${hash}`);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  /** Moves the mouse over chart `order` at data coordinate x and returns the readout. */
  async function hoverAt(order: number, x: number): Promise<{ x: number; values: number[] }> {
    const svg = page.locator(`.plot-block[data-order="${order}"] svg`);
    const box = (await svg.boundingBox())!;
    // The plot's frame: read the rect the chart drew, and the current x range from the view inputs.
    const frame = await svg.locator("rect.frame").evaluate((r) => {
      const b = (r as SVGRectElement).getBBox();
      return { x: b.x, y: b.y, w: b.width, h: b.height };
    });
    const from = num(await page.inputValue("#view-from"));
    const to = num(await page.inputValue("#view-to"));
    const px = box.x + frame.x + ((x - from) / (to - from)) * frame.w;
    await page.mouse.move(px, box.y + frame.y + frame.h / 2);
    await page.waitForSelector("#readout .ro-x");
    const rx = num(await page.getAttribute("#readout .ro-x", "data-x"));
    const values = await page.$$eval("#readout .ro", (els) =>
      els.map((e) => Number((e as HTMLElement).dataset.value)),
    );
    return { x: rx, values };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const vite = path.resolve("node_modules/vite/bin/vite.js");
    execFileSync(
      process.execPath,
      [
        vite,
        "build",
        "--config",
        "web/vite.config.ts",
        "--outDir",
        DIST,
        "--emptyOutDir",
        "--logLevel",
        "error",
      ],
      { stdio: "inherit" },
    );
    await buildThreadsPage();
    server = await startServer({ root: DIST, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("opens on the seed polynomial with f′, f″, f‴ plotted and their formulas, nothing clicked", async () => {
    await page.goto(server.url);
    await page.waitForSelector("#panel-derivatives[data-ready=curves][data-formulas=ready]", {
      timeout: 20_000,
    });
    expect(await page.inputValue("#expr")).toBe("x^4 - 2x^3 + 3x^2 - 4x + 5");
    const tex = await page.$$eval(".plot-head .formula", (els) =>
      els.map((e) => (e as HTMLElement).dataset.tex),
    );
    expect(tex[0]).toContain("x^{4} - 2 x^{3} + 3 x^{2} - 4 x + 5");
    expect(tex[1]).toContain("4 x^{3} - 6 x^{2} + 6 x - 4");
    expect(tex[2]).toContain("12 x^{2} - 12 x + 6");
    expect(tex[3]).toContain("24 x - 12");
    await page.waitForSelector("#formula-3 .katex");
    // One drawn curve per chart, with real geometry.
    for (let k = 0; k < 4; k++) {
      const d = await page.getAttribute(`.plot-block[data-order="${k}"] path[data-curve="d${k}"]`, "d");
      expect(d!.split("L").length).toBeGreaterThan(100);
    }
    // Values at x₀ = 1.3 by autodiff.
    await page.waitForFunction(() => document.querySelector("#value-1")?.getAttribute("data-value") !== "");
    const at = await page.$$eval("[id^=value-]", (els) =>
      els.map((e) => Number((e as HTMLElement).dataset.value)),
    );
    expect(at[0]).toBeCloseTo(1.3 ** 4 - 2 * 1.3 ** 3 + 3 * 1.3 ** 2 - 4 * 1.3 + 5, 9);
    expect(at[1]).toBeCloseTo(fp(1.3), 9);
    expect(at[2]).toBeCloseTo(12 * 1.3 ** 2 - 12 * 1.3 + 6, 9);
    expect(at[3]).toBeCloseTo(24 * 1.3 - 12, 9);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForSelector("#graph-box svg.graph .node-output");
    await shot("01-derivatives-seed");
  });

  it("shows the autodiff-vs-finite-difference error curve and the graphs of f and f′", async () => {
    await page.waitForSelector("#error-card path[data-curve=central]");
    expect(await page.locator("#error-card path.curve").count()).toBe(4);
    expect(await page.textContent("#err-legend")).toContain("central: best h");
    expect(await page.textContent("#err-caption")).toContain("= 2.448");
    // f′ (reverse mode) is drawn by default; switch to f and back.
    const nodes = (kind: string) => page.locator(`#graph-box .node-${kind}`).count();
    expect(await nodes("input")).toBe(1);
    expect(await nodes("output")).toBe(1);
    await page.click('#graph-card .seg[data-order="0"]');
    await page.waitForFunction(() =>
      document.querySelector("#graph-caption")?.textContent?.includes("program of f traced"),
    );
    expect(await nodes("op")).toBe(10);
    expect(await page.textContent("#program-text")).toContain("pow a 4.0");
    await page.click('#graph-card .seg[data-order="1"]');
    await page.waitForFunction(() =>
      document.querySelector("#graph-caption")?.textContent?.includes("first derivative"),
    );
    // Keyboard: the point handle moves with the arrow keys (1% of the view per press).
    await page.focus("#x0-handle");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction(() => (document.querySelector("#x0") as HTMLInputElement).value === "1.38");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    await page.waitForFunction(() => (document.querySelector("#x0") as HTMLInputElement).value === "1.3");
  });

  it("plots the values the derivative formulas give (hover readouts)", async () => {
    for (const x of [-0.7, 0.4, 2.2]) {
      const r = await hoverAt(1, x);
      expect(Math.abs(r.x - x)).toBeLessThan(0.01);
      expect(r.values[1]).toBeCloseTo(fp(r.x), 8);
      expect(r.values[2]).toBeCloseTo(12 * r.x ** 2 - 12 * r.x + 6, 8);
      expect(r.values[3]).toBeCloseTo(24 * r.x - 12, 8);
    }
    await shot("02-derivatives-hover");
    await page.mouse.move(5, 5);
  });

  it("recomputes curves, formulas and the graph for a typed expression", async () => {
    await page.fill("#expr", "sin(x^2)");
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>("#formula-1")?.dataset.tex?.includes("\\cos"),
      null,
      {
        timeout: 15_000,
      },
    );
    expect(await page.getAttribute("#formula-1", "data-tex")).toContain("2 x \\cos\\left(x^{2}\\right)");
    await page.waitForFunction(() => {
      const v = document.querySelector<HTMLElement>("#value-1")?.dataset.value;
      return v !== undefined && v !== "" && Math.abs(Number(v) - 2 * 1.3 * Math.cos(1.69)) < 1e-9;
    });
    const r = await hoverAt(1, 0.9);
    expect(r.values[0]).toBeCloseTo(Math.sin(r.x ** 2), 9);
    expect(r.values[1]).toBeCloseTo(2 * r.x * Math.cos(r.x ** 2), 9);
    // The URL carries the formula, so the link reproduces the view.
    await page.waitForFunction(() => location.hash.includes("f=sin"));
    await page.mouse.move(5, 5);
    await shot("03-derivatives-typed");
  });

  it("shows a typing error inline at the offending character", async () => {
    await page.fill("#expr", "x^2 + * 3");
    const mark = page.locator(".expr-mirror mark.err-char");
    await mark.waitFor();
    expect(await mark.getAttribute("data-column")).toBe("7");
    expect(await mark.textContent()).toBe("*");
    expect(await page.getAttribute("#expr", "aria-invalid")).toBe("true");
    expect(await page.textContent("#expr-msg")).toContain("column 7");
    // The error mark sits over the '*' in the field.
    const box = (await mark.boundingBox())!;
    const field = (await page.locator("#expr").boundingBox())!;
    expect(box.x).toBeGreaterThan(field.x);
    expect(box.x + box.width).toBeLessThan(field.x + field.width);
    await shot("04-derivatives-error");
    await page.fill("#expr", "sin(x");
    expect(await page.locator(".expr-mirror mark.err-char").getAttribute("data-column")).toBe("6");
    // Deep nesting is refused by the parser at once; the page stays responsive.
    await page.fill("#expr", `${"(".repeat(300)}x${")".repeat(300)}`);
    expect(await page.textContent("#expr-msg")).toContain("nested too deeply");
    await page.fill("#expr", "x^3");
    await page.waitForFunction(() =>
      document.querySelector<HTMLElement>("#formula-1")?.dataset.tex?.includes("3 x^{2}"),
    );
  });

  it("refuses over-long formulas and caps over-fine grids from a shared link", async () => {
    const long = Array.from({ length: 600 }, () => "x").join("+");
    await open(`#f=${encodeURIComponent(long)}&n=1000000`);
    await page.waitForSelector("#expr-msg .err-text");
    expect(await page.textContent("#expr-msg")).toContain("too long");
    expect(await page.inputValue("#samples")).toBe("4000");
    expect(await page.textContent("#samples-note")).toContain("capped");
    await page.fill("#expr", "x^2");
    await page.waitForSelector("#panel-derivatives[data-ready=curves]");
  });

  it("runs optimizer paths step by step on the contour plot", async () => {
    await open("#tab=optimize");
    await page.waitForSelector("#panel-optimize:not([hidden])");
    await page.waitForSelector("#panel-optimize[data-paths]", { timeout: 20_000 });
    await page.waitForSelector("#panel-optimize[data-surface=ready]");
    for (let i = 0; i < 3; i++) await page.click("#opt-step");
    await page.waitForFunction(() =>
      document.querySelector("#opt-counter")?.textContent?.startsWith("k = 3 /"),
    );
    const f3 = await page.$$eval("#opt-table tbody tr", (rows) =>
      rows.map((r) => [
        (r as HTMLElement).dataset.method,
        Number(r.querySelector("[data-f]")?.getAttribute("data-f")),
      ]),
    );
    expect(f3.map(([m]) => m)).toEqual(["gd", "momentum", "adam", "newton", "cubic"]);
    await shot("05-optimize-step3");
    await showAll();
    const end = await page.$$eval("#opt-table tbody tr", (rows) =>
      Object.fromEntries(
        rows.map((r) => [
          (r as HTMLElement).dataset.method,
          Number(r.querySelector("[data-f]")?.getAttribute("data-f")),
        ]),
      ),
    );
    // Rosenbrock from (−1.5, 2): Newton and cubic regularization reach the minimum f = 0 at (1, 1).
    expect(end.newton).toBeLessThan(1e-10);
    expect(end.cubic).toBeLessThan(1e-10);
    const start = 6.25 + 100 * 0.0625;
    expect(end.gd).toBeLessThan(start);
    // A click on the plot adds a second start point and recomputes the paths.
    const version = Number(await page.getAttribute("#panel-optimize", "data-paths"));
    const box = (await page.locator(".contour-wrap svg rect.frame").boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.8);
    await page.waitForFunction(
      (v) => Number(document.querySelector("#panel-optimize")?.getAttribute("data-paths")) > v,
      version,
    );
    expect(await page.locator("#opt-starts li").count()).toBe(2);
    expect(await page.locator("#opt-table tbody tr").count()).toBe(10);
    await showAll();
    await page.waitForFunction(() => location.hash.includes("os="));
    await shot("06-optimize-paths");
    // The saddle preset: cubic regularization leaves the saddle, Newton does not.
    await page.selectOption("#opt-preset", "2");
    await page.waitForFunction(
      (v) => Number(document.querySelector("#panel-optimize")?.getAttribute("data-paths")) > v + 1,
      version,
    );
    await showAll();
    const saddle = await page.$$eval("#opt-table tbody tr", (rows) =>
      Object.fromEntries(
        rows.map((r) => [
          (r as HTMLElement).dataset.method,
          Number(r.querySelector("[data-f]")?.getAttribute("data-f")),
        ]),
      ),
    );
    expect(saddle.newton).toBeCloseTo(0, 6);
    expect(saddle.cubic).toBeCloseTo(-0.25, 6);
    await shot("07-optimize-saddle");
  });

  it("trains the network live: loss falls, per-layer gradient norms shown", async () => {
    await page.click("#tab-training");
    await page.waitForSelector("#panel-training[data-ready=data]", { timeout: 20_000 });
    await page.click("#t-step");
    await page.waitForFunction(
      () => document.querySelector("#panel-training")?.getAttribute("data-step") === "1",
    );
    const first = num(await page.textContent("#t-loss"));
    await page.click("#t-train");
    await page.waitForFunction(
      () => Number(document.querySelector("#panel-training")?.getAttribute("data-step")) >= 150,
      null,
      {
        timeout: 30_000,
      },
    );
    await page.click("#t-train");
    await page.waitForFunction(
      () => document.querySelector("#panel-training")?.getAttribute("data-running") === "false",
    );
    const last = num(await page.textContent("#t-loss"));
    expect(last).toBeLessThan(first);
    expect(await page.locator("#t-bars .bar-value").count()).toBe(3);
    const norms = await page.$$eval("#t-bars .bar-value", (els) =>
      els.map((e) => Number(e.textContent!.replace(/\u2212/g, "-"))),
    );
    expect(norms.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    expect(await page.locator("#boundary-card path.boundary-line").count()).toBe(1);
    await shot("08-training");
    // Vanishing gradients: sigmoid with 6 hidden layers, the input layer's gradient is far below the output's.
    await page.click('[data-demo="1"]');
    await page.waitForFunction(
      () => document.querySelector("#panel-training")?.getAttribute("data-step") === "0",
    );
    await page.waitForFunction(
      () => Number(document.querySelector("#panel-training")?.getAttribute("data-step")) >= 20,
      null,
      {
        timeout: 30_000,
      },
    );
    await page.click("#t-train");
    await page.waitForFunction(
      () => document.querySelector("#panel-training")?.getAttribute("data-running") === "false",
    );
    await page.waitForTimeout(100);
    // At step 0 (the ticks), the input layer's gradient is far below the output layer's.
    const v = await page.$$eval("#t-bars .bar-start", (els) =>
      els.map((e) => Number((e as HTMLElement).dataset.value)),
    );
    expect(v.length).toBe(7);
    expect(v[0]!).toBeLessThan(v[6]! / 100);
    // …and the loss stays at ln 2: the early layers barely learn.
    expect(num(await page.textContent("#t-loss"))).toBeGreaterThan(0.6);
    await shot("09-training-vanishing");
  });

  it("runs large products and fused loops on two threads in the isolated page, with the same bits", async () => {
    const other = await browser.newPage();
    other.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    await other.goto(`${server.url}threads.html?threads=2`);
    await other.waitForFunction(() => "nablaThreads" in globalThis);
    expect(await other.evaluate(() => crossOriginIsolated)).toBe(true);
    const got = await other.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: the test page's global
      const t = (globalThis as any).nablaThreads;
      const ready = await t.threadsReady();
      const same = (x: Float32Array, y: Float32Array) => x.every((v, i) => Object.is(v, y[i]));
      const median = (f: () => void) => {
        const ms: number[] = [];
        for (let r = 0; r < 5; r++) {
          const t0 = performance.now();
          f();
          ms.push(performance.now() - t0);
        }
        return ms.sort((p, q) => p - q)[2]!;
      };
      let seed = 7;
      const random = (n: number) =>
        Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 4 - 2);
      // Counts the pool's jobs, and those taken back from the worker (run on this thread after all).
      const pool = t.sharedPool();
      const jobs = { run: 0, stolen: 0 };
      const run = pool.run;
      pool.run = (k: number, p: number[][], own: () => void, steal: (w: number) => void) => {
        jobs.run++;
        return run(k, p, own, (w: number) => {
          jobs.stolen++;
          steal(w);
        });
      };
      const workerJobs = () => jobs.run - jobs.stolen;
      const out: Record<string, unknown> = { ready, threads: t.threadCount(), workers: pool.workers };
      for (const N of [512, 1024]) {
        const a = random(N * N);
        const b = random(N * N);
        const one = new Float32Array(N * N);
        const two = new Float32Array(N * N).fill(Number.NaN);
        t.wasmMatmul(a, false, b, false, one, 1, N, N, N);
        out[`matmul${N}`] = t.threadedMatmul(a, false, b, false, two, 1, N, N, N) && same(one, two);
        const before = workerJobs();
        out[`matmul${N}ms`] = [
          median(() => t.wasmMatmul(a, false, b, false, one, 1, N, N, N)),
          median(() => t.threadedMatmul(a, false, b, false, two, 1, N, N, N)),
        ];
        out[`matmul${N}workerJobs`] = workerJobs() - before;
      }
      const n = 1_000_000;
      const f32 = "float32";
      const spec = {
        shape: [n],
        inputs: [{ dtype: f32, offset: 0, strides: [1] }],
        nodes: [
          { prim: "sin", args: [{ input: 0 }], dtype: f32 },
          { prim: "exp", args: [{ node: 0 }], dtype: f32 },
          { prim: "mul", args: [{ node: 0 }, { node: 1 }], dtype: f32 },
        ],
        outputs: [{ value: { node: 2 }, dtype: f32, size: n }],
      };
      const x = random(n);
      const single = t.compileSimdF32(spec, false);
      const split = t.compileSimdF32(spec);
      const calls = t.splitStats.calls;
      const before = workerJobs();
      const [want] = single([x]);
      const [have] = split([x]);
      out.loop = same(want, have) && t.splitStats.calls === calls + 1;
      out.loopMs = [median(() => single([x])), median(() => split([x]))];
      out.loopWorkerJobs = workerJobs() - before;
      return out;
    });
    console.log(`[web e2e] threads in chromium: ${JSON.stringify(got)}`);
    expect(got).toMatchObject({
      ready: true,
      threads: 2,
      workers: 1,
      matmul512: true,
      matmul1024: true,
      loop: true,
    });
    // The worker did its share of the products and loops (a job is taken back only when it has not started).
    expect(got.matmul512workerJobs as number).toBeGreaterThan(0);
    expect(got.matmul1024workerJobs as number).toBeGreaterThan(0);
    expect(got.loopWorkerJobs as number).toBeGreaterThan(0);
    // NABLA_THREADS=1 in the page: no workers, products stay single-threaded.
    await other.goto(`${server.url}threads.html?threads=1`);
    await other.waitForFunction(() => "nablaThreads" in globalThis);
    const off = await other.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: the test page's global
      const t = (globalThis as any).nablaThreads;
      const a = new Float32Array(512 * 512).fill(1);
      const c = new Float32Array(512 * 512);
      return [
        await t.threadsReady(),
        t.threadedMatmul(a, false, a, false, c, 1, 512, 512, 512),
        t.sharedPool(),
      ];
    });
    expect(off).toEqual([false, false, null]);
    await other.close();
  });

  it("restores a shared link and ran without errors", async () => {
    const url = `${server.url}#f=exp(-x%5E2)&x0=0.5&deg=4&from=-3&to=3`;
    const other = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await other.goto(url);
    await other.waitForSelector("#panel-derivatives[data-formulas=ready]", { timeout: 20_000 });
    expect(await other.inputValue("#expr")).toBe("exp(-x^2)");
    expect(await other.inputValue("#x0")).toBe("0.5");
    expect(await other.inputValue("#degree")).toBe("4");
    await other.waitForSelector("#taylor-tex .katex");
    await other.screenshot({ path: path.join(ARTIFACTS, "10-shared-link.png"), fullPage: true });
    // Tabs follow the arrow keys.
    await other.focus("#tab-derivatives");
    await other.keyboard.press("ArrowRight");
    expect(await other.getAttribute("#tab-optimize", "aria-selected")).toBe("true");
    expect(await other.isHidden("#panel-derivatives")).toBe(true);
    await other.close();
    expect(problems).toEqual([]);
  });
});
