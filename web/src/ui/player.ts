// Step-through controls for an animation over iterations: restart, back, play/pause, step, show all.
import { clamp, h } from "./dom.js";

export class Player {
  readonly root: HTMLElement;
  /** The iteration shown. */
  shown = 0;
  playing = false;
  private readonly playBtn: HTMLButtonElement;
  private readonly speed: HTMLSelectElement;
  private readonly counter: HTMLElement;
  private timer: ReturnType<typeof setInterval> | undefined;

  /**
   * `last()` is the last iteration available so far; `computing()` says whether more may still come;
   * `onChange` redraws.
   */
  constructor(
    private readonly last: () => number,
    private readonly computing: () => boolean,
    private readonly onChange: () => void,
  ) {
    const button = (id: string, text: string, title: string, onclick: () => void, cls = "btn") =>
      h("button", { type: "button", class: cls, id, title, onclick }, text);
    this.playBtn = button(
      "opt-play",
      "▶ Play",
      "Play or pause (key: space)",
      () => this.setPlaying(!this.playing),
      "btn primary",
    );
    this.speed = h(
      "select",
      { id: "opt-speed", "aria-label": "Steps per second" },
      ...[2, 5, 10, 30, 60].map((s) => h("option", { value: String(s), selected: s === 10 }, `${s} steps/s`)),
    );
    this.speed.addEventListener("change", () => this.playing && this.setPlaying(true));
    this.counter = h("span", { class: "counter", id: "opt-counter", "aria-live": "polite" });
    this.root = h(
      "div",
      { class: "player", role: "group", "aria-label": "Step through the iterations" },
      button("opt-restart", "Restart", "Back to the start points", () => this.go(0)),
      button("opt-back", "‹ Back", "One step back (key: ,)", () => this.step(-1)),
      this.playBtn,
      button("opt-step", "Step ›", "One step (key: .)", () => this.step(1)),
      button("opt-end", "Show all", "Show every step", () => this.go(Number.POSITIVE_INFINITY)),
      this.speed,
      this.counter,
    );
  }

  /** Shows iteration `k` (clamped to what exists) and stops playing. */
  go(k: number): void {
    this.setPlaying(false);
    this.shown = clamp(k, 0, Math.max(0, this.last()));
    this.onChange();
  }

  step(d: number): void {
    this.go(this.shown + d);
  }

  setPlaying(on: boolean): void {
    this.playing = on;
    this.playBtn.textContent = on ? "Pause" : "▶ Play";
    this.playBtn.setAttribute("aria-pressed", String(on));
    clearInterval(this.timer);
    if (!on) return;
    if (this.shown >= this.last()) this.shown = 0;
    this.timer = setInterval(() => {
      if (this.shown >= this.last() && !this.computing()) this.setPlaying(false);
      else if (this.shown < this.last()) {
        this.shown++;
        this.onChange();
      }
    }, 1000 / Number(this.speed.value));
  }

  /** Updates the "k = … / …" counter. */
  showCounter(): void {
    const total = Math.max(0, this.last());
    this.counter.textContent = `k = ${Math.min(this.shown, total)} / ${total}`;
  }
}
