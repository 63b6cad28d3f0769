// Tensor: the value users hold. Concrete tensors own their data; tracers (see trace.ts) stand in for values
// inside a transformation and share this interface, so user code never needs to know which it has.
import type { DType, ReadonlyTypedArray, TypedArray } from "./dtype.js";
import { shortName } from "./dtype.js";
import { TraceError, ValueError } from "./errors.js";
import type { Shape } from "./shape.js";
import { sizeOf } from "./shape.js";

/** The abstract value of a tensor: what every transformation knows about it without its data. */
export interface Aval {
  readonly shape: Shape;
  readonly dtype: DType;
  /** True for values that came from bare JS numbers: they adopt the dtype of what they meet. */
  readonly weak: boolean;
}

export const avalString = (a: Aval): string => `${shortName[a.dtype]}[${a.shape.join(",")}]`;

/** Nested JS arrays as `toArray` returns them. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * An n-dimensional array of float32, float64, int32 or bool values. Immutable; freed by the garbage
 * collector like any JS value. Operations live on `nb` and, for the common ones, as methods.
 *
 * @example
 * ```ts
 * const x = nb.array([[1, 2], [3, 4]]);
 * x.shape;            // [2, 2]
 * x.add(1).toArray(); // [[2, 3], [4, 5]]
 * ```
 */
export abstract class Tensor {
  /** Shape, dtype and weak-type flag. */
  abstract readonly aval: Aval;

  /** The concrete value behind this tensor, or a TraceError when there is none (inside vmap or a staged program). */
  abstract concrete(): ConcreteTensor;

  /** The dimensions, outermost first; `[]` for a scalar. */
  get shape(): number[] {
    return this.aval.shape.slice();
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  /** The number of dimensions (rank). */
  get ndim(): number {
    return this.aval.shape.length;
  }
  /** The number of elements. */
  get size(): number {
    return sizeOf(this.aval.shape);
  }

  /** The values as nested JS arrays, or a number (boolean for bool) for a 0-d tensor. */
  toArray(): NestedArray {
    const c = this.concrete();
    return nest(c.data, c.aval.shape, c.aval.dtype === "bool");
  }

  /** The single value of a one-element tensor. */
  item(): number {
    const c = this.concrete();
    if (c.data.length !== 1)
      throw new RangeError(
        `item: the tensor has shape [${c.aval.shape.join(",")}] (${c.data.length} elements); item() needs exactly one`,
      );
    return c.data[0]!;
  }

  /** The values as a flat typed array in row-major order (a copy, yours to change). */
  dataSync(): TypedArray {
    return this.concrete().data.slice();
  }

  /**
   * The values as a flat typed array in row-major order, without a copy: the tensor's own memory, typed so
   * that TypeScript refuses writes. Reading a large result this way costs nothing, where dataSync copies
   * every element (and touches fresh memory for the copy). Tensors are immutable: do not write through a
   * cast; take dataSync() for an array to change.
   *
   * ```ts
   * const y = nb.jit((x: nb.Tensor) => nb.exp(x))(nb.arange(4));
   * const v = y.readonlyData();
   * v[1];       // 2.718…
   * v[1] = 0;   // TypeScript error: the index signature is readonly
   * ```
   */
  readonlyData(): ReadonlyTypedArray {
    return this.concrete().data;
  }

  toString(): string {
    return formatTensor(this, false);
  }

  /** `console.log` and `util.inspect` in Node: values laid out by rows like NumPy, long axes summarized. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return formatTensor(this, true);
  }

  /**
   * JavaScript's conversions: a one-element tensor becomes its number (`+t`, `t > 0`, `2 * t`), as
   * PyTorch's float(t); a larger one only a string. Without this, arithmetic and comparisons would see
   * NaN and false. A value inside jit, vmap or makeProgram has no number yet: TraceError.
   */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    let c: ConcreteTensor;
    try {
      c = this.concrete();
    } catch (e) {
      if (!(e instanceof TraceError)) throw e;
      throw new TraceError(
        `${e.message}. Here a tensor ${avalString(this.aval)} was used as a JavaScript number (arithmetic, a ` +
          "comparison or an if-condition); compute with nabla operations instead (nb.where for conditions)",
      );
    }
    if (c.data.length === 1) return c.data[0]!;
    if (hint === "default") return this.toString();
    throw new ValueError(
      `a tensor of shape [${c.aval.shape.join(",")}] (${c.data.length} elements) was used as a JavaScript number; ` +
        "use .item() on a one-element tensor, or nabla operations (nb.greater, nb.where, …)",
    );
  }
}

/** A tensor with its data in memory. */
export class ConcreteTensor extends Tensor {
  constructor(
    /** The elements, row-major (read-only by contract: tensors are immutable). */
    readonly data: TypedArray,
    readonly aval: Aval,
  ) {
    super();
  }
  concrete(): ConcreteTensor {
    return this;
  }
}

const NOT_YET = new Float32Array(0);

/**
 * Outputs of one computation that runs only when one of them is first read. Reverse mode uses it for the
 * values a compiled call would compute but that nothing may read (grad discards the primal value).
 */
export class Deferred {
  #run: (() => readonly ConcreteTensor[]) | null;
  #values: readonly ConcreteTensor[] | null = null;
  constructor(run: () => readonly ConcreteTensor[]) {
    this.#run = run;
  }
  /** The computed outputs (computing them on the first call). */
  values(): readonly ConcreteTensor[] {
    if (this.#values === null) {
      const run = this.#run!;
      this.#run = null;
      this.#values = run();
    }
    return this.#values;
  }
  /** Whether the computation has run. */
  get done(): boolean {
    return this.#values !== null;
  }
  /** Output `i` as a tensor whose elements are computed when first read. */
  output(i: number, aval: Aval): ConcreteTensor {
    return new DeferredTensor(this, i, aval);
  }
}

/**
 * A ConcreteTensor whose `data` is computed on first read. Its `data` is an accessor on the instance itself,
 * replaced by the plain value once read, so every other ConcreteTensor keeps `data` as a plain field: the
 * kernels' reads of it stay monomorphic.
 */
class DeferredTensor extends ConcreteTensor {
  constructor(source: Deferred, index: number, aval: Aval) {
    super(NOT_YET, aval);
    Object.defineProperty(this, "data", {
      configurable: true,
      enumerable: true,
      get: () => {
        const data = source.values()[index]!.data;
        Object.defineProperty(this, "data", { value: data, writable: false, enumerable: true });
        return data;
      },
    });
  }
}

function nest(data: TypedArray, shape: Shape, bool: boolean): NestedArray {
  const conv = (v: number): number | boolean => (bool ? v !== 0 : v);
  if (shape.length === 0) return conv(data[0]!);
  const rec = (dim: number, off: number): NestedArray[] => {
    const n = shape[dim]!;
    const out: NestedArray[] = new Array(n);
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = conv(data[off + i]!);
      return out;
    }
    const step = sizeOf(shape.slice(dim + 1));
    for (let i = 0; i < n; i++) out[i] = rec(dim + 1, off + i * step);
    return out;
  };
  return rec(0, 0);
}

function formatTensor(t: Tensor, multiline: boolean): string {
  let c: ConcreteTensor;
  try {
    c = t.concrete();
  } catch {
    return `Tensor(<traced>, ${avalString(t.aval)})`;
  }
  const body = formatData(c.data, c.aval.shape, c.aval.dtype === "bool", multiline ? "Tensor(".length : -1);
  return `Tensor(${body}, ${avalString(t.aval)})`;
}

/** Axes longer than this many entries print only their first and last few (`...` between), as in NumPy. */
const SUMMARIZE_OVER = 1000;
const EDGE = 3;

const fmtNumber = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));

/**
 * Nested-bracket text of `data` with `shape`, read straight from the buffer (no nested copy): a tensor of
 * more than 1,000 elements shows the first and last three entries of each axis. `indent` ≥ 0 breaks rows
 * onto their own lines, aligned under the opening bracket that sits `indent` columns in.
 */
function formatData(data: TypedArray, shape: Shape, bool: boolean, indent: number): string {
  const cell = (i: number) => (bool ? String(data[i] !== 0) : fmtNumber(data[i]!));
  if (shape.length === 0) return cell(0);
  const summarize = data.length > SUMMARIZE_OVER;
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, st = 1; d >= 0; d--) {
    strides[d] = st;
    st *= shape[d]!;
  }
  const rec = (dim: number, off: number): string => {
    const n = shape[dim]!;
    const idx: (number | null)[] = [];
    if (summarize && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i);
      idx.push(null);
      for (let i = n - EDGE; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    const last = dim === shape.length - 1;
    const parts = idx.map((i) =>
      i === null ? "..." : last ? cell(off + i * strides[dim]!) : rec(dim + 1, off + i * strides[dim]!),
    );
    if (last || indent < 0) return `[${parts.join(", ")}]`;
    const sep = `,${"\n".repeat(shape.length - dim - 1)}${" ".repeat(indent + dim + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  return rec(0, 0);
}
