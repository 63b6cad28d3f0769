// Typed errors: every message names the operation, the shapes or dtypes involved and what to do.

/**
 * Base class of every error nabla throws on purpose.
 * @example
 * ```ts
 * try { nb.reshape(nb.zeros([6]), [4]); } catch (e) { e instanceof nb.NablaError; } // true
 * ```
 */
export class NablaError extends Error {
  override name = "NablaError";
}

/**
 * Shapes that do not fit together (broadcasting, matmul inner dimensions, reshape sizes, ...).
 * @example
 * ```ts
 * nb.matmul(nb.zeros([2, 3]), nb.zeros([2, 2])); // ShapeError: matmul: [2,3] @ [2,2]: inner dimensions 3 and 2 differ
 * ```
 */
export class ShapeError extends NablaError {
  override name = "ShapeError";
}

/**
 * A dtype an operation cannot take (an integer input to `grad`, ...).
 * @example
 * ```ts
 * nb.grad((x) => nb.sum(x))(nb.arange(3)); // DTypeError: grad: a differentiated input has dtype int32 ...
 * ```
 */
export class DTypeError extends NablaError {
  override name = "DTypeError";
}

/**
 * A bad argument that is neither a shape nor a dtype problem (an axis out of range, a bad option).
 * @example
 * ```ts
 * nb.sum(nb.ones([2]), { axis: 3 }); // ValueError: sum: axis 3 is out of range for an array of rank 1
 * ```
 */
export class ValueError extends NablaError {
  override name = "ValueError";
}

/**
 * Inputs and outputs whose pytree structures disagree.
 * @example
 * ```ts
 * nb.jvp((a, b) => nb.add(a, b), [1, 2], [1]); // PytreeError: jvp: primals have structure [*, *] but tangents have [*]
 * ```
 */
export class PytreeError extends NablaError {
  override name = "PytreeError";
}

/**
 * Misuse of a transformation: a traced value read as data, a tracer used after its transformation ended.
 * @example
 * ```ts
 * nb.vmap((x) => x.item())(nb.ones([3])); // TraceError: a value inside vmap stands for a whole batch ...
 * ```
 */
export class TraceError extends NablaError {
  override name = "TraceError";
}

/** Formats a shape the way messages print it: `[2,3]`. */
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(",")}]`;
