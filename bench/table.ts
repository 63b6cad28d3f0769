// Renders the collected results as one markdown table: a row per workload × size × unit, a column per
// library × mode, and for every other library how nabla's best mode compares with it.
import {
  type BenchRecord,
  higherIsBetter,
  sizesOf,
  type Unit,
  unitsOf,
  type Workload,
} from "./libs/common.mjs";

/** A result row as the table sees it (the recorded PyTorch and JAX columns use other library names). */
export type TableRecord = Omit<BenchRecord, "library"> & { library: string };

export interface Column {
  /** `${library}/${mode}` */
  key: string;
  title: string;
}

/** A column computed from a row's records (the ratio to JAX, page faults), after the library columns. */
export interface DerivedColumn {
  title: string;
  cell: (rows: readonly TableRecord[], unit: Unit) => string;
}

const LABEL: Record<Workload, (size: string) => string> = {
  B1: (s) => `B1 matmul ${s}×${s}`,
  B2: () => "B2 tanh(x)·exp(−x²), 1e6",
  B3: (s) => (s === "128-dropout" ? "B3 MLP train step, b=128, Dropout(0.1)" : "B3 MLP train step, b=128"),
  B4: (s) => (s === "1e6-grad-of-jit" ? "B4 Rosenbrock ∇, n=1e6, grad(jit(f))" : "B4 Rosenbrock ∇, n=1e6"),
  B5: (s) => `B5 Hessian n=${s}`,
  B6: (s) => `B6 3rd-order tensor n=${s}`,
  B7: (s) => `B7 k=${s} derivative, 1e5 pts`,
  B8: (s) => (s === "fwd" ? "B8 scalar graph fwd only" : "B8 scalar graph fwd+bwd"),
  B9: (s) =>
    s === "T100"
      ? "B9 RNN train step, T=100 (scan)"
      : s === "T100-unrolled"
        ? "B9 RNN train step, T=100 (unrolled)"
        : `B9 RNN first call (compile), T=${s.slice("compile-T".length)}`,
  B10: (s) => {
    const [op, n] = s.split("-");
    return `B10 ${op} f64 n=${n}${op === "solve" ? ", b [n,1]" : ""}`;
  },
  B11: () => "B11 CNN train step, b=64",
  B12: () => "B12 transformer block fwd+bwd, 8×64×128",
};
const UNIT: Record<Unit, string> = { GFLOPS: "GFLOP/s", ms: "ms", "steps/s": "steps/s", "us/op": "µs/op" };

/** Three significant digits, without exponents for the magnitudes seen here. */
export function fmt(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** "N× faster" or "N× slower": nabla against another value, in the direction of the unit. */
export function ratioText(ours: number, theirs: number, unit: Unit): string {
  const speedup = higherIsBetter(unit) ? ours / theirs : theirs / ours;
  const r = speedup >= 1 ? speedup : 1 / speedup;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}× ${speedup >= 1 ? "faster" : "slower"}`;
}

/** Below this CPU ÷ wall ratio while timed, a cell is marked †: other processes took the core. */
export const STARVED = 0.7;

const valid = (r: TableRecord | undefined): r is TableRecord & { value: number } =>
  r !== undefined && r.value !== null && r.check !== "WRONG";

/** The best valid nabla result of a row (largest throughput or smallest time over its modes). */
function bestNabla(rs: TableRecord[], unit: Unit): number | undefined {
  const vs = rs.filter((r) => r.library === "nabla" && valid(r)).map((r) => r.value!);
  if (vs.length === 0) return undefined;
  return higherIsBetter(unit) ? Math.max(...vs) : Math.min(...vs);
}

const shortError = (e: string) =>
  e.startsWith("too slow") ? "too slow" : e.startsWith("timeout") ? "timeout" : e.split(/[ :(]/)[0]!;

/** The table's lines, followed by notes for cells that failed. */
export function renderTable(
  records: readonly TableRecord[],
  columns: readonly Column[],
  workloads: readonly Workload[],
  quick: boolean,
  derived: readonly DerivedColumn[] = [],
): string[] {
  const notes: string[] = [];
  const head = ["workload", "unit", ...columns.map((c) => c.title), ...derived.map((d) => d.title)];
  const rows: string[][] = [];
  for (const w of workloads)
    for (const size of sizesOf(w, quick))
      for (const unit of unitsOf(w)) {
        const rs = records.filter((r) => r.workload === w && r.size === size && r.unit === unit);
        const best = bestNabla(rs, unit);
        const cells = columns.map((c) => {
          const r = rs.find((x) => `${x.library}/${x.mode}` === c.key);
          if (r === undefined) return "—";
          if (r.value === null) {
            const note = `${c.title}: ${r.error ?? "no value"}`;
            if (!notes.includes(note)) notes.push(note);
            return `${shortError(r.error ?? "error")} [${notes.indexOf(note) + 1}]`;
          }
          let text = fmt(r.value) + (r.check === "WRONG" ? " WRONG" : "");
          if (r.cpu !== undefined && r.cpu < STARVED) text += "†";
          // A recorded number in a live column (a workload that library's worker does not run).
          if (r.source === "recorded" && !c.title.includes("(recorded)")) text += " (rec.)";
          if (!c.key.startsWith("nabla/") && best !== undefined)
            text += ` (${ratioText(best, r.value, unit)})`;
          return text;
        });
        rows.push([LABEL[w](size), UNIT[unit], ...cells, ...derived.map((d) => d.cell(rs, unit))]);
      }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((n, i) => (i < 2 ? `-${"-".repeat(n)}-` : `-${"-".repeat(n)}:`)).join("|")}|`;
  const out = [line(head), rule, ...rows.map(line)];
  if (notes.length) out.push("", ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return out;
}
