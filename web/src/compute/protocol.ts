// Messages between the page and its compute workers.
import type { Vec2 } from "./cubic.js";
import type { ErrorCurveData, Formula, ProgramPicture } from "./derivatives.js";
import type { FnSpec } from "./fn.js";
import type { MethodSettings, OptPath } from "./optimize.js";
import type { Dataset, OptimizerKind, TrainConfig, TrainSnapshot } from "./training.js";

export interface Jobs {
  /** Fills grid points i0 … i1−1; into `shared` (orders+1 rows of n) when given, else returns the slice. */
  curves: {
    job: {
      spec: FnSpec;
      from: number;
      to: number;
      n: number;
      i0: number;
      i1: number;
      orders: number;
      shared?: SharedArrayBuffer;
    };
    result: { ys: Float64Array[] | null };
    progress: never;
  };
  point: { job: { spec: FnSpec; x0: number; maxOrder: number }; result: number[]; progress: never };
  formula: { job: { spec: FnSpec; order: number }; result: Formula; progress: never };
  errorCurve: { job: { spec: FnSpec; x0: number; order: number }; result: ErrorCurveData; progress: never };
  program: { job: { spec: FnSpec; order: number; x0: number }; result: ProgramPicture; progress: never };
  surface: {
    job: { text: string; xd: Vec2; yd: Vec2; nx: number; ny: number };
    result: { z: Float64Array; vars: [string, string] };
    progress: never;
  };
  optimize: {
    job: { text: string; methods: MethodSettings[]; starts: Vec2[]; maxIter: number };
    result: OptPath[];
    progress: OptPath[];
  };
  trainReset: {
    job: { config: TrainConfig; res: number; extent: number };
    result: { data: Dataset; boundary: Float64Array };
    progress: never;
  };
  train: {
    job: { steps: number; res: number; extent: number };
    result: TrainProgress;
    progress: TrainProgress;
  };
  trainSet: { job: { lr: number; optimizer: OptimizerKind }; result: null; progress: never };
}

export interface TrainProgress {
  snapshots: TrainSnapshot[];
  accuracy: number;
  boundary: Float64Array | null;
  step: number;
}

export type JobKind = keyof Jobs;
export type JobOf<K extends JobKind> = Jobs[K]["job"];
export type ResultOf<K extends JobKind> = Jobs[K]["result"];
export type ProgressOf<K extends JobKind> = Jobs[K]["progress"];

export type ToWorker = { id: number; kind: JobKind; job: unknown } | { id: number; cancel: true };

export interface WorkerError {
  name: string;
  message: string;
  /** 1-based column of a parse error in the formula. */
  column?: number;
}

export type FromWorker =
  | { id: number; type: "result"; value: unknown }
  | { id: number; type: "progress"; value: unknown }
  | { id: number; type: "error"; error: WorkerError };
