// The playground's entry: tabs, lazy panels, the shareable link and the thread indicator.
import "katex/dist/katex.min.css";
import "./styles.css";
import { createDerivativeServices, mountDerivatives } from "./panels/derivatives.js";
import { $, announce } from "./ui/dom.js";
import { flush, getChoice, setParam } from "./ui/state.js";
import { preloadTex } from "./ui/tex.js";
import { ComputeWorker, samplerCount } from "./ui/workers.js";

type Tab = "derivatives" | "optimize" | "training";
const TABS: Tab[] = ["derivatives", "optimize", "training"];
const panels = new Map<Tab, { activate(): void }>();

preloadTex();

const derivativesRoot = $("#panel-derivatives");
derivativesRoot.replaceChildren();
panels.set("derivatives", mountDerivatives(derivativesRoot, createDerivativeServices()));

async function panel(tab: Tab): Promise<{ activate(): void }> {
  const have = panels.get(tab);
  if (have) return have;
  const root = $(`#panel-${tab}`);
  root.innerHTML = `<p class="loading">Loading…</p>`;
  let p: { activate(): void };
  if (tab === "optimize") {
    const { mountOptimize } = await import("./panels/optimize.js");
    root.replaceChildren();
    p = mountOptimize(root, new ComputeWorker("optimize"));
  } else {
    const { mountTraining } = await import("./panels/training.js");
    root.replaceChildren();
    p = mountTraining(root, new ComputeWorker("training"));
  }
  panels.set(tab, p);
  return p;
}

const tabButtons = TABS.map((t) => $<HTMLButtonElement>(`#tab-${t}`));

async function show(tab: Tab, focus = false): Promise<void> {
  TABS.forEach((t, i) => {
    const on = t === tab;
    tabButtons[i]!.setAttribute("aria-selected", String(on));
    tabButtons[i]!.tabIndex = on ? 0 : -1;
    $(`#panel-${t}`).hidden = !on;
  });
  if (focus) tabButtons[TABS.indexOf(tab)]!.focus();
  setParam("tab", tab, "derivatives");
  document.body.dataset.tab = tab;
  (await panel(tab)).activate();
}

tabButtons.forEach((b, i) => {
  b.addEventListener("click", () => void show(TABS[i]!));
  b.addEventListener("keydown", (ev) => {
    const d = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
    if (ev.key === "Home" || ev.key === "End") {
      ev.preventDefault();
      void show(TABS[ev.key === "Home" ? 0 : TABS.length - 1]!, true);
    } else if (d) {
      ev.preventDefault();
      void show(TABS[(i + d + TABS.length) % TABS.length]!, true);
    }
  });
});

$("#share").addEventListener("click", async () => {
  const url = flush();
  const btn = $("#share");
  try {
    await navigator.clipboard.writeText(url);
    btn.textContent = "Link copied";
  } catch {
    window.prompt("Copy this link:", url);
  }
  announce("Link to this view copied");
  setTimeout(() => (btn.textContent = "Copy link"), 1600);
});

const threads = samplerCount();
const pill = $("#threads");
pill.textContent = crossOriginIsolated
  ? `cross-origin isolated · ${threads} sampling threads`
  : "1 sampling thread (page not cross-origin isolated)";
pill.dataset.threads = String(threads);

void show(getChoice("tab", TABS, "derivatives"));
