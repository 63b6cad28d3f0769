// The folders of src/ form layers: a module may import from its own folder and from folders below it, never
// from one above (type-only and dynamic imports included), so the folder-level import graph has no cycle.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const src = path.resolve(import.meta.dirname, "../src");

/** Bottom to top; docs/architecture.md describes what each holds. */
const LAYERS = [
  "core",
  "primitives",
  "backend",
  "debug",
  "compile",
  "interpret",
  "transforms",
  "ops",
  "linalg",
  "viz",
  "io",
  "data",
  "numeric",
  "symbolic",
  "minimize",
  "optim",
  "nn",
  "analysis",
  "cli",
  "index.ts",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The top-level entry of src/ a file belongs to: its folder, or the file itself at the top. */
const layerOf = (file: string) => path.relative(src, file).split(path.sep)[0]!;

/** Every relative module a file imports: static imports and re-exports (type-only too) and import(). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.{1,2}\/[^"]+)"/gms))
    found.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s*"(\.{1,2}\/[^"]+)"/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)) found.push(m[1]!);
  return found;
}

interface Edge {
  from: string;
  to: string;
  file: string;
}

function edges(): Edge[] {
  return sourceFiles(src).flatMap((file) =>
    importsOf(readFileSync(file, "utf8")).flatMap((spec) => {
      const target = path.resolve(path.dirname(file), spec);
      const from = layerOf(file);
      const to = layerOf(target);
      return from === to ? [] : [{ from, to, file: path.relative(src, file) }];
    }),
  );
}

function upward(list: readonly Edge[]): string[] {
  const rank = (l: string) => LAYERS.indexOf(l);
  return list
    .filter((e) => rank(e.to) > rank(e.from))
    .map((e) => `${e.file} imports from ${e.to}/ (above ${e.from}/)`);
}

describe("layers of src/", () => {
  it("finds imports of every form", () => {
    const text = [
      'import { a } from "../core/a.js";',
      'import type { B } from "../ops/b.js";',
      'export { c } from "./c.js";',
      'import {\n  d,\n  e,\n} from "../x/d.js";',
      'import "../side/effect.js";',
      'const m = await import("../viz/m.js");',
    ].join("\n");
    expect(importsOf(text)).toEqual([
      "../core/a.js",
      "../ops/b.js",
      "./c.js",
      "../x/d.js",
      "../side/effect.js",
      "../viz/m.js",
    ]);
  });

  it("every folder of src/ has a place in the order", () => {
    const entries = readdirSync(src).filter(
      (n) => statSync(path.join(src, n)).isDirectory() || n.endsWith(".ts"),
    );
    expect(entries.filter((n) => !LAYERS.includes(n))).toEqual([]);
  });

  it("no module imports from a layer above its own (so the folder graph has no cycle)", () => {
    const all = edges();
    expect(all.length).toBeGreaterThan(100);
    expect(upward(all)).toEqual([]);
  });

  it("the check refuses an upward import", () => {
    expect(upward([{ from: "core", to: "ops", file: "core/x.ts" }])).toEqual([
      "core/x.ts imports from ops/ (above core/)",
    ]);
    expect(upward([{ from: "ops", to: "core", file: "ops/x.ts" }])).toEqual([]);
  });
});
