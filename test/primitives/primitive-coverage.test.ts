// Every primitive is checked: it has a row in the derivative table (test/util/op-table.ts, whose rows are
// named after the primitive they exercise) and, for the unary family, a test domain in its declaration.
import { describe, expect, it } from "vitest";
import { multiShapeRules, shapeRules } from "../../src/primitives/shape-rules.js";
import { UNARY, UNARY_PRIMS } from "../../src/primitives/unary.js";
import { opTable } from "../util/op-table.js";

/** Every primitive, with those of several outputs (cond). */
const PRIMS = [...Object.keys(shapeRules), ...Object.keys(multiShapeRules)];
/** The primitive a row exercises: the first word of its name ("mul (scalar × matrix)" → "mul"). */
const primOf = (rowName: string) => rowName.split(/[\s(]/)[0]!;

describe("every primitive is in the tables its tests are driven by", () => {
  it("the derivative table has a row for every primitive", () => {
    const covered = new Set(opTable.map((r) => primOf(r.name)));
    expect(PRIMS.length).toBeGreaterThan(60);
    expect(PRIMS.filter((p) => !covered.has(p))).toEqual([]);
  });

  it("every unary primitive declares a test domain of proper intervals", () => {
    expect(UNARY_PRIMS.length).toBeGreaterThan(25);
    for (const p of UNARY_PRIMS) {
      const { domain } = UNARY[p];
      expect(domain.length, p).toBeGreaterThan(0);
      for (const [lo, hi] of domain)
        expect(lo < hi && Number.isFinite(lo) && Number.isFinite(hi), p).toBe(true);
    }
  });

  it("a missing row would be found", () => {
    const covered = new Set(opTable.filter((r) => primOf(r.name) !== "tanh").map((r) => primOf(r.name)));
    expect(PRIMS.filter((p) => !covered.has(p))).toEqual(["tanh"]);
  });
});
