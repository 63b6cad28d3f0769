// Minimization with curvature (Newton, cubic regularization, Halley, L-BFGS) and first-order baselines.
export { type CubicStep, solveCubic } from "./cubic-subproblem.js";
export { minimize } from "./minimize.js";
export type { AsTensors, HistoryEntry, MethodName, MinimizeOptions, MinimizeResult } from "./types.js";
