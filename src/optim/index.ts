// nb.optim: optax-style optimizers as pure {init, update} gradient transformations, clipping and schedules.

export {
  type AsTensors,
  type CubicStep,
  type HistoryEntry,
  type MethodName,
  type MinimizeOptions,
  type MinimizeResult,
  minimize,
  solveCubic,
} from "../minimize/index.js";
export { clipByGlobalNorm, clipByValue, globalNorm } from "./clip.js";
export {
  type AdagradOptions,
  type AdamOptions,
  type AdamWOptions,
  adagrad,
  adam,
  adamw,
  type RmspropOptions,
  rmsprop,
  type SgdOptions,
  sgd,
} from "./optimizers.js";
export {
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  type LearningRate,
  linearSchedule,
  type Schedule,
  stepSchedule,
  warmup,
  warmupCosineDecay,
} from "./schedules.js";
export {
  NonFiniteLossError,
  NonFiniteUpdateError,
  type StepOptions,
  type StepResult,
  step,
  Trainer,
} from "./step.js";
export {
  addDecayedWeights,
  applyUpdates,
  chain,
  type GradientTransformation,
  identity,
  type LeafFilter,
  type OptState,
  scale,
  scaleByLearningRate,
} from "./transform.js";
export type { Tree } from "./tree.js";
