/**
 * Fused wasm-SIMD optimiser updates (src/backend/kernels/simd/fused-update.ts via src/train/fused-step.ts):
 * several steps of Adam / momentum / Nesterov / SGD, with and without coupled L2, on variables whose sizes are
 * and are not multiples of 4 (the JS tail), give the cpu backend's weights and optimiser state (rel err < 1e-4),
 * and leak nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, relError, seededValues } from '../helpers/backends.js';
import { createOptimizer, type OptimizerSpec } from '../../src/train/optimizers.js';
import { fusedUpdatesAvailable } from '../../src/backend/kernels/simd/fused-update.js';

const SHAPES = [[7, 5], [16], [3], [2, 3, 3, 4]];

async function run(backend: 'cpu' | 'wasm', spec: OptimizerSpec, steps: number): Promise<{ weights: Float32Array[]; state: Float32Array[]; fused: boolean }> {
  if (backend === 'wasm') await ensureWasm();
  await tf.setBackend(backend);
  const vars = SHAPES.map((s, i) => ({ name: i % 2 === 0 ? `l${i}/kernel` : `l${i}/bias`, variable: tf.variable(tf.tensor(seededValues(s.reduce((p, q) => p * q, 1), 10 + i), s)) }));
  const targets = SHAPES.map((s, i) => tf.tensor(seededValues(s.reduce((p, q) => p * q, 1), 50 + i), s));
  const opt = createOptimizer(spec);
  const loss = (): tf.Scalar => tf.addN(vars.map((v, i) => tf.sum(tf.square(tf.sub(tf.mul(v.variable, v.variable), targets[i]))))) as tf.Scalar;
  opt.step(loss, vars).dispose();
  const before = tf.memory().numTensors;
  for (let s = 1; s < steps; s++) opt.step(loss, vars).dispose();
  assert.equal(tf.memory().numTensors, before, `${backend} ${spec.name}: tensors leaked during steps`);
  const weights = vars.map((v) => Float32Array.from(v.variable.dataSync() as Float32Array));
  const st = await opt.getState();
  const state = st.map((s) => Float32Array.from(s.tensor.dataSync() as Float32Array));
  tf.dispose(st.map((s) => s.tensor));
  const fused = fusedUpdatesAvailable();
  opt.dispose();
  tf.dispose([...targets, ...vars.map((v) => v.variable)]);
  return { weights, state, fused };
}

const SPECS: OptimizerSpec[] = [
  { name: 'adam', lr: 0.01 },
  { name: 'adam', lr: 0.003, weightDecay: 0.01, decay: 'kernels', beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  { name: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 5e-4 },
  { name: 'sgd', lr: 0.02, momentum: 0.9, nesterov: true },
  { name: 'sgd', lr: 0.05 },
  { name: 'sgd', lr: 0.05, weightDecay: 0.1 },
];

for (const spec of SPECS) {
  test(`fused ${JSON.stringify(spec)}: 6 steps match cpu (weights and optimiser state), no leaks`, async () => {
    const ref = await run('cpu', spec, 6);
    const got = await run('wasm', spec, 6);
    assert.ok(got.fused, 'the fused SIMD path was not available on wasm');
    assert.equal(got.state.length, ref.state.length, 'optimiser state entries');
    ref.weights.forEach((r, i) => assert.ok(relError(got.weights[i], r) < 1e-4, `weight ${i}: rel err ${relError(got.weights[i], r)}`));
    ref.state.forEach((r, i) => assert.ok(relError(got.state[i], r) < 1e-4, `state ${i}: rel err ${relError(got.state[i], r)}`));
  });
}

test('PRUNEKIT_WASM_SIMD-independent: the SIMD module instantiates on the wasm heap', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  assert.ok(fusedUpdatesAvailable());
  await tf.setBackend('cpu');
  assert.equal(fusedUpdatesAvailable(), false, 'never on another backend');
});
