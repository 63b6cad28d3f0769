#!/usr/bin/env node
// Joins tsc's dist/*.js (~150 modules) into a few ESM files with rolldown: dist/index.js (the library),
// dist/cli/main.js (the command) and the chunks they share in dist/chunks/. Node loads one large file much
// faster than many small ones (importing nabla went from ~95 ms to ~30 ms on the 2-core machine), and the
// entry points, export names and types stay as they were: the .d.ts files are tsc's, untouched.
// Modules that find files next to themselves (the native addon, the package root) use import.meta.url; it
// is rewritten to the URL the module had before bundling, so every relative path still resolves.
// Usage: node scripts/bundle-dist.mjs [distDir]   (default: dist/ beside this folder)
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const ENTRIES = { index: "index.js", "cli/main": "cli/main.js" };
const PLACEHOLDER = "__nablaModuleUrl__";

/** Every .js file under `dir`. */
function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return jsFiles(p);
    return name.endsWith(".js") ? [p] : [];
  });
}

/**
 * Every module keeps its side effects (ops/methods.js installs the tensor methods): the package's
 * sideEffects field describes the bundled files, not tsc's modules, and would otherwise drop them.
 */
const keepSideEffects = {
  name: "nabla-keep-side-effects",
  transform: (code) => ({ code, map: null, moduleSideEffects: true }),
};

/** import.meta.url as the module's own URL before bundling, relative to wherever its chunk lands. */
const moduleUrls = (dist) => ({
  name: "nabla-module-urls",
  transform(code, id) {
    if (!code.includes("import.meta.url")) return null;
    const rel = path.relative(dist, id).split(path.sep).join("/");
    return {
      code: code.replaceAll("import.meta.url", `${PLACEHOLDER}(${JSON.stringify(rel)})`),
      map: null,
    };
  },
  renderChunk(code, chunk) {
    const up = path.posix.relative(path.posix.dirname(chunk.fileName), ".") || ".";
    const re = new RegExp(`${PLACEHOLDER}\\(("[^"]*")\\)`, "g");
    return {
      code: code.replace(
        re,
        // Bundlers of apps leave it alone: the file it names is inside this bundle now.
        (_, rel) =>
          `new URL(/* @vite-ignore */ ${JSON.stringify(`${up}/${JSON.parse(rel)}`)}, import.meta.url).href`,
      ),
      map: null,
    };
  },
});

/** Bundles the tsc output in `dist` (default: the package's dist/) in place. */
export async function bundleDist(dist = path.join(root, "dist")) {
  const started = performance.now();
  let rolldown;
  try {
    rolldown = await import(
      pathToFileURL(createRequire(path.join(root, "package.json")).resolve("rolldown")).href
    );
  } catch {
    throw new Error("rolldown is not installed; run `npm install` (it is a dev dependency) before packing");
  }
  const before = jsFiles(dist);
  const out = path.join(dist, ".bundle");
  rmSync(out, { recursive: true, force: true });
  const bundle = await rolldown.rolldown({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(dist, file)])),
    platform: "neutral",
    // Only nabla's own modules are joined; packages and Node built-ins stay imports.
    external: (id) => !id.startsWith(".") && !path.isAbsolute(id),
    plugins: [keepSideEffects, moduleUrls(dist)],
    logLevel: "warn",
  });
  const { output } = await bundle.write({
    dir: out,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/nabla-[hash].js",
    sourcemap: false,
  });
  await bundle.close();
  for (const f of before) {
    rmSync(f);
    rmSync(`${f}.map`, { force: true }); // tsc's maps of files that are gone
  }
  for (const chunk of output) {
    const to = path.join(dist, chunk.fileName);
    rmSync(to, { force: true });
    mkdirSync(path.dirname(to), { recursive: true });
    renameSync(path.join(out, chunk.fileName), to);
  }
  rmSync(out, { recursive: true, force: true });
  // Folders left with only .d.ts files keep them: the types still mirror src/.
  const ms = performance.now() - started;
  return { modules: before.length, files: output.map((c) => c.fileName), ms };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await bundleDist(process.argv[2] && path.resolve(process.argv[2]));
  console.log(
    `nabla: bundled ${r.modules} modules into ${r.files.length} files (${r.files.join(", ")}) in ${(r.ms / 1000).toFixed(1)} s`,
  );
}
