// The static types of the transformations: pytrees of tensors shaped like a function's arguments and results.
import type { TypedArray } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";

// biome-ignore lint/suspicious/noExplicitAny: `any` is the one parameter list every function is assignable to
export type AnyFn = (...args: any) => any;

/** A function of any parameters returning `R` (a generic transformed function matches it for any `R`). */
// biome-ignore lint/suspicious/noExplicitAny: as above
export type FnOf<R> = (...args: any) => R;

/** An argnums option: one argument index (negative counts from the end) or a list of them. */
export type Argnums = number | readonly number[];

/** What a differentiated function returns: a scalar, as a 0-d tensor or a number. */
export type ScalarLike = Tensor | number;

/**
 * `T` with every leaf (a tensor or a number) replaced by `L`; arrays, tuples and plain objects keep their
 * shape, null and undefined stay. Values that are not pytrees (strings, booleans, typed arrays, functions)
 * become `never`: the transformations reject them at run time. `any` and `unknown` pass through.
 */
export type ReplaceLeaves<T, L> = unknown extends T
  ? T
  : IsTensorData<T> extends true
    ? L
    : ReplaceEach<T, L>;

/**
 * Whether `T` is a union of a tensor and array data (no objects), like `TensorLike`: a declared type that
 * stands for one tensor. (An argument that is statically an array is a pytree: `grad(f)([1, 2])` gives two tensors.)
 */
type IsTensorData<T> = [Extract<T, Tensor>] extends [never]
  ? false
  : [Extract<T, readonly unknown[]>] extends [never]
    ? false
    : [Exclude<T, Tensor | TypedArray | readonly unknown[] | number | boolean>] extends [never]
      ? true
      : false;

type ReplaceEach<T, L> = T extends Tensor | number
  ? L
  : T extends null | undefined
    ? T
    : T extends TypedArray | ((...args: never) => unknown)
      ? never
      : T extends readonly (infer E)[]
        ? number extends T["length"]
          ? ReplaceLeaves<E, L>[]
          : { -readonly [K in keyof T]: ReplaceLeaves<T[K], L> }
        : T extends object
          ? { -readonly [K in keyof T]: ReplaceLeaves<T[K], L> }
          : never;

/**
 * A pytree of tensors shaped like `T`, as the transformations return it: each tensor or number leaf of `T`
 * becomes a `Tensor`, arrays map element by element (a `number[]` becomes a `Tensor[]`), plain objects key
 * by key.
 * @example
 * ```ts
 * type Grads = nb.TensorTree<{ w: nb.Tensor; b: number[] }>; // { w: Tensor; b: Tensor[] }
 * ```
 */
export type TensorTree<T> = ReplaceLeaves<T, Tensor>;

/** What the transformations accept where a tangent or cotangent shaped like `T` is expected. */
export type TangentTree<T> = unknown extends T
  ? T
  : T extends Tensor | number
    ? Tensor | number
    : T extends null | undefined
      ? T
      : T extends TypedArray | ((...args: never) => unknown)
        ? never
        : T extends readonly (infer E)[]
          ? number extends T["length"]
            ? readonly TangentTree<E>[]
            : { readonly [K in keyof T]: TangentTree<T[K]> }
          : T extends object
            ? { readonly [K in keyof T]: TangentTree<T[K]> }
            : never;

/** The type of argument `I` of a parameter list `P` (a negative index, known only at run time: any of them). */
export type ArgAt<P extends readonly unknown[], I> = I extends number
  ? number extends P["length"]
    ? P[number]
    : `${I}` extends `-${string}`
      ? P[number]
      : number extends I
        ? P[number]
        : `${I}` extends keyof P
          ? P[`${I}` & keyof P]
          : never
  : never;

/** The gradient of a function with parameters `P` with respect to argnums `A`: one tree, or a tuple of trees. */
export type GradOf<P extends readonly unknown[], A> = A extends readonly unknown[]
  ? { -readonly [K in keyof A]: TensorTree<ArgAt<P, A[K]>> }
  : TensorTree<ArgAt<P, A>>;

/** The layout of a Jacobian: the output tree `Out` with each leaf replaced by the tree of inputs `In`. */
export type Jacobian<Out, In> = ReplaceLeaves<Out, In>;

/** The k-th derivative of a function returning `R` with respect to inputs shaped `In`: `k` nested Jacobians. */
export type DerivativeOf<R, In, K extends number> = number extends K
  ? [In] extends [Tensor]
    ? R | Jacobian<R, In>
    : unknown
  : K extends 0
    ? R
    : [In] extends [Tensor]
      ? Jacobian<R, In>
      : Nest<R, In, K>;

/** `Jacobian` applied `K` times (a tensor-shaped `In` makes every application after the first a no-op). */
type Nest<T, In, K extends number, Count extends unknown[] = []> = Count["length"] extends K
  ? T
  : Count["length"] extends 16
    ? unknown
    : Nest<Jacobian<T, In>, In, K, [...Count, unknown]>;

/** The auxiliary value of a function returning `[value, aux]`. */
export type AuxOf<R> = R extends readonly [unknown, infer Aux] ? Aux : never;

/** The value part of valueAndGrad's result when `hasAux` is known only at run time. */
export type ValueOf<R> = R extends readonly [unknown, infer Aux] ? [Tensor, TensorTree<Aux>] : Tensor;

/**
 * What a transformed function accepts where `f` takes `T`: the same, except that a tensor may also be given
 * as a number (the transformation converts its inputs to tensors before `f` sees them).
 */
export type Convertible<T> = unknown extends T
  ? T
  : T extends Tensor
    ? Tensor | number
    : T extends
          | number
          | string
          | boolean
          | bigint
          | symbol
          | null
          | undefined
          | TypedArray
          | ((...args: never) => unknown)
      ? T
      : T extends readonly (infer E)[]
        ? number extends T["length"]
          ? T extends unknown[]
            ? Convertible<E>[]
            : readonly Convertible<E>[]
          : { [K in keyof T]: Convertible<T[K]> }
        : T extends object
          ? { [K in keyof T]: Convertible<T[K]> }
          : T;

/** Whether the parameter at key `K` of a parameter list is among argnums `A` (negative indices: maybe). */
type Selected<K, A> = A extends readonly (infer N)[] ? SelectedOne<K, N> : SelectedOne<K, A>;
type SelectedOne<K, N> = N extends number
  ? number extends N
    ? true
    : number extends K
      ? true
      : `${N}` extends `-${string}`
        ? true
        : K extends `${N}`
          ? true
          : false
  : false;

/** The parameters of a function transformed with respect to argnums `A`: those arguments are converted. */
export type ArgsOf<P extends readonly unknown[], A> = {
  [K in keyof P]: true extends Selected<K, A> ? P[K] | Convertible<P[K]> : P[K];
};

/** The parameters of a function transformed with respect to all its arguments. */
export type AllArgsOf<P extends readonly unknown[]> = { [K in keyof P]: P[K] | Convertible<P[K]> };

// The transformed functions. Each keeps the parameters of `f` (a tensor may also be passed as a number) and
// shapes its result like the arguments of the call, so `grad(f)(x)` with x a `{ w: Tensor }` gives a
// `{ w: Tensor }` even when `f` declares a wider parameter type.

/** `grad(f)`: the gradient with respect to argnums `A`, shaped like those arguments. */
export type GradFn<P extends readonly unknown[], A> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => GradOf<Args, A>;

/** `grad(f, { hasAux: true })`: `[gradient, aux]`. */
export type GradAuxFn<P extends readonly unknown[], A, Aux> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => [GradOf<Args, A>, TensorTree<Aux>];

/** `valueAndGrad(f)`: `[value, gradient]`. */
export type ValueAndGradFn<P extends readonly unknown[], A> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => [Tensor, GradOf<Args, A>];

/** `valueAndGrad(f, { hasAux: true })`: `[[value, aux], gradient]`. */
export type ValueAndGradAuxFn<P extends readonly unknown[], A, Aux> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => [[Tensor, TensorTree<Aux>], GradOf<Args, A>];

/** `jacrev(f)` / `jacfwd(f)`: the output tree of `f` (result `R`) with each leaf a tree shaped like argnums `A`. */
export type JacobianFn<P extends readonly unknown[], A, R> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => Jacobian<R, GradOf<Args, A>>;

/** `hessian(f)`: the Jacobian of the Jacobian. */
export type HessianFn<P extends readonly unknown[], A, R> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => Jacobian<Jacobian<R, GradOf<Args, A>>, GradOf<Args, A>>;

/** `derivative(f, k)`: `k` nested Jacobians (`f`'s own result for k = 0). */
export type DerivativeFn<P extends readonly unknown[], A, R, K extends number> = <Args extends ArgsOf<P, A>>(
  ...args: Args
) => DerivativeOf<R, GradOf<Args, A>, K>;
