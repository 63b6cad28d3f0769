// REINFORCE on cart-pole. The dynamics are the classic ones (Barto, Sutton & Anderson 1983, as in Gym's
// CartPole-v1: Euler steps of 0.02 s, a push of ±10 N, the episode ends when the cart leaves ±2.4 or the
// pole tips past 12°, and at 500 steps; reward 1 per step), written out below with a seeded RNG. A 4-32-2
// tanh policy picks left or right by a softmax; each update plays a batch of episodes, turns their rewards
// into discounted returns (γ = 0.99) minus a baseline (the batch's mean return at the same time step),
// normalizes those advantages, and takes an Adam step on nb.grad of the log-likelihood objective
// −mean(log π(a|s) · advantage). The rollouts evaluate the policy in plain arithmetic on the weights read
// once per update (a per-step call into tensors would cost more than the network). Then the greedy policy
// plays 100 new seeded episodes; 475 is the usual "solved" line.
// Run: npm run example cartpole [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, savePicture, seededUniform } from "./common.js";

const { quick, out } = exampleOptions("cartpole");
const maxTrainingEpisodes = quick ? 150 : 1000;
const batchEpisodes = 10;
const evalEpisodes = quick ? 20 : 100;
const hidden = 32;
const gamma = 0.99;
const learningRate = 0.01;
const maxSteps = 500;
// Training stops early once this many consecutive training episodes last the full 500 steps.
const solvedRun = 20;

// ---- The cart-pole ----------------------------------------------------------------------------------

const GRAVITY = 9.8;
const CART_MASS = 1.0;
const POLE_MASS = 0.1;
const TOTAL_MASS = CART_MASS + POLE_MASS;
const HALF_LENGTH = 0.5;
const POLE_MASS_LENGTH = POLE_MASS * HALF_LENGTH;
const FORCE = 10;
const TAU = 0.02;
const X_LIMIT = 2.4;
const THETA_LIMIT = (12 * 2 * Math.PI) / 360;

/** State [x, ẋ, θ, θ̇]. */
type State = [number, number, number, number];

/** One Euler step under action 0 (push left) or 1 (push right); returns the new state. */
function step([x, xDot, theta, thetaDot]: State, action: number): State {
  const force = action === 1 ? FORCE : -FORCE;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
  const thetaAcc =
    (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4 / 3 - (POLE_MASS * cos * cos) / TOTAL_MASS));
  const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
  return [x + TAU * xDot, xDot + TAU * xAcc, theta + TAU * thetaDot, thetaDot + TAU * thetaAcc];
}

const fallen = ([x, , theta]: State) => Math.abs(x) > X_LIMIT || Math.abs(theta) > THETA_LIMIT;

/** Gym's start: each state variable uniform in [−0.05, 0.05]. */
const start = (u: () => number): State => [0, 0, 0, 0].map(() => 0.1 * u() - 0.05) as State;

/** P(push right | state) under some policy. */
type Policy = (s: State) => number;

interface Episode {
  states: State[];
  actions: number[];
}

/** Plays one episode (at most 500 steps): sampled actions, or the likelier one when `greedy`. */
function play(policy: Policy, u: () => number, greedy = false): Episode {
  let s = start(u);
  const states: State[] = [];
  const actions: number[] = [];
  while (actions.length < maxSteps) {
    const p = policy(s);
    const a = greedy ? (p > 0.5 ? 1 : 0) : u() < p ? 1 : 0;
    states.push(s);
    actions.push(a);
    s = step(s, a);
    if (fallen(s)) break;
  }
  return { states, actions };
}

// ---- The policy -------------------------------------------------------------------------------------

type Params = { w1: nb.Tensor; b1: nb.Tensor; w2: nb.Tensor; b2: nb.Tensor };
const [k1, k2] = nb.random.split(nb.random.key(0));
let params: Params = {
  w1: nb.nn.init.glorotUniform(k1!, [4, hidden]),
  b1: nb.zeros([hidden]),
  // Small output weights: the first policy is close to a coin flip.
  w2: nb.mul(0.1, nb.nn.init.glorotUniform(k2!, [hidden, 2])),
  b2: nb.zeros([2]),
};
const logits = (p: Params, s: nb.Tensor) =>
  nb.add(nb.matmul(nb.tanh(nb.add(nb.matmul(s, p.w1), p.b1)), p.w2), p.b2);

/** The same network in plain arithmetic on a copy of the weights: P(right | s) = σ(logit₁ − logit₀). */
function snapshot(p: Params): Policy {
  const w1 = p.w1.dataSync() as Float32Array;
  const b1 = p.b1.dataSync() as Float32Array;
  const w2 = p.w2.dataSync() as Float32Array;
  const b2 = p.b2.dataSync() as Float32Array;
  const h = new Float64Array(hidden);
  return (s) => {
    for (let j = 0; j < hidden; j++) {
      let z = b1[j]!;
      for (let i = 0; i < 4; i++) z += s[i]! * w1[i * hidden + j]!;
      h[j] = Math.tanh(z);
    }
    let d = b2[1]! - b2[0]!;
    for (let j = 0; j < hidden; j++) d += h[j]! * (w2[j * 2 + 1]! - w2[j * 2]!);
    return 1 / (1 + Math.exp(-d));
  };
}

// The objective: −mean over the batch's steps of log π(aₜ|sₜ) · Aₜ, with the actions as one-hot rows.
const objective = (p: Params, states: nb.Tensor, onehot: nb.Tensor, advantages: nb.Tensor) =>
  nb.neg(nb.mean(nb.mul(nb.sum(nb.mul(nb.logSoftmax(logits(p, states)), onehot), { axis: -1 }), advantages)));
const objectiveGrad = nb.grad(objective);
const optimizer = nb.optim.adam({ learningRate });
let optState = optimizer.init(params);

/** Discounted returns-to-go Gₜ = Σ_{k≥t} γ^{k−t} of an episode of `n` steps (reward 1 per step). */
function returnsToGo(n: number): Float64Array {
  const g = new Float64Array(n);
  let acc = 0;
  for (let t = n - 1; t >= 0; t--) g[t] = acc = 1 + gamma * acc;
  return g;
}

/** One policy-gradient step from a batch of episodes. */
function update(batch: Episode[]): void {
  const returns = batch.map((e) => returnsToGo(e.actions.length));
  // Baseline bₜ: the mean of Gₜ over the episodes still running at step t.
  const longest = Math.max(...returns.map((g) => g.length));
  const sum = new Float64Array(longest);
  const count = new Float64Array(longest);
  for (const g of returns)
    for (let t = 0; t < g.length; t++) {
      sum[t]! += g[t]!;
      count[t]! += 1;
    }
  const total = returns.reduce((n, g) => n + g.length, 0);
  const states = new Float32Array(total * 4);
  const onehot = new Float32Array(total * 2);
  const adv = new Float64Array(total);
  let row = 0;
  batch.forEach((e, i) => {
    const g = returns[i]!;
    for (let t = 0; t < g.length; t++, row++) {
      states.set(e.states[t]!, row * 4);
      onehot[row * 2 + e.actions[t]!] = 1;
      adv[row] = g[t]! - sum[t]! / count[t]!;
    }
  });
  // Normalized advantages: zero mean, unit spread over the batch.
  const mean = adv.reduce((a, b) => a + b, 0) / total;
  const std = Math.sqrt(adv.reduce((a, b) => a + (b - mean) ** 2, 0) / total) + 1e-8;
  const advantages = Float32Array.from(adv, (a) => (a - mean) / std);
  const g = objectiveGrad(
    params,
    nb.reshape(nb.array(states), [total, 4]),
    nb.reshape(nb.array(onehot), [total, 2]),
    nb.array(advantages),
  );
  const [updates, next] = optimizer.update(g, optState, params);
  params = nb.optim.applyUpdates(params, updates);
  optState = next;
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---- Training ---------------------------------------------------------------------------------------

const randomPolicy: Policy = () => 0.5;
const randomU = seededUniform(999);
const randomReturns = Array.from({ length: 100 }, () => play(randomPolicy, randomU).actions.length);
console.log(
  `cart-pole (CartPole-v1 dynamics), a 4-${hidden}-2 tanh policy, REINFORCE with Adam (lr ${learningRate})`,
);
console.log(`a random policy: mean return ${meanOf(randomReturns).toFixed(1)} over 100 episodes`);
console.log(`${batchEpisodes} episodes per update, at most ${maxTrainingEpisodes} training episodes\n`);

const trainU = seededUniform(1);
const trainReturns: number[] = [];
const t0 = performance.now();
let streak = 0;
while (trainReturns.length < maxTrainingEpisodes && streak < solvedRun) {
  const policy = snapshot(params);
  const batch = Array.from({ length: batchEpisodes }, () => play(policy, trainU));
  for (const e of batch) {
    trainReturns.push(e.actions.length);
    streak = e.actions.length === maxSteps ? streak + 1 : 0;
  }
  update(batch);
  const n = trainReturns.length;
  if (n % 100 === 0 || streak >= solvedRun)
    console.log(
      `episodes ${String(n).padStart(4)}  mean return of the last ${batchEpisodes}: ${meanOf(trainReturns.slice(-batchEpisodes)).toFixed(1).padStart(5)}`,
    );
}
const trainSeconds = (performance.now() - t0) / 1000;
const used = trainReturns.length;
console.log(
  streak >= solvedRun
    ? `\ntraining episodes used: ${used} (stopped after ${solvedRun} full-length episodes in a row), ${trainSeconds.toFixed(1)} s`
    : `\ntraining episodes used: ${used} (the limit), ${trainSeconds.toFixed(1)} s`,
);

// ---- Evaluation: the greedy policy on new seeded episodes -------------------------------------------

const finalPolicy = snapshot(params);
const evalU = seededUniform(12345);
const evalReturns = Array.from({ length: evalEpisodes }, () => play(finalPolicy, evalU, true).actions.length);
const evalMean = meanOf(evalReturns);
console.log(
  `evaluation (greedy, ${evalEpisodes} episodes): mean return ${evalMean.toFixed(1)}, min ${Math.min(...evalReturns)}, ` +
    `${evalReturns.filter((r) => r === maxSteps).length} of ${evalEpisodes} reach ${maxSteps}`,
);

// The learning curve: each training episode's return and a moving mean of 20.
const span = 20;
const moving = trainReturns.map((_, i) => meanOf(trainReturns.slice(Math.max(0, i - span + 1), i + 1)));
const x = trainReturns.map((_, i) => i + 1);
const png = await savePicture(
  out,
  "cartpole",
  nb.viz.lineChart(
    [
      { label: "return per episode", x, y: trainReturns },
      { label: `mean of the last ${span}`, x, y: moving },
      { label: "solved (475)", x: [1, used], y: [475, 475] },
      {
        label: `random policy (${meanOf(randomReturns).toFixed(0)})`,
        x: [1, used],
        y: Array(2).fill(meanOf(randomReturns)),
      },
    ],
    {
      title: `REINFORCE on cart-pole: greedy evaluation ${evalMean.toFixed(1)} over ${evalEpisodes} episodes`,
      xLabel: "training episode",
      yLabel: "return (steps balanced)",
      yDomain: [0, 520],
    },
  ),
);
console.log(`wrote ${png}`);
// One decimal always (headline() would print a whole 500 as "500").
console.log(`mean-return: ${evalMean.toFixed(1)}`);
