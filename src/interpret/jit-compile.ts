// jit's compiler lives in src/compile; this module keeps the older import path working.
export { compileGraph, type Executable, type StepPlan } from "../compile/executable.js";
