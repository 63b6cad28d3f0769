#!/usr/bin/env node
// Builds the optional native addon (native/) at install time: `npm install` / `npm ci` run this as the
// package's "install" script. The addon only speeds up matrix products and fused loops in Node, so this never fails the
// install: on any problem it prints one line and exits 0, and nabla uses its WebAssembly kernels. It prints
// one line when it starts compiling and one when it is done, with the time taken.
// NABLA_NATIVE=0 skips the build (and, at run time, the use) of the addon; NABLA_NATIVE_ISA=generic|avx2|avx512
// chooses the kernels' instruction set instead of the best this CPU has (scripts/native-isa.mjs).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const native = join(root, "native");
const addon = join(native, "build", "Release", "nabla_native.node");
const TIMEOUT_MS = 5 * 60 * 1000;

const say = (message) => console.log(`nabla: ${message}`);
let started;
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const skip = (why) => {
  const after = started === undefined ? "" : ` after ${elapsed()}`;
  say(`native addon not built${after} (${why}); kernels use WebAssembly and JavaScript`);
  process.exit(0);
};

/** node-gyp's entry script: the one npm passes to lifecycle scripts, a local one, or the one npm bundles. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(
    join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  candidates.push(join(prefix, "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  return candidates.find((p) => p && existsSync(p));
}

/**
 * Headers of the running Node, when they are on disk (distribution packages and the official archives both
 * have include/node): pointing node-gyp at them avoids a download, which offline machines cannot do.
 */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return undefined; // node-gyp reads it itself
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : undefined;
}

/** The likeliest cause in a failed build's output, on one short line. */
function cause(text) {
  const lines = text.split("\n").map((l) => l.trim());
  const stack = lines.find((l) => l.startsWith("gyp ERR! stack Error:"));
  const compiler = lines.find((l) => /\berror\b/i.test(l) && !l.startsWith("gyp "));
  const line =
    (compiler ?? stack?.slice("gyp ERR! stack ".length) ?? lines.filter(Boolean).at(-1)) || "no output";
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

async function main() {
  const off = (process.env.NABLA_NATIVE ?? "").trim().toLowerCase();
  if (["0", "false", "no", "off"].includes(off)) skip("NABLA_NATIVE=0");
  if (!existsSync(join(native, "binding.gyp"))) skip("no native/binding.gyp");
  const gyp = findNodeGyp();
  if (!gyp) skip("node-gyp not found");
  const nodedir = localNodeDir();
  const args = [gyp, "rebuild", "--loglevel=warn", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  // binding.gyp runs `node ../scripts/native-isa.mjs`: make sure it finds this node.
  const pathKey = Object.keys(process.env).find((k) => k.toUpperCase() === "PATH") ?? "PATH";
  const env = {
    ...process.env,
    [pathKey]: [dirname(process.execPath), process.env[pathKey]].join(delimiter),
  };
  const isa = await import("./native-isa.mjs").then((m) => m.nativeIsa()).catch(() => "generic");
  say(`compiling the optional native addon (${isa} kernels; NABLA_NATIVE=0 skips it)...`);
  started = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: native,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    env,
  });
  if (r.error) skip(r.error.message);
  if (r.status !== 0) skip(cause(`${r.stdout ?? ""}\n${r.stderr ?? ""}`));
  let loaded;
  try {
    loaded = createRequire(import.meta.url)(addon);
  } catch (e) {
    skip(`it does not load: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  if (typeof loaded?.matmul !== "function") skip(`this CPU cannot run its ${loaded?.isa} kernels`);
  say(`native addon built in ${elapsed()} (${loaded.isa} kernels)`);
}

await main().catch((e) => skip(e instanceof Error ? e.message : String(e)));
