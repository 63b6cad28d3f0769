// The `nabla` command, run in-process as a user would type it (and once through the bin script).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as nb from "nabla";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/main.js";

let stdout = "";
let stderr = "";
beforeEach(() => {
  stdout = "";
  stderr = "";
  process.exitCode = undefined;
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const nabla = async (...args: string[]) => {
  stdout = "";
  stderr = "";
  process.exitCode = undefined;
  await run(args);
  return { stdout, stderr, code: process.exitCode ?? 0 };
};

const POLY = "x^4 - 2x^3 + 3x^2 - 4x + 5";
const closed = [
  (x: number) => 4 * x ** 3 - 6 * x ** 2 + 6 * x - 4,
  (x: number) => 12 * x ** 2 - 12 * x + 6,
  (x: number) => 24 * x - 12,
  () => 24,
];

describe("nabla diff", () => {
  it.each([-1, 0.5, 2, 3.7])(
    "the seed polynomial at %d: symbolic = AD = closed form, numeric within its error",
    async (x) => {
      const r = await nabla("diff", POLY, "--order", "4", "--at", String(x), "--json");
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ expr: POLY, variable: "x", at: { x } });
      expect(j.orders.map((o: { formula: string }) => o.formula)).toEqual([
        "4x^3 - 6x^2 + 6x - 4",
        "12x^2 - 12x + 6",
        "24x - 12",
        "24",
      ]);
      j.orders.forEach(
        (o: {
          order: number;
          symbolic: number;
          ad: number;
          numeric: number;
          numericError: number;
          latex: string;
        }) => {
          const exact = closed[o.order - 1]!(x);
          expect(o.symbolic).toBe(exact);
          expect(o.ad).toBe(exact);
          expect(Math.abs(o.numeric - exact)).toBeLessThanOrEqual(o.numericError);
          expect(o.latex.length).toBeGreaterThan(0);
        },
      );
    },
  );

  it("prints a table without colour codes when stdout is not a terminal", async () => {
    const r = await nabla("diff", "sin(x^2)", "--at", "1");
    expect(r.stdout).toContain("2x cos(x^2)");
    expect(r.stdout).toMatch(/finite differences/);
    expect(r.stdout.includes("\u001b[")).toBe(false);
  });

  it("differentiates with respect to another variable", async () => {
    const j = JSON.parse(
      (await nabla("diff", "x^2 y^3", "--wrt", "y", "--at", "x=2,y=1", "--order", "2", "--json")).stdout,
    );
    expect(j.variable).toBe("y");
    expect(j.orders.map((o: { formula: string; ad: number }) => [o.formula, o.ad])).toEqual([
      ["3x^2 y^2", 12],
      ["6x^2 y", 24],
    ]);
  });
});

describe("nabla grad and hessian", () => {
  it("gives one formula and value per variable", async () => {
    const j = JSON.parse((await nabla("grad", "x^2 y + sin(y)", "--at", "x=1,y=2", "--json")).stdout);
    expect(j.gradient.map((g: { variable: string; formula: string }) => [g.variable, g.formula])).toEqual([
      ["x", "2x y"],
      ["y", "x^2 + cos(y)"],
    ]);
    expect(j.gradient[1].value).toBeCloseTo(1 + Math.cos(2), 14);
  });

  it("gives the Hessian's formulas and values", async () => {
    const j = JSON.parse((await nabla("hessian", "x^2 y + sin(y)", "--at", "x=1,y=2", "--json")).stdout);
    expect(j.formulas).toEqual([
      ["2y", "2x"],
      ["2x", "-sin(y)"],
    ]);
    expect(j.values[1][1]).toBeCloseTo(-Math.sin(2), 14);
  });
});

describe("nabla plot", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "nabla-plot-"));
  it("draws f and its derivatives as SVG, with a legend of formulas", async () => {
    const file = path.join(dir, "fig.svg");
    const r = await nabla("plot", POLY, "--order", "3", "--from", "-2", "--to", "4", "-o", file);
    expect(r.code).toBe(0);
    const svg = readFileSync(file, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("24x - 12");
    expect(svg).not.toContain("NaN");
  });

  it("draws the error curve as PNG", async () => {
    const file = path.join(dir, "err.png");
    expect((await nabla("plot", "exp(x)", "--error", "--at", "1", "-o", file)).code).toBe(0);
    expect([...readFileSync(file).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});

describe("bad input", () => {
  it("points at a parse error with a caret", async () => {
    const r = await nabla("diff", "x + 2*)");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unexpected ')' at column 7");
    expect(r.stderr).toContain("  x + 2*)\n        ^");
  });

  it("says when the point is outside the domain instead of printing NaN", async () => {
    const r = await nabla("diff", "log(x)", "--at", "-1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/log\(x\) is not defined at x = -1/);
    expect(r.stdout).toBe("");
  });

  it("names unknown functions and variables, and missing values", async () => {
    expect((await nabla("diff", "foo(x)")).stderr).toMatch(/unknown function 'foo'/);
    expect((await nabla("diff", "x y", "--at", "2")).stderr).toMatch(/give each a value/);
    expect((await nabla("diff", "x", "--wrt", "z")).stderr).toMatch(/--wrt z: not a variable/);
    expect((await nabla("diff", "x", "--at", "x=abc")).stderr).toMatch(/not a finite number/);
  });

  it("refuses absurdly long or deeply nested input quickly", async () => {
    expect((await nabla("diff", "(".repeat(100000))).stderr).toMatch(/too long/);
    expect((await nabla("diff", `${"(".repeat(4000)}x${")".repeat(4000)}`)).stderr).toMatch(
      /nested too deeply/,
    );
  });
});

describe("the bin script", () => {
  it("runs with --help and shows examples", () => {
    const bin = path.resolve(import.meta.dirname, "../../bin/nabla.mjs");
    const help = execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(help).toMatch(/Usage: nabla/);
    expect(help).toMatch(/Examples:/);
    expect(execFileSync(process.execPath, [bin, "diff", "--help"], { encoding: "utf8" })).toMatch(
      /--order <k>/,
    );
  });
});

describe("more bad input", () => {
  it("reports an unwritable output file, formulas without variables, superscripts, and keeps ±Infinity in JSON", async () => {
    expect((await nabla("plot", "x^2", "-o", "/nonexistent/dir/a.svg")).stderr).toMatch(
      /cannot write the file/,
    );
    expect((await nabla("grad", "3")).stderr).toMatch(/no variables/);
    expect((await nabla("diff", "x²")).stderr).toMatch(/unexpected character '²'/);
    const j = JSON.parse((await nabla("diff", "sqrt(x)", "--at", "0", "--json")).stdout);
    expect(j.orders[0].ad).toBe("Infinity");
  });
});

describe("orders and sizes are bounded", () => {
  it("refuses --order above the maximum before any work, naming the option and the maximum", async () => {
    const r = await nabla("diff", "exp(exp(exp(x)))", "--order", "11");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--order 11: give an integer from 1 to 10 \(the highest order nabla computes\)/);
    expect((await nabla("diff", "x^2", "--order", "0")).stderr).toMatch(
      /--order 0: give an integer from 1 to 10/,
    );
    expect((await nabla("plot", "x^2", "--order", "12", "-o", "x.svg")).stderr).toMatch(
      /--order 12: give an integer from 0 to 10/,
    );
  });

  it("the highest order of exp(exp(exp(x))): formula, autodiff and the formula's value agree", async () => {
    const j = JSON.parse(
      (await nabla("diff", "exp(exp(exp(x)))", "--order", "10", "--at", "0.3", "--json")).stdout,
    );
    expect(j.orders).toHaveLength(10);
    for (const o of j.orders as { symbolic: number; ad: number; formula: string }[]) {
      expect(Math.abs(o.symbolic - o.ad)).toBeLessThanOrEqual(1e-12 * Math.abs(o.ad));
      expect(nb.parse(o.formula).evaluate({ x: 0.3 })).toBe(o.symbolic);
    }
  });

  it("the length limit counts where-bindings", async () => {
    const r = await nabla("diff", `u where u = ${"x+".repeat(5000)}x`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expression too long \(\d+ characters; the limit is 10000\)/);
  });

  it("reads --at values by own names only", async () => {
    expect((await nabla("diff", "x", "--at", "x=constructor")).stderr).toMatch(/not a finite number/);
    const j = JSON.parse(
      (await nabla("grad", "__proto__ * constructor", "--at", "__proto__=2,constructor=3", "--json")).stdout,
    );
    expect(j.gradient.map((g: { value: number }) => g.value)).toEqual([3, 2]);
  });
});
