// A formula field that parses as you type (never evaluates code) and marks the offending character inline.
import { parseNode, variablesOf } from "../../../src/symbolic/parse.js";
import { h } from "./dom.js";

/** Formulas longer than this are refused in the playground (the parser's own limit is higher). */
export const MAX_FORMULA_LENGTH = 1000;

export type ParseResult =
  | { ok: true; variables: string[] }
  | { ok: false; message: string; column: number | null };

/** Parses on the main thread: bounded work (length and nesting depth are capped by the parser). */
export function checkFormula(text: string, maxVariables = 6): ParseResult {
  if (text.trim() === "")
    return { ok: false, message: "type a formula, e.g. sin(x) or x^2 - 1", column: null };
  if (text.length > MAX_FORMULA_LENGTH)
    return {
      ok: false,
      message: `the formula is too long (${text.length} characters; the limit is ${MAX_FORMULA_LENGTH})`,
      column: null,
    };
  try {
    const vars = variablesOf(parseNode(text));
    if (vars.length > maxVariables)
      return {
        ok: false,
        message: `${vars.length} variables (${vars.join(", ")}); this view takes at most ${maxVariables}`,
        column: null,
      };
    return { ok: true, variables: vars };
  } catch (e) {
    const err = e as Error & { column?: number };
    const headline = String(err.message).split("\n")[0]!;
    return { ok: false, message: headline, column: typeof err.column === "number" ? err.column : null };
  }
}

export class ExprInput {
  readonly root: HTMLDivElement;
  readonly input: HTMLInputElement;
  private readonly mirror: HTMLDivElement;
  private readonly message: HTMLDivElement;
  result: ParseResult = { ok: false, message: "", column: null };

  constructor(
    readonly id: string,
    label: string,
    value: string,
    private readonly onValid: (text: string, variables: string[]) => void,
    private readonly maxVariables = 6,
  ) {
    this.input = h("input", {
      id,
      type: "text",
      class: "expr",
      value,
      maxlength: MAX_FORMULA_LENGTH,
      spellcheck: "false",
      autocomplete: "off",
      autocapitalize: "off",
      "aria-describedby": `${id}-msg`,
    });
    this.mirror = h("div", { class: "expr-mirror", "aria-hidden": "true" });
    this.message = h("div", { class: "expr-msg", id: `${id}-msg`, role: "status", "aria-live": "polite" });
    this.root = h(
      "div",
      { class: "field" },
      h("label", { for: id, class: "field-label", id: `${id}-label` }, label),
      h("div", { class: "expr-wrap" }, this.mirror, this.input),
      this.message,
    );
    this.input.addEventListener("input", () => this.check(true));
    this.input.addEventListener("scroll", () => this.syncScroll());
    this.input.addEventListener("keyup", () => this.syncScroll());
    this.check(false);
  }

  setLabel(text: string): void {
    (this.root.querySelector(".field-label") as HTMLElement).textContent = text;
  }

  get value(): string {
    return this.input.value;
  }

  set value(v: string) {
    this.input.value = v;
    this.check(true);
  }

  /** Re-parses; on success hands the text to the owner, else marks the error. */
  check(notify: boolean): void {
    const text = this.input.value;
    this.result = checkFormula(text, this.maxVariables);
    if (this.result.ok) {
      this.clearError();
      if (notify) this.onValid(text, this.result.variables);
    } else this.showError(this.result.message, this.result.column);
  }

  /** Shows an error, with the character at `column` (1-based) highlighted inside the field. */
  showError(message: string, column: number | null): void {
    const text = this.input.value;
    this.input.setAttribute("aria-invalid", "true");
    this.root.classList.add("invalid");
    this.mirror.replaceChildren();
    if (column !== null) {
      const at = Math.max(0, column - 1);
      const ch = text.slice(at, at + 1);
      const mark = h(
        "mark",
        { class: "err-char", "data-column": column },
        ch === "" || ch === " " ? "\u00a0" : ch,
      );
      this.mirror.append(text.slice(0, at), mark, text.slice(at + 1));
    }
    const where = column !== null ? ` (column ${column})` : "";
    this.message.replaceChildren(
      h("span", { class: "err-text" }, `${message}${message.includes("column") ? "" : where}`),
    );
    this.message.dataset.column = column === null ? "" : String(column);
    this.syncScroll();
  }

  /** Shows a problem found later (e.g. by a worker) without a position, or with one. */
  clearError(): void {
    this.input.removeAttribute("aria-invalid");
    this.root.classList.remove("invalid");
    this.mirror.replaceChildren();
    this.message.replaceChildren();
    this.message.dataset.column = "";
  }

  /** A note under the field that is not an error (e.g. "undefined for x ≤ 0"). */
  note(text: string): void {
    if (!this.result.ok) return;
    this.message.replaceChildren(text ? h("span", { class: "note-text" }, text) : "");
  }

  private syncScroll(): void {
    this.mirror.scrollLeft = this.input.scrollLeft;
  }
}
