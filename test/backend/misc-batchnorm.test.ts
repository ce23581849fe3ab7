import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, seededValues, expectMatchesCpu } from '../helpers/backends.js';
import { batchNormTraining } from '../../src/backend/kernels/misc/batch-norm-train.js';

const TOL = 1e-4;
const t = (shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor =>
  tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed).map((v) => v * scale + offset), shape);

const compare = (name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> => expectMatchesCpu(name, fn, TOL);

/** Frees a layer's weights (Layer.dispose refuses layers never applied symbolically). */
function disposeLayer(layer: tf.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

/** One training-mode BN layer step: output, grads of x/gamma/beta, and the updated moving statistics. */
function layerStep(shape: number[], seed: number): tf.Tensor[] {
  const c = shape[shape.length - 1];
  const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
  layer.build(shape);
  layer.setWeights([t([c], seed + 1, 0.5, 1), t([c], seed + 2), t([c], seed + 3), t([c], seed + 4, 0.2, 1)]);
  const x = tf.variable(t(shape, seed, 3, 0.5));
  const w = t(shape, seed + 5);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, [x, gamma, beta]);
  const y = layer.apply(x, { training: false }) as tf.Tensor; // inference path with the updated moving stats
  const out = [value, grads[x.name], grads[gamma.name], grads[beta.name], y, ...layer.getWeights().slice(2).map((v) => v.clone())];
  x.dispose();
  disposeLayer(layer);
  return out;
}

// every channel count takes the wasm-SIMD passes (simd/batch-norm.ts); c not a multiple of 4 as rows of t·c channels
// (t = 2 or 4) with a JS tail of rows % t rows: [2, 3, 3, 1] (tail 2), [7, 13] (tail 3), [3, 5, 3, 6] (tail 1)
for (const shape of [[4, 5, 3, 6], [16, 7], [2, 3, 3, 1], [4, 5, 3, 8], [9, 32], [7, 13], [3, 5, 3, 6]]) {
  test(`BatchNormalization layer training step on ${shape} matches cpu (output, grads, moving stats)`, async () => {
    await compare('bn layer', () => layerStep(shape, 31));
  });
}

// inference batch norm (FusedBatchNorm, batch-norm-inference.ts): one SIMD affine pass (+ a JS tail); with and without
// scale / offset, on rank 4 and 2, and with parameters shaped [1, 1, 1, c]
for (const [shape, withAffine, paramShape] of [
  [[4, 5, 3, 8], true, undefined], [[4, 5, 3, 8], false, undefined], [[9, 32], true, undefined], [[4, 5, 3, 6], true, undefined],
  [[2, 3, 3, 12], true, [1, 1, 1, 12]],
  // c not a multiple of 4: SIMD over rows of t·c channels (t = 2 or 4) plus a JS tail of rows % t rows
  [[3, 5, 3, 6], true, undefined], [[7, 13], true, undefined], [[2, 3], false, undefined], [[5, 2, 1, 17], true, [17]],
] as [number[], boolean, number[] | undefined][]) {
  test(`tf.batchNorm (inference) on ${shape}${withAffine ? '' : ' without scale/offset'}${paramShape ? ` with parameters ${paramShape}` : ''} matches cpu`, async () => {
    const c = shape[shape.length - 1];
    const p = (seed: number, scale = 1, offset = 0) => t(paramShape ?? [c], seed, scale, offset);
    await compare('batchNorm', () => {
      const x = t(shape, 51, 3, 0.5);
      const variance = tf.abs(p(53, 2, 0.1));
      return tf.batchNorm(x, p(52), variance, withAffine ? p(54) : undefined, withAffine ? p(55, 0.5, 1) : undefined, 1e-3);
    });
  });
}

test('on wasm the BN layer runs the fused op in training and the stock kernels in inference', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const layer = tf.layers.batchNormalization({});
  layer.build([2, 3]);
  const x = t([2, 3], 1);
  const names = async (training: boolean): Promise<string[]> =>
    (await tf.profile(() => layer.apply(x, { training }) as tf.Tensor)).kernels.map((k) => k.name);
  assert.ok((await names(true)).includes('PrunekitBatchNormTrain'));
  assert.ok(!(await names(false)).includes('PrunekitBatchNormTrain'));
  assert.equal(layer.getClassName(), 'BatchNormalization');
  assert.deepEqual(Object.keys(layer.getConfig()).sort(), Object.keys(tf.layers.batchNormalization({}).getConfig()).sort());
  x.dispose();
  disposeLayer(layer);
});

test('batchNormTraining: gradients through y, mean and variance match the tf.moments reference', async () => {
  const fn = (): tf.Tensor[] => {
    const x = t([6, 2, 2, 4], 41, 2, -1);
    const gamma = t([4], 42, 0.5, 1) as tf.Tensor1D;
    const beta = t([4], 43) as tf.Tensor1D;
    const [w1, w2, w3] = [t([6, 2, 2, 4], 44), t([4], 45), t([4], 46)];
    const f = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      let y: tf.Tensor;
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (tf.getBackend() === 'wasm') {
        [y, mean, variance] = batchNormTraining(xv, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      } else {
        ({ mean, variance } = tf.moments(xv, [0, 1, 2]));
        y = tf.batchNorm(xv, mean, variance, b, g, 1e-3);
      }
      return tf.addN([tf.sum(tf.mul(y, w1)), tf.sum(tf.mul(mean, w2)), tf.sum(tf.mul(variance, w3))]);
    };
    return [f(x, gamma, beta), ...tf.grads(f)([x, gamma, beta])];
  };
  await compare('bn op', fn);
});

test('batchNormTraining rejects mismatched gamma with a clear error', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  assert.throws(() => tf.tidy(() => batchNormTraining(t([2, 3], 1), t([4], 2) as tf.Tensor1D, t([3], 3) as tf.Tensor1D, 1e-3)), /gamma\/beta must have 3 entries/);
});

test('BN training step: the SIMD passes and the JS loops agree with cpu (same shape, PRUNEKIT_WASM_SIMD on/off)', async () => {
  const saved = process.env.PRUNEKIT_WASM_SIMD;
  try {
    for (const mode of ['on', 'off']) {
      process.env.PRUNEKIT_WASM_SIMD = mode;
      await compare(`bn layer simd ${mode}`, () => layerStep([3, 4, 4, 12], 61));
    }
  } finally {
    if (saved === undefined) delete process.env.PRUNEKIT_WASM_SIMD;
    else process.env.PRUNEKIT_WASM_SIMD = saved;
  }
});
