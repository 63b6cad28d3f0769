// Every public export of nabla has a readable example in a test/**/examples-*.test.ts; this test keeps it so.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
const exampleText = readdirSync(here, { recursive: true, encoding: "utf8" })
  .filter((f) => /(^|\/)examples-.*\.test\.ts$/.test(f))
  .map((f) => readFileSync(here + f, "utf8"))
  .join("\n");

/** The names src/index.ts exports, type-only ones included. */
function indexExports(): string[] {
  const src = readFileSync(fileURLToPath(new URL("../src/index.ts", import.meta.url)), "utf8");
  const names: string[] = [];
  for (const m of src.matchAll(/export (?:type )?\{([^}]*)\}/g))
    for (const part of m[1]!.split(",")) {
      const name = part.trim().replace(/^type\s+/, "");
      if (name) names.push(name);
    }
  for (const m of src.matchAll(/export \* as (\w+)/g)) names.push(m[1]!);
  return names;
}

describe("example coverage", () => {
  it("every export of src/index.ts is used as nb.<name> in an example file", () => {
    const names = indexExports();
    expect(names.length).toBeGreaterThan(100);
    const missing = names.filter((n) => !new RegExp(`\\bnb\\.${n}\\b`).test(exampleText));
    expect(missing).toEqual([]);
  });

  it("every runtime export is exported from src/index.ts (nothing hidden from the list above)", () => {
    const names = new Set(indexExports());
    expect(Object.keys(nb).filter((k) => !names.has(k))).toEqual([]);
  });

  it("every function of nb.random has an example", () => {
    const missing = Object.keys(nb.random).filter(
      (n) => !new RegExp(`\\brandom\\.${n}\\(`).test(exampleText),
    );
    expect(missing).toEqual([]);
  });

  it("every Tensor method and property has an example", () => {
    const proto = Object.getOwnPropertyNames(nb.Tensor.prototype).filter((n) => n !== "constructor");
    expect(proto.length).toBeGreaterThan(30);
    const missing = proto.filter((n) => !new RegExp(`\\.${n}\\b`).test(exampleText));
    expect(missing).toEqual([]);
  });
});
