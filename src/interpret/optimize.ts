// jit's graph optimizer lives in src/compile/optimize.ts; this module keeps the older import path working.
export { type Def, type Graph, optimize, toGraph } from "../compile/optimize.js";
