/** The wasm conv-gradient kernels release every intermediate buffer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, seededValues } from '../helpers/backends.js';

function step(k: number, s: number, pad: 'same' | 'valid', depthwise: boolean, ci: number): void {
  tf.tidy(() => {
    const x = tf.tensor4d(seededValues(2 * 8 * 8 * ci, 5), [2, 8, 8, ci]);
    const fShape: [number, number, number, number] = depthwise ? [k, k, ci, 1] : [k, k, ci, 4];
    const f = tf.tensor4d(seededValues(k * k * ci * fShape[3], 6), fShape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      (depthwise ? tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad) : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)).square().sum(),
    )([x, f]);
    dx.dataSync();
    dw.dataSync();
  });
}

test('tensor and wasm buffer counts stay flat over repeated gradient steps (engine leak checks on)', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const wasIsTest = tf.env().getBool('IS_TEST');
  tf.env().set('IS_TEST', true); // the engine then checks every kernel call for leaked data ids
  try {
    // [k, stride, pad, depthwise, ci]: pointwise, strided 1×1, patches (ci 3) and transposed-conv (ci 5)
    // filter-gradient paths, stride-1 and phased input gradients, depthwise on XNNPACK and in JS.
    const configs: Array<[number, number, 'same' | 'valid', boolean, number]> = [
      [1, 1, 'valid', false, 5],
      [1, 2, 'same', false, 5],
      [3, 1, 'same', false, 3],
      [3, 2, 'same', false, 5],
      [5, 3, 'valid', false, 5],
      [3, 2, 'same', true, 3],
      [3, 1, 'valid', true, 2],
    ];
    for (const c of configs) step(...c); // warm-up
    const tensors = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    for (let i = 0; i < 5; i++) for (const c of configs) step(...c);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.backend().numDataIds(), ids);
  } finally {
    tf.env().set('IS_TEST', wasIsTest);
  }
});
