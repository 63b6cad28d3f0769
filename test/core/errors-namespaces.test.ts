// Bad arguments to the functions outside the tensor ops (numeric, pytrees, nn evaluation) are refused with
// the library's own errors, naming the function.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const refuses = (f: () => unknown, name: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(nb.NablaError);
  expect((err as Error).message).toMatch(name);
};

describe("bad arguments outside the tensor ops", () => {
  it("numeric: f that is not a function", () => {
    refuses(
      () => nb.numeric.derivative(null as never, 1),
      /^numeric\.derivative: f must be a function, got null/,
    );
    refuses(
      () => nb.numeric.gradient(5 as never, [1]),
      /^numeric\.gradient: f must be a function, got number/,
    );
    refuses(() => nb.numeric.hessian(undefined as never, [1]), /^numeric\.hessian: f must be a function/);
  });
  it("treeMap: a function first", () => {
    refuses(() => nb.treeMap(null as never, [1]), /^treeMap: the first argument must be a function/);
  });
  it("nn.evaluate and nn.predict name themselves", () => {
    refuses(() => nb.nn.evaluate(null as never, {}, { x: [1], y: [1] }), /^evaluate: model must be a layer/);
    refuses(() => nb.nn.predict(5 as never, {}, [1]), /^predict: model must be a layer/);
    const model = nb.nn.Linear(1, 1);
    refuses(
      () => nb.nn.evaluate(model, model.init(0).params, null as never),
      /^evaluate: data must be \{ x, y \}/,
    );
  });
});
