// The float32 peak of the machine the bench runs on, measured by the native addon's FMA probe
// (native/src/peak.cc): every hardware thread runs independent FMA chains at once, timed by its own CPU time.
import { createRequire } from "node:module";
import path from "node:path";

export interface Peak {
  /** Sum over threads of FLOPs ÷ thread CPU time. */
  gflops: number;
  /** All FLOPs ÷ the longest thread's wall time (lower than gflops when other processes take the cores). */
  wallGflops: number;
  perThread: number[];
  threads: number;
  chains: number;
  isa: string;
  /** How each thread was timed: "thread CPU time", or "wall clock" where the platform has no thread clock. */
  clock?: string;
}

type Addon = { peakProbe?: (threads?: number, seconds?: number, cap?: "avx2" | "scalar") => Peak };

/** Runs the probe (`seconds` per thread), or says why it cannot: no addon built, or one without the probe. */
export function measurePeak(root: string, seconds: number): Peak | string {
  const file = path.join(root, "native", "build", "Release", "nabla_native.node");
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (e) {
    return `not measured: the native addon is not built or does not load (${(e as Error).message.split("\n")[0]}; npm run build:native)`;
  }
  if (typeof addon.peakProbe !== "function")
    return "not measured: this build of the native addon has no peakProbe (npm run build:native)";
  return addon.peakProbe(0, seconds);
}

/** The header line: "float32 peak measured here: N GFLOP/s (method)". */
export function peakLine(p: Peak | string): string {
  if (typeof p === "string") return `float32 peak: ${p}.`;
  const lanes = p.isa === "avx512" ? 16 : p.isa === "avx2+fma" ? 8 : 1;
  const what = p.isa === "scalar" ? "scalar multiply-add" : `${p.isa} FMA, ${lanes} lanes`;
  return (
    `float32 peak measured here: ${p.gflops.toFixed(0)} GFLOP/s (${what}, ${p.chains} independent chains on ` +
    `each of ${p.threads} threads at once, timed by ${p.clock ?? "thread CPU time"}: ${p.perThread.map((g) => g.toFixed(0)).join(" + ")}; ` +
    `wall-clock rate ${p.wallGflops.toFixed(0)} GFLOP/s).`
  );
}
