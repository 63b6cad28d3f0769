// `npx tsx bench/selftest.ts`: checks the Python side of the bench without JAX or PyTorch installed.
//  1. pybench.py rebuilds the JS workers' inputs bit for bit, and its float64 losses of B11 and B12 agree with
//     common.mjs's.
//  2. The parent runs the JAX and PyTorch workers with NumPy stand-ins (BENCH_PYTHON_FAKE=1), parses their
//     JSON lines, and prints the records and the ratio to JAX.
//  3. A Python that cannot import the library (or no Python at all) gives the recorded JAX and PyTorch numbers.
// Needs python3 with NumPy; takes about 20 s.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  cnnInputs,
  cnnRef,
  inputs,
  rnnInputs,
  rnnRef,
  transformerInputs,
  transformerLoss64,
} from "./libs/common.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const python = process.env.PYTHON ?? "python3";

function run(exe: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(exe, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${exe} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}
const lines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

// 1. Inputs and float64 losses.
const py = lines(run(python, ["bench/libs/pybench.py"]))[0]!;
const cnn = cnnInputs();
const tf = transformerInputs();
assert.deepEqual(py.b2, [...inputs.b2().slice(0, 4)]);
assert.deepEqual(py.mlp_labels, [...inputs.mlp().labels.slice(0, 8)]);
assert.deepEqual(py.cnn_labels, [...cnn.labels.slice(0, 8)]);
assert.deepEqual(py.cnn_W, [...cnn.params.W!.slice(0, 4)]);
assert.deepEqual(py.tf_x, [...tf.x.slice(0, 4)]);
const cnnR = cnnRef(cnn);
const cnnLoss = cnnR.loss;
// The NumPy float64 gradients of B11 (its workers' reference) equal common.mjs's hand-written ones.
for (const [k, first] of Object.entries(py.cnn_grads64 as Record<string, number[]>))
  first.forEach((v, i) =>
    assert.ok(Math.abs(v - cnnR.grads[k]![i]!) <= 1e-12 * (1 + Math.abs(v)), `B11 ∂${k}[${i}]: ${v}`),
  );
const tfLoss = transformerLoss64(tf.x, tf.params);
// B9: the same inputs, and the NumPy float64 backpropagation through time agrees with common.mjs's.
const rnn = rnnInputs(100);
assert.deepEqual(py.rnn_xs, [...rnn.xs.slice(0, 4)]);
assert.deepEqual(py.rnn_U, [...rnn.params.U!.slice(0, 4)]);
const rnnR = rnnRef(rnn);
assert.ok(
  Math.abs((py.rnn_loss64 as number) - rnnR.loss) < 1e-12,
  `B9 loss: ${py.rnn_loss64} vs ${rnnR.loss}`,
);
for (const [k, first] of Object.entries(py.rnn_grads64 as Record<string, number[]>))
  first.forEach((v, i) =>
    assert.ok(Math.abs(v - rnnR.grads[k]![i]!) <= 1e-12 * (1 + Math.abs(v)), `B9 ∂${k}[${i}]: ${v}`),
  );
assert.ok(Math.abs((py.cnn_loss64 as number) - cnnLoss) < 1e-12, `B11 loss: ${py.cnn_loss64} vs ${cnnLoss}`);
assert.ok(Math.abs((py.tf_loss64 as number) - tfLoss) < 1e-12, `B12 loss: ${py.tf_loss64} vs ${tfLoss}`);
// The recorded float32 losses (round2/table_p5.md) agree with float64 to float32 rounding.
assert.ok(Math.abs(cnnLoss - 2.315948247909546) < 1e-6 && Math.abs(tfLoss - 0.6282010078430176) < 1e-6);
console.log(`inputs: identical; float64 losses B11 ${cnnLoss}, B12 ${tfLoss}`);

// 2. The protocol, through the parent.
const bench = [
  "--import",
  "tsx",
  "bench/run.ts",
  "--only",
  "B2,B9,B11",
  "--quick",
  "--json",
  "--import-runs",
  "0",
];
const fake = lines(run(process.execPath, [...bench, "--libs", "jax,torch"], { BENCH_PYTHON_FAKE: "1" }));
for (const [library, mode] of [
  ["jax", "eager"],
  ["jax", "jit"],
  ["torch", "eager"],
])
  for (const workload of ["B2", "B9", "B11"]) {
    const r = fake.find((x) => x.library === library && x.mode === mode && x.workload === workload);
    assert.ok(r, `no ${library} ${mode} ${workload} record`);
    assert.equal(r.check, "ok");
    assert.equal(typeof r.value, "number");
    assert.equal(typeof r.faults, "number");
    if (workload === "B11") assert.ok(Math.abs((r.loss0 as number) - 2.315948247909546) < 1e-6);
  }
assert.ok(fake.some((x) => x.measure === "float32 peak"));
console.log(
  `fake JAX and PyTorch workers: ${fake.filter((x) => x.workload).length} records parsed, checks ok`,
);

// 3. No JAX: recorded numbers, marked as such. A missing interpreter must not stop the run either.
for (const exe of [python, path.join(root, "no-such-python3")]) {
  const rec = lines(run(process.execPath, [...bench, "--libs", "jax,torch"], { PYTHON: exe }));
  const live = spawnSync(exe, ["-c", "import jax"], { stdio: "ignore" }).status === 0;
  const jax = rec.find((x) => x.library === "jax" && x.mode === "jit" && x.workload === "B11");
  assert.ok(jax, "no JAX B11 record");
  if (!live) {
    assert.equal(jax.source, "recorded");
    assert.equal(jax.value, 7.35);
  }
  console.log(`PYTHON=${exe}: JAX ${live ? "live" : "recorded"} (B11 jit ${jax.value} ms)`);
}
console.log("bench selftest: ok");
