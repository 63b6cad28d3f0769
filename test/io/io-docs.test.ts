// Every value exported by nb.io and nb.data carries TSDoc with an @example (as test/docs.test.ts checks for
// src/index.ts), and every example runs: in a temporary folder, with `nb` the library plus these namespaces.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as nabla from "nabla";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import * as data from "../../src/data/index.js";
import * as io from "../../src/io/index.js";

const root = path.resolve(import.meta.dirname, "../..");
const ENTRIES = ["src/io/index.ts", "src/data/index.ts"];

/** The exported values of `entry`, each with the code of its @example (undefined when it has none). */
function examples(entry: string): { name: string; code: string | undefined }[] {
  const file = path.join(root, entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const mod = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const out: { name: string; code: string | undefined }[] = [];
  for (const sym of checker.getExportsOfModule(mod)) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    if (!(target.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable | ts.SymbolFlags.Class)))
      continue;
    const tag = target.getJsDocTags(checker).find((t) => t.name === "example");
    const text = tag ? ts.displayPartsToString(tag.text) : undefined;
    out.push({ name: sym.name, code: text?.match(/```ts\n([\s\S]*?)```/)?.[1] });
  }
  return out;
}

/** A statement with a JSON value in its comment (`x.shape; // [2, 3]`) becomes a check of that value. */
function withCheck(line: string): string {
  const m = line.match(/^(\s*)([^;]+);\s*\/\/ (.+)$/);
  if (!m || /^(const|let|var|try|if|for)\b/.test(m[2]!)) return line;
  for (const text of [m[3]!, m[3]!.split(/: | \(/)[0]!]) {
    try {
      const want = JSON.parse(text);
      return `${m[1]}check(await (${m[2]}), ${JSON.stringify(want)}, ${JSON.stringify(line.trim())});`;
    } catch {}
  }
  return line;
}

const all = ENTRIES.map((entry) => ({ entry, list: examples(entry) }));
const nb = { ...nabla, io, data };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<unknown>;

describe("nb.io and nb.data documentation", () => {
  it.each(all)("$entry: every exported value has an @example", ({ list }) => {
    expect(list.length).toBeGreaterThan(5);
    expect(list.filter((e) => e.code === undefined).map((e) => e.name)).toEqual([]);
  });

  const cwd = process.cwd();
  const work = mkdtempSync(path.join(tmpdir(), "nabla-examples-"));
  afterAll(() => {
    process.chdir(cwd);
    rmSync(work, { recursive: true, force: true });
  });

  const runnable = all.flatMap(({ list }) => list.filter((e) => e.code !== undefined));
  it.each(runnable)("the example of $name runs and shows the values it computes", async ({ code }) => {
    process.chdir(work); // examples write files such as model.safetensors
    // An example that documents an error ("// SafetensorsError: …") must throw exactly that error.
    const thrown = code!.match(/\/\/ (\w*Error):/)?.[1];
    const checked = code!.split("\n").map(withCheck).join("\n");
    const run = new AsyncFunction("nb", "check", checked)(nb, (got: unknown, want: unknown, line: string) =>
      expect(got, line).toEqual(want),
    );
    if (thrown === undefined) await run;
    else await expect(run).rejects.toMatchObject({ name: thrown });
  });
});
