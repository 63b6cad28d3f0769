#!/usr/bin/env node
// Runs before `npm pack` and `npm publish`: a clean TypeScript build into dist/, so the tarball holds the
// compiled library and CLI (and nothing left over from an older build); then tsc's modules are joined into a
// few files (scripts/bundle-dist.mjs: it makes importing nabla ~3× faster), and the entry points are checked.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleDist } from "./bundle-dist.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const fail = (message) => {
  console.error(`nabla prepack: ${message}`);
  process.exit(1);
};

let tsc;
try {
  tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
} catch {
  fail("TypeScript is not installed; run `npm install` (it is a dev dependency) before packing");
}
const started = performance.now();
rmSync(join(root, "dist"), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) fail(`the build failed (tsc exited with ${r.status ?? r.signal})`);
try {
  const b = await bundleDist();
  console.log(`nabla prepack: bundled ${b.modules} modules into ${b.files.length} files`);
} catch (e) {
  fail(`bundling dist/ failed: ${e?.message ?? e}`);
}
for (const entry of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js"])
  if (!existsSync(join(root, entry))) fail(`the build did not produce ${entry}`);
console.log(`nabla prepack: built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
