// The Derivatives view: f and f′, f″, f‴ plotted with their formulas, tangent and Taylor polynomial at a
// draggable point, the finite-difference error curve and the computation graph.
import type { Formula } from "../compute/derivatives.js";
import type { FnSpec } from "../compute/fn.js";
import { Chart, type Curve, nearestIndex } from "../ui/chart.js";
import { announce, clamp, debounce, esc, fmt, frow, h, parseNumber } from "../ui/dom.js";
import { ExprInput } from "../ui/expr-input.js";
import { getNumber, getParam, setParam, short } from "../ui/state.js";
import { evalTaylor, taylorCoefficients } from "../ui/taylor.js";
import { renderTex } from "../ui/tex.js";
import { ComputeWorker, Lane, Sampler, type Samples, Superseded, samplerCount } from "../ui/workers.js";
import { attachXInteraction } from "../ui/x-interaction.js";
import { ErrorCard, GraphCard, TaylorCard } from "./derivative-cards.js";
import {
  COLORS,
  EXAMPLES,
  MAX_DEGREE,
  MAX_SAMPLES,
  primeName,
  SEED,
  TANGENT,
  TAYLOR,
  texName,
} from "./derivative-common.js";

const DEF = { f: SEED, from: -1, to: 3, x0: 1.3, deg: 2, n: 500 };

interface Services {
  sampler: Sampler;
  point: ComputeWorker;
  extra: ComputeWorker;
  formulas: ComputeWorker;
}

export function createDerivativeServices(): Services {
  return {
    sampler: new Sampler(samplerCount(), 12_000),
    point: new ComputeWorker("point"),
    extra: new ComputeWorker("extra"),
    formulas: new ComputeWorker("formulas"),
  };
}

export function mountDerivatives(root: HTMLElement, svc: Services): { activate(): void } {
  // ---------- state (from the URL, else defaults) ----------
  let text = getParam("f") ?? DEF.f;
  let variables: string[] = ["x"];
  let wrt = getParam("wrt") ?? "x";
  const at: Record<string, number> = {};
  for (const pair of (getParam("at") ?? "").split(",")) {
    const [k, v] = pair.split(":");
    if (k && Number.isFinite(Number(v))) at[k] = Number(v);
  }
  let view: [number, number] = [getNumber("from", DEF.from, -1e6, 1e6), getNumber("to", DEF.to, -1e6, 1e6)];
  if (!(view[1] > view[0])) view = [DEF.from, DEF.to];
  let home: [number, number] = [...view];
  let x0 = getNumber("x0", DEF.x0, -1e6, 1e6);
  let degree = Math.round(getNumber("deg", DEF.deg, 0, MAX_DEGREE));
  const requestedN = getNumber("n", DEF.n);
  let samplesPerView = Math.round(clamp(requestedN, 20, MAX_SAMPLES));
  let showTangent = getParam("tan") !== "0";
  let showTaylor = getParam("tay") !== "0";
  let errOrder = Math.round(getNumber("eo", 1, 1, 3));
  let graphOrder = Math.round(getNumber("go", 1, 0, 2));
  let samples: Samples | null = null;
  let samplesKey = "";
  let point: number[] | null = null;
  let pointKey = "";
  let valid = false;

  const spec = (): FnSpec => ({
    text,
    wrt,
    at: Object.fromEntries(variables.filter((v) => v !== wrt).map((v) => [v, at[v] ?? 1])),
  });
  const keyOf = (s: FnSpec) => JSON.stringify(s);
  const others = () => variables.length > 1;
  const nameOf = (k: number) => primeName(k, wrt, others());

  // ---------- layout ----------
  const expr = new ExprInput("expr", "f(x) =", text, (t, vars) => onFormula(t, vars));
  const examples = h(
    "select",
    { id: "examples", "aria-label": "Examples" },
    h("option", { value: "" }, "Examples…"),
    ...EXAMPLES.map((e, i) => h("option", { value: String(i) }, e.label)),
  );
  const varsGroup = h("div", { class: "vars" });
  const x0Input = h("input", {
    id: "x0",
    type: "text",
    inputmode: "decimal",
    class: "num",
    value: fmt(x0, 6),
  });
  const degInput = h("input", {
    id: "degree",
    type: "range",
    min: 0,
    max: MAX_DEGREE,
    step: 1,
    value: String(degree),
  });
  const degOut = h("output", { for: "degree", id: "degree-out" }, String(degree));
  const tanBox = h("input", { id: "show-tangent", type: "checkbox", checked: showTangent });
  const taylorBox = h("input", { id: "show-taylor", type: "checkbox", checked: showTaylor });
  const fromInput = h("input", { id: "view-from", type: "text", inputmode: "decimal", class: "num" });
  const toInput = h("input", { id: "view-to", type: "text", inputmode: "decimal", class: "num" });
  const nInput = h("input", {
    id: "samples",
    type: "number",
    min: 20,
    max: MAX_SAMPLES,
    step: 10,
    value: String(samplesPerView),
    class: "num",
  });
  const nNote = h("div", { class: "hint", id: "samples-note" });
  const valuesTable = h("table", { class: "values", id: "values" });
  const status = h("div", { class: "hint status-line", id: "deriv-status" });

  const sidebar = h(
    "aside",
    { class: "sidebar", "aria-label": "Derivative settings" },
    h("section", { class: "group" }, expr.root, h("div", { class: "row" }, examples), varsGroup),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Point and approximations"),
      frow("Point x₀", "x0", x0Input),
      frow("Taylor degree", "degree", degInput, degOut),
      h(
        "div",
        { class: "row checks" },
        h("label", {}, tanBox, " Tangent line"),
        h("label", {}, taylorBox, " Taylor polynomial"),
      ),
    ),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "View"),
      frow("From", "view-from", fromInput),
      frow("To", "view-to", toInput),
      frow("Samples", "samples", nInput),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          { type: "button", class: "btn small", id: "reset-view", onclick: () => setView(home) },
          "Reset view",
        ),
      ),
      nNote,
    ),
    h(
      "section",
      { class: "group" },
      h("h3", { id: "values-title" }, "Values at x₀, by autodiff"),
      valuesTable,
      status,
    ),
  );

  const readout = h("div", { class: "readout", id: "readout" });
  const stack = h("div", { class: "stack" });
  const blocks = [0, 1, 2, 3].map((k) => {
    const formula = h("span", { class: "formula", id: `formula-${k}`, "data-order": k });
    const value = h("span", { class: "at-value", id: `at-value-${k}` });
    const head = h(
      "header",
      { class: "plot-head" },
      h("span", { class: "swatch", style: `--c:${COLORS[k]}` }),
      h("span", { class: "fname", id: `fname-${k}` }, ""),
      formula,
      value,
    );
    const block = h("section", { class: "plot-block", "data-order": k }, head);
    stack.append(block);
    const chart = new Chart(block, { height: k === 0 ? 250 : 128, ariaLabel: "", zeroLine: true });
    chart.root.tabIndex = 0;
    chart.root.classList.add("interactive");
    return { formula, value, chart, fname: head.querySelector(".fname") as HTMLElement };
  });
  const charts = blocks.map((b) => b.chart);
  const handle = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  handle.setAttribute("class", "x0-handle");
  handle.setAttribute("r", "7");
  handle.setAttribute("tabindex", "0");
  handle.setAttribute("role", "slider");
  handle.setAttribute("aria-label", "Point x₀: drag, or use the arrow keys");
  handle.id = "x0-handle";
  charts[0]!.svg.append(handle);

  const taylorCard = new TaylorCard();
  const errorCard = new ErrorCard(errOrder, (k) => {
    errOrder = k;
    setParam("eo", k, 1);
    requestError();
  });
  const graphCard = new GraphCard(graphOrder, (k) => {
    graphOrder = k;
    setParam("go", k, 1);
    requestGraph();
  });

  const main = h(
    "div",
    { class: "main" },
    readout,
    stack,
    h("div", { class: "cards" }, taylorCard.root, errorCard.root),
    graphCard.root,
  );
  root.append(h("div", { class: "panel-grid" }, sidebar, main));

  // ---------- drawing ----------
  const taylorCoef = () => (point ? taylorCoefficients(point, degree) : null);

  function visibleGrid(): number[] {
    const n = 400;
    return Array.from({ length: n + 1 }, (_, i) => view[0] + ((view[1] - view[0]) * i) / n);
  }

  function draw(): void {
    const ys = samples?.ys ?? [];
    const xs = samples?.xs ?? new Float64Array();
    const havePoint = point !== null && pointKey === keyOf(spec());
    blocks.forEach((b, k) => {
      const c = b.chart;
      c.xDomain = view;
      const curves: Curve[] = [];
      if (ys[k]) curves.push({ id: `d${k}`, label: nameOf(k), color: COLORS[k]!, x: xs, y: ys[k]! });
      if (k === 0 && havePoint) {
        const grid = visibleGrid();
        const coef = taylorCoef()!;
        if (showTaylor && degree >= 2)
          curves.push({
            id: "taylor",
            label: `T${degree}`,
            color: TAYLOR,
            x: grid,
            y: grid.map((x) => evalTaylor(coef, x0, x)),
            fit: false,
            dash: "7 5",
            width: 2,
          });
        if (showTangent)
          curves.push({
            id: "tangent",
            label: "tangent",
            color: TANGENT,
            x: grid,
            y: grid.map((x) => point![0]! + point![1]! * (x - x0)),
            fit: false,
            dash: "3 4",
            width: 1.8,
          });
      }
      c.curves = curves;
      c.overlay = (ch) => {
        if (!(x0 >= view[0] && x0 <= view[1])) return "";
        const X = ch.px(x0);
        let s = `<line class="x0-line" x1="${X}" x2="${X}" y1="${ch.margin.top}" y2="${ch.margin.top + ch.plotHeight}"/>`;
        const v = havePoint ? point![k] : undefined;
        if (k > 0 && v !== undefined && Number.isFinite(v))
          s += `<circle class="x0-dot" cx="${X}" cy="${ch.py(v)}" r="4.5" fill="${COLORS[k]}"/>`;
        return s;
      };
      c.svg.setAttribute(
        "aria-label",
        `${nameOf(k)}(${wrt}) for ${wrt} from ${fmt(view[0])} to ${fmt(view[1])}`,
      );
    });
    // One left margin for the stack, so x lines up across the four charts.
    const left = Math.max(...charts.map((c) => c.neededLeft()));
    for (const c of charts) {
      c.minLeft = left;
      c.render();
    }
    placeHandle();
    fromInput.value = fmt(view[0], 6);
    toInput.value = fmt(view[1], 6);
  }

  function placeHandle(): void {
    const c = charts[0]!;
    const v = point && pointKey === keyOf(spec()) ? point[0]! : Number.NaN;
    const inside = x0 >= view[0] && x0 <= view[1] && Number.isFinite(v);
    handle.style.display = inside ? "" : "none";
    if (inside) {
      handle.setAttribute("cx", String(c.px(x0)));
      handle.setAttribute("cy", String(clamp(c.py(v), c.margin.top, c.margin.top + c.plotHeight)));
    }
    handle.setAttribute("aria-valuenow", String(x0));
    handle.setAttribute("aria-valuetext", `x₀ = ${fmt(x0)}`);
    if (c.svg.lastChild !== handle) c.svg.append(handle);
  }

  function setHover(x: number | null): void {
    for (const c of charts) {
      c.hoverX = x;
      c.renderHover();
    }
    if (x === null || !samples) {
      readout.innerHTML = `<span class="hint">Scroll to zoom · drag to pan · click or drag the dot to move x₀ · double-click to reset · keys: ← → + − 0</span>`;
      return;
    }
    const i = nearestIndex(samples.xs, x);
    const xi = samples.xs[i]!;
    const parts = [`<span class="ro-x" data-x="${xi}">${esc(wrt)} = ${esc(fmt(xi, 6))}</span>`];
    samples.ys.forEach((row, k) => {
      parts.push(
        `<span class="ro" data-order="${k}" data-value="${row[i]}" style="--c:${COLORS[k]}">${esc(nameOf(k))} = <b>${esc(fmt(row[i]!, 6))}</b></span>`,
      );
    });
    const coef = taylorCoef();
    if (coef && showTaylor && degree >= 2)
      parts.push(
        `<span class="ro" style="--c:${TAYLOR}">T${degree} = <b>${esc(fmt(evalTaylor(coef, x0, xi), 6))}</b></span>`,
      );
    readout.innerHTML = parts.join("");
  }

  /** The formula over chart k: rendered TeX, "…" while it is computed, or why there is none. */
  function drawHead(k: number, f: Formula | null, failed?: string): void {
    const b = blocks[k]!;
    b.fname.textContent = "";
    const name = texName(k, wrt, others());
    const args = variables.join(", ");
    if (f)
      void renderTex(b.formula, `${name}(${args}) = ${f.latex}`, {
        fallback: `${nameOf(k)}(${args}) = ${f.text}`,
      });
    else {
      delete b.formula.dataset.texToken;
      delete b.formula.dataset.tex;
      b.formula.textContent = failed ? `${nameOf(k)}(${args}): ${failed}` : `${nameOf(k)}(${args}) = …`;
      b.formula.classList.toggle("failed", !!failed);
    }
    if (f) b.formula.classList.remove("failed");
    b.formula.title = f?.text ?? "";
  }
  const drawHeads = (failed?: string) => blocks.forEach((_, k) => drawHead(k, null, failed));

  function drawValues(): void {
    const rows: string[] = [];
    const sub = fmt(x0, 6);
    for (let k = 0; k <= 3; k++) {
      const v = point && pointKey === keyOf(spec()) ? point[k] : undefined;
      const txt = v === undefined ? "…" : fmt(v, 8);
      rows.push(
        `<tr><th scope="row"><span class="swatch" style="--c:${COLORS[k]}"></span>${esc(nameOf(k))}(${esc(sub)})</th><td id="value-${k}" data-value="${v ?? ""}">${esc(txt)}</td></tr>`,
      );
      blocks[k]!.value.textContent = v === undefined ? "" : `${nameOf(k)}(${sub}) = ${fmt(v, 6)}`;
    }
    valuesTable.innerHTML = `<tbody>${rows.join("")}</tbody>`;
  }

  function drawTaylorCard(): void {
    const coef = taylorCoef();
    if (!coef || pointKey !== keyOf(spec())) {
      taylorCard.update(null);
      return;
    }
    let worst: { value: number; view: [number, number] } | null = null;
    if (samples) {
      let value = 0;
      let count = 0;
      samples.xs.forEach((x, i) => {
        if (x < view[0] || x > view[1]) return;
        const d = Math.abs(samples!.ys[0]![i]! - evalTaylor(coef, x0, x));
        if (Number.isFinite(d)) {
          value = Math.max(value, d);
          count++;
        }
      });
      if (count) worst = { value, view };
    }
    taylorCard.update({ values: point!, coef, degree, x0, variable: wrt, worst });
  }

  // ---------- computation ----------
  const pointLane = new Lane(svc.point, "point", 8000, (j) => keyOf(j.spec));
  const errLane = new Lane(svc.extra, "errorCurve", 10_000, (j) => keyOf(j.spec));
  const progLane = new Lane(svc.extra, "program", 10_000, (j) => keyOf(j.spec));

  const messageOf = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0]! : String(e));

  function requestSamples(force = false): void {
    if (!valid) return;
    const s = spec();
    const key = keyOf(s);
    const w = view[1] - view[0];
    const need =
      force ||
      !samples ||
      samplesKey !== key ||
      samples.from > view[0] ||
      samples.to < view[1] ||
      (samples.to - samples.from) / (samples.n - 1) > (1.3 * w) / samplesPerView ||
      (samples.to - samples.from) / (samples.n - 1) < (0.4 * w) / samplesPerView;
    if (!need) return;
    const from = view[0] - w / 2;
    const to = view[1] + w / 2;
    const n = 2 * samplesPerView + 1;
    status.textContent = "computing…";
    svc.sampler.sample({ spec: s, from, to, n, orders: 3 }).then(
      (r) => {
        if (keyOf(spec()) !== key) return;
        samples = r;
        samplesKey = key;
        status.textContent = `${r.n} samples × 4 curves in ${r.ms.toFixed(0)} ms on ${r.threads} thread${r.threads > 1 ? "s" : ""}`;
        noteUndefined();
        draw();
        drawTaylorCard();
        root.dataset.ready = "curves";
      },
      (e) => {
        if (e instanceof Superseded) return;
        status.textContent = `curves: ${messageOf(e)}`;
        expr.note(messageOf(e));
      },
    );
  }

  function noteUndefined(): void {
    if (!samples) return;
    const f = samples.ys[0]!;
    let bad = 0;
    let total = 0;
    samples.xs.forEach((x, i) => {
      if (x < view[0] || x > view[1]) return;
      total++;
      if (!Number.isFinite(f[i]!)) bad++;
    });
    expr.note(
      bad === 0
        ? ""
        : bad === total
          ? `f is undefined everywhere on this view`
          : `f is undefined at some points of this view (gaps in the curves)`,
    );
  }

  function requestPoint(): void {
    if (!valid) return;
    const s = spec();
    const key = keyOf(s);
    pointLane.run({ spec: s, x0, maxOrder: Math.max(3, degree) }).then(
      (values) => {
        if (keyOf(spec()) !== key) return;
        point = values;
        pointKey = key;
        draw();
        drawValues();
        drawTaylorCard();
      },
      (e) => {
        if (e instanceof Superseded) return;
        taylorCard.update(null, `Taylor polynomial: ${messageOf(e)}`);
      },
    );
  }

  const requestError = debounce(() => {
    if (!valid) return;
    const s = spec();
    errLane.run({ spec: s, x0, order: errOrder }).then(
      (d) => keyOf(spec()) === keyOf(s) && errorCard.update(d, nameOf(d.order)),
      (e) => (e instanceof Superseded ? undefined : errorCard.update(null, "", messageOf(e))),
    );
  }, 150);

  function requestGraph(): void {
    if (!valid) return;
    const s = spec();
    progLane.run({ spec: s, order: graphOrder, x0 }).then(
      (p) => keyOf(spec()) === keyOf(s) && graphCard.update(p, nameOf(p.order)),
      (e) => (e instanceof Superseded ? undefined : graphCard.update(null, "", messageOf(e))),
    );
  }

  // Formulas come one order at a time (higher orders take longer); a new formula stops the old work.
  let formulaGen = 0;
  async function requestFormulas(): Promise<void> {
    if (!valid) return;
    const gen = ++formulaGen;
    const s = spec();
    if (svc.formulas.busy) svc.formulas.restart();
    drawHeads();
    delete root.dataset.formulas;
    for (let k = 0; k <= 3; k++) {
      try {
        const f = await svc.formulas.call(
          "formula",
          { spec: s, order: k },
          // The simplifier's work is bounded in counted operations, so this is only a safety net for a
          // page on a very slow or loaded machine.
          { timeoutMs: 30000 },
        ).done;
        if (gen !== formulaGen) return;
        drawHead(k, f);
      } catch (e) {
        if (gen !== formulaGen || e instanceof Superseded) return;
        const why =
          (e as Error).name === "TimeoutError"
            ? "too large to simplify in time (the curve is still exact)"
            : messageOf(e);
        for (let j = k; j <= 3; j++) drawHead(j, null, why);
        return;
      }
    }
    root.dataset.formulas = "ready";
  }

  function recomputeAll(): void {
    requestSamples(true);
    requestPoint();
    void requestFormulas();
    requestError();
    requestGraph();
  }

  // ---------- inputs ----------
  function onFormula(t: string, vars: string[]): void {
    text = t;
    variables = vars.length ? vars : ["x"];
    if (!variables.includes(wrt)) wrt = variables.includes("x") ? "x" : variables[0]!;
    valid = true;
    setParam("f", text, DEF.f);
    setParam("wrt", wrt, "x");
    buildVars();
    recomputeAllDebounced();
  }
  const recomputeAllDebounced = debounce(recomputeAll, 120);

  function buildVars(): void {
    const label = `f(${variables.join(", ")}) =`;
    expr.setLabel(label);
    varsGroup.replaceChildren();
    if (variables.length > 1) {
      const sel = h(
        "select",
        { id: "wrt", "aria-label": "Differentiate with respect to" },
        ...variables.map((v) => h("option", { value: v, selected: v === wrt }, v)),
      );
      sel.addEventListener("change", () => {
        wrt = sel.value;
        setParam("wrt", wrt, "x");
        buildVars();
        recomputeAll();
      });
      varsGroup.append(frow("Along", "wrt", sel));
      for (const v of variables) {
        if (v === wrt) continue;
        const val = at[v] ?? 1;
        const range = h("input", {
          type: "range",
          min: -5,
          max: 5,
          step: 0.05,
          value: String(val),
          id: `at-${v}`,
          "aria-label": `${v} (held fixed)`,
        });
        const out = h("output", { for: `at-${v}` }, fmt(val));
        range.addEventListener("input", () => {
          at[v] = Number(range.value);
          out.textContent = fmt(at[v]!);
          setParam(
            "at",
            Object.entries(at)
              .map(([k, x]) => `${k}:${short(x)}`)
              .join(","),
            "",
          );
          recomputeAllDebounced();
        });
        varsGroup.append(frow(`${v} =`, `at-${v}`, range, out));
      }
    }
    for (const b of blocks) b.fname.textContent = "";
  }

  examples.addEventListener("change", () => {
    const ex = EXAMPLES[Number(examples.value)];
    examples.value = "";
    if (!ex) return;
    home = [...ex.view];
    view = [...ex.view];
    x0 = ex.x0;
    x0Input.value = fmt(x0, 6);
    setParam("from", short(view[0]), DEF.from);
    setParam("to", short(view[1]), DEF.to);
    setParam("x0", short(x0), DEF.x0);
    expr.value = ex.f;
    announce(`Example: ${ex.label}`);
  });

  function setX0(v: number, fromInput = false): void {
    if (!Number.isFinite(v)) return;
    x0 = clamp(v, -1e6, 1e6);
    if (!fromInput) x0Input.value = fmt(x0, 6);
    setParam("x0", short(x0), DEF.x0);
    draw();
    drawValues();
    requestPoint();
    requestError();
  }

  x0Input.addEventListener("change", () => setX0(parseNumber(x0Input.value), true));
  x0Input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") setX0(parseNumber(x0Input.value), true);
  });
  degInput.addEventListener("input", () => {
    degree = Number(degInput.value);
    degOut.textContent = String(degree);
    setParam("deg", degree, DEF.deg);
    draw();
    requestPoint();
  });
  tanBox.addEventListener("change", () => {
    showTangent = tanBox.checked;
    setParam("tan", showTangent, true);
    draw();
  });
  taylorBox.addEventListener("change", () => {
    showTaylor = taylorBox.checked;
    setParam("tay", showTaylor, true);
    draw();
  });
  const viewFromInputs = () => {
    const a = parseNumber(fromInput.value);
    const b = parseNumber(toInput.value);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) setView([a, b]);
    else draw();
  };
  fromInput.addEventListener("change", viewFromInputs);
  toInput.addEventListener("change", viewFromInputs);
  const applySamples = () => {
    const raw = Number(nInput.value);
    const n = Math.round(clamp(Number.isFinite(raw) ? raw : DEF.n, 20, MAX_SAMPLES));
    nNote.textContent =
      raw > MAX_SAMPLES
        ? `Capped at ${MAX_SAMPLES} samples per view.`
        : raw < 20
          ? "At least 20 samples."
          : "";
    nInput.value = String(n);
    samplesPerView = n;
    setParam("n", n, DEF.n);
    requestSamples(true);
  };
  nInput.addEventListener("change", applySamples);
  if (requestedN > MAX_SAMPLES)
    nNote.textContent = `${requestedN} samples asked for; capped at ${MAX_SAMPLES} per view.`;
  function setView([a, b]: [number, number]): void {
    const w = b - a;
    const c = (a + b) / 2;
    if (!Number.isFinite(w) || !Number.isFinite(c)) return;
    const minW = 1e-9 * Math.max(1, Math.abs(c));
    const ww = clamp(w, minW, 1e6);
    view = [clamp(c - ww / 2, -1e7, 1e7), clamp(c + ww / 2, -1e7, 1e7)];
    setParam("from", short(view[0]), DEF.from);
    setParam("to", short(view[1]), DEF.to);
    draw();
    requestSamples();
    settleView();
  }
  // After zooming or panning stops, refresh the parts that depend on the view.
  const settleView = debounce(() => {
    noteUndefined();
    drawTaylorCard();
  }, 200);

  // ---------- chart interaction: zoom, pan, hover, drag the point ----------
  attachXInteraction(charts, handle, {
    view: () => view,
    home: () => home,
    setView,
    point: () => x0,
    setPoint: (x) => setX0(x),
    hover: setHover,
  });

  // ---------- start ----------
  setHover(null);
  drawValues();
  errorCard.update(null, "");
  draw();
  expr.check(false);
  if (expr.result.ok) onFormula(text, expr.result.variables);
  else {
    valid = false;
    drawHeads();
  }
  // Re-validate on every keystroke: an invalid formula stops the computations but keeps the last picture.
  expr.input.addEventListener("input", () => {
    main.classList.toggle("stale", !expr.result.ok);
    if (!expr.result.ok) {
      valid = false;
      setParam("f", expr.value, DEF.f);
    }
  });
  return {
    activate() {
      for (const c of charts) c.render();
      placeHandle();
    },
  };
}
