import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, expectMatchesCpu, seededValues } from '../helpers/backends.js';
import { registerMiscKernels } from '../../src/backend/kernels/misc/index.js';

registerMiscKernels();

/** Values with exact zeros and negatives: the gradient at 0 must be 0 (step(0) = 0), as in tfjs-core. */
function input(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed).map((v, i) => (i % 7 === 0 ? 0 : v)), shape);
}

for (const shape of [[2, 5, 3, 8], [7, 13], [3]]) {
  test(`tf.relu gradient on ${shape} (one SIMD pass on wasm) matches cpu, zeros included`, async () => {
    await expectMatchesCpu('relu grad', () => {
      const x = input(shape, 61);
      const w = input(shape, 62);
      return [tf.relu(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(x)];
    }, 1e-6);
  });
}

test('on wasm the relu gradient runs PrunekitReluGrad, not Step + Multiply; no tensor leaks', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const x = input([4, 6, 6, 8], 63);
  const before = tf.memory().numTensors;
  const names = (await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(x))).kernels.map((k) => k.name);
  assert.ok(names.includes('PrunekitReluGrad'), names.join(','));
  assert.ok(!names.includes('Step'), names.join(','));
  assert.equal(tf.memory().numTensors, before + 1, 'only the gradient is left'); // tf.profile returns it
  x.dispose();
});
