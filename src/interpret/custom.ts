// Custom derivative rules: a function whose JVP is given by the user instead of derived from its body.
import { toTensor } from "../core/convert.js";
import { fmtShape, PytreeError, ShapeError } from "../core/errors.js";
import { flatten, type Pytree, treeString, treesEqual, unflatten } from "../core/pytree.js";
import { fullRaise, type MainTrace, Tracer } from "../core/trace.js";
import * as lax from "../ops/lax.js";
import { JVPTrace, JVPTracer } from "./jvp.js";

// biome-ignore lint/suspicious/noExplicitAny: custom functions take any pytree signature
type AnyFn = (...args: any[]) => any;

/**
 * Gives `f` a custom JVP rule: `rule(primals, tangents)` returns `[primalOut, tangentOut]`, with tangentOut
 * linear in the tangents. The rule is used whenever `f` is differentiated (forward or reverse mode); at
 * higher orders the rule itself is differentiated, so write it with nabla operations. Elsewhere (plain
 * evaluation, vmap, staging) `f` runs as written.
 * @example
 * ```ts
 * // log(1 + eˣ) whose derivative is the sigmoid, exact at every order:
 * const softplus = nb.customJvp(
 *   (x) => nb.logSumExp(nb.stack([x, nb.zerosLike(x)]), { axis: 0 }),
 *   ([x], [dx]) => [softplus(x), nb.mul(dx, nb.sigmoid(x))],
 * );
 * nb.grad(nb.grad(softplus))(0).item(); // 0.25
 * ```
 */
export function customJvp<F extends AnyFn>(
  f: F,
  rule: (primals: unknown[], tangents: unknown[]) => [unknown, unknown],
): F {
  const wrapped = (...args: unknown[]) => {
    const [leaves, def] = flatten(args as Pytree, "customJvp arguments");
    let top: MainTrace | null = null;
    for (const l of leaves)
      if (l instanceof Tracer && (top === null || l.trace.main.level > top.level)) top = l.trace.main;
    const trace = top?.trace();
    if (!(trace instanceof JVPTrace)) return f(...args);
    const ts = leaves.map((l) => fullRaise(trace, toTensor(l)) as JVPTracer);
    const primals = unflatten<unknown[]>(
      def,
      ts.map((t) => t.primal),
    );
    const tangents = unflatten<unknown[]>(
      def,
      ts.map((t) => t.tangent ?? lax.zerosLike(t.primal)),
    );
    const [out, tout] = rule(primals, tangents);
    const [outs, outDef] = flatten(out as Pytree, "customJvp rule primal output");
    const [touts, toutDef] = flatten(tout as Pytree, "customJvp rule tangent output");
    if (!treesEqual(outDef, toutDef))
      throw new PytreeError(
        `customJvp: the rule's primal output has structure ${treeString(outDef)} but its tangent output has ${treeString(toutDef)}`,
      );
    const tracers = outs.map((o, i) => {
      const p = toTensor(o);
      const t = lax.convert(toTensor(touts[i]!, p.aval.dtype), p.aval.dtype, p.aval.weak);
      if (t.aval.shape.join() !== p.aval.shape.join())
        throw new ShapeError(
          `customJvp: the rule's tangent output ${i} has shape ${fmtShape(t.aval.shape)} but the primal output has ${fmtShape(p.aval.shape)}`,
        );
      return new JVPTracer(trace, p, t).fullLower();
    });
    return unflatten(outDef, tracers);
  };
  return wrapped as F;
}
