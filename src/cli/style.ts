// Terminal styling: colours only when writing to a terminal (and NO_COLOR is unset), plus number formats.

const useColor = (stream: NodeJS.WriteStream): boolean =>
  Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== "dumb";

const wrap = (code: string) => (s: string) => (useColor(process.stdout) ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = wrap("1");
export const dim = wrap("2");
export const cyan = wrap("36");
export const green = wrap("32");
export const red = (s: string): string => (useColor(process.stderr) ? `\x1b[31m${s}\x1b[0m` : s);

/** A number to 12 significant digits, without trailing zeros. */
export function fmt(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(12)));
}

/** An error estimate, to 2 significant digits. */
export const fmtErr = (v: number): string => (v === 0 ? "0" : v.toExponential(1));

/** Pads a table's columns (plain text widths; colour codes are added after padding). */
export function table(
  rows: readonly (readonly string[])[],
  style: (row: number, col: number, s: string) => string = (_r, _c, s) => s,
): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  return rows
    .map((r, i) =>
      r
        .map((cell, c) =>
          style(i, c, c === r.length - 1 ? cell : cell + " ".repeat(widths[c]! - [...cell].length)),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
