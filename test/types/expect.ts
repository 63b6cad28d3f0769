// Compile-time assertions: a file in test/types passes when `npm run typecheck` does.

type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * True when `A` and `B` are the same type: each assignable to the other, and `any` only equal to `any`
 * (so `Equal<any, Tensor>` is false).
 */
export type Equal<A, B> = [IsAny<A>, IsAny<B>] extends [true, true]
  ? true
  : [IsAny<A> | IsAny<B>] extends [false]
    ? [A] extends [B]
      ? [B] extends [A]
        ? true
        : false
      : false
    : false;

/** Compiles only when the type argument is `true`: `expectTrue<Equal<typeof x, Tensor>>()`. */
export function expectTrue<_T extends true>(): void {}

/** Compiles only when `value` has exactly type `T`: `expectType<Tensor>()(g)`. */
export const expectType =
  <T>() =>
  <V>(_value: V & (Equal<V, T> extends true ? unknown : never)): void => {};
