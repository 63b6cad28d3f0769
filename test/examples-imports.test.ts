// The examples must be copyable into a user's project: they import "nabla", node: builtins, packages this
// package depends on, and each other (./common.js) — never the library's sources (../src/...).
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const examplesDir = join(root, "examples");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const packages = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".ts"));

/** Every module specifier in a source file: static imports and re-exports, `import("…")`, `require("…")`. */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!));
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Why an import is not allowed in an example, or undefined when it is. */
function refusal(spec: string): string | undefined {
  if (spec === "nabla") return undefined;
  if (spec.startsWith("node:")) return builtinModules.includes(spec.slice(5)) ? undefined : "unknown builtin";
  if (spec.startsWith(".")) {
    // Another example file (./common.js) is fine; anything that leaves examples/ is the library's source.
    return /^\.\/[\w-]+\.js$/.test(spec) && examples.includes(spec.slice(2).replace(/\.js$/, ".ts"))
      ? undefined
      : 'import from "nabla" instead of a path outside examples/';
  }
  if (spec.startsWith("/")) return 'import from "nabla" instead of an absolute path';
  if (spec.startsWith("nabla/")) return 'only "nabla" itself is exported';
  return packages.has(packageName(spec)) ? undefined : "not a dependency in package.json";
}

describe("examples import only nabla, node: builtins and declared packages", () => {
  it("finds the examples and their imports", () => {
    expect(examples.length).toBeGreaterThan(5);
    expect(specifiers(readFileSync(join(examplesDir, "common.ts"), "utf8"))).toContain("nabla");
  });

  it("the check itself refuses source paths and undeclared packages", () => {
    const src =
      'import { lineChart } from "../src/viz/index.js";\nimport x from "left-pad";\nconst m = await import("../src/index.js");';
    expect(specifiers(src).map(refusal)).toEqual([
      'import from "nabla" instead of a path outside examples/',
      "not a dependency in package.json",
      'import from "nabla" instead of a path outside examples/',
    ]);
    expect(["nabla", "node:fs", "./common.js", "@observablehq/plot", "fs"].map(refusal)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      "not a dependency in package.json",
    ]);
  });

  it.each(examples)("examples/%s", (file) => {
    const bad = specifiers(readFileSync(join(examplesDir, file), "utf8"))
      .map((spec) => ({ spec, why: refusal(spec) }))
      .filter((r) => r.why !== undefined)
      .map((r) => `"${r.spec}": ${r.why}`);
    expect(bad, `examples/${file}`).toEqual([]);
  });
});
