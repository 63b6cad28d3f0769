// Tensor methods for the common operations: `x.add(y)` is `nb.add(x, y)`.
import type { DType } from "../core/dtype.js";
import { Tensor } from "../core/tensor.js";
import * as el from "./elementwise.js";
import * as la from "./linalg.js";
import * as nn from "./nn.js";
import * as red from "./reduce.js";
import * as sh from "./shape.js";
import type { TensorLike } from "./util.js";

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
  return el.add(this, y);
};
P.sub = function (y) {
  return el.sub(this, y);
};
P.mul = function (y) {
  return el.mul(this, y);
};
P.div = function (y) {
  return el.div(this, y);
};
P.pow = function (y) {
  return el.pow(this, y);
};
P.neg = function () {
  return el.neg(this);
};
P.square = function () {
  return el.square(this);
};
P.sqrt = function () {
  return el.sqrt(this);
};
P.exp = function () {
  return el.exp(this);
};
P.log = function () {
  return el.log(this);
};
P.sin = function () {
  return el.sin(this);
};
P.cos = function () {
  return el.cos(this);
};
P.tanh = function () {
  return el.tanh(this);
};
P.sigmoid = function () {
  return el.sigmoid(this);
};
P.relu = function () {
  return el.relu(this);
};
P.abs = function () {
  return el.abs(this);
};
P.maximum = function (y) {
  return el.maximum(this, y);
};
P.minimum = function (y) {
  return el.minimum(this, y);
};
P.reshape = function (shape) {
  return sh.reshape(this, shape);
};
P.transpose = function (perm) {
  return sh.transpose(this, perm);
};
P.expandDims = function (axis) {
  return sh.expandDims(this, axis);
};
P.squeeze = function (axis) {
  return sh.squeeze(this, axis);
};
P.flatten = function () {
  return sh.reshape(this, [-1]);
};
P.sum = function (options) {
  return red.sum(this, options);
};
P.mean = function (options) {
  return red.mean(this, options);
};
P.max = function (options) {
  return red.max(this, options);
};
P.min = function (options) {
  return red.min(this, options);
};
P.argmax = function (options) {
  return red.argmax(this, options);
};
P.argmin = function (options) {
  return red.argmin(this, options);
};
P.matmul = function (y) {
  return la.matmul(this, y);
};
P.dot = function (y) {
  return la.dot(this, y);
};
P.softmax = function (axis) {
  return nn.softmax(this, axis);
};
P.astype = function (dtype) {
  return el.astype(this, dtype);
};
Object.defineProperty(P, "T", {
  get(this: Tensor) {
    return sh.transpose(this);
  },
});
