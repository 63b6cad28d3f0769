// Where a value was computed, for the errors of nb.settings.debugNans / debugInfs: which derivative rule is
// running (a stack, kept only while those settings are on) and the user's source line (from the JS stack).
import { settings } from "../core/config.js";

/** The derivative rule of a primitive that linearization recorded an equation for, and the user's line. */
export interface Origin {
  /** The primitive whose JVP rule emitted the equation (undefined outside any rule). */
  readonly prim: string | undefined;
  /** Where the user's code applied it: `file:line:column`. */
  readonly source: string | undefined;
}

/** One running derivative rule: a JVP rule of `prim`, or the transpose rule of linear `prim`. */
export interface RuleFrame {
  readonly kind: "JVP" | "transpose";
  readonly prim: string;
  /** For a transpose: the rule and line the transposed equation came from, when known. */
  readonly origin?: Origin;
}

const frames: RuleFrame[] = [];
// Parameters of equations recorded by linearization while checks are on, mapped to their origin. Each
// recorded equation gets its own copy of its parameters, so the copy identifies the equation.
const origins = new WeakMap<object, Origin>();

/** Whether NaN/Inf checks, and so rule tracking, are on. */
export const checking = (): boolean => settings.debugNans || settings.debugInfs;

/** Whether the interpreters have called each hook since the program started (they do only while checking). */
export const hooksSeen = { jvp: false, transpose: false, origin: false };

/** Runs a derivative rule of `prim` with its frame on the stack (call only while `checking()`). */
export function inRule<R>(prim: string, f: () => R): R {
  hooksSeen.jvp = true;
  frames.push({ kind: "JVP", prim });
  try {
    return f();
  } finally {
    frames.pop();
  }
}

/**
 * Runs the transpose rule of the linear equation `prim` with `params` (as recorded by linearization) with
 * its frame on the stack (call only while `checking()`).
 */
export function inTranspose<R>(prim: string, params: unknown, f: () => R): R {
  hooksSeen.transpose = true;
  const origin = typeof params === "object" && params !== null ? origins.get(params) : undefined;
  frames.push(origin === undefined ? { kind: "transpose", prim } : { kind: "transpose", prim, origin });
  try {
    return f();
  } finally {
    frames.pop();
  }
}

/**
 * A copy of an equation's parameters that remembers the rule being run and the user's line, for
 * {@link inTranspose} (call only while `checking()`: it reads the JS stack).
 */
export function tagOrigin<T>(params: T): T {
  hooksSeen.origin = true;
  const copy = { ...(params as object) } as T;
  let prim: string | undefined;
  for (let i = frames.length - 1; i >= 0; i--)
    if (frames[i]!.kind === "JVP") {
      prim = frames[i]!.prim;
      break;
    }
  origins.set(copy as object, { prim, source: userFrame() });
  return copy;
}

/**
 * Which transformation the current JS stack is in, from the names of the interpreters' functions: a
 * fallback for when no rule frame was recorded.
 */
export function stackTransformation(): "JVP" | "VJP" | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n")) {
    if (/\btransposeProgram\b/.test(line)) return "VJP";
    if (/\bJVPTrace\.processPrimitive\b/.test(line)) return "JVP";
  }
  return undefined;
}

/** The running derivative rules, outermost first. */
export const ruleFrames = (): readonly RuleFrame[] => frames;

// nabla's own source (src/ or dist/): frames in it are not the user's.
const ownDir = (() => {
  try {
    return decodeURIComponent(new URL("..", import.meta.url).pathname);
  } catch {
    return "\u0000";
  }
})();

/**
 * The first frame of the current JS stack outside nabla's own files and outside dependencies and runtime
 * internals, as `file:line:column` (relative to the working directory when under it).
 */
export function userFrame(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/|https?:\/\/|\/|[A-Za-z]:[\\/])[^()]*?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (m === null) continue;
    let file = m[1]!;
    if (file.startsWith("file://")) file = decodeURIComponent(file.slice(7));
    if (file.includes(ownDir) || /node_modules|[\\/]node:|^node:|<anonymous>/.test(file)) continue;
    return `${relative(file)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

function relative(file: string): string {
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.();
  return cwd !== undefined && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}
