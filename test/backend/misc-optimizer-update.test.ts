import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, relError, seededValues } from '../helpers/backends.js';
import { createOptimizer, type OptimizerSpec, type TrainableVar } from '../../src/train/optimizers.js';
import { canFuseOptimizerUpdate } from '../../src/backend/kernels/misc/optimizer-update.js';

// Three weights with different names (decay 'kernels' applies to the first only) and a loss whose
// gradients vary per element: Σ_i sum(c_i ⊙ w_i²)/2 + sum(d_i ⊙ w_i) + (Σ w_0)².
const SHAPES = [[5, 7], [7], [3, 2, 4]];
const NAMES = ['fc/kernel', 'fc/bias', 'bn/gamma'];

interface Run {
  weights: Float32Array[];
  state: Array<{ name: string; values: Float32Array }>;
  iterations: number;
}

function makeVars(tag: string): TrainableVar[] {
  return SHAPES.map((s, i) => ({
    name: NAMES[i],
    variable: tf.variable(tf.tensor(seededValues(s.reduce((p, q) => p * q, 1), 10 + i), s), true, `optfuse_${tag}_${i}_${Math.random()}`),
  }));
}

function loss(vars: TrainableVar[]): () => tf.Scalar {
  return () =>
    tf.tidy(() => {
      const terms = vars.map((v, i) => {
        const c = tf.abs(tf.tensor(seededValues(v.variable.size, 30 + i), v.variable.shape));
        const d = tf.tensor(seededValues(v.variable.size, 40 + i), v.variable.shape);
        return tf.add(tf.sum(tf.mul(tf.mul(c, tf.square(v.variable)), 0.5)), tf.sum(tf.mul(d, v.variable)));
      });
      return tf.add(tf.addN(terms), tf.square(tf.sum(vars[0].variable))) as tf.Scalar;
    });
}

async function train(backend: 'cpu' | 'wasm', spec: OptimizerSpec, lrs: number[], resumeAt?: number): Promise<Run> {
  await tf.setBackend(backend);
  const vars = makeVars(backend);
  let opt = createOptimizer(spec);
  for (let t = 0; t < lrs.length; t++) {
    if (t === resumeAt) {
      // checkpoint round trip: a fresh optimiser continues from the saved state
      const state = await opt.getState();
      opt.dispose();
      opt = createOptimizer(spec);
      await opt.setState(state);
      tf.dispose(state.map((s) => s.tensor));
    }
    opt.setLearningRate(lrs[t]);
    opt.step(loss(vars), vars).dispose();
  }
  const state = await opt.getState();
  const out: Run = {
    weights: vars.map((v) => Float32Array.from(v.variable.dataSync() as Float32Array)),
    state: state.map((s) => ({ name: s.name, values: Float32Array.from(s.tensor.dataSync() as Float32Array) })),
    iterations: opt.iterations,
  };
  tf.dispose(state.map((s) => s.tensor));
  opt.dispose();
  tf.dispose(vars.map((v) => v.variable));
  return out;
}

const LRS = [0.05, 0.02, 0.08, 0.01, 0.05, 0.03];
const SPECS: OptimizerSpec[] = [
  { name: 'adam', lr: 0.05 },
  { name: 'adam', lr: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 },
  { name: 'adam', lr: 0.05, weightDecay: 0.1, decay: 'kernels' },
  { name: 'sgd', lr: 0.05 },
  { name: 'sgd', lr: 0.05, weightDecay: 5e-3 },
  { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-3 },
  { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.02, decay: 'kernels' },
];

for (const spec of SPECS) {
  test(`fused wasm optimiser update matches tf.train on cpu: ${JSON.stringify(spec)}`, async () => {
    await ensureWasm();
    const ref = await train('cpu', spec, LRS);
    const got = await train('wasm', spec, LRS);
    assert.ok(canFuseOptimizerUpdate(), 'the fused path should be active on wasm');
    assert.equal(got.iterations, ref.iterations);
    got.weights.forEach((w, i) => {
      const e = relError(w, ref.weights[i]);
      assert.ok(e < 1e-4, `weight ${NAMES[i]}: relative error ${e}`);
    });
    // the optimiser state (slots, bias-correction accumulators) is the same, under the same names
    assert.deepEqual(
      got.state.map((s) => s.name.replace(/optfuse_wasm_(\d+)_[0-9.e-]+/, 'w$1')),
      ref.state.map((s) => s.name.replace(/optfuse_cpu_(\d+)_[0-9.e-]+/, 'w$1')),
    );
    got.state.forEach((s, i) => {
      const e = relError(s.values, ref.state[i].values);
      assert.ok(e < 1e-4, `state ${s.name}: relative error ${e}`);
    });
    // resuming from getState/setState mid-run gives the uninterrupted result
    const resumed = await train('wasm', spec, LRS, 3);
    resumed.weights.forEach((w, i) => assert.ok(relError(w, got.weights[i]) < 1e-6, `resumed weight ${NAMES[i]}`));
  });
}

test('fused optimiser steps leak neither tensors nor wasm buffers', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  for (const spec of [SPECS[1], SPECS[5]]) {
    const vars = makeVars('leak');
    const opt = createOptimizer(spec);
    opt.step(loss(vars), vars).dispose(); // creates the slots
    const tensors = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    for (let i = 0; i < 5; i++) opt.step(loss(vars), vars).dispose();
    assert.equal(tf.memory().numTensors, tensors, `${spec.name}: tensor count grew`);
    assert.equal(tf.backend().numDataIds(), ids, `${spec.name}: wasm buffer count grew`);
    opt.dispose();
    tf.dispose(vars.map((v) => v.variable));
  }
});

test('a clone of a variable keeps its value when the fused update changes the variable', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const vars = makeVars('clone');
  const before = Float32Array.from(vars[0].variable.dataSync() as Float32Array);
  const copy = tf.clone(vars[0].variable); // shares the buffer
  const opt = createOptimizer({ name: 'adam', lr: 0.1 });
  opt.step(loss(vars), vars).dispose();
  assert.deepEqual(Float32Array.from(copy.dataSync() as Float32Array), before);
  assert.notDeepEqual(Float32Array.from(vars[0].variable.dataSync() as Float32Array), before);
  opt.dispose();
  tf.dispose([copy, ...vars.map((v) => v.variable)]);
});
