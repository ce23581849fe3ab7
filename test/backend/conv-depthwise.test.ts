/**
 * prunekit's wasm DepthwiseConv2dNativeBackpropInput / ...BackpropFilter against the cpu backend, through
 * tf.grads of depthwiseConv2d(x, w)·R summed, over kernel sizes, strides, paddings and channel multipliers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { relError, runOn, seededValues } from '../helpers/backends.js';

type Pad = 'same' | 'valid' | number;

function depthwiseGrads(n: number, h: number, w: number, c: number, m: number, k: number, s: number, pad: Pad, seed: number) {
  return () => {
    const x = tf.tensor4d(seededValues(n * h * w * c, seed), [n, h, w, c]);
    const f = tf.tensor4d(seededValues(k * k * c * m, seed + 1), [k, k, c, m]);
    return tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad);
      return y.mul(tf.tensor(seededValues(y.size, seed + 2), y.shape)).sum();
    })([x, f]);
  };
}

test('depthwise conv gradients match cpu: kernels 1/3/5 × strides 1/2/3 × same/valid/numeric, multipliers 1 and 2', async () => {
  let seed = 300;
  let count = 0;
  for (const k of [1, 3, 5]) {
    for (const s of [1, 2, 3]) {
      for (const pad of ['same', 'valid', 1] as Pad[]) {
        for (const [h, w, c, m] of [
          [8, 8, 3, 1],
          [7, 9, 4, 2],
          [6, 5, 1, 1],
        ]) {
          const args = [2, h, w, c, m, k, s, pad] as const;
          const ref = await runOn('cpu', depthwiseGrads(...args, seed));
          const got = await runOn('wasm', depthwiseGrads(...args, seed));
          for (let i = 0; i < 2; i++) {
            assert.deepEqual(got.shapes[i], ref.shapes[i]);
            const e = relError(got.values[i], ref.values[i]);
            assert.ok(e < 1e-4, `${JSON.stringify(args)} ${i === 0 ? 'dx' : 'dW'} relative error ${e}`);
          }
          seed += 10;
          count++;
        }
      }
    }
  }
  assert.equal(count, 81);
});

test('depthwise kernels with dilation 2 are the adjoints of the forward dilated conv (cpu forward as reference)', async () => {
  // The cpu backend's depthwise backprop kernels ignore dilations (tfjs only takes gradients at dilation 1),
  // so check the defining identities instead: <dy, conv(x, w)> = <dx(dy, w), x> = <dW(x, dy), w>.
  const [n, h, w, c, m, k] = [2, 7, 7, 3, 2, 3];
  const attrs = { strides: [1, 1], pad: 'same', dilations: [2, 2], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
  for (let probe = 0; probe < 3; probe++) {
    const seed = 40 + 10 * probe;
    const x = () => tf.tensor4d(seededValues(n * h * w * c, seed), [n, h, w, c]);
    const dy = () => tf.tensor4d(seededValues(n * h * w * c * m, seed + 1), [n, h, w, c * m]);
    const f = () => tf.tensor4d(seededValues(k * k * c * m, seed + 2), [k, k, c, m]);
    const forward = await runOn('cpu', () => tf.depthwiseConv2d(x(), f(), 1, 'same', 'NHWC', 2).mul(dy()).sum());
    const grads = await runOn('wasm', () => {
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy(), filter: f() }, { ...attrs, inputShape: [n, h, w, c] }) as tf.Tensor;
      const dW = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: x(), dy: dy() }, { ...attrs, filterShape: [k, k, c, m] }) as tf.Tensor;
      return [dx.mul(x()).sum(), dW.mul(f()).sum()];
    });
    const ref = forward.values[0][0];
    for (const [i, name] of [[0, 'dx'], [1, 'dW']] as const) {
      const v = grads.values[i][0];
      assert.ok(Math.abs(v - ref) <= 1e-4 * Math.max(1, Math.abs(ref)), `${name} adjoint: ${v} vs ${ref}`);
    }
  }
});
