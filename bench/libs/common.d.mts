// Types of common.mjs for the TypeScript side (bench/run.ts and the nabla worker).

export type Workload = "B1" | "B2" | "B3" | "B4" | "B5" | "B6" | "B7" | "B8" | "B9" | "B10" | "B11" | "B12";
export type Unit = "GFLOPS" | "ms" | "steps/s" | "us/op";
export type Library = "nabla" | "tfjs-cpu" | "tfjs-wasm" | "jax-js" | "numpy" | "jax" | "torch";
export type Mode = "eager" | "jit";

/** One result line: the fields of the JSON output plus optional details. */
export interface BenchRecord {
  workload: Workload;
  size: string;
  library: Library;
  mode: Mode;
  value: number | null;
  unit: Unit;
  reps?: number;
  /** Process CPU time ÷ wall time over the timed calls. */
  cpu?: number;
  /** Minor page faults per timed call (process.resourceUsage().minorPageFault over the timed loop). */
  faults?: number;
  first_ms?: number;
  /** B9 compile rows: the second call of the same nb.jit build (the run without trace and compile). */
  second_ms?: number;
  /** Trace and compile alone (nabla jit's lower), without running. */
  lower_ms?: number;
  /** B4 grad(jit(f)): median of its calls timed in turn with jit(grad(f))'s, and that form's median. */
  paired_ms?: number;
  paired_jit_of_grad_ms?: number;
  check?: "ok" | "WRONG";
  err?: number;
  note?: string;
  /** B11, B12: the loss of the first call (the recorded runs give it too). */
  loss0?: number;
  error?: string;
  source?: "recorded";
}

export interface Timing {
  minReps: number;
  maxReps: number;
  budgetMs: number;
  warmupMs: number;
  capMs: number;
}
export interface Measured<T> {
  ms: number;
  reps: number;
  cpu: number;
  faults: number;
  firstMs: number;
  first: T;
}
export type CaseResult = Omit<BenchRecord, "workload" | "size" | "library" | "mode">;

export const WORKLOADS: Workload[];
export function sizesOf(workload: Workload, quick: boolean, library?: string): string[];
export function unitsOf(workload: Workload): Unit[];
export const B9_SIZES: string[];
export function modesOf(workload: Workload, size: string, modes: Mode[]): Mode[];
export function higherIsBetter(unit: Unit): boolean;
export const FULL: Timing;
export const QUICK: Timing;
export function emit(obj: object): void;

export interface Runner {
  quick: boolean;
  timing: Timing;
  want(workload: Workload): boolean;
  sizes(workload: Workload): string[];
  run(
    workload: Workload,
    size: string,
    mode: Mode,
    body: (t: Timing) => Promise<CaseResult[]>,
  ): Promise<void>;
}
export function createRunner(library: Library): Runner;
export class TooSlow extends Error {}
export function measure<T>(fn: () => T | Promise<T>, t: Timing): Promise<Measured<T>>;
export function stats(m: Measured<unknown>): { reps: number; cpu: number; faults: number };
export function timeRec(m: Measured<unknown>, extra?: Record<string, unknown>): CaseResult;

export function uniform(seed: number, size: number, lo: number, hi: number): Float32Array;
export interface MlpData {
  B: number;
  sizes: number[];
  params: Record<string, Float32Array>;
  X: Float32Array;
  labels: Int32Array;
  Y: Float32Array;
  lr: number;
}
export const inputs: {
  matmul(n: number): { a: Float32Array; b: Float32Array };
  b2(): Float32Array;
  rosen(): Float32Array;
  tanhSum(n: number): { A: Float32Array; x: Float32Array };
  b7(): Float32Array;
  mlp(): MlpData;
};
export const PARAM_NAMES: string[];
export interface RnnData {
  T: number;
  B: number;
  H: number;
  I: number;
  params: Record<string, Float32Array>;
  xs: Float32Array;
  lr: number;
}
export const RNN_PARAM_NAMES: string[];
export function rnnInputs(T: number): RnnData;
export const B8_ITERS: number;
export const B10_OPS: string[];
export const B10_N: number[];
export function uniform64(seed: number, size: number, lo: number, hi: number): Float64Array;
export function b10Inputs(n: number): { a: Float64Array; b: Float64Array };
export function checkB10(
  op: string,
  n: number,
  a: Numbers,
  b: Numbers,
  out: { l?: Numbers; x?: Numbers; w?: Numbers; v?: Numbers },
): number;
export const B8_OPS: number;

type Numbers = ArrayLike<number>;
export const TOL: number;
export function relErr(got: Numbers, ref: Numbers): number;
export function checkFields(err: number): Pick<BenchRecord, "check" | "err">;
export function checkMatmul(c: Numbers, a: Numbers, b: Numbers, n: number): number;
export function b2Ref(x: Numbers): Float64Array;
export function rosenGradRef(x: Numbers): Float64Array;
export function hessianRef(A: Numbers, x: Numbers, n: number): Float64Array;
export function thirdRef(A: Numbers, x: Numbers, n: number): Float64Array;
export function b7Ref(xs: Numbers, k: number): Float64Array;
export function b8Ref(): { value: number; gx: number; gy: number };
export function checkB8Grad(gx: number, gy: number): number;
export function checkB8Value(value: number): number;
export function checkMlpStep(loss: number, newParams: Record<string, Numbers>, data: MlpData): number;
export function rnnRef(d: RnnData): { loss: number; grads: Record<string, Float64Array> };
export function checkRnnStep(loss: number, newParams: Record<string, Numbers>, d: RnnData): number;
export function comparatorRequire(pkg: string): { req: NodeJS.Require; dir: string } | null;

export interface CnnData {
  N: number;
  x: Float32Array;
  labels: Int32Array;
  params: Record<string, Float32Array>;
  lr: number;
}
export function cnnInputs(): CnnData;
export const CNN_PARAM_NAMES: string[];
export const CNN_SHAPES: Record<string, number[]>;
export function cnnRef(d: CnnData): { loss: number; grads: Record<string, Float64Array> };
export function checkCnnStep(loss: number, newParams: Record<string, Numbers>, d: CnnData): number;
export interface TransformerData {
  B: number;
  S: number;
  D: number;
  H: number;
  F: number;
  x: Float32Array;
  params: Record<string, Float32Array>;
}
export function transformerInputs(): TransformerData;
export const TF_PARAM_NAMES: string[];
export const TF_SHAPES: Record<string, number[]>;
export const TF_GROUPS: string[][];
export function transformerLoss64(x: Numbers, p: Record<string, Numbers>): number;
export function transformerRef(d: TransformerData): {
  loss: number;
  dirs: { group: string[]; v: Record<string, Float64Array>; slope: number }[];
};
export function checkTransformer(loss: number, grads: Record<string, Numbers>, d: TransformerData): number;
