// Cold import time of the built package: builds dist/ as `npm pack` does (tsc, then scripts/bundle-dist.mjs)
// into node_modules/.cache/nabla-import/, then starts node N times, each timing `await import(<its index.js>)`
// alone (process start-up excluded). A measurement to read beside the load average, not a test.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface ImportTime {
  runs: number;
  /** Milliseconds of `await import("nabla")`, fastest and median of the runs. */
  minMs: number;
  medianMs: number;
  /** One-minute load average before and after the runs. */
  load: [number, number];
  /** What was joined: tsc's module count and the bundle's files. */
  modules: number;
  files: number;
}

/** Builds the package's dist/ into a cache folder; returns its index.js. */
async function build(root: string): Promise<{ entry: string; modules: number; files: number }> {
  const dir = path.join(root, "node_modules", ".cache", "nabla-import");
  const dist = path.join(dir, "dist");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "nabla", type: "module" }));
  const tsc = createRequire(path.join(root, "package.json")).resolve("typescript/bin/tsc");
  const args = ["-p", "tsconfig.build.json", "--outDir", dist];
  const r = spawnSync(
    process.execPath,
    [tsc, ...args, "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`tsc failed: ${(r.stdout + r.stderr).slice(0, 400)}`);
  const { bundleDist } = (await import(
    pathToFileURL(path.join(root, "scripts", "bundle-dist.mjs")).href
  )) as {
    bundleDist(dir: string): Promise<{ modules: number; files: string[] }>;
  };
  const b = await bundleDist(dist);
  return { entry: path.join(dist, "index.js"), modules: b.modules, files: b.files.length };
}

const CHILD = `const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));`;

/** Builds, then times `runs` cold imports in fresh node processes, one after the other. */
export async function measureImportTime(root: string, runs: number): Promise<ImportTime> {
  const { entry, modules, files } = await build(root);
  const url = pathToFileURL(entry).href;
  const load0 = os.loadavg()[0]!;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, url], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`importing the built package failed: ${r.stderr.slice(0, 400)}`);
    times.push(Number(r.stdout));
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { runs, minMs: times[0]!, medianMs, load: [load0, os.loadavg()[0]!], modules, files };
}
