// A tiny WebAssembly assembler: enough of the binary format (types, an imported memory, imported and
// defined functions, exports, numeric and SIMD instructions) to emit our kernels from TypeScript at load
// time, with no build step. Instructions are appended to a function body through small helpers; see
// matmul.ts and elementwise.ts for use.

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

const uleb = (out: number[], v: number) => {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
};
const sleb = (out: number[], v: number) => {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
};
const str = (out: number[], s: string) => {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
};
const section = (out: number[], id: number, body: number[]) => {
  out.push(id);
  uleb(out, body.length);
  out.push(...body);
};

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  load64Splat: 0x0a,
  store: 0x0b,
  const: 0x0c,
  i8x16Shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  i32x4ExtractLane: 0x1b,
  f32x4ExtractLane: 0x1f,
  f32x4ReplaceLane: 0x20,
  f64x2ExtractLane: 0x21,
  i32x4Eq: 0x37,
  i32x4Ne: 0x38,
  i32x4LtS: 0x39,
  i32x4GtS: 0x3b,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  anyTrue: 0x53,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  f32x4Ceil: 0x67,
  f32x4Floor: 0x68,
  f32x4Trunc: 0x69,
  f32x4Nearest: 0x6a,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  i32x4Mul: 0xb5,
  i32x4MinS: 0xb6,
  i32x4MaxS: 0xb8,
  i64x2ExtendLowI32x4S: 0xc7,
  i64x2ExtendHighI32x4S: 0xc8,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  f64x2Nearest: 0x94,
  f64x2Abs: 0xec,
  f64x2Neg: 0xed,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  i32x4TruncSatF32x4S: 0xf8,
  f32x4ConvertI32x4S: 0xfa,
  i32x4TruncSatF64x2SZero: 0xfc,
} as const;

/** One function being assembled. Locals are numbered after the parameters. */
export class Func {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}
  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(i: number): this {
    this.code.push(0x20);
    uleb(this.code, i);
    return this;
  }
  set(i: number): this {
    this.code.push(0x21);
    uleb(this.code, i);
    return this;
  }
  tee(i: number): this {
    this.code.push(0x22);
    uleb(this.code, i);
    return this;
  }
  i32(v: number): this {
    this.code.push(0x41);
    sleb(this.code, v | 0);
    return this;
  }
  f32(v: number): this {
    this.code.push(0x43);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.code.push(...b);
    return this;
  }
  f64(v: number): this {
    this.code.push(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    this.code.push(...b);
    return this;
  }
  /** A SIMD instruction; `imm` are its immediates (memarg align/offset, lane index). */
  simd(opcode: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    for (const v of imm) uleb(this.code, v);
    return this;
  }
  /** v128.load with a constant byte offset. */
  vload(offset = 0): this {
    return this.simd(SIMD.load, 4, offset);
  }
  vstore(offset = 0): this {
    return this.simd(SIMD.store, 4, offset);
  }
  /** v128.const of four f32 lanes (or two f64 lanes when `f64`). */
  vconst(values: readonly number[], f64 = false): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD.const);
    const arr = f64 ? new Float64Array(values) : new Float32Array(values);
    this.code.push(...new Uint8Array(arr.buffer));
    return this;
  }
  /** v128.const of four i32 lanes (bit patterns). */
  vconstI32(values: readonly number[]): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD.const);
    this.code.push(...new Uint8Array(new Int32Array(values).buffer));
    return this;
  }
  /** `i32.add` etc. */
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  call(funcIndex: number): this {
    this.code.push(0x10);
    uleb(this.code, funcIndex);
    return this;
  }
  /** if … else … end on the i32 on the stack. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.code.push(0x04, 0x40);
    then();
    if (otherwise) {
      this.code.push(0x05);
      otherwise();
    }
    this.code.push(0x0b);
    return this;
  }
  /** block … end; `body` emits the inside. br 0 inside leaves the block. */
  block(body: () => void): this {
    this.code.push(0x02, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }
  /** loop … end; br 0 inside jumps back to the start. */
  loop(body: () => void): this {
    this.code.push(0x03, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }
  br(depth: number): this {
    this.code.push(0x0c);
    uleb(this.code, depth);
    return this;
  }
  brIf(depth: number): this {
    this.code.push(0x0d);
    uleb(this.code, depth);
    return this;
  }
  /**
   * `for (i = from; i < to; i += step)` over i32 local `i`; `to` is a local. The body runs at least zero
   * times; inside it, br 1 breaks and br 0 would restart without incrementing (avoid).
   */
  forLoop(i: number, from: () => void, to: number, step: number, body: () => void): this {
    from();
    this.set(i);
    this.block(() => {
      this.get(i).get(to).op(0x4e /* i32.ge_s */).brIf(0);
      this.loop(() => {
        body();
        this.get(i).i32(step).i32Add().tee(i).get(to).op(0x48 /* i32.lt_s */).brIf(0);
      });
    });
    return this;
  }
  /** Encoded body: locals then code then end. */
  encode(): number[] {
    const out: number[] = [];
    // Run-length encode the locals.
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(out, runs.length);
    for (const [n, t] of runs) {
      uleb(out, n);
      out.push(t);
    }
    out.push(...this.code, 0x0b);
    return out;
  }
}

/** A function the module imports (called by index: imports come first, in order, before defined functions). */
export interface ImportedFunc {
  readonly module: string;
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

const funcType = (out: number[], params: readonly ValType[], results: readonly ValType[]) => {
  out.push(0x60);
  uleb(out, params.length);
  out.push(...params);
  uleb(out, results.length);
  out.push(...results);
};

/**
 * A module importing memory `env.memory` (and `imports`, whose indices 0… precede the defined functions'),
 * exporting every defined function by name. With `sharedMaxPages`, the imported memory is a shared one
 * (threads) of at most that many 64 KiB pages.
 */
export function assemble(
  funcs: readonly Func[],
  sharedMaxPages?: number,
  imports: readonly ImportedFunc[] = [],
): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // Types: one per imported and per defined function (duplicates are allowed).
  const types: number[] = [];
  uleb(types, imports.length + funcs.length);
  for (const f of imports) funcType(types, f.params, f.results);
  for (const f of funcs) funcType(types, f.params, f.results);
  section(out, 1, types);
  const imps: number[] = [];
  uleb(imps, 1 + imports.length);
  imports.forEach((f, i) => {
    str(imps, f.module);
    str(imps, f.name);
    imps.push(0x00);
    uleb(imps, i);
  });
  str(imps, "env");
  str(imps, "memory");
  if (sharedMaxPages === undefined) {
    imps.push(0x02, 0x00);
    uleb(imps, 1);
  } else {
    imps.push(0x02, 0x03);
    uleb(imps, 1);
    uleb(imps, sharedMaxPages);
  }
  section(out, 2, imps);
  const fns: number[] = [];
  uleb(fns, funcs.length);
  funcs.forEach((_, i) => {
    uleb(fns, imports.length + i);
  });
  section(out, 3, fns);
  const exps: number[] = [];
  uleb(exps, funcs.length);
  funcs.forEach((f, i) => {
    str(exps, f.name);
    exps.push(0x00);
    uleb(exps, imports.length + i);
  });
  section(out, 7, exps);
  const code: number[] = [];
  uleb(code, funcs.length);
  for (const f of funcs) {
    const body = f.encode();
    uleb(code, body.length);
    code.push(...body);
  }
  section(out, 10, code);
  return new Uint8Array(out);
}
