import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, seededValues } from '../helpers/backends.js';

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);

let bn: tf.layers.Layer | undefined;

function bnLayer(): tf.layers.Layer {
  if (bn === undefined) {
    bn = tf.layers.batchNormalization({});
    bn.build([4, 3, 3, 8]); // 8 channels: the SIMD passes (scratch buffers must be freed)
  }
  return bn;
}

function step(): void {
  const layer = bnLayer();
  tf.tidy(() => {
    // batch-norm training step through the fused op (moving statistics are updated in place)
    const xb = tf.variable(t([4, 3, 3, 8], 10));
    const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(xb, { training: true }) as tf.Tensor)) as tf.Scalar, [xb, gamma, beta]);
    tf.dispose([value, ...Object.values(grads)]);
    xb.dispose();
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        // both routes: small B (direct) and large B (swapped)
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a, b, ta, tb)))([t(ta ? [6, 3] : [3, 6], 1), t(tb ? [4, 6] : [6, 4], 2)]);
        tf.matMul(t(ta ? [64, 2] : [2, 64], 3), t(tb ? [80, 64] : [64, 80], 4), ta, tb);
        tf.fused.matMul({ a: t(ta ? [5, 3] : [3, 5], 5) as tf.Tensor2D, b: t(tb ? [2, 5] : [5, 2], 6) as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: t([2], 7), activation: 'relu' });
      }
    }
    const x = t([2, 6, 6, 3], 8) as tf.Tensor4D;
    tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'same')))(x);
    tf.grad((v: tf.Tensor) => tf.sum(tf.avgPool(v as tf.Tensor4D, 3, 2, 'valid')))(x);
    tf.tile(t([1, 1, 1, 3], 9), [2, 3, 3, 1]);
    tf.sum(x, [0, 1, 2]);
    tf.mean(x, [0, 1, 2], true);
  });
}

test('misc wasm kernels leak neither tensors nor backend buffers over repeated calls', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  step();
  const tensors = tf.memory().numTensors;
  const ids = tf.backend().numDataIds();
  for (let i = 0; i < 10; i++) step();
  assert.equal(tf.memory().numTensors, tensors, 'tensor count grew');
  assert.equal(tf.backend().numDataIds(), ids, 'wasm buffer count grew');
});
