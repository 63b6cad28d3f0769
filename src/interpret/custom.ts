// Custom derivative rules: a function whose JVP is given by the user instead of derived from its body.

import { functionArg } from "../core/args.js";
import { toTensor } from "../core/convert.js";
import { fmtShape, PytreeError, ShapeError } from "../core/errors.js";
import { flatten, type Pytree, type TreeDef, treeString, treesEqual, unflatten } from "../core/pytree.js";
import type { Tensor } from "../core/tensor.js";
import { bind, fullRaise, type MainTrace, Tracer } from "../core/trace.js";
import * as lax from "../primitives/lax.js";
import { customJvpUnderJet } from "./jet.js";
import { stagedCalls } from "./jit-call.js";
import { JVPTrace, JVPTracer } from "./jvp.js";
import { BatchTrace, BatchTracer, vmapFlat } from "./vmap.js";

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
  functionArg("customJvp", "f", f);
  functionArg("customJvp", "rule", rule);
  const wrapped = (...args: unknown[]): unknown => {
    const viaJet = customJvpUnderJet(f, rule, args);
    if (viaJet !== null) return viaJet.value;
    const [leaves, def] = flatten(args as Pytree, "customJvp arguments");
    const trace = topTrace(leaves);
    if (trace instanceof BatchTrace)
      return underVmap(
        trace,
        leaves,
        (vals) => wrapped(...unflatten<unknown[]>(def, vals)),
        (dims, outDef) =>
          customJvp(batchedBody(f, def, dims, outDef), (ps, ts) => {
            const n = ps.length;
            const both = vmapFlat(
              (...pt) => {
                const [o, t] = rule(unflatten(def, pt.slice(0, n)), unflatten(def, pt.slice(n)));
                const [ol, od] = flatten(o as Pytree, "customJvp rule primal output");
                outDef.def = od;
                return [...ol, ...flatten(t as Pytree, "customJvp rule tangent output")[0]].map((l) =>
                  toTensor(l),
                );
              },
              [...dims, ...dims],
              0,
              [...(ps as Tensor[]), ...(ts as Tensor[])],
            );
            return [both.slice(0, both.length / 2), both.slice(both.length / 2)];
          }),
      );
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

/** The trace of the innermost transformation among the leaves, if any. */
function topTrace(leaves: readonly unknown[]) {
  let top: MainTrace | null = null;
  for (const l of leaves)
    if (l instanceof Tracer && (top === null || l.trace.main.level > top.level)) top = l.trace.main;
  return top?.trace();
}

/** The innermost JVP trace among the leaves, with the leaves raised into it; null when f is not differentiated. */
function jvpContext(leaves: readonly unknown[]): { trace: JVPTrace; ts: JVPTracer[] } | null {
  const trace = topTrace(leaves);
  if (!(trace instanceof JVPTrace)) return null;
  return { trace, ts: leaves.map((l) => fullRaise(trace, toTensor(l as Tensor)) as JVPTracer) };
}

/** The output tangent of a single-output function through a custom map, linear in the input tangents. */
function throughLinear(
  name: string,
  trace: JVPTrace,
  ts: readonly JVPTracer[],
  out: Tensor,
  residuals: readonly Tensor[],
  forward: ((res: Tensor[], tangents: Tensor[]) => Tensor) | null,
  transpose: (res: Tensor[], ct: Tensor) => (Tensor | null)[],
): Tensor {
  if (ts.every((t) => t.tangent === null)) return out;
  const tangents = ts.map((t) => t.tangent ?? lax.zerosLike(t.primal));
  const tout = bind("custom_linear", [...residuals, ...tangents], {
    name,
    nres: residuals.length,
    forward,
    transpose,
    out: out.aval,
  });
  return new JVPTracer(trace, out, tout).fullLower();
}

function singleTensor(name: string, value: unknown): Tensor {
  if (
    Array.isArray(value) ||
    (typeof value === "object" && value !== null && !(value instanceof Tracer) && !("aval" in value))
  )
    throw new PytreeError(`${name}: the function must return a single tensor`);
  return toTensor(value as Tensor);
}

/**
 * Gives `f` a custom reverse-mode rule: `fwd(...args)` returns `[out, residuals]`, and `bwd(residuals, ct)`
 * returns one cotangent per argument (an array). Used by grad, vjp, jacrev and everything built on them
 * (Hessians via jacfwd∘jacrev work when `bwd` is written with nabla operations). `f` returns one tensor.
 * @example
 * ```ts
 * // clip the gradient of a function to [-1, 1] on the way back:
 * const clipGrad = nb.customVjp(
 *   (x) => x,
 *   (x) => [x, null],
 *   (_res, ct) => [nb.clip(ct, -1, 1)],
 * );
 * nb.grad((x) => nb.mul(clipGrad(x), 10))(1).item(); // 1
 * ```
 */
export function customVjp<F extends AnyFn, R = unknown>(
  f: F,
  fwd: (...args: Parameters<F>) => readonly [unknown, R],
  bwd: (residuals: NoInfer<R>, ct: Tensor) => unknown[],
): F {
  functionArg("customVjp", "f", f);
  functionArg("customVjp", "fwd", fwd);
  functionArg("customVjp", "bwd", bwd);
  const wrapped = (...args: unknown[]): unknown => {
    const [leaves, def] = flatten(args as Pytree, "customVjp arguments");
    const batch = topTrace(leaves);
    if (batch instanceof BatchTrace)
      return underVmap(
        batch,
        leaves,
        (vals) => wrapped(...unflatten<unknown[]>(def, vals)),
        (dims, outDef) => {
          const resDef: OutDef = {};
          const vjpB = customVjp(
            (...xs: Tensor[]) => batchedBody(f, def, dims, outDef)(...xs)[0]!,
            (...xs: unknown[]) => {
              const r = vmapFlat(
                (...u) => {
                  const [o, res] = fwd(...unflatten<Parameters<F>>(def, u));
                  const [ol, od] = flatten(o as Pytree, "customVjp output");
                  outDef.def = od;
                  const [rl, rd] = flatten(res as Pytree, "customVjp residuals");
                  resDef.def = rd;
                  return [...ol, ...rl].map((l) => toTensor(l));
                },
                dims,
                0,
                xs as Tensor[],
              );
              return [r[0], r.slice(1)];
            },
            (res: unknown, ct: Tensor) => {
              const rl = res as Tensor[];
              const cts = vmapFlat(
                (...rc) => {
                  const back = bwd(unflatten(resDef.def!, rc.slice(0, -1)), rc[rc.length - 1]!);
                  return flatten(back as Pytree, "customVjp bwd output")[0].map((l) => toTensor(l));
                },
                [...rl.map(() => 0), 0],
                0,
                [...rl, ct],
              );
              // Per-example cotangents of an unbatched argument add up over the batch.
              return cts.map((c, i) =>
                dims[i] === null ? lax.reduceSum(c, [0]) : lax.moveAxis(c, 0, dims[i]!),
              );
            },
          );
          return (...xs: Tensor[]) => [vjpB(...xs)];
        },
      );
    const ctx = jvpContext(leaves);
    if (ctx === null) return f(...args);
    const primals = ctx.ts.map((t) => t.primal);
    const avals = primals.map((p) => p.aval);
    const [out0, res] = fwd(...unflatten<Parameters<F>>(def, primals));
    const out = singleTensor("customVjp", out0);
    const [resLeaves, resDef] = flatten(res as Pytree, "customVjp residuals");
    const transpose = (r: Tensor[], ct: Tensor) => {
      const cts = bwd(unflatten(resDef, r), ct);
      const [ctLeaves, ctDef] = flatten(cts as Pytree, "customVjp bwd output");
      if (!treesEqual(ctDef, def))
        throw new PytreeError(
          `customVjp: bwd returned structure ${treeString(ctDef)} but the arguments have ${treeString(def)}`,
        );
      return ctLeaves.map((c, i) => lax.convert(toTensor(c), avals[i]!.dtype, avals[i]!.weak));
    };
    return throughLinear(
      "customVjp",
      ctx.trace,
      ctx.ts,
      out,
      resLeaves.map((l) => toTensor(l)),
      null,
      transpose,
    );
  };
  return wrapped as F;
}

/**
 * Gradient checkpointing: reverse mode through `checkpoint(f)` keeps only f's inputs and recomputes its
 * intermediates in the backward pass, trading compute for memory. Values and derivatives are unchanged.
 * `f` takes and returns pytrees of tensors. Under a transformation the call is one `jit_call` marked
 * `remat`, holding f's program traced once per signature: linearization stores its operands only, and the
 * backward pass reruns the program to get what it needs (JAX's `checkpoint`/`remat`). So it composes with
 * every transformation, at every order, and inside `nb.lax.scan` bodies.
 * @example
 * ```ts
 * const block = nb.checkpoint((x) => nb.tanh(nb.sin(nb.mul(x, x))));
 * nb.grad((x) => nb.sum(block(x)))(nb.array([0.5, 1]));
 * ```
 */
export function checkpoint<F extends AnyFn>(f: F): F {
  functionArg("checkpoint", "f", f);
  const calls = stagedCalls(f, `checkpoint(${f.name || "f"})`, "checkpoint", true);
  const wrapped = (...args: unknown[]): unknown => {
    const [leaves, def] = flatten(args as Pytree, "checkpoint arguments");
    // Nothing is traced: nothing will be differentiated, so f runs as written.
    if (!leaves.some((l) => l instanceof Tracer)) return f(...args);
    const xs = leaves.map((l) => toTensor(l));
    let key = treeString(def);
    for (const x of xs) key += `|${x.aval.dtype}${x.aval.weak ? "w" : ""}[${x.aval.shape.join(",")}]`;
    return calls.call(def, key, xs);
  };
  return wrapped as F;
}

type OutDef = { def?: TreeDef };

/** `f` on flat physical arguments with the given batch dimensions, outputs batched along axis 0. */
function batchedBody(f: AnyFn, def: TreeDef, dims: readonly (number | null)[], outDef: OutDef) {
  return (...xs: Tensor[]): Tensor[] =>
    vmapFlat(
      (...u) => {
        const [ol, od] = flatten(f(...unflatten<unknown[]>(def, u)) as Pytree, "custom function output");
        outDef.def = od;
        return ol.map((l) => toTensor(l));
      },
      dims,
      0,
      xs,
    );
}

/**
 * A custom-rule function called inside vmap: rebuild it on the batched (physical) values, so the custom
 * rule is still the one a differentiation below the vmap sees, then re-wrap the outputs as batched.
 */
function underVmap(
  trace: BatchTrace,
  leaves: readonly unknown[],
  unbatched: (vals: Tensor[]) => unknown,
  build: (dims: (number | null)[], outDef: OutDef) => (...xs: Tensor[]) => Tensor[],
): unknown {
  const bts = leaves.map((l) => fullRaise(trace, toTensor(l as Tensor)) as BatchTracer);
  const dims = bts.map((b) => b.bdim);
  // No argument is batched: the call does not depend on the batch and runs once, unbatched.
  if (dims.every((d) => d === null)) return unbatched(bts.map((b) => b.val));
  const outDef: OutDef = {};
  const outs = build(dims, outDef)(...bts.map((b) => b.val));
  return unflatten(
    outDef.def!,
    outs.map((o) => new BatchTracer(trace, o, 0).fullLower()),
  );
}
