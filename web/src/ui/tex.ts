// TeX rendering with KaTeX, loaded after the first paint (it is the largest part of the page's code).
type Katex = typeof import("katex").default;

let katex: Promise<Katex> | null = null;
const load = (): Promise<Katex> => (katex ??= import("katex").then((m) => m.default));

/** Starts fetching KaTeX now, so the first formulas do not wait for it. */
export function preloadTex(): void {
  void load();
}

/** Renders `latex` into `el` (plain text first, replaced when KaTeX is ready). Later calls win. */
export function renderTex(
  el: HTMLElement,
  latex: string,
  options: { display?: boolean; fallback?: string } = {},
): Promise<void> {
  const token = String(Math.random());
  el.dataset.texToken = token;
  el.dataset.tex = latex;
  if (!el.firstChild) el.textContent = options.fallback ?? latex;
  return load().then((k) => {
    if (el.dataset.texToken !== token) return;
    k.render(latex, el, {
      throwOnError: false,
      displayMode: options.display ?? false,
      output: "htmlAndMathml",
      maxSize: 20,
      maxExpand: 200,
    });
  });
}
