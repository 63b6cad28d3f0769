// The expression tree shared by the parser, the simplifier and the printers.
import { BINARY, BINARY_PRIMS } from "../primitives/binary.js";
import { UNARY, UNARY_PRIMS, type UnaryPrim } from "../primitives/unary.js";

/** The comparisons a formula may contain. */
export type CmpOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

/** A node of a mathematical expression. Positions (`at`, 0-based column) are kept from parsing for errors. */
export type Node =
  | { readonly kind: "num"; readonly value: number; readonly name?: "pi" | "e"; readonly at?: number }
  | { readonly kind: "var"; readonly name: string; readonly at?: number }
  | { readonly kind: "neg"; readonly arg: Node; readonly at?: number }
  | {
      readonly kind: "add" | "sub" | "mul" | "div" | "pow";
      readonly left: Node;
      readonly right: Node;
      readonly at?: number;
    }
  | { readonly kind: "call"; readonly fn: FunctionName; readonly args: readonly Node[]; readonly at?: number }
  /** A comparison, 1 when true and 0 when false (appears in derivatives of abs, relu, max, ...). */
  | {
      readonly kind: "cmp";
      readonly op: CmpOp;
      readonly left: Node;
      readonly right: Node;
      readonly at?: number;
    }
  /** test ? then : else — a piecewise formula. */
  | {
      readonly kind: "cond";
      readonly test: Node;
      readonly ifTrue: Node;
      readonly ifFalse: Node;
      readonly at?: number;
    };

/** The primitives a formula calls by name (from each primitive's declaration), by that name. */
export const PRIMITIVE_FUNCTIONS: ReadonlyMap<string, UnaryPrim> = new Map(
  UNARY_PRIMS.flatMap((p) => {
    const f = UNARY[p].formula;
    return f ? [[f.name, p] as const] : [];
  }),
);

/** Functions of the formula language that are not primitives: compositions of unary ones. */
const COMPOSITES = { sec: 1, sech: 1, relu: 1, softplus: 1 } as const;

/** The binary primitives a formula calls by name (from each one's declaration), by that name. */
export const BINARY_FUNCTIONS: readonly string[] = BINARY_PRIMS.flatMap((p) => {
  const name = BINARY[p].formula.name;
  return name === undefined ? [] : [name];
});

/** The functions an expression may call, with their number of arguments. */
export const FUNCTIONS: Readonly<Record<string, 1 | 2>> = {
  ...Object.fromEntries([...PRIMITIVE_FUNCTIONS.keys()].map((f) => [f, 1])),
  ...COMPOSITES,
  ...Object.fromEntries(BINARY_FUNCTIONS.map((f) => [f, 2])),
};
/** The name of a function a formula calls (a key of FUNCTIONS). */
export type FunctionName = string;

/** Aliases accepted by the parser. */
export const FUNCTION_ALIASES: Readonly<Record<string, FunctionName>> = { ln: "log" };

const FUNCTION_LOOKUP: ReadonlyMap<string, FunctionName> = new Map([
  ...Object.keys(FUNCTIONS).map((f) => [f, f] as const),
  ...Object.entries(FUNCTION_ALIASES),
]);

/**
 * The function a name calls (an alias resolved), or undefined; only the names above count, never inherited
 * object properties such as `toString`.
 * @example
 * ```ts
 * functionNamed("ln"); // "log"
 * functionNamed("toString"); // undefined
 * ```
 */
export const functionNamed = (name: string): FunctionName | undefined => FUNCTION_LOOKUP.get(name);

export const num = (value: number): Node => ({ kind: "num", value });
export const variable = (name: string): Node => ({ kind: "var", name });
