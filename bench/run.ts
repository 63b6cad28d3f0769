// `npm run bench`: workloads B1–B8 of shared/anchors/WORKLOADS.md, and B9–B12 (bench/README.md), on nabla and, in the same run, on
// TensorFlow.js (cpu, wasm) and @jax-js/jax, on JAX and PyTorch (python3, when it imports them), and for B10 on NumPy. Each library
// runs in its own child process, one after the other; this parent collects their JSON lines and prints one table (or, with --json,
// the lines).
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { recorded, recordedSource } from "./anchors.js";
import { type ImportTime, measureImportTime } from "./import-time.js";
import {
  type BenchRecord,
  FULL,
  type Library,
  type Mode,
  modesOf,
  QUICK,
  sizesOf,
  unitsOf,
  WORKLOADS,
  type Workload,
} from "./libs/common.mjs";
import { measurePeak, type Peak, peakLine } from "./peak.js";
import { type Column, type DerivedColumn, fmt, renderTable, STARVED, type TableRecord } from "./table.js";

const USAGE = `usage: npm run bench -- [options]
  --only B1,B3       run a subset of the workloads B1–B12
  --libs nabla,...   libraries to run live (nabla, tfjs-cpu, tfjs-wasm, jax-js, numpy, jax, torch; default all);
                     the others show the numbers recorded in shared/anchors/RESULTS.md (B11, B12: round2/table_p5.md)
  --quick            smoke run (~30 s): fewer sizes and repetitions; not for comparisons
  --json             one JSON object per line instead of the table
  --python           accepted for old scripts: the JAX and PyTorch columns now always appear
  --import-runs N    cold imports of the built package to time (default 10, 5 with --quick; 0 skips)
JS comparators come from $ANCHORS_DIR if set, else from bench/node_modules (cd bench && npm install).
JAX and PyTorch run through python3 (or $PYTHON) when it imports them; BENCH_PYTHON_FAKE=1 runs their workers
with NumPy stand-ins (a test of the protocol, not a measurement).`;

const LIBS: Library[] = ["nabla", "tfjs-cpu", "tfjs-wasm", "jax-js", "numpy", "jax", "torch"];
const MODES: Record<Library, Mode[]> = {
  nabla: ["eager", "jit"],
  "tfjs-cpu": ["eager"],
  "tfjs-wasm": ["eager"],
  "jax-js": ["eager", "jit"],
  numpy: ["eager"],
  jax: ["eager", "jit"],
  torch: ["eager"],
};
const COMMAND: Record<Library, string[]> = {
  nabla: ["--import", "tsx", "bench/libs/nabla.ts"],
  "tfjs-cpu": ["bench/libs/tfjs.mjs", "cpu"],
  "tfjs-wasm": ["bench/libs/tfjs.mjs", "wasm"],
  "jax-js": ["bench/libs/jaxjs.mjs"],
  numpy: ["bench/libs/numpy_linalg.py"],
  jax: ["bench/libs/jax_bench.py"],
  torch: ["bench/libs/torch_bench.py"],
};
const PYTHON_LIBS: Library[] = ["numpy", "jax", "torch"];
/** The workloads the JAX and PyTorch workers run (bench/libs/pybench.py). */
const PY_WORKLOADS: Workload[] = ["B2", "B3", "B4", "B5", "B6", "B7", "B9", "B11", "B12"];
/**
 * Whether a library runs a workload: NumPy runs only B10; JAX and PyTorch B2–B7, B11 and B12; the JS
 * comparators all but B10 (linear algebra).
 */
function runs(lib: Library, w: Workload): boolean {
  if (lib === "nabla") return true;
  if (lib === "numpy") return w === "B10";
  if (lib === "jax" || lib === "torch") return PY_WORKLOADS.includes(w);
  return w !== "B10";
}
const fakePython = process.env.BENCH_PYTHON_FAKE === "1";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// ---------------------------------------------------------------- options
function option(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return undefined;
  return argv[at]!.includes("=") ? argv[at]!.split("=")[1] : argv[at + 1];
}
const flag = (name: string) => process.argv.includes(name);
/** `taskset -c 0` when it works here: the JAX worker then runs on one core, like the recorded JAX column. */
const taskset = (() => {
  if (process.platform !== "linux") return false;
  const r = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore", timeout: 5000 });
  return r.status === 0;
})();
function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
if (flag("--help") || flag("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const quick = flag("--quick");
const json = flag("--json");
const onlyArg = option("--only");
const workloads = (onlyArg ? onlyArg.toUpperCase().split(",") : WORKLOADS) as Workload[];
for (const w of workloads) if (!WORKLOADS.includes(w)) fail(`--only: unknown workload ${w}`);
const libsArg = option("--libs");
const live = (libsArg ? libsArg.split(",") : LIBS) as Library[];
for (const l of live) if (!LIBS.includes(l)) fail(`--libs: unknown library ${l}`);
const importRuns = Number(option("--import-runs") ?? (quick ? 5 : 10));
if (!Number.isInteger(importRuns) || importRuns < 0) fail("--import-runs: a whole number ≥ 0");
const timing = quick ? QUICK : FULL;
/** A child that prints nothing for this long is killed and its current case marked as a timeout. */
const silenceMs = 2.5 * timing.capMs + 15_000;

// ---------------------------------------------------------------- results
const records: TableRecord[] = [];
const out = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Keeps a result; prints it as a JSON line (--json) or, unless `quiet`, as a progress line. */
function collect(r: TableRecord, show = true, quiet = false) {
  records.push(r);
  if (!show) return;
  if (json) {
    const { workload, size, library, mode, value, unit, ...rest } = r;
    const v = value === null ? null : Number(value.toPrecision(4));
    out(JSON.stringify({ workload, size, library, mode, value: v, unit, ...rest }));
  } else if (!quiet && r.unit === unitsOf(r.workload)[0] && r.source !== "recorded") {
    const what = r.value === null ? r.error : `${fmt(r.value)} ${r.unit}  ${r.check ?? ""}`;
    progress(`  ${r.library.padEnd(9)} ${r.workload} ${r.size.padEnd(7)} ${r.mode.padEnd(5)}  ${what}`);
  }
}

/** Fills a library's cells with the numbers recorded in RESULTS.md. */
function fillRecorded(library: string, modes: Mode[], show: boolean, only: readonly Workload[] = workloads) {
  for (const mode of modes) {
    const table = recorded[`${library}/${mode}`] ?? {};
    for (const w of only)
      for (const size of sizesOf(w, quick)) {
        const v = table[`${w}/${size}`];
        if (v === undefined) continue;
        for (const unit of unitsOf(w)) {
          const value = unit === "steps/s" ? 1000 / v : v;
          const note = `recorded in shared/anchors/${recordedSource(w)}`;
          collect({ workload: w, size, library, mode, value, unit, source: "recorded", note }, show);
        }
      }
  }
}

// ---------------------------------------------------------------- child processes
interface Outcome {
  finished: boolean;
  /** The case that was running when the child stopped. */
  current?: string;
  reason: string;
}
interface LibState {
  info?: Record<string, unknown>;
  unavailable?: string;
  failed?: string;
}
type Message = BenchRecord | { event: string; key?: string; reason?: string; [k: string]: unknown };

function parse(line: string): Message | undefined {
  if (!line.startsWith("{")) return undefined; // e.g. tfjs' "use tfjs-node" banner
  try {
    return JSON.parse(line) as Message;
  } catch {
    return undefined;
  }
}

function runChild(lib: Library, done: Set<string>, state: LibState): Promise<Outcome> {
  const python = PYTHON_LIBS.includes(lib);
  let args = [...(python ? [] : ["--expose-gc"]), ...COMMAND[lib], "--only", workloads.join(",")];
  if (quick) args.push("--quick");
  if (done.size) args.push("--skip", [...done].join(","));
  if (fakePython && (lib === "jax" || lib === "torch")) args.push("--fake");
  let exe = python ? (process.env.PYTHON ?? "python3") : process.execPath;
  if (lib === "jax" && taskset) [exe, args] = ["taskset", ["-c", "0", exe, ...args]];
  const child = spawn(exe, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let current: string | undefined;
  let finished = false;
  let timedOut = false;
  const errTail: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, silenceMs);
  };
  arm();
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    arm();
    const msg = parse(line);
    if (msg === undefined) return;
    if ("event" in msg) {
      if (msg.event === "start") current = msg.key;
      else if (msg.event === "info") state.info = msg;
      else if (msg.event === "unavailable") state.unavailable = msg.reason;
      else if (msg.event === "done") finished = true;
      return;
    }
    const key = `${msg.workload}/${msg.size}/${msg.mode}`;
    done.add(key);
    if (current === key) current = undefined;
    collect(msg);
  });
  readline.createInterface({ input: child.stderr! }).on("line", (line) => {
    if (line.trim()) errTail.push(line.trim());
    if (errTail.length > 20) errTail.shift();
  });
  return new Promise((resolve) => {
    // No python3 at all: the NumPy column is left empty ("—"), like a missing numpy; JAX and PyTorch show
    // their recorded numbers.
    child.on("error", (e) => {
      state.unavailable = `${exe} did not start (${e.message})`;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const last = [...errTail].reverse().find((l) => /error/i.test(l)) ?? errTail.at(-1) ?? "";
      const reason = timedOut
        ? `timeout (no result in ${silenceMs / 1000} s, killed)`
        : `crashed (${signal ?? `exit code ${code}`})${last ? `: ${last.slice(0, 160)}` : ""}`;
      resolve({ finished, current, reason });
    });
  });
}

/** The module a Python worker needs: without it, its column shows recorded numbers (or "—" for NumPy). */
const PY_MODULE: Partial<Record<Library, string>> = {
  numpy: "numpy",
  jax: "numpy, jax",
  torch: "numpy, torch",
};

/**
 * Whether `python3 -c "import <module>"` works (60 s at most): undefined when it does, else why not. A missing
 * interpreter, a failing import and a hanging one all count as "not available".
 */
function pythonProbe(lib: Library): string | undefined {
  const module = PY_MODULE[lib];
  if (module === undefined || (fakePython && lib !== "numpy")) return undefined;
  const exe = process.env.PYTHON ?? "python3";
  const r = spawnSync(exe, ["-c", `import ${module}`], { encoding: "utf8", timeout: 60_000 });
  if (r.error) return `${exe} did not start (${r.error.message})`;
  if (r.status === 0) return undefined;
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  return `${exe} cannot import ${module}${last ? ` (${last.slice(0, 160)})` : ` (exit ${r.status ?? r.signal})`}`;
}

/** Runs one library to the end, restarting its child after a crash or timeout with the rest of the cases. */
async function runLibrary(lib: Library): Promise<LibState> {
  const state: LibState = {};
  const missing = pythonProbe(lib);
  if (missing !== undefined) return { unavailable: missing };
  const done = new Set<string>();
  for (let attempt = 0; attempt < 8; attempt++) {
    const o = await runChild(lib, done, state);
    if (o.finished || state.unavailable) return state;
    if (o.current === undefined) return failRest(lib, done, state, o.reason);
    const [w, size, mode] = o.current.split("/") as [Workload, string, Mode];
    for (const unit of unitsOf(w))
      collect({ workload: w, size, library: lib, mode, value: null, unit, error: o.reason });
    done.add(o.current);
  }
  return failRest(lib, done, state, "stopped after 8 restarts");
}

/** Marks every case a library has not run as failed (its child died outside a case, e.g. at start-up). */
function failRest(lib: Library, done: Set<string>, state: LibState, reason: string): LibState {
  state.failed = reason;
  const modes: Mode[] = lib === "nabla" && state.info?.jit !== true ? ["eager"] : MODES[lib];
  for (const w of workloads.filter((w) => runs(lib, w)))
    for (const size of sizesOf(w, quick, lib))
      for (const mode of modesOf(w, size, modes)) {
        if (done.has(`${w}/${size}/${mode}`)) continue;
        for (const unit of unitsOf(w))
          collect({ workload: w, size, library: lib, mode, value: null, unit, error: reason }, true, true);
      }
  return state;
}

// ---------------------------------------------------------------- main
const t0 = performance.now();
const load0 = os.loadavg()[0]!;
const states: Partial<Record<Library, LibState>> = {};
// The peak first, while no child of this run is busy: one thread per core, ¼ s each (0.1 s with --quick).
const peak: Peak | string = measurePeak(root, quick ? 0.1 : 0.25);
progress(peakLine(peak));
if (json)
  out(
    JSON.stringify({
      measure: "float32 peak",
      unit: "GFLOPS",
      ...(typeof peak === "string"
        ? { value: null, error: peak }
        : { value: Number(peak.gflops.toPrecision(4)), ...peak }),
    }),
  );
let importTime: ImportTime | string | undefined;
if (importRuns > 0) {
  progress(`nabla: building the package and timing ${importRuns} cold imports`);
  try {
    importTime = await measureImportTime(root, importRuns);
    if (json) out(JSON.stringify({ measure: "import", unit: "ms", ...importTime }));
  } catch (e) {
    importTime = (e as Error).message;
    progress(`nabla: import time not measured: ${importTime}`);
  }
}
for (const lib of LIBS) {
  if (!live.includes(lib) || !workloads.some((w) => runs(lib, w))) {
    if (lib !== "nabla") fillRecorded(lib, MODES[lib], true);
    continue;
  }
  progress(`${lib}: running ${workloads.join(",")}${quick ? " (quick)" : ""}`);
  const started = performance.now();
  const s = await runLibrary(lib);
  states[lib] = s;
  progress(`${lib}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (s.unavailable) {
    progress(`${lib}: ${s.unavailable}; showing the recorded numbers`);
    fillRecorded(lib, MODES[lib], true);
  } else {
    if (s.failed) progress(`${lib}: ${s.failed}`);
    // Workloads this library's worker does not run (JAX and PyTorch: B1, B6–B8) keep their recorded numbers.
    fillRecorded(
      lib,
      MODES[lib],
      true,
      workloads.filter((w) => !runs(lib, w)),
    );
  }
}
if (json && workloads.includes("B9")) {
  const at = (T: number) =>
    records.find((r) => r.library === "nabla" && r.workload === "B9" && r.size === `compile-T${T}`)?.value;
  const [c10, c1000] = [at(10), at(1000)];
  if (c10 && c1000)
    out(
      JSON.stringify({
        measure: "B9 compile ratio T=1000/T=10",
        value: Number((c1000 / c10).toPrecision(4)),
      }),
    );
}
/**
 * nabla jit's time on a row ÷ JAX jit's (for GFLOP/s and steps/s, JAX's rate ÷ nabla's): above 1, nabla is
 * slower. Rows without a jit mode (B1, one kernel) use nabla eager, flagged `eager`.
 */
function ratioToJax(
  rs: readonly TableRecord[],
): { value: number; recorded: boolean; eager: boolean } | undefined {
  const nabla = (mode: Mode) =>
    rs.find((r) => r.library === "nabla" && r.mode === mode && r.value !== null && r.check !== "WRONG");
  const hasJit = rs.some((r) => r.library === "nabla" && r.mode === "jit");
  const ours = hasJit ? nabla("jit") : nabla("eager");
  const jax = rs.find(
    (r) => r.library === "jax" && r.mode === "jit" && r.value !== null && r.check !== "WRONG",
  );
  if (!ours || !jax) return undefined;
  const higher = ours.unit === "GFLOPS" || ours.unit === "steps/s";
  return {
    value: higher ? jax.value! / ours.value! : ours.value! / jax.value!,
    recorded: jax.source === "recorded",
    eager: !hasJit,
  };
}
if (json)
  for (const w of workloads)
    for (const size of sizesOf(w, quick))
      for (const unit of unitsOf(w).slice(0, 1)) {
        const r = ratioToJax(records.filter((x) => x.workload === w && x.size === size && x.unit === unit));
        if (r)
          out(
            JSON.stringify({
              measure: "nabla jit / JAX jit",
              workload: w,
              size,
              value: Number(r.value.toPrecision(3)),
              ...(r.eager ? { nabla_mode: "eager" } : {}),
              ...(r.recorded ? { source: "recorded" } : {}),
            }),
          );
      }
const seconds = (performance.now() - t0) / 1000;

if (!json) {
  const isRecorded = (lib: Library) => lib !== "nabla" && (!states[lib] || !!states[lib]?.unavailable);
  const columns: Column[] = [];
  for (const lib of LIBS)
    for (const mode of MODES[lib]) {
      if (
        !records.some((r) => r.library === lib && r.mode === mode) &&
        !(lib === "nabla" && mode === "eager")
      )
        continue;
      const name = lib === "torch" ? "torch 1T" : lib === "jax" ? "JAX" : lib;
      const title = `${name}${mode === "jit" ? " jit" : ""}${isRecorded(lib) ? " (recorded)" : ""}`;
      columns.push({ key: `${lib}/${mode}`, title });
    }
  printReport(columns);
}

function printReport(columns: Column[]) {
  const info = (lib: Library) => states[lib]?.info ?? {};
  const nablaJit = info("nabla").jit === true ? "eager and nb.jit" : "eager (no nb.jit in this build)";
  const comps = LIBS.filter((l) => l !== "nabla" && states[l]?.info)
    .map((l) => `${l} ${info(l).version} (${info(l).dir})`)
    .join(", ");
  out("");
  out(
    `## Benchmarks B1–B12 (shared/anchors/WORKLOADS.md; B9–B12: bench/README.md)${quick ? " — QUICK smoke run, not for comparison" : ""}`,
  );
  out("");
  out(
    `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), node ${process.version}, ` +
      `load average ${load0.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end; ${seconds.toFixed(0)} s.`,
  );
  out(`nabla: ${nablaJit}. Live comparators: ${comps || "none"}.`);
  out(peakLine(peak));
  out("");
  const derived: DerivedColumn[] = [
    {
      title: "nabla jit ÷ JAX jit",
      cell: (rs) => {
        const r = ratioToJax(rs);
        return r ? `${fmt(r.value)}×${r.eager ? " eager" : ""}${r.recorded ? " (rec.)" : ""}` : "—";
      },
    },
    {
      title: "nabla faults/call (eager, jit)",
      cell: (rs, unit) => {
        const f = (mode: Mode) =>
          rs.find((r) => r.library === "nabla" && r.mode === mode && r.unit === unit)?.faults;
        const [e, j] = [f("eager"), f("jit")];
        if (e === undefined && j === undefined) return "—";
        const show = (v: number | undefined) =>
          v === undefined ? "—" : v === 0 ? "0" : v < 1 ? v.toPrecision(2) : v.toFixed(0);
        return `${show(e)}, ${show(j)}`;
      },
    },
  ];
  // GFLOP/s rows (B1): nabla's rate as a share of the peak measured above, when it was measured.
  if (typeof peak !== "string" && workloads.includes("B1"))
    derived.push({
      title: "nabla % of peak",
      cell: (rs, unit) => {
        const v = rs.find((r) => r.library === "nabla" && r.value !== null && unit === "GFLOPS")?.value;
        return v ? `${((100 * v) / peak.gflops).toFixed(1)} %` : "—";
      },
    });
  for (const l of renderTable(records, columns, workloads, quick, derived)) out(l);
  out("");
  if (typeof importTime === "object") {
    const t = importTime;
    out(
      `Import: \`await import("nabla")\` of the built package (${t.modules} modules bundled into ${t.files} files), ` +
        `fresh node process each time: min ${fmt(t.minMs)} ms, median ${fmt(t.medianMs)} ms over ${t.runs} runs ` +
        `(load average ${t.load[0].toFixed(2)} → ${t.load[1].toFixed(2)}).`,
    );
    out("");
  } else if (importTime !== undefined) {
    out(`Import time not measured: ${importTime}`);
    out("");
  }
  // The MNIST MLP of examples/mnist-mlp.ts is B3's model (784-256-128-10, ReLU, batch 128): one epoch over
  // the 8,000 training digits is 63 such steps, timed above for every library in this same run.
  const b3 = records.filter(
    (r) => r.workload === "B3" && r.size === "128" && r.unit === "ms" && r.value !== null,
  );
  if (b3.length > 0) {
    const epoch = b3.map(
      (r) => `${r.library}${r.mode === "jit" ? " jit" : ""} ${fmt((r.value! * 63) / 1000)} s`,
    );
    out(
      `MNIST MLP (examples/mnist-mlp.ts's model = B3), one epoch of 8,000 digits = 63 B3 steps: ${epoch.join(", ")}.`,
    );
    out("");
  }
  out(
    `Each cell: median of ≥${timing.minReps} timed calls after warm-up, results read back. GFLOP/s and steps/s: ` +
      "higher is better; ms and µs/op: lower is better.",
  );
  out(
    '"(N× faster)" / "(N× slower)" compares nabla\'s best mode on that row with the column: nabla is N times ' +
      "faster or slower than that library.",
  );
  out(
    "WRONG: off from a float64 reference by more than 1e-3 (relative). tfjs B5, B6 and B7 k≥2 use a " +
      "customGrad tanh/exp: its own give wrong higher derivatives (RESULTS.md, gotcha 1). jax-js runs on 1 thread.",
  );
  for (const mode of ["eager", "jit"]) {
    const at = (k: string) =>
      records.find((r) => r.library === "nabla" && r.mode === mode && r.workload === "B7" && r.size === k)
        ?.value;
    const [k1, k10] = [at("1"), at("10")];
    if (k1 && k10)
      out(`B7 growth from k=1 to k=10, nabla ${mode}: ${fmt(k10 / k1)}× (${fmt(k1)} → ${fmt(k10)} ms).`);
  }
  const b3Step = (size: string) =>
    records.find(
      (r) =>
        r.library === "nabla" &&
        r.mode === "jit" &&
        r.workload === "B3" &&
        r.size === size &&
        r.unit === "ms",
    )?.value;
  const [plainStep, dropoutStep] = [b3Step("128"), b3Step("128-dropout")];
  if (plainStep && dropoutStep)
    out(
      `B3 with Dropout(0.1), nabla jit: ${fmt(dropoutStep / plainStep)}× the plain step (${fmt(plainStep)} → ${fmt(dropoutStep)} ms).`,
    );
  const b4 = (size: string) =>
    records.find((r) => r.library === "nabla" && r.mode === "jit" && r.workload === "B4" && r.size === size)
      ?.value;
  const [jitOfGrad, gradOfJit] = [b4("1e6"), b4("1e6-grad-of-jit")];
  const pairedB4 = records.find(
    (r) => r.library === "nabla" && r.workload === "B4" && r.size === "1e6-grad-of-jit",
  );
  const inTurn =
    pairedB4?.paired_ms !== undefined && pairedB4.paired_jit_of_grad_ms !== undefined
      ? `; timed in turn in one window: ${fmt(pairedB4.paired_ms / pairedB4.paired_jit_of_grad_ms)}× ` +
        `(${fmt(pairedB4.paired_jit_of_grad_ms)} → ${fmt(pairedB4.paired_ms)} ms)`
      : "";
  if (jitOfGrad && gradOfJit)
    out(
      `B4, nabla: grad(jit(f)) is ${fmt(gradOfJit / jitOfGrad)}× jit(grad(f)) (rows: ${fmt(jitOfGrad)} → ${fmt(gradOfJit)} ms)${inTurn}.`,
    );
  const compile = (T: number) =>
    records.find((r) => r.library === "nabla" && r.workload === "B9" && r.size === `compile-T${T}`);
  const [c10, c1000] = [compile(10), compile(1000)];
  if (c10?.value && c1000?.value) {
    const only = (r: TableRecord) => r.value! - (r.second_ms ?? 0);
    const minusRun =
      c10.second_ms !== undefined && c1000.second_ms !== undefined
        ? `; minus the run (first − second call): ${fmt(only(c1000) / only(c10))}× ` +
          `(${fmt(only(c10))} → ${fmt(only(c1000))} ms)`
        : "";
    const lowered =
      c10.lower_ms !== undefined && c1000.lower_ms !== undefined
        ? `; trace and compile alone (jit(step).lower): ${fmt(c1000.lower_ms / c10.lower_ms)}× ` +
          `(${fmt(c10.lower_ms)} → ${fmt(c1000.lower_ms)} ms)`
        : "";
    out(
      "B9 compile growth, first call of a new nb.jit(step) with lax.scan: compile(T=1000) / compile(T=10) = " +
        `${fmt(c1000.value / c10.value)}× (${fmt(c10.value)} → ${fmt(c1000.value)} ms)${minusRun}${lowered}.`,
    );
  }
  if (workloads.includes("B10")) {
    const np = states.numpy;
    const b10 = records.filter((r) => r.workload === "B10");
    const ratios = b10
      .filter((r) => r.library === "nabla" && r.value !== null)
      .map((r) => {
        const theirs = b10.find((x) => x.library === "numpy" && x.size === r.size && x.value !== null);
        return theirs ? `${r.size} ${fmt(r.value! / theirs.value!)}×` : undefined;
      })
      .filter((x) => x !== undefined);
    out(
      "B10: float64 Cholesky, solve (b of shape [n, 1]) and eigh of an SPD matrix, nabla eager " +
        `(${String(states.nabla?.info?.backend ?? "default")} backend); NumPy ` +
        (np?.info
          ? `${np.info.version} (${np.info.dir})`
          : `not run${np?.unavailable ? `: ${np.unavailable}` : ""}`) +
        (ratios.length ? `. nabla time / NumPy time: ${ratios.join(", ")}.` : "."),
    );
  }
  if (workloads.includes("B9"))
    out(
      "B9: shared/anchors/RESULTS.md records no PyTorch, JAX or other RNN numbers, so B9 has no recorded columns.",
    );
  const mm = records.filter((r) => r.library === "nabla" && r.workload === "B1" && r.value !== null);
  if (mm.length) {
    const best = mm.reduce((a, b) => (b.value! > a.value! ? b : a));
    out(
      typeof peak === "string"
        ? `Best nabla matmul: ${fmt(best.value!)} GFLOP/s at n=${best.size} (no % of peak: the peak was ${peak}).`
        : `Best nabla matmul: ${fmt(best.value!)} GFLOP/s at n=${best.size}, ${((100 * best.value!) / peak.gflops).toFixed(1)} % ` +
            `of the ${peak.gflops.toFixed(0)} GFLOP/s float32 peak measured here (all ${peak.threads} threads); ` +
            mm.map((r) => `n=${r.size}: ${((100 * r.value!) / peak.gflops).toFixed(1)} %`).join(", ") +
            ".",
    );
  }
  for (const w of ["B11", "B12"] as const) {
    const losses = records.filter((r) => r.workload === w && r.loss0 !== undefined);
    if (losses.length)
      out(
        `${w} loss of the first call: ${losses.map((r) => `${r.library}${r.mode === "jit" ? " jit" : ""} ${r.loss0}`).join(", ")} ` +
          `(recorded runs: ${w === "B11" ? "2.315948247909546" : "0.6282010078430176"}).`,
      );
  }
  out(
    '"nabla jit ÷ JAX jit": nabla jit\'s time over JAX jit\'s on that row (rates inverted), so above 1 nabla is slower ("eager": the row has no jit mode); ' +
      '"(rec.)": against the recorded JAX number. Faults/call: minor page faults per timed call (fresh pages mapped).',
  );
  if (records.some((r) => r.source === "recorded"))
    out(
      "(recorded): numbers from shared/anchors/RESULTS.md, measured on another host (AMD EPYC Zen 4, 2 cores), and for " +
        "B11 and B12 from round2/table_p5.md (AMD EPYC Zen 5, 2 vCPUs, loaded); live columns ran in this run on this machine.",
    );
  if (fakePython)
    out(
      "BENCH_PYTHON_FAKE=1: the JAX and PyTorch columns are NumPy stand-ins (a protocol test), not measurements.",
    );
  const starved = records.filter((r) => r.cpu !== undefined && r.cpu < STARVED).length;
  if (starved)
    out(
      `†: ${starved} result${starved === 1 ? "" : "s"} got less than ${STARVED * 100} % of a core while timed (other processes were ` +
        "running), so those times are inflated. Rerun on a quiet machine.",
    );
  const cores = os.cpus().length;
  if (Math.max(load0, os.loadavg()[0]!) > cores / 2)
    out(
      `Note: load average above ${cores / 2} on ${cores} cores; expect noisy numbers (RESULTS.md: ±20–40 %).`,
    );
}
