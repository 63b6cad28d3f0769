// Tensor methods for the common operations: `x.add(y)` is `nb.add(x, y)`.
// biome-ignore-all lint/complexity/noArguments: each method compares its argument count with the most it takes, reading no copy of the arguments
import type { DType } from "../core/dtype.js";
import { Tensor } from "../core/tensor.js";
import * as el from "./elementwise.js";
import * as la from "./linalg.js";
import * as nn from "./nn.js";
import * as red from "./reduce.js";
import * as sh from "./shape.js";
import { extraArgument, type TensorLike } from "./util.js";

declare module "../core/tensor.js" {
  interface Tensor {
    add(y: TensorLike): Tensor;
    sub(y: TensorLike): Tensor;
    mul(y: TensorLike): Tensor;
    div(y: TensorLike): Tensor;
    pow(y: TensorLike): Tensor;
    neg(): Tensor;
    square(): Tensor;
    sqrt(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    abs(): Tensor;
    maximum(y: TensorLike): Tensor;
    minimum(y: TensorLike): Tensor;
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    expandDims(axis: number | readonly number[]): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    flatten(): Tensor;
    sum(options?: red.ReduceOptions): Tensor;
    mean(options?: red.ReduceOptions): Tensor;
    max(options?: red.ReduceOptions): Tensor;
    min(options?: red.ReduceOptions): Tensor;
    argmax(options?: red.ArgOptions): Tensor;
    argmin(options?: red.ArgOptions): Tensor;
    matmul(y: TensorLike): Tensor;
    dot(y: TensorLike): Tensor;
    softmax(axis?: number | readonly number[]): Tensor;
    astype(dtype: DType): Tensor;
    /** The transpose (all axes reversed). */
    readonly T: Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.add", "y", arguments[1], arguments.length);
  return el.add(this, y);
};
P.sub = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.sub", "y", arguments[1], arguments.length);
  return el.sub(this, y);
};
P.mul = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.mul", "y", arguments[1], arguments.length);
  return el.mul(this, y);
};
P.div = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.div", "y", arguments[1], arguments.length);
  return el.div(this, y);
};
P.pow = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.pow", "y", arguments[1], arguments.length);
  return el.pow(this, y);
};
P.neg = function () {
  if (arguments.length > 0) extraArgument("Tensor.neg", "", arguments[0], arguments.length);
  return el.neg(this);
};
P.square = function () {
  if (arguments.length > 0) extraArgument("Tensor.square", "", arguments[0], arguments.length);
  return el.square(this);
};
P.sqrt = function () {
  if (arguments.length > 0) extraArgument("Tensor.sqrt", "", arguments[0], arguments.length);
  return el.sqrt(this);
};
P.exp = function () {
  if (arguments.length > 0) extraArgument("Tensor.exp", "", arguments[0], arguments.length);
  return el.exp(this);
};
P.log = function () {
  if (arguments.length > 0) extraArgument("Tensor.log", "", arguments[0], arguments.length);
  return el.log(this);
};
P.sin = function () {
  if (arguments.length > 0) extraArgument("Tensor.sin", "", arguments[0], arguments.length);
  return el.sin(this);
};
P.cos = function () {
  if (arguments.length > 0) extraArgument("Tensor.cos", "", arguments[0], arguments.length);
  return el.cos(this);
};
P.tanh = function () {
  if (arguments.length > 0) extraArgument("Tensor.tanh", "", arguments[0], arguments.length);
  return el.tanh(this);
};
P.sigmoid = function () {
  if (arguments.length > 0) extraArgument("Tensor.sigmoid", "", arguments[0], arguments.length);
  return el.sigmoid(this);
};
P.relu = function () {
  if (arguments.length > 0) extraArgument("Tensor.relu", "", arguments[0], arguments.length);
  return el.relu(this);
};
P.abs = function () {
  if (arguments.length > 0) extraArgument("Tensor.abs", "", arguments[0], arguments.length);
  return el.abs(this);
};
P.maximum = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.maximum", "y", arguments[1], arguments.length);
  return el.maximum(this, y);
};
P.minimum = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.minimum", "y", arguments[1], arguments.length);
  return el.minimum(this, y);
};
P.reshape = function (shape) {
  if (arguments.length > 1) extraArgument("Tensor.reshape", "shape", arguments[1], arguments.length);
  return sh.reshape(this, shape);
};
P.transpose = function (perm) {
  if (arguments.length > 1) extraArgument("Tensor.transpose", "perm?", arguments[1], arguments.length);
  return sh.transpose(this, perm);
};
P.expandDims = function (axis) {
  if (arguments.length > 1) extraArgument("Tensor.expandDims", "axis", arguments[1], arguments.length);
  return sh.expandDims(this, axis);
};
P.squeeze = function (axis) {
  if (arguments.length > 1) extraArgument("Tensor.squeeze", "axis?", arguments[1], arguments.length);
  return sh.squeeze(this, axis);
};
P.flatten = function () {
  if (arguments.length > 0) extraArgument("Tensor.flatten", "", arguments[0], arguments.length);
  return sh.reshape(this, [-1]);
};
P.sum = function (options) {
  if (arguments.length > 1) extraArgument("Tensor.sum", "options?", arguments[1], arguments.length);
  return red.sum(this, options);
};
P.mean = function (options) {
  if (arguments.length > 1) extraArgument("Tensor.mean", "options?", arguments[1], arguments.length);
  return red.mean(this, options);
};
P.max = function (options) {
  if (arguments.length > 1) extraArgument("Tensor.max", "options?", arguments[1], arguments.length);
  return red.max(this, options);
};
P.min = function (options) {
  if (arguments.length > 1) extraArgument("Tensor.min", "options?", arguments[1], arguments.length);
  return red.min(this, options);
};
P.argmax = function (options) {
  if (arguments.length > 1) extraArgument("Tensor.argmax", "options?", arguments[1], arguments.length);
  return red.argmax(this, options);
};
P.argmin = function (options) {
  if (arguments.length > 1) extraArgument("Tensor.argmin", "options?", arguments[1], arguments.length);
  return red.argmin(this, options);
};
P.matmul = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.matmul", "y", arguments[1], arguments.length);
  return la.matmul(this, y);
};
P.dot = function (y) {
  if (arguments.length > 1) extraArgument("Tensor.dot", "y", arguments[1], arguments.length);
  return la.dot(this, y);
};
P.softmax = function (axis) {
  if (arguments.length > 1) extraArgument("Tensor.softmax", "axis?", arguments[1], arguments.length);
  return nn.softmax(this, axis);
};
P.astype = function (dtype) {
  if (arguments.length > 1) extraArgument("Tensor.astype", "dtype", arguments[1], arguments.length);
  return el.astype(this, dtype);
};
Object.defineProperty(P, "T", {
  get(this: Tensor) {
    return sh.transpose(this);
  },
});
