// The direct 2-D convolution of the native addon (native/src/conv.h): NCHW input, OIHW weights, on
// Float32Array or Float64Array data, each output pixel summed in the reference kernel's order in double
// precision, so results equal src/primitives/conv.ts's convData bit for bit.
import type { PrimParams } from "../../core/primitives.js";
import { engineEnabled } from "../engines.js";
import { threadCount } from "../threads/pool.js";
import { type NativeAddon, nativeAddon } from "./load.js";

type FloatArray = Float32Array | Float64Array;

interface ConvExports {
  conv(x: FloatArray, w: FloatArray, out: FloatArray, dims: Int32Array, threads: number): undefined;
}

const hasConv = (addon: NativeAddon): addon is NativeAddon & ConvExports =>
  typeof (addon as NativeAddon & Partial<ConvExports>).conv === "function";

/** Whether the addon is loaded, enabled and has the convolution kernel. */
export function nativeConvReady(): boolean {
  const addon = nativeAddon();
  return addon !== null && engineEnabled("native") && hasConv(addon);
}

/**
 * conv(x, w) into `out` ([N, O, OH, OW], allocated by the caller) on the addon; false (out untouched) when
 * the addon cannot run it (absent, turned off, without the kernel, or arrays of different types).
 */
export function nativeConv(
  x: FloatArray,
  xShape: readonly number[],
  w: FloatArray,
  wShape: readonly number[],
  p: PrimParams["conv"],
  out: FloatArray,
  outShape: readonly number[],
): boolean {
  const addon = nativeAddon();
  if (addon === null || !engineEnabled("native") || !hasConv(addon)) return false;
  if (w.constructor !== x.constructor || out.constructor !== x.constructor) return false;
  // An input without pixels (all padding) is left to the loops.
  if (xShape[2] === 0 || xShape[3] === 0) return false;
  const dims = Int32Array.from([
    ...xShape,
    wShape[0]!,
    wShape[2]!,
    wShape[3]!,
    outShape[2]!,
    outShape[3]!,
    ...p.strides,
    ...p.dilation,
    ...p.padLo,
    ...p.lhsDilation,
  ]);
  addon.conv(x, w, out, dims, engineEnabled("threads") ? threadCount() : 1);
  return true;
}
