// Compiles a FusedSpec (backend/fusion.ts) to one generated JavaScript loop nest. Shapes, strides and
// offsets are parameters, so every spec of the same structure shares one compiled function. The source is
// built only from the spec's numbers and a fixed set of templates — never from user text. Where `Function`
// is unavailable (a strict Content-Security-Policy), an interpreter with the same semantics runs instead.
// It also holds KERNEL_ENGINES, the ordered list of engines a fused loop is offered to (native, WebAssembly
// SIMD, this generator, the interpreter), so the eager fast backend and jit's compiler choose alike.
import { allocate, castArray, type DType, type TypedArray } from "../../core/dtype.js";
import { sizeOf, stridesOf } from "../../core/shape.js";
import { type Engine, engineEnabled } from "../engines.js";
import {
  DISCRETE,
  type FusedArg,
  type FusedKernel,
  type FusedSpec,
  jsExpr,
  jsHelpers,
  jsLiteral,
  type ReduceKind,
  scalarFn,
} from "../fusion.js";
import { compileNativeFused, NATIVE_FUSED_MIN_ELEMENTS, nativeFusedDecline } from "../native/fused.js";
import { compileSimdF32, splitKernels } from "../wasm/elementwise.js";

/** The spec after dropping size-1 dims and merging dims every operand walks contiguously. */
interface Normal {
  shape: number[];
  /** Per input: offset, strides, bounds per dim (null = whole range), or null when always zero. */
  inputs: ({ offset: number; strides: number[]; lo: (number | null)[]; hi: (number | null)[] } | null)[];
  outStrides: number[][];
}

function normalize(spec: FusedSpec): Normal {
  const nd = spec.shape.length;
  const contiguous = stridesOf(spec.shape);
  const inputs = spec.inputs.map((inp) => {
    const lo: (number | null)[] = [];
    const hi: (number | null)[] = [];
    for (let d = 0; d < nd; d++) {
      const n = spec.shape[d]!;
      const l = Math.max(inp.bounds?.lo[d] ?? 0, 0);
      const h = Math.min(inp.bounds?.hi[d] ?? n, n);
      if (l >= h && n > 0) return null;
      lo.push(l === 0 && h === n ? null : l);
      hi.push(l === 0 && h === n ? null : h);
    }
    return { offset: inp.offset, strides: inp.strides.slice(), lo, hi };
  });
  const outStrides = spec.outputs.map((o) =>
    o.reduce === undefined ? contiguous.slice() : o.strides!.slice(),
  );
  // Keep dims of size != 1 (a size-1 dim only ever has index 0, and its bounds were resolved above).
  const keep = spec.shape.map((n) => n !== 1);
  const pick = <T>(a: T[]) => a.filter((_, d) => keep[d]);
  let shape = pick(spec.shape.slice());
  for (const inp of inputs)
    if (inp) {
      inp.strides = pick(inp.strides);
      inp.lo = pick(inp.lo);
      inp.hi = pick(inp.hi);
    }
  let outs = outStrides.map(pick);
  // Merge dim d into d+1 where every operand steps through both as one.
  for (let d = shape.length - 2; d >= 0; d--) {
    const n1 = shape[d + 1]!;
    const ok =
      inputs.every(
        (i) => !i || (i.strides[d] === i.strides[d + 1]! * n1 && i.lo[d] === null && i.lo[d + 1] === null),
      ) && outs.every((s) => s[d] === s[d + 1]! * n1);
    if (!ok) continue;
    const merge = (a: number[]) => {
      a.splice(d, 2, a[d + 1]!);
    };
    shape = shape.slice();
    shape.splice(d, 2, shape[d]! * n1);
    for (const i of inputs)
      if (i) {
        merge(i.strides);
        i.lo.splice(d, 2, null);
        i.hi.splice(d, 2, null);
      }
    outs = outs.map((s) => {
      const c = s.slice();
      merge(c);
      return c;
    });
  }
  return { shape, inputs, outStrides: outs };
}

const INIT: Record<ReduceKind, number> = {
  sum: 0,
  prod: 1,
  max: Number.NEGATIVE_INFINITY,
  min: Number.POSITIVE_INFINITY,
};
const combine = (k: ReduceKind, a: string, v: string): string =>
  k === "sum"
    ? `${a} + ${v}`
    : k === "prod"
      ? `${a} * ${v}`
      : k === "max"
        ? `(${v} > ${a} || ${v} !== ${v} ? ${v} : ${a})`
        : `(${v} < ${a} || ${v} !== ${v} ? ${v} : ${a})`;

const ARRAY: Record<DType, string> = {
  float32: "Float32Array",
  float64: "Float64Array",
  int32: "Int32Array",
  bool: "Uint8Array",
};

/** Source of the kernel `(I, P, H) => outputs`, and its numeric parameters P. */
function generate(spec: FusedSpec, nrm: Normal): { code: string; params: number[] } {
  const params: number[] = [];
  const pdecl: string[] = [];
  const param = (v: number): string => {
    params.push(v);
    const i = params.length - 1;
    pdecl.push(`const p${i} = P[${i}];`);
    return `p${i}`;
  };
  const K = nrm.shape.length;
  const lines: string[] = [];
  const head: string[] = [];
  // Loop bounds.
  const N = nrm.shape.map((n, d) => {
    head.push(`const n${d} = ${param(n)};`);
    return `n${d}`;
  });
  // Level of a value: the deepest loop whose index it depends on (-1: loop invariant).
  const inLevel = nrm.inputs.map((i) => {
    if (!i) return -1;
    let l = -1;
    for (let d = 0; d < K; d++) if (i.strides[d] !== 0 || i.lo[d] !== null) l = d;
    return l;
  });
  const argLevel = (a: FusedArg, nodeLevel: number[]): number =>
    "input" in a ? inLevel[a.input]! : "node" in a ? nodeLevel[a.node]! : -1;
  const nodeLevel: number[] = [];
  spec.nodes.forEach((n) => {
    nodeLevel.push(Math.max(-1, ...n.args.map((a) => argLevel(a, nodeLevel))));
  });
  // Statements to emit at each level (index -1 = before all loops).
  // A statement is text, or (for reads padded along the innermost loop) text per interval of that loop.
  const at: (string | ((iv: number) => string))[][] = Array.from({ length: K + 1 }, () => []);
  const emit = (level: number, s: string | ((iv: number) => string)) => at[level + 1]!.push(s);
  // The innermost loop is split at the padding bounds along it, so that inside each interval every read is
  // either unconditional or zero (no per-element bounds test).
  const last = K - 1;
  const cuts = new Set<number>();
  if (K > 0)
    for (const inp of nrm.inputs)
      if (inp && inp.lo[last] !== null) {
        cuts.add(inp.lo[last]!);
        cuts.add(inp.hi[last]!);
      }
  const intervals: [number, number][] = [];
  if (cuts.size > 0) {
    const n = nrm.shape[last]!;
    const pts = [0, n, ...[...cuts].filter((c) => c > 0 && c < n)].sort((a, b) => a - b);
    for (let i = 0; i + 1 < pts.length; i++)
      if (pts[i]! < pts[i + 1]!) intervals.push([pts[i]!, pts[i + 1]!]);
  }
  // Input reads.
  nrm.inputs.forEach((inp, j) => {
    head.push(`const in${j} = I[${j}];`);
    if (!inp) {
      emit(-1, `const x${j} = 0;`);
      return;
    }
    const L = inLevel[j]!;
    let idx = param(inp.offset);
    const conds: string[] = [];
    const split = intervals.length > 0 && inp.lo[last] !== null;
    for (let d = 0; d <= L; d++) {
      const s = inp.strides[d]!;
      if (s === 1) idx += ` + i${d}`;
      else if (s !== 0) idx += ` + i${d} * ${param(s)}`;
      if (inp.lo[d] !== null && !(split && d === last))
        conds.push(`i${d} >= ${param(inp.lo[d]!)} && i${d} < ${param(inp.hi[d]!)}`);
    }
    const read = `in${j}[${idx}]`;
    const stmt = `const x${j} = ${conds.length ? `(${conds.join(" && ")}) ? ${read} : 0` : read};`;
    if (!split) emit(L, stmt);
    else {
      const lo = inp.lo[last]!;
      const hi = inp.hi[last]!;
      emit(L, (iv) => {
        const [a, b] = intervals[iv]!;
        return lo <= a && b <= hi ? stmt : `const x${j} = 0;`;
      });
    }
  });
  const argSrc = (a: FusedArg): string =>
    "input" in a ? `x${a.input}` : "node" in a ? `v${a.node}` : jsLiteral(a.literal);
  // Float32 nodes are rounded only where the exact float32 value matters (see jsExpr).
  const exact = new Uint8Array(spec.nodes.length);
  const mark = (a: FusedArg) => {
    if ("node" in a) exact[a.node] = 1;
  };
  for (const n of spec.nodes) if (DISCRETE.has(n.prim)) n.args.forEach(mark);
  for (const o of spec.outputs) if (o.reduce !== undefined) mark(o.value);
  spec.nodes.forEach((n, k) => {
    emit(nodeLevel[k]!, `const v${k} = ${jsExpr(n.prim, n.dtype, n.args.map(argSrc), exact[k] === 1)};`);
  });
  // Outputs: stores at the innermost level; reductions accumulate locally over a reduced suffix of loops
  // (same order as a sequential sweep) or read-modify-write a float64 accumulator otherwise.
  const before: string[][] = Array.from({ length: K + 1 }, () => []);
  const after: string[][] = Array.from({ length: K + 1 }, () => []);
  const rets: string[] = [];
  spec.outputs.forEach((o, j) => {
    const st = nrm.outStrides[j]!;
    const v = argSrc(o.value);
    const index = (upTo: number) => {
      let idx = "0";
      for (let d = 0; d < upTo; d++) {
        const s = st[d]!;
        if (s === 1) idx += ` + i${d}`;
        else if (s !== 0) idx += ` + i${d} * ${param(s)}`;
      }
      return idx;
    };
    if (o.reduce === undefined) {
      head.push(
        `const o${j} = O !== undefined && O[${j}] !== undefined ? O[${j}] : new ${ARRAY[o.dtype]}(${param(o.size)});`,
      );
      emit(K - 1, `o${j}[${index(K)}] = ${v};`);
      rets.push(`o${j}`);
      return;
    }
    const k = o.reduce;
    // r: the first loop of the all-zero-stride suffix.
    let r = K;
    while (r > 0 && st[r - 1] === 0) r--;
    const prefixDistinct = st.slice(0, r).every((s) => s !== 0);
    const direct = o.dtype === "float32" || o.dtype === "float64";
    const arr = direct && prefixDistinct ? ARRAY[o.dtype] : "Float64Array";
    head.push(`const o${j} = new ${arr}(${param(o.size)});`);
    if (prefixDistinct && r === K) {
      // Nothing left to reduce after dropping size-1 dims: one value per output element.
      emit(K - 1, `o${j}[${index(K)}] = ${combine(k, jsLiteral(INIT[k]), v)};`);
    } else if (prefixDistinct) {
      // Accumulate in a local over loops r..K-1, store once per output element.
      const a = `a${j}`;
      before[r]!.push(`let ${a} = ${jsLiteral(INIT[k])};`);
      emit(K - 1, `${a} = ${combine(k, a, v)};`);
      after[r]!.push(`o${j}[${index(r)}] = ${a};`);
    } else {
      head.push(`o${j}.fill(${jsLiteral(INIT[k])});`);
      const w = `w${j}`;
      emit(K - 1, `{ const ${w} = ${index(K)}; o${j}[${w}] = ${combine(k, `o${j}[${w}]`, v)}; }`);
    }
    rets.push(arr === ARRAY[o.dtype] ? `o${j}` : `H.cast(o${j}, "${o.dtype}")`);
  });
  // Assemble the loop nest: level d's body holds loop d+1.
  const body = (d: number, iv = 0): string[] => {
    // Statements at level d (inside loop d), then the nested loop d+1.
    const inner: string[] = at[d + 1]!.map((x) => (typeof x === "string" ? x : x(iv)));
    if (d + 1 < K) {
      inner.push(...before[d + 1]!);
      const i = `i${d + 1}`;
      if (d + 1 === last && intervals.length > 0)
        intervals.forEach(([a, b], iv) => {
          inner.push(`for (let ${i} = ${param(a)}; ${i} < ${param(b)}; ${i}++) {`, ...body(d + 1, iv), "}");
        });
      else inner.push(`for (let ${i} = 0; ${i} < ${N[d + 1]}; ${i}++) {`, ...body(d + 1), "}");
      inner.push(...after[d + 1]!);
    }
    return inner;
  };
  lines.push(...head, ...body(-1));
  // Parameters are read into constants once, before everything.
  lines.unshift(...pdecl);
  // body(-1) puts level -1 statements, then loop 0 (wrapped by before[0]/after[0]).
  if (K === 0) {
    // No loop at all: one element. Level -1 statements already include every read and node; fix up
    // the stores and local accumulators emitted for level K-1 = -1.
    lines.splice(pdecl.length + head.length, 0, ...before[0]!);
    lines.push(...after[0]!);
  }
  lines.push(`return [${rets.join(", ")}];`);
  return { code: lines.join("\n"), params };
}

type Generated = (
  I: readonly TypedArray[],
  P: number[],
  H: object,
  O: readonly (TypedArray | undefined)[] | undefined,
) => TypedArray[];
const compiled = new Map<string, Generated>();
let codegenAvailable: boolean | undefined;

const helpers = { ...jsHelpers, cast: (a: Float64Array, d: DType) => castArray(a, d) };

/** Whether generated code can run here (false under a CSP without 'unsafe-eval'). */
export function canGenerateCode(): boolean {
  if (codegenAvailable === undefined) {
    try {
      codegenAvailable = new Function("return 1")() === 1;
    } catch {
      codegenAvailable = false;
    }
  }
  return codegenAvailable;
}

/** An engine's kernel for a loop, and the engine that runs it ("threads": WebAssembly split over workers). */
export interface EngineKernel {
  readonly kernel: FusedKernel;
  readonly engine: Engine;
}

/** A kernel engine: compiles a fused loop, or declines it and can say why. */
export interface KernelEngine {
  readonly name: "native" | "wasm" | "js" | "interpreter";
  /**
   * The kernel for `spec`, or null when this engine does not run it. `rest` compiles `spec` with the engines
   * after this one (the native kernel falls back to it should the addon refuse a call's arrays).
   */
  compile(spec: FusedSpec, rest: () => FusedKernel): EngineKernel | null;
  /** Why `compile` declined `spec` (asked only after it did, so it may repeat some of its work). */
  why(spec: FusedSpec): string;
}

const OFF = "turned off (setEngines)";

const nativeEngine: KernelEngine = {
  name: "native",
  compile: (spec, rest) => {
    if (!engineEnabled("native")) return null;
    const k = compileNativeFused(spec, rest, engineEnabled("threads") ? {} : { threads: 1 });
    return k === null ? null : { kernel: k, engine: "native" };
  },
  why: (spec) => {
    if (!engineEnabled("native")) return OFF;
    const n = sizeOf(spec.shape);
    if (n < NATIVE_FUSED_MIN_ELEMENTS)
      return `${n} element${n === 1 ? "" : "s"}, fewer than ${NATIVE_FUSED_MIN_ELEMENTS}`;
    return nativeFusedDecline(spec) ?? "declined";
  },
};

/** Operations whose operands are not all float32 (a mask, another dtype): not probed alone. */
const MIXED = new Set(["select_n", "convert_element_type"]);
const simdProbes = new Map<string, boolean>();
/** Whether the SIMD kernels have float32 `prim` of `arity` operands (found by compiling it once alone). */
function simdHas(prim: FusedSpec["nodes"][number]["prim"], arity: number): boolean {
  const key = `${prim}/${arity}`;
  let has = simdProbes.get(key);
  if (has === undefined) {
    const inputs = Array.from({ length: arity }, () => ({
      dtype: "float32" as const,
      offset: 0,
      strides: [1],
    }));
    const node = { prim, args: inputs.map((_, i) => ({ input: i })), dtype: "float32" as const };
    const out = { value: { node: 0 }, dtype: "float32" as const, size: 1 << 14 };
    has = compileSimdF32({ shape: [1 << 14], inputs, nodes: [node], outputs: [out] }, false) !== null;
    simdProbes.set(key, has);
  }
  return has;
}

/** Whether the SIMD kernels read `x` as it is laid out: whole, a scalar, or padded along the one long axis. */
function simdReads(shape: readonly number[], x: FusedSpec["inputs"][number]): boolean {
  const contiguous = stridesOf(shape);
  const whole = x.strides.every((s, d) => s === contiguous[d] || shape[d] === 1);
  if (x.bounds) return whole && shape.filter((d) => d !== 1).length === 1;
  return whole || x.strides.every((s) => s === 0);
}

const wasmEngine: KernelEngine = {
  name: "wasm",
  compile: (spec) => {
    if (!engineEnabled("wasm")) return null;
    const k = compileSimdF32(spec, engineEnabled("threads"));
    return k === null ? null : { kernel: k, engine: splitKernels.has(k) ? "threads" : "wasm" };
  },
  why: (spec) => {
    if (!engineEnabled("wasm")) return OFF;
    if (spec.outputs.some((o) => o.reduce !== undefined)) return "a reduction (it runs elementwise loops)";
    const other = [...spec.inputs, ...spec.outputs].find((x) => x.dtype !== "float32");
    if (other !== undefined) return `${other.dtype} data (it runs float32)`;
    const inner = spec.nodes.find((x) => x.dtype !== "float32" && x.dtype !== "bool");
    if (inner !== undefined) return `${inner.dtype} data (it runs float32)`;
    if (!simdHas("add", 2)) return "no WebAssembly SIMD here";
    const op = spec.nodes.find(
      (n) => n.dtype === "float32" && !MIXED.has(n.prim) && !simdHas(n.prim, n.args.length),
    );
    if (op !== undefined) return `no SIMD kernel for ${op.prim}`;
    if (!spec.inputs.every((x) => simdReads(spec.shape, x)))
      return "a strided read (it reads whole arrays, scalars, or pads along the one long axis)";
    const n = sizeOf(spec.shape);
    return spec.nodes.some((x) => MIXED.has(x.prim))
      ? `too few elements (${n}) or a mask used as a number`
      : `too few elements (${n})`;
  },
};

const jsEngine: KernelEngine = {
  name: "js",
  compile: (spec) => {
    if (!canGenerateCode() || !engineEnabled("js")) return null;
    const { code, params } = generate(spec, normalize(spec));
    let fn = compiled.get(code);
    if (fn === undefined) {
      fn = new Function("I", "P", "H", "O", `"use strict";\n${code}`) as Generated;
      if (compiled.size > 2000) compiled.clear();
      compiled.set(code, fn);
    }
    const f = fn;
    return { kernel: (ins, outs) => f(ins, params, helpers, outs), engine: "js" };
  },
  why: () => (engineEnabled("js") ? "code generation is not allowed here (Content-Security-Policy)" : OFF),
};

const interpreterEngine: KernelEngine = {
  name: "interpreter",
  compile: (spec) => ({ kernel: interpretFused(spec), engine: "interpreter" }),
  why: () => "",
};

/**
 * The kernel engines, in the order they are tried: the native addon (Node, when built), WebAssembly SIMD
 * (float32 elementwise loops), generated JavaScript, and the interpreter, which runs everything. This is the
 * one place the order is defined: jit's compiler (src/compile) and the eager fast backend both choose here.
 */
export const KERNEL_ENGINES: readonly KernelEngine[] = [
  nativeEngine,
  wasmEngine,
  jsEngine,
  interpreterEngine,
];

/** An engine that declined a loop, and why. */
export interface Declined {
  readonly engine: KernelEngine["name"];
  readonly reason: string;
}

/**
 * Compiles `spec` with the first engine of KERNEL_ENGINES (from index `from`) that accepts it. When
 * `declined` is given, the engines before it are added to it with their reasons.
 */
export function compileFusedOn(spec: FusedSpec, declined?: Declined[], from = 0): EngineKernel {
  for (let i = from; ; i++) {
    const engine = KERNEL_ENGINES[i]!;
    const k = engine.compile(spec, () => compileFusedOn(spec, undefined, i + 1).kernel);
    if (k !== null) return k;
    declined?.push({ engine: engine.name, reason: engine.why(spec) });
  }
}

/** The kernel of the first engine that accepts `spec` (see KERNEL_ENGINES). */
export function compileFused(spec: FusedSpec): FusedKernel {
  return compileFusedOn(spec).kernel;
}

/** The same semantics without generated code: one element at a time through scalar functions. */
export function interpretFused(spec: FusedSpec): FusedKernel {
  const shape = spec.shape;
  const nd = shape.length;
  const n = sizeOf(shape);
  const fns = spec.nodes.map((nd_) => scalarFn(nd_.prim, nd_.dtype));
  const contiguous = stridesOf(shape);
  return (ins) => {
    const outs = spec.outputs.map((o) =>
      o.reduce === undefined ? allocate(o.dtype, o.size) : new Float64Array(o.size).fill(INIT[o.reduce]),
    );
    const idx = new Array<number>(nd).fill(0);
    const xs = new Array<number>(spec.inputs.length);
    const vs = new Array<number>(spec.nodes.length);
    const val = (a: FusedArg) => ("input" in a ? xs[a.input]! : "node" in a ? vs[a.node]! : a.literal);
    for (let e = 0; e < n; e++) {
      let rem = e;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d] = rem % shape[d]!;
        rem = Math.floor(rem / shape[d]!);
      }
      spec.inputs.forEach((inp, j) => {
        let off = inp.offset;
        let inside = true;
        for (let d = 0; d < nd; d++) {
          off += idx[d]! * inp.strides[d]!;
          if (inp.bounds && (idx[d]! < inp.bounds.lo[d]! || idx[d]! >= inp.bounds.hi[d]!)) inside = false;
        }
        xs[j] = inside ? ins[j]![off]! : 0;
      });
      spec.nodes.forEach((node, k) => {
        const a = node.args.map(val);
        vs[k] = fns[k]!(a[0]!, a[1]!, a[2]!);
      });
      spec.outputs.forEach((o, j) => {
        const v = val(o.value);
        const st = o.reduce === undefined ? contiguous : o.strides!;
        let w = 0;
        for (let d = 0; d < nd; d++) w += idx[d]! * st[d]!;
        const out = outs[j]!;
        if (o.reduce === undefined) out[w] = v;
        else {
          const a = out[w]!;
          out[w] =
            o.reduce === "sum"
              ? a + v
              : o.reduce === "prod"
                ? a * v
                : o.reduce === "max"
                  ? v > a || Number.isNaN(v)
                    ? v
                    : a
                  : v < a || Number.isNaN(v)
                    ? v
                    : a;
        }
      });
    }
    return outs.map((o, j) => {
      const out = spec.outputs[j]!;
      return out.reduce === undefined ? o : castArray(o, out.dtype);
    });
  };
}
