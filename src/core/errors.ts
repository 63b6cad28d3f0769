// Typed errors: every message names the operation, the shapes or dtypes involved and what to do.

/** Base class of every error nabla throws on purpose. */
export class NablaError extends Error {
  override name = "NablaError";
}

/** Shapes that do not fit together (broadcasting, matmul inner dimensions, reshape sizes, ...). */
export class ShapeError extends NablaError {
  override name = "ShapeError";
}

/** A dtype an operation cannot take (an integer input to `grad`, a bool to `exp`, ...). */
export class DTypeError extends NablaError {
  override name = "DTypeError";
}

/** A bad argument that is neither a shape nor a dtype problem (an axis out of range, a bad option). */
export class ValueError extends NablaError {
  override name = "ValueError";
}

/** Inputs and outputs whose pytree structures disagree. */
export class PytreeError extends NablaError {
  override name = "PytreeError";
}

/** Misuse of a transformation: a traced value read as data, a tracer used after its transformation ended. */
export class TraceError extends NablaError {
  override name = "TraceError";
}

/** Formats a shape the way messages print it: `[2,3]`. */
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(",")}]`;
