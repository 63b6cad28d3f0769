// One random program checked in one mode with one engine set against the reference backend; a shrinker.
import * as nb from "nabla";
import { type Engine, withEngines } from "../../src/backend/engines.js";
import {
  hasForwardMode,
  input,
  type Node,
  type Program,
  programInputs,
  pruneProgram,
  Rng,
  runProgram,
  shapeOfValue,
  showProgram,
} from "./differential-ops.js";

export interface EngineConfig {
  name: string;
  engines: Engine[];
}

/** Engine sets: everything, and each engine alone or without the others (the interpreter is always on). */
export const CONFIGS: readonly EngineConfig[] = [
  { name: "all engines", engines: ["native", "threads", "wasm", "js"] },
  { name: "native+js (one thread)", engines: ["native", "js"] },
  { name: "native+threads (no js, no wasm)", engines: ["native", "threads"] },
  { name: "threads+wasm+js (no native)", engines: ["threads", "wasm", "js"] },
  { name: "wasm+js (no native, one thread)", engines: ["wasm", "js"] },
  { name: "threads+wasm (no native, no js)", engines: ["threads", "wasm"] },
  { name: "js only", engines: ["js"] },
  { name: "interpreter only", engines: [] },
];

/** Transformations compared with the reference. */
export type Mode =
  | "eager"
  | "jit"
  | "jit×2"
  | "vjp"
  | "jit(vjp)"
  | "jvp"
  | "jit(jvp)"
  | "grad"
  | "jit(grad)"
  | "jvp(grad)"
  | "vmap"
  | "jit(vmap)"
  | "vmap(jit)"
  | "vmap(vjp)"
  | "vmap(jvp)";
export const FORWARD_MODES: readonly Mode[] = ["eager", "jit", "jit×2"];
export const DERIVATIVE_MODES: readonly Mode[] = [
  "vjp",
  "jit(vjp)",
  "jvp",
  "jit(jvp)",
  "jit(grad)",
  "jvp(grad)",
];
export const VMAP_MODES: readonly Mode[] = ["vmap", "jit(vmap)", "vmap(jit)", "vmap(vjp)", "vmap(jvp)"];

/** A tensor's values as float64 with its shape (compared after both backends are done). */
export interface Mat {
  shape: number[];
  data: Float64Array;
}
const mat = (t: nb.Tensor): Mat => ({ shape: t.shape, data: Float64Array.from(t.dataSync()) });
const mats = (ts: readonly nb.Tensor[]): Mat[] => ts.map(mat);

function onBackend<T>(name: "reference" | "fast", f: () => T): T {
  const prev = nb.getBackend();
  nb.setBackend(name);
  try {
    return f();
  } finally {
    nb.setBackend(prev);
  }
}

/** Relative tolerances: |got − want| ≤ tol · max(1, max |want|) per output (values are O(1) by design). */
export const TOL = { float64: 1e-10, float32: 2e-4 } as const;

/** The largest scaled difference of `got` from `want`, or a message when shapes or non-finite values differ. */
export function difference(
  got: readonly Mat[],
  want: readonly Mat[],
): { err: number; where: string } | string {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  let worst = { err: 0, where: "" };
  for (let o = 0; o < want.length; o++) {
    const g = got[o]!;
    const w = want[o]!;
    if (g.shape.join() !== w.shape.join()) return `output ${o}: shape [${g.shape}] expected [${w.shape}]`;
    let scale = 1;
    for (const v of w.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < w.data.length; i++) {
      const a = g.data[i]!;
      const b = w.data[i]!;
      if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
      if (!Number.isFinite(a) || !Number.isFinite(b))
        return `output ${o}, element ${i}: got ${a}, expected ${b}`;
      const err = Math.abs(a - b) / scale;
      if (err > worst.err) worst = { err, where: `output ${o}, element ${i}: got ${a}, expected ${b}` };
    }
  }
  return worst;
}

/** Everything a mode needs besides the program: inputs, a cotangent, tangents, vmap axes. */
export interface Case {
  prog: Program;
  xs: nb.Tensor[];
  /** Cotangent of the result (and weights of the scalar for grad). */
  w: nb.Tensor;
  /** Tangents, one per input. */
  ts: nb.Tensor[];
  /** Batch axis per input (null: unmapped), batch size, batched inputs, the result's batch axis. */
  vmap?: { inAxes: (number | null)[]; size: number; xs: nb.Tensor[]; outAxis: number };
}

export function makeCase(prog: Program, seed: number, withVmap: boolean): Case {
  const r = new Rng(seed ^ 0x5bd1e995);
  const outShape = shapeOfValue(prog, prog.out);
  const xs = programInputs(prog);
  const w = input(outShape, r.int(1, 2 ** 30), prog.dtype);
  const ts = prog.inputs.map((i) => input(i.shape, r.int(1, 2 ** 30), prog.dtype));
  const c: Case = { prog, xs, w, ts };
  if (withVmap) {
    const size = r.pick([1, 2, 3, 5]);
    // Unmapped, mapped at the front, or at an inner axis (batch dims away from the front exercise the rules
    // that keep them in place).
    const inAxes: (number | null)[] = prog.inputs.map((i) =>
      r.chance(0.4) ? null : r.chance(0.35) ? 0 : r.int(Math.min(1, i.shape.length), i.shape.length),
    );
    if (!inAxes.some((a) => a !== null)) {
      const k = r.int(0, inAxes.length - 1);
      inAxes[k] = r.int(0, prog.inputs[k]!.shape.length);
    }
    const bxs = prog.inputs.map((i, k) => {
      const a = inAxes[k];
      if (a === null || a === undefined) return xs[k]!;
      const s = [...i.shape.slice(0, a), size, ...i.shape.slice(a)];
      return input(s, r.int(1, 2 ** 30), prog.dtype);
    });
    const outAxis = r.chance(0.6) ? 0 : r.int(0, outShape.length);
    c.vmap = { inAxes, size, xs: bxs, outAxis };
  }
  return c;
}

const range = (n: number) => [...Array(n).keys()];

/** The program's value and derivatives in `mode` on the current backend (jit compiled inside this call). */
export function evaluate(c: Case, mode: Mode): nb.Tensor[] {
  const f = (...a: nb.Tensor[]) => runProgram(c.prog, a);
  const n = c.xs.length;
  const scalar = (...a: nb.Tensor[]) => nb.sum(nb.mul(f(...a), c.w));
  const argnums = range(n);
  const pull = (w: nb.Tensor, ...a: nb.Tensor[]) => nb.vjp(f, ...a)[1](w) as nb.Tensor[];
  switch (mode) {
    case "eager":
      return [f(...c.xs)];
    case "jit":
      return [nb.jit(f)(...c.xs) as nb.Tensor];
    case "jit×2": {
      // Two runs of one compiled program (kept buffers are reused): each result must survive the next run.
      const g = nb.jit(f);
      const first = g(...c.ts) as nb.Tensor;
      return [g(...c.xs) as nb.Tensor, first];
    }
    case "vjp":
      return pull(c.w, ...c.xs);
    case "jit(vjp)":
      return nb.jit(pull)(c.w, ...c.xs) as nb.Tensor[];
    case "jvp":
      return nb.jvp(f, c.xs, c.ts) as nb.Tensor[];
    case "jit(jvp)":
      return nb.jit((...a: nb.Tensor[]) => nb.jvp(f, a.slice(0, n), a.slice(n)))(
        ...c.xs,
        ...c.ts,
      ) as nb.Tensor[];
    case "grad":
      return nb.grad(scalar, { argnums })(...c.xs) as nb.Tensor[];
    case "jit(grad)":
      return nb.jit(nb.grad(scalar, { argnums }))(...c.xs) as nb.Tensor[];
    case "jvp(grad)": {
      const [g, h] = nb.jvp((...a: nb.Tensor[]) => nb.grad(scalar, { argnums })(...a), c.xs, c.ts);
      return [...(g as nb.Tensor[]), ...(h as nb.Tensor[])];
    }
  }
  const v = c.vmap!;
  const axes = { inAxes: v.inAxes, outAxes: v.outAxis };
  switch (mode) {
    case "vmap":
      return [nb.vmap(f, axes)(...v.xs)];
    case "jit(vmap)":
      return [nb.jit(nb.vmap(f, axes))(...v.xs) as nb.Tensor];
    case "vmap(jit)":
      return [nb.vmap(nb.jit(f), axes)(...v.xs)];
    case "vmap(vjp)":
      return nb.vmap((...a: nb.Tensor[]) => pull(c.w, ...a), { inAxes: v.inAxes })(...v.xs) as nb.Tensor[];
    case "vmap(jvp)":
      // Per-example tangents of the program in the (unbatched) directions c.ts.
      return [
        nb.vmap((...a: nb.Tensor[]) => nb.jvp(f, a, c.ts)[1] as nb.Tensor, { inAxes: v.inAxes })(...v.xs),
      ];
  }
  throw new Error(`unknown mode ${mode}`);
}

/** The reference for a vmap mode: the unbatched program run on each slice of the batch, stacked. */
function vmapByLoop(c: Case, mode: Mode): nb.Tensor[] {
  const v = c.vmap!;
  const per = range(v.size).map((b) => {
    const xs = v.xs.map((x, k) => (v.inAxes[k] === null ? x : nb.take(x, b, v.inAxes[k]!)));
    if (mode === "vmap(vjp)") return evaluate({ ...c, xs }, "vjp");
    if (mode === "vmap(jvp)") return evaluate({ ...c, xs }, "jvp").slice(1);
    return evaluate({ ...c, xs }, "eager");
  });
  const axis = mode === "vmap" ? v.outAxis : 0;
  return per[0]!.map((_, o) =>
    nb.stack(
      per.map((p) => p[o]!),
      axis,
    ),
  );
}

/** The mode whose reference result a mode is compared with (the reference runs eagerly, vmap as a loop). */
export const REFERENCE_MODE: Record<Mode, Mode> = {
  eager: "eager",
  jit: "eager",
  "jit×2": "jit×2",
  vjp: "vjp",
  "jit(vjp)": "vjp",
  jvp: "jvp",
  "jit(jvp)": "jvp",
  grad: "grad",
  "jit(grad)": "grad",
  "jvp(grad)": "jvp(grad)",
  vmap: "vmap",
  "jit(vmap)": "vmap",
  "vmap(jit)": "vmap",
  "vmap(vjp)": "vmap(vjp)",
  "vmap(jvp)": "vmap(jvp)",
};

/** The reference backend's result for `mode`. */
export function reference(c: Case, mode: Mode): Mat[] {
  const m = REFERENCE_MODE[mode];
  return onBackend("reference", () => {
    if (m === "jit×2") return mats([...evaluate(c, "eager"), ...evaluate({ ...c, xs: c.ts }, "eager")]);
    return mats(VMAP_MODES.includes(m) ? vmapByLoop(c, m) : evaluate(c, m));
  });
}

/** Which modes make sense for the program. */
export function modesFor(prog: Program, modes: readonly Mode[]): Mode[] {
  const fwd = hasForwardMode(prog);
  return modes.filter((m) => fwd || !["jvp", "jit(jvp)", "jvp(grad)", "vmap(jvp)"].includes(m));
}

export interface Failure {
  mode: Mode;
  config: string;
  detail: string;
}

/** Compiled steps run so far per engine (from jit(f).lower), to show that every engine was reached. */
export const engineSteps: Record<string, number> = {};

function countEngines(c: Case): void {
  const lowered = nb.jit((...a: nb.Tensor[]) => runProgram(c.prog, a)).lower(...c.xs);
  for (const [e, n] of Object.entries(lowered.engines)) engineSteps[e] = (engineSteps[e] ?? 0) + (n ?? 0);
}

/** The largest scaled difference of a passing check so far per dtype (how much of the tolerance is used). */
export const worstError = { float32: 0, float64: 0 };

/** Runs `mode` with `config` on the fast backend and compares it with `want`; null when they agree. */
export function check(c: Case, mode: Mode, config: EngineConfig, want: Mat[] | Error): Failure | null {
  const tol = TOL[c.prog.dtype];
  // Every generated program is valid: an exception anywhere is a failure.
  if (want instanceof Error)
    return { mode, config: "the reference backend", detail: `threw ${firstLines(want)}` };
  let got: Mat[];
  try {
    got = onBackend("fast", () =>
      withEngines(config.engines, () => {
        if (mode === "jit" || mode === "jit×2") countEngines(c);
        return mats(evaluate(c, mode));
      }),
    );
  } catch (e) {
    return { mode, config: config.name, detail: `threw ${firstLines(e as Error)}` };
  }
  const d = difference(got, want);
  if (typeof d === "string") return { mode, config: config.name, detail: d };
  if (d.err <= tol) worstError[c.prog.dtype] = Math.max(worstError[c.prog.dtype], d.err);
  if (d.err > tol)
    return {
      mode,
      config: config.name,
      detail: `scaled error ${d.err.toExponential(2)} > ${tol} at ${d.where}`,
    };
  return null;
}

const firstLines = (e: Error) => (e.stack ?? String(e)).split("\n").slice(0, 4).join("\n");

/** The reference result of `mode`, or its exception (a program the reference rejects must be rejected). */
export function referenceOrError(c: Case, mode: Mode): Mat[] | Error {
  try {
    return reference(c, mode);
  } catch (e) {
    return e as Error;
  }
}

/** The case's vmap axes and batch inputs as text. */
export function showCase(c: Case): string {
  if (c.vmap === undefined) return "";
  const axes = c.vmap.inAxes.map((a) => (a === null ? "null" : a)).join(", ");
  return `// vmap: inAxes [${axes}], outAxes ${c.vmap.outAxis}, batch ${c.vmap.size}`;
}

// ---- shrinking -----------------------------------------------------------------------------------------------

/** The program with node `k` (a node index) replaced by a fresh input of the same shape. */
function cut(prog: Program, k: number): Program {
  const nIn = prog.inputs.length;
  // Old ids to new: inputs stay, the new input takes id nIn, nodes before k shift up by one.
  const map = (v: number) => {
    const j = v - nIn;
    return j < 0 ? v : j < k ? nIn + 1 + j : j === k ? nIn : nIn + j;
  };
  const inputs = [...prog.inputs, { shape: prog.nodes[k]!.shape, seed: 7919 * (k + 1) }];
  const nodes: Node[] = prog.nodes.filter((_, j) => j !== k).map((n) => ({ ...n, args: n.args.map(map) }));
  return pruneProgram({ ...prog, inputs, nodes, out: map(prog.out) });
}

/** The program with node `k` bypassed: its uses read its argument `j` (of the same shape) instead. */
function bypass(prog: Program, k: number, j: number): Program | null {
  const n = prog.nodes[k]!;
  const a = n.args[j];
  if (a === undefined || shapeOfValue(prog, a).join() !== n.shape.join()) return null;
  const id = prog.inputs.length + k;
  const use = (v: number) => (v === id ? a : v);
  const nodes = prog.nodes.map((m, i) => (i <= k ? m : { ...m, args: m.args.map(use) }));
  return pruneProgram({ ...prog, nodes, out: use(prog.out) });
}

/** The program with node `k`'s wrapper (checkpoint, custom rule) removed. */
function unwrap(prog: Program, k: number): Program | null {
  const n = prog.nodes[k]!;
  if (n.op !== "wrap") return null;
  const nodes = prog.nodes.slice();
  nodes[k] = { ...n, op: n.p.inner!.op, p: n.p.inner!.p };
  return { ...prog, nodes };
}

/**
 * Reduces `prog` while `fails` holds: an earlier value as the result, a node replaced by an input or by its
 * argument, a wrapper removed. At most `budget` candidates are tried.
 */
export function shrink(prog: Program, fails: (p: Program) => boolean, budget = 150): Program {
  let best = prog;
  let tries = 0;
  let progress = true;
  while (progress && tries < budget) {
    progress = false;
    const nIn = best.inputs.length;
    const candidates: (() => Program | null)[] = [
      ...best.nodes.map(
        (_, k) => () => (nIn + k < best.out ? pruneProgram({ ...best, out: nIn + k }) : null),
      ),
      ...best.nodes.map((_, k) => () => (nIn + k === best.out ? null : cut(best, k))),
      ...best.nodes.flatMap((n, k) => n.args.map((_, j) => () => bypass(best, k, j))),
      ...best.nodes.map((_, k) => () => unwrap(best, k)),
    ];
    for (const make of candidates) {
      if (tries >= budget) break;
      const p = make();
      if (p === null || p.nodes.length === 0) continue;
      tries++;
      let bad: boolean;
      try {
        bad = fails(p);
      } catch {
        bad = false;
      }
      if (bad) {
        best = p;
        progress = true;
        break;
      }
    }
  }
  return best;
}

/** A failure report: the program as code, the mode and engines, what differs. */
export function report(label: string, c: Case, f: Failure, shrunk?: Program): string {
  const lines = [`${label} — ${f.mode} with ${f.config}: ${f.detail}`, showProgram(c.prog), showCase(c)];
  if (shrunk !== undefined && shrunk !== c.prog) lines.push("// reduced to:", showProgram(shrunk));
  return lines.filter((l) => l !== "").join("\n");
}
