// Training output: a progress bar on a terminal, plain lines otherwise (or to a custom logger), or nothing.

/** Where fit writes: a bar while an epoch runs, one line per epoch, and messages. */
export interface Progress {
  update(done: number, total: number, prefix: string, suffix: string): void;
  line(text: string): void;
  warn(text: string): void;
}

const BAR = 24;
const hasProcess = typeof process !== "undefined" && typeof process.stdout?.write === "function";

/** A progress writer: silent, to `log`, a live bar on an interactive terminal, or plain console lines. */
export function makeProgress(options: { silent?: boolean; log?: (line: string) => void }): Progress {
  if (options.silent) return { update: () => {}, line: () => {}, warn: () => {} };
  const log = options.log;
  if (log) return { update: () => {}, line: log, warn: log };
  const tty = hasProcess && process.stdout.isTTY === true;
  if (!tty) return { update: () => {}, line: (t) => console.log(t), warn: (t) => console.warn(t) };
  let last = 0;
  let shown = false;
  const clear = () => {
    if (shown) process.stdout.write("\r\x1b[K");
    shown = false;
  };
  return {
    update(done, total, prefix, suffix) {
      const now = Date.now();
      if (done < total && now - last < 80) return;
      last = now;
      const filled = Math.round((BAR * done) / Math.max(total, 1));
      const bar = `${"█".repeat(filled)}${"░".repeat(BAR - filled)}`;
      const width = process.stdout.columns ?? 100;
      process.stdout.write(`\r\x1b[K${`${prefix} ${bar} ${done}/${total}  ${suffix}`.slice(0, width - 1)}`);
      shown = true;
    },
    line(text) {
      clear();
      process.stdout.write(`${text}\n`);
    },
    warn(text) {
      clear();
      process.stderr.write(`${text}\n`);
    },
  };
}
