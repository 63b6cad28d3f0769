// The cards under the derivative plots: tangent and Taylor polynomial, the finite-difference error
// curve, and the computation graph.
import type { ErrorCurveData, ProgramPicture } from "../compute/derivatives.js";
import { Chart, legendHtml } from "../ui/chart.js";
import { esc, fmt, h } from "../ui/dom.js";
import { graphSvg, wireGraphHighlight } from "../ui/graph-view.js";
import { taylorTex } from "../ui/taylor.js";
import { renderTex } from "../ui/tex.js";

export interface TaylorData {
  /** f(x₀), f′(x₀), … by autodiff. */
  values: number[];
  coef: number[];
  degree: number;
  x0: number;
  variable: string;
  /** Largest |f − Tₙ| over the sampled part of the view, if known. */
  worst: { value: number; view: [number, number] } | null;
}

export class TaylorCard {
  readonly root: HTMLElement;
  private readonly body = h("div", { class: "card-body" });

  constructor() {
    this.root = h(
      "section",
      { class: "card", id: "taylor-card" },
      h("h3", {}, "Tangent line and Taylor polynomial at x₀"),
      this.body,
    );
  }

  update(d: TaylorData | null, message = "…"): void {
    if (!d) {
      this.body.textContent = message;
      return;
    }
    const { values, coef, degree, x0, variable: v } = d;
    const tangent = h("div", { class: "tex-line", id: "tangent-tex" });
    const taylor = h("div", { class: "tex-line", id: "taylor-tex" });
    void renderTex(tangent, `y = ${taylorTex([values[0]!, values[1]!], x0, v)}`);
    void renderTex(taylor, `T_{${degree}}(${v}) = ${taylorTex(coef, x0, v)}`);
    const rows = coef.map(
      (c, k) =>
        `<tr><td>${k}</td><td class="num">${esc(fmt(values[k]!, 6))}</td><td class="num">${esc(fmt(c, 6))}</td></tr>`,
    );
    const table = h("table", { class: "data coef", id: "taylor-coef" });
    table.innerHTML = `<thead><tr><th>k</th><th class="num">f⁽ᵏ⁾(x₀)</th><th class="num">cₖ = f⁽ᵏ⁾(x₀) / k!</th></tr></thead><tbody>${rows.join("")}</tbody>`;
    const note = h("p", { class: "caption" });
    if (d.worst)
      note.textContent = `Largest |f − T${degree}| on the view [${fmt(d.worst.view[0])}, ${fmt(d.worst.view[1])}]: ${fmt(d.worst.value, 3)}. Each f⁽ᵏ⁾(x₀) is computed by nested nb.grad.`;
    this.body.replaceChildren(
      h("div", { class: "tex-label" }, `Tangent line at ${v} = ${fmt(x0)}`),
      tangent,
      h("div", { class: "tex-label" }, `Taylor polynomial of degree ${degree}`),
      taylor,
      table,
      note,
    );
  }
}

const METHODS = ["forward", "backward", "central", "richardson"] as const;
const METHOD_COLORS = ["#dc2626", "#ea580c", "#2563eb", "#059669"];

export class ErrorCard {
  readonly root: HTMLElement;
  private readonly chart: Chart;
  private readonly legend = h("div", { class: "legend", id: "err-legend" });
  private readonly caption = h("p", { class: "caption", id: "err-caption" });

  constructor(order: number, onOrder: (k: number) => void) {
    const select = h(
      "select",
      { id: "err-order", "aria-label": "Derivative order for the error curve" },
      ...[1, 2, 3].map((k) =>
        h(
          "option",
          { value: String(k), selected: k === order },
          `${["first", "second", "third"][k - 1]} derivative`,
        ),
      ),
    );
    select.addEventListener("change", () => onOrder(Number(select.value)));
    this.root = h(
      "section",
      { class: "card", id: "error-card" },
      h("div", { class: "card-head" }, h("h3", {}, "Autodiff vs finite differences"), select),
      this.legend,
    );
    this.chart = new Chart(this.root, {
      height: 260,
      logX: true,
      logY: true,
      xLabel: "step h",
      yLabel: "|finite difference − autodiff|",
      ariaLabel: "Error of finite differences against the step size",
    }).enableHover();
    this.root.append(this.caption);
  }

  /** `name` is the derivative's name, e.g. f′. */
  update(d: ErrorCurveData | null, name: string, message = "…"): void {
    const c = this.chart;
    if (!d) {
      c.curves = [];
      c.xDomain = [1e-12, 0.1];
      c.render();
      this.legend.innerHTML = "";
      this.caption.textContent = message;
      return;
    }
    c.curves = METHODS.map((m, i) => ({
      id: m,
      label: m,
      color: METHOD_COLORS[i]!,
      x: d.steps,
      y: d.errors[m],
      markers: true,
      width: 1.6,
    }));
    c.xDomain = [Math.min(...d.steps), Math.max(...d.steps)];
    c.render();
    this.legend.innerHTML = legendHtml(
      METHODS.map((m, i) => ({
        color: METHOD_COLORS[i]!,
        label: `${m === "richardson" ? "central + Richardson" : m}: best h ≈ ${fmt(d.optimal[m].step, 2)}`,
      })),
    );
    const zeros = METHODS.reduce((n, m) => n + d.errors[m].filter((e) => e === 0).length, 0);
    this.caption.textContent =
      `Error of each finite-difference estimate of ${name}(${fmt(d.x)}) = ${fmt(d.exact, 8)} (autodiff, float64). ` +
      "On the right (large h) truncation error dominates and falls like a power of h; on the left round-off dominates and grows like ε/hᵏ. The best step sits at the bottom of the V; autodiff has neither error." +
      (zeros ? ` ${zeros} estimate(s) were exact in floating point and are not drawn (log scale).` : "");
  }
}

export class GraphCard {
  readonly root: HTMLElement;
  private readonly box = h("div", { class: "graph-box", id: "graph-box" });
  private readonly text = h("pre", { class: "program-text", id: "program-text" });
  private readonly caption = h("p", { class: "caption", id: "graph-caption" });
  private readonly buttons: HTMLButtonElement[];

  constructor(order: number, onOrder: (k: number) => void) {
    this.buttons = [0, 1, 2].map((k) =>
      h(
        "button",
        {
          type: "button",
          class: "seg",
          role: "radio",
          "aria-checked": String(k === order),
          "data-order": k,
          onclick: () => {
            this.buttons.forEach((b, i) => b.setAttribute("aria-checked", String(i === k)));
            onOrder(k);
          },
        },
        ["f", "f′", "f″"][k]!,
      ),
    );
    this.root = h(
      "section",
      { class: "card wide", id: "graph-card" },
      h(
        "div",
        { class: "card-head" },
        h("h3", {}, "Computation graph"),
        h(
          "div",
          { class: "segmented", role: "radiogroup", "aria-label": "Program to draw" },
          ...this.buttons,
        ),
      ),
      this.caption,
      this.box,
      h("details", {}, h("summary", {}, "Program text (nb.makeProgram)"), this.text),
    );
    wireGraphHighlight(this.box);
  }

  /** `name` is the drawn function's name, e.g. f″. */
  update(p: ProgramPicture | null, name: string, message = "…"): void {
    if (!p) {
      this.box.innerHTML = `<p class="hint">${esc(message)}</p>`;
      return;
    }
    const what =
      p.order === 0
        ? "the program of f traced by nb.makeProgram"
        : `the program of its ${["", "first", "second"][p.order]} derivative (reverse mode, nb.grad${p.order > 1 ? " twice" : ""})`;
    this.caption.textContent = `${p.eqns} equation${p.eqns === 1 ? "" : "s"}: ${what}. Hover a node to see its inputs and outputs.`;
    this.box.innerHTML = p.layout
      ? graphSvg(p.layout, `Computation graph of ${name}`)
      : `<p class="hint">${p.eqns} equations are too many to draw; the program text is below.</p>`;
    this.text.textContent = p.text;
    // Shrink a slightly-too-wide graph to fit; scroll a much wider one at a readable size.
    const svg = this.box.querySelector<SVGSVGElement>("svg.graph");
    if (svg) {
      const w = Number(svg.getAttribute("width"));
      const room = this.box.clientWidth;
      if (room > 0 && w > room && room / w >= 0.7) {
        svg.setAttribute("width", String(room));
        svg.setAttribute("height", String((Number(svg.getAttribute("height")) * room) / w));
      }
    }
  }
}
