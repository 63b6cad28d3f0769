// The engines that run fused loops and matrix products, in the order they are tried, and a switch that
// turns any of them off (for differential tests that compare every engine with the reference backend).

/** An engine of the fast backend. */
export type Engine = "native" | "wasm" | "threads" | "js" | "interpreter";

/** Every engine, in the order the fast backend tries them. */
export const ENGINES: readonly Engine[] = ["native", "threads", "wasm", "js", "interpreter"];

const disabled = new Set<Engine>();
const listeners: (() => void)[] = [];

/** Calls `f` whenever the set of engines changes (caches of compiled kernels drop their entries). */
export function onEnginesChange(f: () => void): void {
  listeners.push(f);
}

/** Whether `engine` may be used (all are, unless turned off with `setEngines`). */
export const engineEnabled = (engine: Engine): boolean => !disabled.has(engine);

/**
 * Restricts the fast backend to `engines` (the interpreter, the last resort, always stays available) and
 * returns the previous set. The fast backend's eager kernels are compiled again; functions already compiled
 * by jit keep the engines they were compiled for.
 */
export function setEngines(engines: readonly Engine[]): Engine[] {
  const previous = ENGINES.filter((e) => !disabled.has(e));
  disabled.clear();
  for (const e of ENGINES) if (!engines.includes(e) && e !== "interpreter") disabled.add(e);
  for (const f of listeners) f();
  return previous;
}

/** Runs `f` with only `engines` enabled, restoring the previous set afterwards. */
export function withEngines<R>(engines: readonly Engine[], f: () => R): R {
  const previous = setEngines(engines);
  try {
    return f();
  } finally {
    setEngines(previous);
  }
}
