// Loss curves of a training history as SVG (or PNG in Node), through the library's line charts.
import { ValueError } from "../core/errors.js";
import { lineChart, type Series, svgToPng } from "../viz/index.js";
import type { History } from "./fit.js";

export interface LossCurveOptions {
  /** Plot the loss of every step instead of per-epoch means (with validation per epoch when present). */
  steps?: boolean;
  /** Also plot these metrics (per epoch), e.g. ["accuracy"]; they share the loss's axis. */
  metrics?: readonly string[];
  /** Logarithmic loss axis. Default false. */
  logY?: boolean;
  title?: string;
  width?: number;
  height?: number;
  /** Node only: also write the SVG to this path (synchronously; use saveLossCurve for PNG). */
  file?: string;
}

function seriesOf(history: History, o: LossCurveOptions): Series[] {
  const epochs = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const out: Series[] = [];
  if (o.steps) {
    const perEpoch = history.stepLoss.length / Math.max(history.loss.length, 1);
    out.push({
      label: "training loss (per step)",
      x: history.stepLoss.map((_, i) => (i + 1) / perEpoch),
      y: history.stepLoss,
    });
  } else if (history.loss.length > 0)
    out.push({ label: "training loss", x: epochs(history.loss.length), y: history.loss });
  if (history.valLoss.length > 0)
    out.push({ label: "validation loss", x: epochs(history.valLoss.length), y: history.valLoss });
  for (const m of o.metrics ?? []) {
    const tr = history.metrics[m];
    const va = history.valMetrics[m];
    if (tr === undefined) throw new ValueError(`lossCurve: the history has no metric "${m}"`);
    if (tr.length > 0) out.push({ label: `training ${m}`, x: epochs(tr.length), y: tr });
    if (va && va.length > 0) out.push({ label: `validation ${m}`, x: epochs(va.length), y: va });
  }
  if (out.length === 0) throw new ValueError("lossCurve: the history is empty; train for at least one epoch");
  return out;
}

/**
 * The training (and validation) loss per epoch as a standalone SVG document; `steps: true` draws every
 * step's loss. With `file` (Node) the SVG is also written there.
 * @example
 * ```ts
 * const history = { loss: [1, 0.5, 0.3], valLoss: [1.1, 0.7, 0.6], stepLoss: [], metrics: {}, valMetrics: {},
 *   epochTime: [], epochs: 3, steps: 0, stopReason: "completed" as const };
 * nb.nn.lossCurve(history).startsWith("<svg"); // true
 * ```
 */
export function lossCurve(history: History, options: LossCurveOptions = {}): string {
  const svg = lineChart(seriesOf(history, options), {
    title: options.title ?? "Loss",
    xLabel: "epoch",
    yLabel: options.metrics?.length ? "loss / metric" : "loss",
    logY: options.logY,
    width: options.width,
    height: options.height,
  });
  if (options.file !== undefined) {
    if (options.file.toLowerCase().endsWith(".png"))
      throw new ValueError(
        "lossCurve: PNG is written asynchronously: use await nn.saveLossCurve(history, file)",
      );
    writeFileSync(options.file, svg);
  }
  return svg;
}

/**
 * Writes the loss curve to a `.svg` or `.png` file (Node only).
 * @example
 * ```ts
 * await nb.nn.saveLossCurve(result.history, "loss.png");
 * ```
 */
export async function saveLossCurve(
  history: History,
  file: string,
  options: Omit<LossCurveOptions, "file"> & { scale?: number } = {},
): Promise<void> {
  const svg = lossCurve(history, options);
  if (file.toLowerCase().endsWith(".png"))
    writeFileSync(file, await svgToPng(svg, { scale: options.scale ?? 2 }));
  else writeFileSync(file, svg);
}

/** Node's fs.writeFileSync, reached without a static import so browser bundles stay clean. */
function writeFileSync(file: string, data: string | Uint8Array): void {
  const fs =
    typeof process !== "undefined" && typeof process.getBuiltinModule === "function"
      ? (process.getBuiltinModule("node:fs") as typeof import("node:fs") | undefined)
      : undefined;
  if (!fs)
    throw new ValueError(
      `lossCurve: writing "${file}" needs Node (≥ 20.16); in a browser use the returned SVG`,
    );
  fs.writeFileSync(file, data);
}
