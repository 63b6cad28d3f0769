// `nabla plot`: a formula and its derivatives on one chart, or the finite-difference error curve.
import { writeFileSync } from "node:fs";
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { elementwiseDerivatives } from "../interpret/jet.js";
import { errorCurve } from "../numeric/error-curve.js";
import { linspace } from "../ops/creation.js";
import { derivatives, parse } from "../symbolic/expr.js";
import { vmap } from "../transforms/api.js";
import { lineChart, type Series, svgToPng } from "../viz/index.js";
import { CHART_PACKAGES, requirePackagesInstalled } from "../viz/libs.js";
import { alongVariable } from "./report.js";

export interface PlotOptions {
  order: number;
  from: number;
  to: number;
  points: number;
  at: Record<string, number>;
  wrt: string;
  output: string;
  error: boolean;
}

const primes = (k: number) =>
  k <= 3 ? "′".repeat(k) : `⁽${String(k).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[Number(d)]!)}⁾`;

/** Draws the chart and writes it as SVG or PNG (by the file's extension). Returns a one-line summary. */
export async function plot(text: string, o: PlotOptions): Promise<string> {
  const e = parse(text);
  const v = o.wrt;
  const png = o.output.toLowerCase().endsWith(".png");
  if (!png && !o.output.toLowerCase().endsWith(".svg"))
    throw new ValueError(`-o ${o.output}: the file name must end in .svg or .png`);
  // The drawing packages are optional dependencies of nabla: say what is missing before any work.
  requirePackagesInstalled("nabla plot", "draws", [...CHART_PACKAGES, ...(png ? ["@resvg/resvg-js"] : [])]);
  const svg = o.error ? errorChart(text, o) : functionChart(text, o);
  const bytes = png ? await svgToPng(svg, { scale: 2 }) : svg;
  try {
    writeFileSync(o.output, bytes);
  } catch (err) {
    throw new ValueError(
      `-o ${o.output}: cannot write the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  return o.error
    ? `wrote ${o.output}: finite-difference errors of the ${o.order === 1 ? "" : `order-${o.order} `}derivative of ${String(e)} at ${v} = ${o.at[v]}`
    : `wrote ${o.output}: ${String(e)} and ${o.order} derivative(s) on [${o.from}, ${o.to}]`;
}

function functionChart(text: string, o: PlotOptions): string {
  const e = parse(text);
  if (!(o.to > o.from))
    throw new ValueError(`--from ${o.from} --to ${o.to}: the interval is empty; --to must be larger`);
  const xs = linspace(o.from, o.to, o.points, { dtype: "float64" });
  const xData = Array.from(xs.dataSync());
  const series: Series[] = [];
  const along = alongVariable(e, o.wrt, o.at);
  const formulas = o.order > 0 ? derivatives(e, o.wrt, o.order) : [];
  // Every order at every point in one Taylor-mode pass.
  const values =
    o.order > 0 ? (elementwiseDerivatives(along, xs, o.order) as Tensor[]) : [vmap(along)(xs) as Tensor];
  for (let k = 0; k <= o.order; k++) {
    const y = Array.from(values[k]!.dataSync());
    const formula = k === 0 ? String(e) : String(formulas[k]);
    const label = `${k === 0 ? "f" : `f${primes(k)}`}(${o.wrt})${formula.length <= 34 ? ` = ${formula}` : ""}`;
    series.push({ label, x: xData, y });
  }
  return lineChart(series, {
    title: `${String(e)} and its derivatives`,
    xLabel: o.wrt,
    yLabel: "value",
    zeroLine: true,
  });
}

function errorChart(text: string, o: PlotOptions): string {
  const e = parse(text);
  const x = o.at[o.wrt]!;
  const c = errorCurve(alongVariable(e, o.wrt, o.at), x, { order: o.order });
  const methods = ["forward", "backward", "central", "richardson"] as const;
  const series: Series[] = methods.map((m) => ({
    label: `${m} (best h ≈ ${c.optimal[m].step.toExponential(0)})`,
    x: c.steps,
    y: c.errors[m],
  }));
  return lineChart(series, {
    title: `Finite-difference error of the ${o.order === 1 ? "first" : `order-${o.order}`} derivative of ${String(e)} at ${o.wrt} = ${x}`,
    xLabel: "step h",
    yLabel: "absolute error vs autodiff",
    logX: true,
    logY: true,
  });
}
