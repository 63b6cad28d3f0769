// The primitive wrappers now live in src/primitives/lax.ts (below the interpreters); this module re-exports them.
export * from "../primitives/lax.js";
