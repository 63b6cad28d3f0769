// Who runs each compiled step. A fused loop goes to the first kernel engine that accepts it, from the one
// ordered list (KERNEL_ENGINES in backend/fast/codegen.ts, below this layer so the eager fast backend
// chooses from the same list); the engines before it say why they declined. A matrix product goes to the
// kernel the fast backend's size thresholds select (fast/matmul.ts), with the same kind of reasons.
import type { Backend } from "../backend/backend.js";
import { type Engine, engineEnabled } from "../backend/engines.js";
import {
  canGenerateCode,
  compileFusedOn,
  type Declined,
  type EngineKernel,
} from "../backend/fast/codegen.js";
import { dotPlan } from "../backend/fast/matmul.js";
import type { FusedSpec } from "../backend/fusion.js";
import { NATIVE_MIN_WORK, nativeMatmulReady } from "../backend/native/matmul.js";
import { threadedWorthIt } from "../backend/threads/matmul.js";
import { wasmMatmulReady } from "../backend/wasm/matmul.js";
import type { DType } from "../core/dtype.js";
import type { PrimParams } from "../core/primitives.js";

export { type Declined, KERNEL_ENGINES, type KernelEngine } from "../backend/fast/codegen.js";

/** Whether jit fuses loops for `backend`: the reference backend runs every primitive by its own kernel. */
export const fusesLoops = (backend: Backend): boolean => canGenerateCode() && backend.name !== "reference";

/** A loop's kernel, its engine, and the engines tried before it with their reasons. */
export interface LoopChoice extends EngineKernel {
  readonly declined: readonly Declined[];
}

/** Compiles a fused loop with the first engine that accepts it, keeping why the earlier ones did not. */
export function compileLoop(spec: FusedSpec): LoopChoice {
  const declined: Declined[] = [];
  const { kernel, engine } = compileFusedOn(spec, declined);
  return { kernel, engine, declined };
}

/** A matrix product's engine, and the engines before it with their reasons. */
export interface MatmulChoice {
  readonly engine: Engine;
  readonly declined: readonly { readonly engine: Engine; readonly reason: string }[];
}

const WASM_MIN_WORK = 24 * 24 * 24; // the fast backend's threshold for WebAssembly products (fast/matmul.ts)
const OFF = "turned off (setEngines)";

/** The kernel the fast backend's dot_general picks for these operands (fast/matmul.ts's order). */
export function matmulEngine(
  params: PrimParams["dot_general"],
  xShape: readonly number[],
  yShape: readonly number[],
  dtype: DType,
): MatmulChoice {
  const declined: { engine: Engine; reason: string }[] = [];
  if (dtype !== "float32" && dtype !== "float64") {
    declined.push({ engine: "native", reason: `${dtype} data` }, { engine: "wasm", reason: `${dtype} data` });
    return { engine: "js", declined };
  }
  const { M, K, N } = dotPlan(xShape, yShape, params);
  const work = M * K * N;
  const fewer = (min: number) => `${work} multiply-adds, fewer than ${min}`;
  if (!engineEnabled("native")) declined.push({ engine: "native", reason: OFF });
  else if (work < NATIVE_MIN_WORK) declined.push({ engine: "native", reason: fewer(NATIVE_MIN_WORK) });
  else if (!nativeMatmulReady()) declined.push({ engine: "native", reason: "no native addon" });
  else return { engine: "native", declined };
  if (!engineEnabled("wasm")) declined.push({ engine: "wasm", reason: OFF });
  else if (work < WASM_MIN_WORK) declined.push({ engine: "wasm", reason: fewer(WASM_MIN_WORK) });
  else {
    if (engineEnabled("threads") && threadedWorthIt(dtype === "float32" ? "f32" : "f64", M, K, N))
      return { engine: "threads", declined };
    if (wasmMatmulReady()) return { engine: "wasm", declined };
    declined.push({ engine: "wasm", reason: "no WebAssembly SIMD here" });
  }
  return { engine: "js", declined };
}
