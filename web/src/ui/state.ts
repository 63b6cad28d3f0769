// Shareable state: every setting that differs from its default is written into the URL's hash.

const params = new URLSearchParams(location.hash.replace(/^#/, ""));
let timer: ReturnType<typeof setTimeout> | undefined;

/** The longest value the URL may carry for one key (formulas are capped well below this anyway). */
const MAX_VALUE = 4000;

export function getParam(key: string): string | null {
  const v = params.get(key);
  return v === null || v.length > MAX_VALUE ? null : v;
}

export function getNumber(key: string, fallback: number, lo = -Infinity, hi = Infinity): number {
  const s = getParam(key);
  const v = s === null ? Number.NaN : Number(s);
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
}

export function getChoice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
  const v = getParam(key);
  return v !== null && (choices as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** Sets (or, when equal to the default or null, removes) a key; the URL is rewritten shortly after. */
export function setParam(
  key: string,
  value: string | number | boolean | null,
  defaultValue?: string | number | boolean,
): void {
  if (value === null || value === defaultValue || String(value) === String(defaultValue)) params.delete(key);
  else params.set(key, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
  clearTimeout(timer);
  timer = setTimeout(write, 150);
}

let written = location.hash;

function write(): void {
  const hash = params.toString();
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname + location.search);
  written = location.hash;
}

// A different link opened in this tab (only the hash changed): start over from it.
addEventListener("hashchange", () => {
  if (location.hash !== written) {
    clearTimeout(timer);
    location.reload();
  }
});

/** Writes pending changes now (before copying the link). */
export function flush(): string {
  clearTimeout(timer);
  write();
  return location.href;
}

/** A compact number for the URL: enough digits to round-trip what people set. */
export const short = (v: number): string => String(Number(v.toPrecision(8)));
