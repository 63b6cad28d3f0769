// Parsing `--at` values: "2" for a single variable, or "x=1,y=2".
import { ValueError } from "../core/errors.js";

/** The point at which to evaluate, one value per variable of the expression. */
export function parsePoint(
  text: string | undefined,
  variables: readonly string[],
  fallback = 1,
): Record<string, number> {
  const at = new Map<string, number>();
  if (text === undefined || text.trim() === "") {
    for (const v of variables) at.set(v, fallback);
    return asRecord(at);
  }
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 1 && !parts[0]!.includes("=")) {
    const value = toNumber(parts[0]!, text);
    if (variables.length > 1)
      throw new ValueError(
        `--at ${text}: the expression has variables ${variables.join(", ")}; give each a value, e.g. --at ${variables.map((v, i) => `${v}=${i + 1}`).join(",")}`,
      );
    for (const v of variables) at.set(v, value);
    return asRecord(at);
  }
  for (const p of parts) {
    const m = /^([\p{L}_][\p{L}\p{N}_]*)\s*=\s*(.+)$/u.exec(p);
    if (!m)
      throw new ValueError(
        `--at ${text}: cannot read "${p}"; write name=value pairs separated by commas, e.g. x=1,y=2`,
      );
    if (!variables.includes(m[1]!))
      throw new ValueError(
        `--at ${text}: '${m[1]}' is not a variable of the expression (variables: ${variables.join(", ") || "none"})`,
      );
    at.set(m[1]!, toNumber(m[2]!, text));
  }
  const missing = variables.filter((v) => !at.has(v));
  if (missing.length > 0) throw new ValueError(`--at ${text}: no value for ${missing.join(", ")}`);
  return asRecord(at);
}

/** A record with exactly these own properties (a name such as __proto__ included). */
const asRecord = (at: ReadonlyMap<string, number>): Record<string, number> => Object.fromEntries(at);

const NAMED: ReadonlyMap<string, number> = new Map([
  ["pi", Math.PI],
  ["-pi", -Math.PI],
  ["e", Math.E],
]);

function toNumber(s: string, text: string): number {
  const v = NAMED.get(s.trim()) ?? Number(s);
  if (s.trim() === "" || !Number.isFinite(v))
    throw new ValueError(`--at ${text}: "${s}" is not a finite number`);
  return v;
}
