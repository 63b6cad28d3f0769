// Every public value export carries TSDoc with a runnable @example.
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

function publicExports(): { name: string; hasExample: boolean; kind: string }[] {
  const program = ts.createProgram([path.join(root, "src/index.ts")], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const src = program.getSourceFile(path.join(root, "src/index.ts"))!;
  const mod = checker.getSymbolAtLocation(src)!;
  const out: { name: string; hasExample: boolean; kind: string }[] = [];
  const visit = (sym: ts.Symbol, prefix: string) => {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const decl = target.declarations?.[0];
    if (!decl) return;
    if (ts.isSourceFile(decl) || ts.isModuleDeclaration(decl)) {
      for (const s of checker.getExportsOfModule(target)) visit(s, `${prefix}${sym.name}.`);
      return;
    }
    const isValue = target.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable | ts.SymbolFlags.Class);
    if (!isValue) return;
    const tags = target.getJsDocTags(checker);
    const doc = ts.displayPartsToString(target.getDocumentationComment(checker));
    out.push({
      name: prefix + sym.name,
      hasExample: tags.some((t) => t.name === "example") || /@example/.test(doc),
      kind: ts.SymbolFlags[target.flags] ?? "",
    });
  };
  for (const s of checker.getExportsOfModule(mod)) visit(s, "");
  return out;
}

describe("API documentation", () => {
  const exported = publicExports();
  it("finds the public exports", () => {
    expect(exported.map((e) => e.name)).toEqual(
      expect.arrayContaining(["grad", "array", "random.normal", "Tensor"]),
    );
  });
  it("gives every public function, class and constant an @example", () => {
    const missing = exported.filter((e) => !e.hasExample).map((e) => e.name);
    expect(missing).toEqual([]);
  });
});
