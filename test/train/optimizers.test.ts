import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createOptimizer, isDecayed, type OptimizerSpec, type TrainableVar } from '../../src/train/optimizers.js';

await tf.setBackend('cpu');

// Loss f(w) = Σ a_i·w_i²/2 + Σ b_i·w_i over two variables: ∇ = a·w + b.
const A = [[1, 2, 0.5], [3]];
const B = [[0.3, -1, 2], [-0.7]];
const W0 = [[1, -2, 0.5], [0.25]];
const NAMES = ['fc/kernel', 'fc/bias'];

function makeVars(init = W0, tag = ''): TrainableVar[] {
  return init.map((w, i) => ({ name: NAMES[i], variable: tf.variable(tf.tensor1d(w), true, `opt_test${tag}_${i}_${Math.random()}`) }));
}
function lossOf(vars: TrainableVar[]): () => tf.Scalar {
  return () =>
    tf.addN(
      vars.map((v, i) => tf.sum(tf.add(tf.mul(tf.mul(tf.tensor1d(A[i]), tf.square(v.variable)), 0.5), tf.mul(tf.tensor1d(B[i]), v.variable)))),
    ) as tf.Scalar;
}
function grad(w: number[][]): number[][] {
  return w.map((wi, i) => wi.map((x, k) => A[i][k] * x + B[i][k]));
}
function values(vars: TrainableVar[]): number[][] {
  return vars.map((v) => Array.from(v.variable.dataSync()));
}
function run(spec: OptimizerSpec, lrs: number[], vars = makeVars()): number[][] {
  const opt = createOptimizer(spec);
  for (const lr of lrs) {
    opt.setLearningRate(lr);
    opt.step(lossOf(vars), vars).dispose();
  }
  opt.dispose();
  const out = values(vars);
  tf.dispose(vars.map((v) => v.variable));
  return out;
}
function assertClose(got: number[][], want: number[][], tol = 2e-6): void {
  got.forEach((g, i) =>
    g.forEach((x, k) => assert.ok(Math.abs(x - want[i][k]) <= tol * Math.max(1, Math.abs(want[i][k])), `w[${i}][${k}] = ${x}, want ${want[i][k]}`)),
  );
}

/** Naive PyTorch-semantics SGD (coupled weight decay, dampening 0). */
function naiveSgd(lrs: number[], m: number, nesterov: boolean, wd: number, decayBias: boolean): number[][] {
  const w = W0.map((x) => x.slice());
  const v = W0.map((x) => x.map(() => 0));
  for (const lr of lrs) {
    const g = grad(w).map((gi, i) => gi.map((x, k) => x + (i === 0 || decayBias ? wd * w[i][k] : 0)));
    for (let i = 0; i < w.length; i++)
      for (let k = 0; k < w[i].length; k++) {
        v[i][k] = m * v[i][k] + g[i][k];
        const d = m === 0 ? g[i][k] : nesterov ? g[i][k] + m * v[i][k] : v[i][k];
        w[i][k] -= lr * d;
      }
  }
  return w;
}

function naiveAdam(lrs: number[], b1: number, b2: number, eps: number, wd: number): number[][] {
  const w = W0.map((x) => x.slice());
  const m = W0.map((x) => x.map(() => 0));
  const v = W0.map((x) => x.map(() => 0));
  lrs.forEach((lr, t) => {
    const g = grad(w).map((gi, i) => gi.map((x, k) => x + wd * w[i][k]));
    for (let i = 0; i < w.length; i++)
      for (let k = 0; k < w[i].length; k++) {
        m[i][k] = b1 * m[i][k] + (1 - b1) * g[i][k];
        v[i][k] = b2 * v[i][k] + (1 - b2) * g[i][k] ** 2;
        const mh = m[i][k] / (1 - b1 ** (t + 1));
        const vh = v[i][k] / (1 - b2 ** (t + 1));
        w[i][k] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
  });
  return w;
}

const LRS = [0.1, 0.05, 0.2, 0.01, 0.1];

test('plain SGD with a per-step learning rate matches the naive update', () => {
  assertClose(run({ name: 'sgd', lr: 0.1 }, LRS), naiveSgd(LRS, 0, false, 0, true));
});

test('SGD momentum and Nesterov with coupled weight decay (all weights) match PyTorch semantics', () => {
  assertClose(run({ name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.05 }, LRS), naiveSgd(LRS, 0.9, false, 0.05, true));
  assertClose(
    run({ name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.05 }, LRS),
    naiveSgd(LRS, 0.9, true, 0.05, true),
  );
});

test("decay 'kernels' leaves biases undecayed", () => {
  assertClose(
    run({ name: 'sgd', lr: 0.1, momentum: 0.5, weightDecay: 0.1, decay: 'kernels' }, LRS),
    naiveSgd(LRS, 0.5, false, 0.1, false),
  );
  assert.equal(isDecayed('conv1/kernel', 'kernels'), true);
  assert.equal(isDecayed('block/dw/depthwise_kernel', 'kernels'), true);
  assert.equal(isDecayed('conv1/bias', 'kernels'), false);
  assert.equal(isDecayed('bn1/gamma', 'kernels'), false);
  assert.equal(isDecayed('bn1/gamma', 'all'), true);
});

test('Adam with a per-step learning rate (field read every step) matches the naive update', () => {
  // tfjs computes 1 − β2^t in float32 (cancellation: ~1e-4 relative error at β2 = 0.999), hence the tolerance.
  assertClose(run({ name: 'adam', lr: 0.1 }, LRS), naiveAdam(LRS, 0.9, 0.999, 1e-8, 0), 1e-4);
  assertClose(run({ name: 'adam', lr: 0.1, beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }, LRS), naiveAdam(LRS, 0.8, 0.99, 1e-8, 0.01), 1e-4);
  // A learning rate that was never set takes no effect: lr 0 for all steps leaves the weights unchanged.
  assertClose(run({ name: 'adam', lr: 0.1 }, [0, 0, 0]), W0, 0);
});

for (const spec of [
  { name: 'adam', lr: 0.05 },
  { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  { name: 'sgd', lr: 0.05 },
] as OptimizerSpec[]) {
  test(`${spec.name}${spec.momentum ? '+momentum' : ''}: state round trip continues exactly`, async () => {
    const a = makeVars(W0, 'a');
    const optA = createOptimizer(spec);
    for (let i = 0; i < 3; i++) optA.step(lossOf(a), a).dispose();
    const state = await optA.getState();
    const b = makeVars(values(a), 'b');
    const optB = createOptimizer(spec);
    await optB.setState(state);
    tf.dispose(state.map((s) => s.tensor));
    assert.equal(optB.iterations, 3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      optA.step(lossOf(a), a).dispose();
      optB.step(lossOf(b), b).dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'steps leak no tensors');
    assert.deepEqual(values(b), values(a));
    optA.dispose();
    optB.dispose();
    tf.dispose([...a, ...b].map((v) => v.variable));
  });
}

test('bad optimizer specs are rejected with the field named', () => {
  assert.throws(() => createOptimizer({ name: 'rmsprop' as never, lr: 0.1 }), /unknown optimizer 'rmsprop'/);
  assert.throws(() => createOptimizer({ name: 'sgd', lr: 0 }), /lr must be a positive number/);
  assert.throws(() => createOptimizer({ name: 'sgd', lr: 0.1, nesterov: true }), /nesterov needs momentum/);
  assert.throws(() => createOptimizer({ name: 'sgd', lr: 0.1, momentum: 1 }), /momentum must be in \[0, 1\)/);
  assert.throws(() => createOptimizer({ name: 'adam', lr: 0.1, beta2: 1.5 }), /beta2/);
  assert.throws(() => createOptimizer({ name: 'sgd', lr: 0.1, weightDecay: -1 }), /weightDecay/);
});
