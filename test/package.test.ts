// The npm package as users get it: packed (prepack builds and bundles dist/), installed from the tarball into a
// fresh project, then typechecked against, imported, required and run as a command. Packing works on a copy
// of the sources, so the checkout's own dist/ is never touched. One pack and one install serve every test:
// first without the optional chart packages (size, import, clear errors, the command, a Vite build), then
// with them added to the same project (charts, the README's examples, the browser page).
// With /usr/bin/chromium, a page bundled from the installed package by Vite runs in the browser too.
// NABLA_PACKAGE_TEST=0 skips this file; NABLA_PACKAGE_NATIVE=1 also compiles the native addon during the
// install (otherwise skipped with NABLA_NATIVE=0: it is the slowest step and has tests of its own).
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, CHROMIUM_FLAGS } from "./util/chromium.js";

const root = path.resolve(import.meta.dirname, "..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
const version = manifest.version;
/** The bar for `npm install nabla` (production dependencies only). */
const MAX_INSTALL_BYTES = 8 * 1024 * 1024;
/** The chart packages, at the versions the repository develops against. */
const CHART_PACKAGES = ["@observablehq/plot", "linkedom"].map((p) => `${p}@${manifest.devDependencies[p]}`);
const skip = process.env.NABLA_PACKAGE_TEST === "0";
const native = process.env.NABLA_PACKAGE_NATIVE === "1";
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");

let work = "";
let app = "";
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
let installLog = "";
/** Bytes of the project's node_modules right after installing nabla alone. */
let installBytes = 0;
/** What the project saw before the chart packages were installed. */
const bare: {
  imported?: { modules: number; heavy: string[]; cjs: unknown };
  errors?: Record<string, { name: string; missing: boolean; message: string; packages?: string[] }>;
  diff?: string;
  plot?: { status: number | null; stderr: string };
  deps?: string[];
  viteBuild?: string;
} = {};
// A failed pack or install fails every test with its message (a failing beforeAll would only skip them).
let setupError: unknown;
const ready = () => {
  if (setupError !== undefined) throw setupError;
};

/** Runs a command and returns its result; throws with its output when it fails. */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
      NO_COLOR: "1",
      ...env,
    },
    shell: process.platform === "win32",
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.status ?? r.signal ?? r.error}) in ${cwd}\n${r.stdout}\n${r.stderr}`,
    );
  return r;
}
const node = (args: string[], cwd = app) => run(process.execPath, args, cwd);

/** Bytes of the files under `dir` (symbolic links not followed); the addon's build output is left out. */
function treeBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      if (!p.endsWith(`${path.sep}nabla${path.sep}native${path.sep}build`)) total += treeBytes(p);
    } else total += st.size;
  }
  return total;
}

// A strict TypeScript program as a user writes it.
const USER_TS = `import * as nb from "nabla";

// f(x) = Σ x·sin(x), so ∂f/∂xᵢ = sin(xᵢ) + xᵢ·cos(xᵢ)
const f = (x: nb.Tensor): nb.Tensor => nb.sum(nb.mul(x, nb.sin(x)));
const x: nb.Tensor = nb.array([0.5, 1, 2]);
const g: nb.Tensor = nb.grad(f)(x);
const compiled = nb.jit((t: nb.Tensor) => nb.grad(f)(t) as nb.Tensor);
const j: nb.Tensor = compiled(x);
const squares: nb.Tensor = nb.vmap((r: nb.Tensor) => nb.sum(nb.square(r)))(nb.array([[1, 2], [3, 4]]));
const third: number = nb.grad(nb.grad(nb.grad((t: nb.Tensor) => nb.mul(nb.mul(t, t), t))))(2).item();
const out: Record<string, number[] | number> = {
  grad: Array.from(g.dataSync()),
  jit: Array.from(j.dataSync()),
  vmap: Array.from(squares.dataSync()),
  third,
};
console.log(JSON.stringify(out));
`;

// How a user's strict TypeScript project is set up.
const STRICT_USER = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  lib: ["ES2022", "DOM"],
  strict: true,
  // The published types are checked too, and must not need Node's (browser projects lack them).
  skipLibCheck: false,
  types: [],
};

/**
 * The README's TypeScript blocks that are whole programs (they start with an import); the others are
 * fragments of a larger program, left out.
 */
function readmeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1]!)
    .filter((code) => code.trimStart().startsWith("import "));
}

/** What a block says it prints: the text after `// → ` on each line, up to a run of two spaces. */
function expectedOutput(code: string): string[] {
  return code
    .split("\n")
    .filter((line) => line.includes("// → "))
    .map((line) =>
      line
        .slice(line.indexOf("// → ") + 5)
        .split(/ {2,}/)[0]!
        .trimEnd(),
    );
}

const USER_CJS = `const nb = require("nabla");
const d = nb.grad((t) => nb.mul(t, t))(nb.array(3)).item();
console.log(JSON.stringify({ d, tensor: typeof nb.Tensor, viz: typeof nb.viz.lineChart }));
`;

// Records every module the ESM loader loads, to see what importing nabla pulls in.
const HOOKS = `import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + "\\n");
  return next(url, context);
}
`;
const IMPORT_CHECK = `import { register } from "node:module";
import { readFileSync } from "node:fs";
const log = new URL("./loaded.txt", import.meta.url).pathname;
register("./hooks.mjs", import.meta.url, { data: { log } });
const nb = await import("nabla");
const loaded = readFileSync(log, "utf8").trim().split("\\n");
const heavy = loaded.filter((u) => /node_modules\\/(@observablehq|linkedom|d3-|@resvg|htmlparser2|fast-png)/.test(u));
console.log(JSON.stringify({ modules: loaded.length, heavy }));
`;

// Every way to ask for a chart or a PNG, as a user without the optional packages does.
const MISSING_CHECK = `import * as nb from "nabla";
const attempts = {
  lineChart: () => nb.viz.lineChart([{ label: "a", x: [0, 1], y: [0, 1] }]),
  contourChart: () => nb.analysis.contourChart((x, y) => x * x + y * y, { xRange: [-1, 1], yRange: [-1, 1] }),
  svgToPng: () => nb.viz.svgToPng("<svg xmlns='http://www.w3.org/2000/svg' width='2' height='2'/>"),
  load: () => nb.viz.load(),
};
const out = {};
for (const [name, f] of Object.entries(attempts)) {
  try {
    await f();
    out[name] = { name: "no error", missing: false, message: "" };
  } catch (e) {
    out[name] = { name: e.name, missing: e instanceof nb.viz.MissingPackageError, message: e.message, packages: e.packages };
  }
}
console.log(JSON.stringify(out));
`;

// The same program with the chart packages installed: charts draw.
const CHART_CHECK = `import * as nb from "nabla";
const svg = nb.viz.lineChart([{ label: "y = x²", x: [0, 1, 2], y: [0, 1, 4] }]);
const contour = nb.analysis.contourChart((x, y) => x * x + y * y, { xRange: [-1, 1], yRange: [-1, 1] });
await nb.viz.load();
console.log(JSON.stringify({ svg: svg.slice(0, 4), contour: contour.slice(0, 4) }));
`;

// Which engine runs a 300×300 matrix product under jit.
const ENGINE_CHECK = `import * as nb from "nabla";
const lowered = nb.jit((x) => nb.matmul(x, x)).lower(nb.ones([300, 300]));
console.log(JSON.stringify(lowered.steps.map((s) => s.engine)));
`;

// A page bundled by Vite from the installed package, as a browser user builds one.
const PAGE_HTML = `<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>`;
const PAGE_JS = `import * as nb from "nabla";
const out = {};
out.grad = Array.from(nb.grad((x) => nb.sum(nb.mul(x, nb.sin(x))))(nb.array([0.5, 1, 2])).dataSync());
out.jit = nb.jit((x) => nb.mul(x, 2))(nb.array([1, 2])).toArray();
// nb.linalg in the browser: n = 128 takes the blocked WebAssembly kernels (no native addon here).
const A = nb.add(nb.random.normal(nb.random.key(0), [128, 128], { dtype: "float64" }), nb.mul(nb.eye(128, 128, { dtype: "float64" }), 20));
const b = nb.ones([128, 1], { dtype: "float64" });
out.solveResidual = nb.max(nb.abs(nb.sub(nb.matmul(A, nb.linalg.solve(A, b)), b))).item();
const g = nb.grad((m) => nb.linalg.slogdet(m).logabsdet)(A);
out.logdetGrad = nb.max(nb.abs(nb.sub(g, nb.matrixTranspose(nb.linalg.inv(A))))).item();
try {
  nb.viz.lineChart([{ label: "a", x: [0, 1], y: [0, 1] }]);
} catch (e) {
  out.beforeLoad = e.message;
}
await nb.viz.load(await import("@observablehq/plot"));
out.svg = nb.viz.lineChart([{ label: "a", x: [0, 1], y: [0, 1] }]).slice(0, 4);
window.result = out;
`;
// A page that computes but never draws: it must build without the chart packages installed.
const PLAIN_PAGE_JS = `import * as nb from "nabla";
window.result = nb.grad((x) => nb.mul(x, x))(nb.array(3)).item();
`;
const VITE_BUILD = `import { build } from ${JSON.stringify(pathToFileURL(path.join(root, "node_modules", "vite", "dist", "node", "index.js")).href)};
await build({ root: process.cwd(), logLevel: "error", build: { outDir: "dist", emptyOutDir: true, target: "es2022" } });
`;

describe.skipIf(skip)("the npm package", () => {
  beforeAll(() => {
    try {
      setup();
    } catch (e) {
      setupError = e;
    }
  }, 900_000);

  function setup() {
    work = mkdtempSync(path.join(tmpdir(), "nabla-package-"));
    // 1. Pack a copy of the sources; prepack builds its dist/.
    const src = path.join(work, "src");
    mkdirSync(src);
    const copy = ["package.json", "README.md", "LICENSE", "bin", "scripts", "native", "src"];
    for (const p of [...copy, "tsconfig.json", "tsconfig.build.json"])
      if (existsSync(path.join(root, p)))
        cpSync(path.join(root, p), path.join(src, p), {
          recursive: true,
          filter: (f) => !f.includes(`${path.sep}build${path.sep}`) && !f.endsWith(`${path.sep}build`),
        });
    symlinkSync(path.join(root, "node_modules"), path.join(src, "node_modules"), "junction");
    const pack = run("npm", ["pack", "--json", "--pack-destination", work], src);
    const json = pack.stdout.slice(pack.stdout.indexOf("[\n"));
    packed = JSON.parse(json)[0];
    // 2. Install the tarball into a fresh project.
    app = path.join(work, "app");
    mkdirSync(app);
    const tarball = path.join(work, packed.filename);
    // npm 11 asks projects to approve their dependencies' install scripts (allowScripts).
    const project = { name: "nabla-user", version: "1.0.0", private: true, type: "module" };
    const allowScripts = { [`file:${tarball}`]: true };
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ ...project, allowScripts }));
    const install = run(
      "npm",
      ["install", "--prefer-offline", "--foreground-scripts", tarball],
      app,
      native ? {} : { NABLA_NATIVE: "0" },
    );
    installLog = install.stdout + install.stderr;
    installBytes = treeBytes(path.join(app, "node_modules"));
    bare.deps = readdirSync(path.join(app, "node_modules")).filter((d) => !d.startsWith("."));
    // 3. Without the optional chart packages: what importing loads, the errors, the command, a Vite build.
    writeFileSync(path.join(app, "hooks.mjs"), HOOKS);
    writeFileSync(path.join(app, "import-check.mjs"), IMPORT_CHECK);
    writeFileSync(path.join(app, "missing-check.mjs"), MISSING_CHECK);
    writeFileSync(path.join(app, "user.cjs"), USER_CJS);
    bare.imported = {
      ...JSON.parse(node(["import-check.mjs"]).stdout),
      cjs: JSON.parse(node(["user.cjs"]).stdout),
    };
    bare.errors = JSON.parse(node(["missing-check.mjs"]).stdout);
    bare.diff = run("npx", ["--no-install", "nabla", "diff", "x^2", "--at", "3"], app).stdout;
    const plot = spawnSync("npx", ["--no-install", "nabla", "plot", "sin(x)", "-o", "sin.png"], {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    bare.plot = { status: plot.status, stderr: plot.stderr };
    const plain = path.join(app, "plain-page");
    mkdirSync(plain);
    writeFileSync(path.join(plain, "index.html"), PAGE_HTML);
    writeFileSync(path.join(plain, "main.js"), PLAIN_PAGE_JS);
    writeFileSync(path.join(plain, "build.mjs"), VITE_BUILD);
    node(["build.mjs"], plain);
    bare.viteBuild = readdirSync(path.join(plain, "dist", "assets")).join(" ");
    // 4. The chart packages, as the error messages tell users to install them.
    run("npm", ["install", "--prefer-offline", ...CHART_PACKAGES], app, native ? {} : { NABLA_NATIVE: "0" });
  }

  afterAll(() => {
    if (work && !process.env.NABLA_PACKAGE_KEEP) rmSync(work, { recursive: true, force: true });
  });

  it("packs the built library and the command, without sources, tests or source maps", () => {
    ready();
    const files = packed.files.map((f) => f.path);
    for (const f of [
      "package.json",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/viz/load.d.ts",
      "bin/nabla.mjs",
      "native/binding.gyp",
      "native/src/addon.cc",
      "scripts/build-native.mjs",
      "scripts/native-isa.mjs",
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(src|test|bench|web|examples)\//.test(f) || f.endsWith(".map"))).toEqual([]);
    // The library is bundled at pack time: a few .js files, tsc's .d.ts files beside them.
    expect(files.filter((f) => f.startsWith("dist/") && f.endsWith(".js")).length).toBeLessThan(6);
  });

  it("installs in at most 8 MB, without the optional chart and PNG packages", () => {
    ready();
    expect(bare.deps?.sort()).toEqual(["commander", "nabla"]);
    expect(installBytes).toBeLessThan(MAX_INSTALL_BYTES);
  });

  it("imports without the chart packages, loading none of them, and works through require()", () => {
    ready();
    expect(bare.imported?.heavy).toEqual([]);
    expect(bare.imported?.cjs).toEqual({ d: 6, tensor: "function", viz: "function" });
    expect(bare.diff).toMatch(/^1\s+2x\s+6\s+6\s+6 ±/m);
  });

  it("a chart or PNG without its package is a MissingPackageError naming the function and the install line", () => {
    ready();
    const e = bare.errors!;
    for (const [fn, pkgs] of [
      ["lineChart", "@observablehq/plot linkedom"],
      ["contourChart", "@observablehq/plot linkedom"],
      ["load", "@observablehq/plot linkedom"],
      ["svgToPng", "@resvg/resvg-js"],
    ] as const) {
      expect(e[fn]!.name, fn).toBe("MissingPackageError");
      expect(e[fn]!.missing, fn).toBe(true);
      expect(e[fn]!.message, fn).toMatch(new RegExp(`^(nb\\.viz\\.)?${fn} `));
      expect(e[fn]!.message, fn).toContain(`npm install ${pkgs}`);
      expect(e[fn]!.packages?.join(" "), fn).toBe(pkgs);
    }
    expect(bare.plot?.status).toBe(1);
    expect(bare.plot?.stderr).toContain(
      "error: nabla plot draws with the optional packages @observablehq/plot, linkedom, @resvg/resvg-js, which " +
        "are not installed; install with: npm install @observablehq/plot linkedom @resvg/resvg-js",
    );
  });

  it("builds with Vite for the browser without the chart packages", () => {
    ready();
    expect(bare.viteBuild).toMatch(/\.js/);
  });

  it("installs, and the install script says what it did with the native addon", () => {
    ready();
    expect(existsSync(path.join(app, "node_modules", "nabla", "dist", "index.js"))).toBe(true);
    expect(installLog).toMatch(native ? /nabla: native addon (built in|not built after)/ : /NABLA_NATIVE=0/);
  });

  it("typechecks a strict TypeScript user program against the published types, without Node's, and runs it", () => {
    ready();
    writeFileSync(path.join(app, "user.ts"), USER_TS);
    const config = { compilerOptions: { ...STRICT_USER, outDir: "out" }, files: ["user.ts"] };
    writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify(config, null, 2));
    node([tsc, "-p", "tsconfig.json"]);
    const out = JSON.parse(node([path.join("out", "user.js")]).stdout);
    const expected = [0.5, 1, 2].map((v) => Math.sin(v) + v * Math.cos(v));
    out.grad.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i]!, 5));
    out.jit.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(out.vmap).toEqual([5, 25]);
    expect(out.third).toBe(6);
  });

  it("draws charts once the chart packages are installed", () => {
    ready();
    writeFileSync(path.join(app, "chart-check.mjs"), CHART_CHECK);
    expect(JSON.parse(node(["chart-check.mjs"]).stdout)).toEqual({ svg: "<svg", contour: "<svg" });
  });

  it("runs the README's examples as written, printing what their comments say", () => {
    ready();
    const blocks = readmeBlocks(readFileSync(path.join(root, "README.md"), "utf8"));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const files = blocks.map((code, i) => {
      const name = `readme-${i + 1}.ts`;
      writeFileSync(path.join(app, name), code);
      return name;
    });
    const config = { compilerOptions: { ...STRICT_USER, outDir: "readme-out" }, files };
    writeFileSync(path.join(app, "tsconfig.readme.json"), JSON.stringify(config, null, 2));
    node([tsc, "-p", "tsconfig.readme.json"]);
    blocks.forEach((code, i) => {
      const printed = node([path.join("readme-out", `readme-${i + 1}.js`)]).stdout.split("\n");
      const expected = expectedOutput(code);
      // Each expected line is printed, in order; lines the README does not spell out may come between.
      let at = 0;
      for (const line of expected) {
        const found = printed.indexOf(line, at);
        expect(
          found,
          `README block ${i + 1} should print "${line}"; it printed:\n${printed.join("\n")}`,
        ).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    });
  });

  it.skipIf(!existsSync(CHROMIUM))(
    "bundles for the browser with Vite and runs in chromium",
    async () => {
      ready();
      const web = path.join(app, "web");
      mkdirSync(web);
      writeFileSync(path.join(web, "index.html"), PAGE_HTML);
      writeFileSync(path.join(web, "main.js"), PAGE_JS);
      writeFileSync(path.join(web, "build.mjs"), VITE_BUILD);
      node(["build.mjs"], web);
      const dist = path.join(web, "dist");
      const server = createServer((req, res) => {
        const file = path.join(dist, req.url === "/" ? "index.html" : (req.url ?? "").split("?")[0]!);
        if (!file.startsWith(dist) || !existsSync(file)) return void res.writeHead(404).end();
        const type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : "";
        res.writeHead(200, type ? { "content-type": type } : {}).end(readFileSync(file));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_FLAGS,
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        const handle = await page.waitForFunction(() => (window as { result?: unknown }).result, null, {
          timeout: 60_000,
        });
        const out = (await handle.jsonValue()) as {
          grad: number[];
          jit: number[];
          beforeLoad: string;
          svg: string;
          solveResidual: number;
          logdetGrad: number;
        };
        expect(problems).toEqual([]);
        const expected = [0.5, 1, 2].map((v) => Math.sin(v) + v * Math.cos(v));
        out.grad.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
        expect(out.jit).toEqual([2, 4]);
        expect(out.solveResidual).toBeLessThan(1e-12);
        expect(out.logdetGrad).toBeLessThan(1e-12);
        expect(out.beforeLoad).toContain('await nb.viz.load(await import("@observablehq/plot"))');
        expect(out.svg).toBe("<svg");
      } finally {
        await browser.close();
        server.close();
      }
    },
    180_000,
  );

  it.runIf(native)("builds the native addon at install, uses it, and leaves it with NABLA_NATIVE=0", () => {
    ready();
    expect(installLog).toMatch(/nabla: compiling the optional native addon/);
    expect(installLog).toMatch(/nabla: native addon built in [\d.]+ s/);
    writeFileSync(path.join(app, "engine-check.mjs"), ENGINE_CHECK);
    expect(JSON.parse(node(["engine-check.mjs"]).stdout)).toEqual(["native"]);
    const off = run(process.execPath, ["engine-check.mjs"], app, { NABLA_NATIVE: "0" });
    expect(JSON.parse(off.stdout)).not.toContain("native");
  });

  it("runs the nabla command", () => {
    ready();
    expect(run("npx", ["--no-install", "nabla", "--version"], app).stdout.trim()).toBe(version);
    const diff = run("npx", ["--no-install", "nabla", "diff", "x^2", "--at", "3"], app).stdout;
    expect(diff).toMatch(/^1\s+2x\s+6\s+6\s+6 ±/m);
    const json = JSON.parse(
      run("npx", ["--no-install", "nabla", "diff", "x^2", "--at", "3", "--json"], app).stdout,
    );
    expect(json.orders[0]).toMatchObject({ order: 1, symbolic: 6, ad: 6 });
    // With the chart packages installed (resvg is not), an SVG plot is drawn.
    const plot = run("npx", ["--no-install", "nabla", "plot", "sin(x)", "-o", "sin.svg"], app).stdout;
    expect(plot).toMatch(/^wrote sin\.svg/);
    expect(readFileSync(path.join(app, "sin.svg"), "utf8")).toMatch(/^<svg/);
  });
});
