#!/usr/bin/env node
// Prints the instruction set the native addon's kernels are compiled for: "avx512", "avx2" or "generic".
// native/binding.gyp runs it while configuring. The answer is the best of those three levels that the
// building CPU supports, named rather than `-march=native`: each level uses only extensions the addon
// checks at run time (SSE4.1, AVX, AVX2, FMA, AVX-512 F/VL/BW/DQ), so a build copied to an older x86-64
// CPU refuses its kernels instead of dying of an illegal instruction.
// NABLA_NATIVE_ISA=generic|avx2|avx512 overrides the detection (to build for other machines).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { fileURLToPath } from "node:url";

export const LEVELS = ["generic", "avx2", "avx512"];

/** The CPU's feature names, lowercased (Linux: /proc/cpuinfo; macOS: sysctl), or undefined if unknown. */
function cpuFeatures() {
  try {
    if (platform() === "linux") {
      const line = readFileSync("/proc/cpuinfo", "utf8")
        .split("\n")
        .find((l) => l.startsWith("flags"));
      return line
        ? new Set(
            line
              .slice(line.indexOf(":") + 1)
              .trim()
              .split(/\s+/),
          )
        : undefined;
    }
    if (platform() === "darwin") {
      const out = execFileSync("sysctl", ["-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      // macOS spells them AVX2, FMA, AVX512F, AVX512VL, ...
      return new Set(out.toLowerCase().split(/\s+/).filter(Boolean));
    }
  } catch {
    // unknown: build the generic kernels
  }
  return undefined;
}

/** The level to compile for on this machine. */
export function nativeIsa(env = process.env) {
  const forced = (env.NABLA_NATIVE_ISA ?? "").trim().toLowerCase();
  if (LEVELS.includes(forced)) return forced;
  if (arch() !== "x64") return "generic";
  const has = cpuFeatures();
  if (!has) return "generic";
  const all = (...names) => names.every((n) => has.has(n));
  const avx2 = all("sse4_1", "avx", "avx2", "fma") || all("sse4.1", "avx1.0", "avx2", "fma");
  if (avx2 && all("avx512f", "avx512vl", "avx512bw", "avx512dq")) return "avx512";
  return avx2 ? "avx2" : "generic";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(nativeIsa());
