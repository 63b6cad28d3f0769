// The Optimization view: a 2-D function as a contour plot; click start points; watch gradient descent,
// momentum, Adam, Newton and cubic regularization step by step.
import type { Vec2 } from "../compute/cubic.js";
import type { MethodKind, MethodSettings, OptPath } from "../compute/optimize.js";
import { Chart } from "../ui/chart.js";
import { contourSegments, paintHeatmap, quantileLevels } from "../ui/contour.js";
import { announce, clamp, esc, fmt, frow, h, parseNumber, perFrame } from "../ui/dom.js";
import { ExprInput } from "../ui/expr-input.js";
import { attachPlaneInteraction } from "../ui/plane-interaction.js";
import { Player } from "../ui/player.js";
import { getNumber, getParam, setParam, short } from "../ui/state.js";
import { renderTex } from "../ui/tex.js";
import { type ComputeWorker, Lane, Superseded } from "../ui/workers.js";
import {
  DEFAULT_ITER,
  DEFAULT_RES,
  MAX_RES,
  MAX_STARTS,
  METHODS,
  PARAMS,
  PRESETS,
  RULES,
} from "./optimize-presets.js";

interface MethodRow {
  kind: MethodKind;
  enabled: HTMLInputElement;
  inputs: Partial<Record<"lr" | "beta" | "beta2" | "M", HTMLInputElement>>;
}

export function mountOptimize(root: HTMLElement, worker: ComputeWorker): { activate(): void } {
  const presetIndex = PRESETS.findIndex((p) => p.f === getParam("of"));
  let preset = PRESETS[presetIndex >= 0 ? presetIndex : 0]!;
  let text = getParam("of") ?? preset.f;
  let xd: Vec2 = [...preset.xd];
  let yd: Vec2 = [...preset.yd];
  const dom = (getParam("od") ?? "").split(",").map(Number);
  if (dom.length === 4 && dom.every(Number.isFinite) && dom[1]! > dom[0]! && dom[3]! > dom[2]!) {
    xd = [dom[0]!, dom[1]!];
    yd = [dom[2]!, dom[3]!];
  }
  let starts: Vec2[] = (getParam("os") ?? "")
    .split(";")
    .map((s) => s.split(",").map(Number) as Vec2)
    .filter((p) => p.length === 2 && p.every(Number.isFinite))
    .slice(0, MAX_STARTS);
  if (starts.length === 0 && getParam("os") === null) starts = [[...preset.start]];
  let maxIter = Math.round(getNumber("oi", DEFAULT_ITER, 1, 2000));
  const resAsked = getNumber("or", DEFAULT_RES);
  let res = Math.round(clamp(resAsked, 20, MAX_RES));
  let paths: OptPath[] = [];
  let surface: {
    z: Float64Array;
    nx: number;
    ny: number;
    xd: Vec2;
    yd: Vec2;
    vars: [string, string];
  } | null = null;
  let valid = false;
  let vars: [string, string] = ["x", "y"];

  // ---------- layout ----------
  const expr = new ExprInput("opt-expr", "f(x, y) =", text, (t) => onFormula(t), 2);
  const presetSelect = h(
    "select",
    { id: "opt-preset", "aria-label": "Function" },
    ...PRESETS.map((p, i) =>
      h("option", { value: String(i), selected: p === preset && text === p.f }, p.label),
    ),
    h("option", { value: "custom", selected: !PRESETS.some((p) => p.f === text) }, "Custom (type above)"),
  );
  const note = h("p", { class: "hint", id: "opt-note" }, preset.note);
  const methodRows: MethodRow[] = [];
  const enabledParam = getParam("om");
  const methodBox = h("div", { class: "methods" });
  for (const m of METHODS) {
    const enabled = h("input", {
      type: "checkbox",
      id: `m-${m.kind}`,
      checked: enabledParam === null || enabledParam.split(",").includes(m.kind),
    });
    const inputs: MethodRow["inputs"] = {};
    const fields = PARAMS[m.kind].map((p) => {
      const fromUrl = getNumber(`${m.kind}.${p.key}`, Number.NaN, p.min, p.max);
      const presetValue = p.key === "lr" ? preset.lr[m.kind] : p.key === "M" ? preset.M : undefined;
      const input = h("input", {
        type: "number",
        class: "num tiny",
        id: `m-${m.kind}-${p.key}`,
        min: p.min,
        max: p.max,
        step: p.step,
        value: String(Number.isFinite(fromUrl) ? fromUrl : (presetValue ?? p.def)),
        "aria-label": `${m.label} ${p.label}`,
      });
      inputs[p.key] = input;
      return h("label", { class: "param" }, h("span", {}, p.label), input);
    });
    methodRows.push({ kind: m.kind, enabled, inputs });
    methodBox.append(
      h(
        "div",
        { class: "method", "data-method": m.kind },
        h(
          "label",
          { class: "method-name" },
          enabled,
          h("span", { class: "swatch", style: `--c:${m.color}` }),
          m.label,
        ),
        h("div", { class: "params" }, ...fields),
      ),
    );
  }
  const iterInput = h("input", {
    type: "number",
    id: "opt-iter",
    class: "num",
    min: 1,
    max: 2000,
    value: String(maxIter),
  });
  const resInput = h("input", {
    type: "number",
    id: "opt-res",
    class: "num",
    min: 20,
    max: MAX_RES,
    step: 10,
    value: String(res),
  });
  const resNote = h(
    "div",
    { class: "hint", id: "opt-res-note" },
    resAsked > MAX_RES ? `${resAsked}² grid asked for; capped at ${MAX_RES}².` : "",
  );
  const startsList = h("ul", { class: "starts", id: "opt-starts", "aria-label": "Start points" });
  const addX = h("input", {
    type: "text",
    class: "num tiny",
    id: "add-x",
    "aria-label": "Start x",
    placeholder: "x",
  });
  const addY = h("input", {
    type: "text",
    class: "num tiny",
    id: "add-y",
    "aria-label": "Start y",
    placeholder: "y",
  });

  const sidebar = h(
    "aside",
    { class: "sidebar", "aria-label": "Optimization settings" },
    h(
      "section",
      { class: "group" },
      h("label", { for: "opt-preset", class: "stack-label" }, "Function"),
      presetSelect,
      expr.root,
      note,
    ),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Methods"),
      methodBox,
      frow("Iterations", "opt-iter", iterInput),
    ),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Start points"),
      h("p", { class: "hint" }, "Click the plot to add one (up to 6); drag to pan, scroll to zoom."),
      startsList,
      h(
        "div",
        { class: "row" },
        addX,
        addY,
        h(
          "button",
          {
            type: "button",
            class: "btn small",
            id: "add-start",
            onclick: () => addStart([parseNumber(addX.value), parseNumber(addY.value)]),
          },
          "Add",
        ),
        h(
          "button",
          { type: "button", class: "btn small", id: "clear-starts", onclick: () => setStarts([]) },
          "Clear",
        ),
      ),
    ),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Plot"),
      frow("Grid", "opt-res", resInput, h("span", { class: "hint" }, "per side")),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          {
            type: "button",
            class: "btn small",
            id: "opt-reset-view",
            onclick: () => setDomain(preset.xd, preset.yd),
          },
          "Reset view",
        ),
      ),
      resNote,
    ),
  );

  const player = new Player(
    () => maxLen() - 1,
    () => optJob !== null,
    () => drawAll(),
  );
  const plotWrap = h("div", { class: "contour-wrap" });
  const canvas = h("canvas", { class: "heatmap", "aria-hidden": "true" });
  plotWrap.append(canvas);
  const chart = new Chart(plotWrap, {
    height: 540,
    ariaLabel: "Contour plot with optimizer paths",
    yDomain: yd,
  });
  chart.root.classList.add("contour", "interactive");
  chart.root.tabIndex = 0;
  const status = h("div", { class: "hint", id: "opt-status" });
  const hoverOut = h("div", { class: "plot-readout", id: "opt-hover", "aria-hidden": "true" });
  const convChart = new Chart(h("div"), {
    height: 230,
    logY: true,
    robust: false,
    xLabel: "iteration k",
    yLabel: "‖∇f(xₖ)‖",
    ariaLabel: "Gradient norm per iteration",
  }).enableHover();
  const convCard = h(
    "section",
    { class: "card", id: "conv-card" },
    h("h3", {}, "Convergence"),
    convChart.root,
  );
  const table = h("table", { class: "data", id: "opt-table" });
  const tableCard = h(
    "section",
    { class: "card wide", id: "opt-table-card" },
    h("h3", {}, "Where each method is"),
    h("div", { class: "table-scroll" }, table),
  );
  const rules = h("dl", { class: "rules" });
  const rulesCard = h("section", { class: "card", id: "rules-card" }, h("h3", {}, "Update rules"), rules);
  for (const [kind, tex] of RULES) {
    const m = METHODS.find((q) => q.kind === kind)!;
    const dd = h("dd", {});
    rules.append(h("dt", {}, h("span", { class: "swatch", style: `--c:${m.color}` }), m.label), dd);
    void renderTex(dd, tex);
  }
  rules.append(
    h(
      "p",
      { class: "caption" },
      "g = ∇f(x) and H = ∇²f(x) come from nabla: one staged program computes f, nb.grad and nb.hessian at each point. The cubic step is solved exactly through its secular equation, so it also moves off saddle points.",
    ),
  );

  root.append(
    h(
      "div",
      { class: "panel-grid" },
      sidebar,
      h(
        "div",
        { class: "main" },
        player.root,
        h(
          "div",
          { class: "opt-layout" },
          h("div", { class: "opt-plot" }, plotWrap, hoverOut, status),
          h("div", { class: "opt-side" }, convCard, rulesCard),
        ),
        tableCard,
      ),
    ),
  );

  // ---------- settings ----------
  const settings = (): MethodSettings[] =>
    methodRows
      .filter((r) => r.enabled.checked)
      .map((r) => {
        const num = (k: "lr" | "beta" | "beta2" | "M", d: number) => {
          const v = Number(r.inputs[k]?.value);
          return Number.isFinite(v) ? v : d;
        };
        return {
          kind: r.kind,
          lr: num("lr", 0.01),
          beta: num("beta", 0.9),
          beta2: num("beta2", 0.999),
          M: Math.max(1e-6, num("M", 10)),
        };
      });

  function writeUrl(): void {
    setParam("of", text, PRESETS[0]!.f);
    setParam(
      "od",
      [xd[0], xd[1], yd[0], yd[1]].map(short).join(","),
      [preset.xd[0], preset.xd[1], preset.yd[0], preset.yd[1]].map(short).join(","),
    );
    setParam("os", starts.map((p) => p.map(short).join(",")).join(";"), preset.start.map(short).join(","));
    const on = methodRows.filter((r) => r.enabled.checked).map((r) => r.kind);
    setParam("om", on.join(","), METHODS.map((m) => m.kind).join(","));
    for (const r of methodRows)
      for (const [k, input] of Object.entries(r.inputs)) {
        const spec = PARAMS[r.kind].find((p) => p.key === k)!;
        const def =
          k === "lr" ? (preset.lr[r.kind] ?? spec.def) : k === "M" ? (preset.M ?? spec.def) : spec.def;
        setParam(`${r.kind}.${k}`, input!.value, String(def));
      }
    setParam("oi", maxIter, DEFAULT_ITER);
    setParam("or", res, DEFAULT_RES);
  }

  // ---------- drawing ----------
  const colorOf = (k: MethodKind) => METHODS.find((m) => m.kind === k)!.color;
  const labelOf = (k: MethodKind) => METHODS.find((m) => m.kind === k)!.label;

  function contoursMarkup(c: Chart): string {
    if (!surface) return "";
    const { z, nx, ny } = surface;
    const sx = (i: number) => c.px(surface!.xd[0] + ((surface!.xd[1] - surface!.xd[0]) * i) / (nx - 1));
    const sy = (j: number) => c.py(surface!.yd[0] + ((surface!.yd[1] - surface!.yd[0]) * j) / (ny - 1));
    const s: string[] = [];
    for (const level of quantileLevels(z, 18)) {
      const seg = contourSegments(z, nx, ny, level);
      let d = "";
      for (let k = 0; k < seg.length; k += 4)
        d += `M${sx(seg[k]!).toFixed(1)},${sy(seg[k + 1]!).toFixed(1)}L${sx(seg[k + 2]!).toFixed(1)},${sy(seg[k + 3]!).toFixed(1)}`;
      if (d) s.push(`<path class="contour-line" d="${d}"/>`);
    }
    return s.join("");
  }

  function pathsMarkup(c: Chart): string {
    const s: string[] = [];
    for (const p of paths) {
      const n = Math.min(p.xs.length, player.shown + 1);
      const color = colorOf(p.method);
      let d = "";
      for (let i = 0; i < n; i++)
        d += `${i ? "L" : "M"}${c.px(p.xs[i]!).toFixed(1)},${c.py(p.ys[i]!).toFixed(1)}`;
      s.push(
        `<path class="opt-path" d="${d}" stroke="${color}" data-method="${p.method}" data-start="${p.start}"/>`,
      );
      for (let i = 1; i < n - 1 && n < 400; i++)
        s.push(
          `<circle cx="${c.px(p.xs[i]!).toFixed(1)}" cy="${c.py(p.ys[i]!).toFixed(1)}" r="2.2" fill="${color}"/>`,
        );
      if (n > 1)
        s.push(
          `<circle class="opt-head" cx="${c.px(p.xs[n - 1]!).toFixed(1)}" cy="${c.py(p.ys[n - 1]!).toFixed(1)}" r="5" fill="${color}"/>`,
        );
    }
    starts.forEach((p, i) => {
      s.push(
        `<g class="start-mark" transform="translate(${c.px(p[0]).toFixed(1)} ${c.py(p[1]).toFixed(1)})"><circle r="9"/><text y="4" text-anchor="middle">${i + 1}</text></g>`,
      );
    });
    return s.join("");
  }

  function drawPlot(): void {
    chart.xDomain = xd;
    chart.options.yDomain = yd;
    chart.options.xLabel = vars[0];
    chart.options.yLabel = vars[1];
    chart.curves = [];
    chart.overlay = (c) => contoursMarkup(c) + pathsMarkup(c);
    chart.onRender = placeCanvas;
    chart.render();
  }

  function placeCanvas(c: Chart): void {
    if (!surface) {
      canvas.style.display = "none";
      return;
    }
    canvas.style.display = "";
    // The canvas shows the sampled region; map its corners through the current scales.
    const x0 = c.px(surface.xd[0]);
    const x1 = c.px(surface.xd[1]);
    const y0 = c.py(surface.yd[1]);
    const y1 = c.py(surface.yd[0]);
    Object.assign(canvas.style, {
      left: `${x0}px`,
      top: `${y0}px`,
      width: `${x1 - x0}px`,
      height: `${y1 - y0}px`,
    });
    const clip = `inset(${Math.max(0, c.margin.top - y0)}px ${Math.max(0, x1 - (c.margin.left + c.plotWidth))}px ${Math.max(0, y1 - (c.margin.top + c.plotHeight))}px ${Math.max(0, c.margin.left - x0)}px)`;
    canvas.style.clipPath = clip;
  }

  function drawSide(): void {
    const rows: string[] = [];
    for (const p of paths) {
      const k = Math.min(p.xs.length - 1, player.shown);
      const st = k < p.xs.length - 1 ? "running" : p.status === "done" ? "max iterations" : p.status;
      rows.push(
        `<tr data-method="${p.method}" data-start="${p.start}"><td><span class="swatch" style="--c:${colorOf(p.method)}"></span>${esc(labelOf(p.method))}</td><td>${p.start + 1}</td><td class="num">${k}</td><td class="num" data-f="${p.fs[k]}">${esc(fmt(p.fs[k]!, 5))}</td><td class="num">${esc(fmt(p.gnorms[k]!, 3))}</td><td class="num">(${esc(fmt(p.xs[k]!, 4))}, ${esc(fmt(p.ys[k]!, 4))})</td><td>${esc(st)}</td></tr>`,
      );
    }
    table.innerHTML = `<thead><tr><th>method</th><th>start</th><th class="num">k</th><th class="num">f(xₖ)</th><th class="num">‖∇f(xₖ)‖</th><th class="num">xₖ</th><th>status</th></tr></thead><tbody>${rows.join("") || `<tr><td colspan="7" class="hint">Click the plot to add a start point.</td></tr>`}</tbody>`;
    convChart.curves = paths.map((p) => {
      const n = Math.min(p.gnorms.length, player.shown + 1);
      const ks = Array.from({ length: n }, (_, i) => i);
      return {
        id: `${p.method}-${p.start}`,
        label: labelOf(p.method),
        color: colorOf(p.method),
        x: ks,
        y: p.gnorms.slice(0, n),
        width: 1.8,
      };
    });
    convChart.xDomain = [0, Math.max(1, Math.min(player.shown, maxLen() - 1))];
    convChart.render();
    player.showCounter();
    root.dataset.shown = String(player.shown);
  }

  const maxLen = () => paths.reduce((m, p) => Math.max(m, p.xs.length), 0);
  const drawAll = perFrame(() => {
    drawPlot();
    drawSide();
    startsList.replaceChildren(
      ...starts.map((p, i) =>
        h(
          "li",
          {},
          `${i + 1}. (${fmt(p[0])}, ${fmt(p[1])}) `,
          h(
            "button",
            {
              type: "button",
              class: "btn tiny",
              "aria-label": `Remove start point ${i + 1}`,
              onclick: () => setStarts(starts.filter((_, j) => j !== i)),
            },
            "✕",
          ),
        ),
      ),
    );
  });

  // ---------- computation ----------
  const surfaceLane = new Lane(worker, "surface", 10_000);
  let optJob: number | null = null;
  let pathsVersion = 0;

  function requestSurface(): void {
    if (!valid) return;
    const want = { text, xd: [...xd] as Vec2, yd: [...yd] as Vec2, nx: res, ny: res };
    surfaceLane.run(want).then(
      (r) => {
        if (want.text !== text) return;
        surface = { z: r.z, nx: want.nx, ny: want.ny, xd: want.xd, yd: want.yd, vars: r.vars };
        vars = r.vars;
        paintHeatmap(canvas, r.z, want.nx, want.ny);
        drawAll();
        root.dataset.surface = "ready";
      },
      (e) => {
        if (!(e instanceof Superseded)) status.textContent = `contours: ${e.message.split("\n")[0]}`;
      },
    );
  }

  function requestPaths(): void {
    if (optJob !== null) worker.cancel(optJob);
    optJob = null;
    if (!valid || starts.length === 0 || settings().length === 0) {
      paths = [];
      drawAll();
      return;
    }
    status.textContent = "computing paths…";
    const t0 = performance.now();
    const call = worker.call(
      "optimize",
      { text, methods: settings(), starts, maxIter },
      {
        onProgress: (p) => {
          paths = p;
          drawAll();
        },
      },
    );
    optJob = call.id;
    call.done.then(
      (p) => {
        if (optJob !== call.id) return;
        paths = p;
        optJob = null;
        status.textContent = `${p.length} path${p.length === 1 ? "" : "s"} computed in ${(performance.now() - t0).toFixed(0)} ms with nabla (value, gradient and Hessian from one staged program)`;
        drawAll();
        root.dataset.paths = String(++pathsVersion);
      },
      (e: Error) => {
        if (optJob === call.id) optJob = null;
        if (e.name !== "Cancelled" && !(e instanceof Superseded))
          status.textContent = `paths: ${e.message.split("\n")[0]}`;
      },
    );
  }

  // ---------- inputs ----------
  function onFormula(t: string): void {
    text = t;
    valid = true;
    const p = PRESETS.findIndex((q) => q.f === t);
    presetSelect.value = p >= 0 ? String(p) : "custom";
    writeUrl();
    player.shown = 0;
    requestSurface();
    requestPaths();
  }

  presetSelect.addEventListener("change", () => {
    const p = PRESETS[Number(presetSelect.value)];
    if (!p) {
      expr.input.focus();
      return;
    }
    preset = p;
    note.textContent = p.note;
    xd = [...p.xd];
    yd = [...p.yd];
    starts = [[...p.start]];
    for (const r of methodRows) {
      const lr = p.lr[r.kind];
      if (lr !== undefined && r.inputs.lr) r.inputs.lr.value = String(lr);
      if (r.inputs.M && p.M !== undefined) r.inputs.M.value = String(p.M);
    }
    expr.value = p.f;
    announce(`Function: ${p.label}`);
  });

  for (const r of methodRows) {
    r.enabled.addEventListener("change", () => {
      writeUrl();
      requestPaths();
    });
    for (const input of Object.values(r.inputs))
      input!.addEventListener("change", () => {
        writeUrl();
        requestPaths();
      });
  }
  iterInput.addEventListener("change", () => {
    const v = Number(iterInput.value);
    maxIter = Math.round(clamp(Number.isFinite(v) ? v : DEFAULT_ITER, 1, 2000));
    iterInput.value = String(maxIter);
    writeUrl();
    requestPaths();
  });
  resInput.addEventListener("change", () => {
    const v = Number(resInput.value);
    res = Math.round(clamp(Number.isFinite(v) ? v : DEFAULT_RES, 20, MAX_RES));
    resNote.textContent = v > MAX_RES ? `Capped at ${MAX_RES} points per side.` : "";
    resInput.value = String(res);
    writeUrl();
    requestSurface();
  });

  function setStarts(s: Vec2[]): void {
    starts = s.slice(0, MAX_STARTS);
    player.shown = 0;
    writeUrl();
    requestPaths();
    drawAll();
  }
  function addStart(p: Vec2): void {
    if (!p.every(Number.isFinite)) return;
    if (starts.length >= MAX_STARTS) {
      status.textContent = `At most ${MAX_STARTS} start points; the oldest was replaced.`;
      setStarts([...starts.slice(1), p]);
    } else setStarts([...starts, p]);
    announce(`Start point ${starts.length} at ${fmt(p[0])}, ${fmt(p[1])}`);
  }

  function setDomain(x: Vec2, y: Vec2): void {
    if (![...x, ...y].every(Number.isFinite) || !(x[1] > x[0] && y[1] > y[0])) return;
    if (x[1] - x[0] < 1e-6 || y[1] - y[0] < 1e-6 || x[1] - x[0] > 1e6 || y[1] - y[0] > 1e6) return;
    xd = x;
    yd = y;
    writeUrl();
    drawAll();
    requestSurfaceSoon();
  }
  let surfaceTimer: ReturnType<typeof setTimeout> | undefined;
  const requestSurfaceSoon = () => {
    clearTimeout(surfaceTimer);
    surfaceTimer = setTimeout(requestSurface, 120);
  };

  // The value under the pointer, read from the sampled grid.
  chart.svg.addEventListener("pointermove", (ev) => {
    const p = chart.local(ev);
    if (!surface || !chart.inPlot(p)) {
      hoverOut.textContent = "";
      return;
    }
    const x = chart.invX(p[0]);
    const y = chart.invY(p[1]);
    const { nx, ny, z } = surface;
    const i = Math.round(((x - surface.xd[0]) / (surface.xd[1] - surface.xd[0])) * (nx - 1));
    const j = Math.round(((y - surface.yd[0]) / (surface.yd[1] - surface.yd[0])) * (ny - 1));
    const f = i >= 0 && i < nx && j >= 0 && j < ny ? z[j * nx + i]! : Number.NaN;
    hoverOut.textContent = `(${vars[0]}, ${vars[1]}) = (${fmt(x, 4)}, ${fmt(y, 4)}) · f ≈ ${fmt(f, 4)}`;
  });
  chart.svg.addEventListener("pointerleave", () => (hoverOut.textContent = ""));

  // Plot interaction: click adds a start, drag pans, wheel zooms.
  attachPlaneInteraction(chart, {
    domain: () => [xd, yd],
    setDomain,
    home: () => [preset.xd, preset.yd],
    click: (x, y) => addStart([Number(x.toPrecision(4)), Number(y.toPrecision(4))]),
    keys: {
      " ": () => player.setPlaying(!player.playing),
      ".": () => player.step(1),
      ",": () => player.step(-1),
    },
  });

  let started = false;
  return {
    activate() {
      if (!started) {
        started = true;
        expr.check(false);
        if (expr.result.ok) onFormula(text);
      }
      drawAll();
    },
  };
}
