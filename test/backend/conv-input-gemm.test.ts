/**
 * Conv2DBackpropInput as one GEMM + SIMD col2im for stride-1 layers with a small dy and a large filter
 * (src/backend/kernels/conv/backprop-input-gemm.ts) against the cpu backend: same / valid / explicit asymmetric
 * pads, 1×1, 2×2 and 3×3 kernels; the route applies where expected, the phased route gives the same result, and
 * no heap buffer is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { relError, runOn, seededValues } from '../helpers/backends.js';
import { gemmInputGradApplies, setGemmInputGrad } from '../../src/backend/kernels/conv/backprop-input-gemm.js';
import { convGeometry } from '../../src/backend/kernels/conv/geometry.js';

type Pad = 'same' | 'valid' | number[][];
const CASES: Array<{ x: [number, number, number, number]; co: number; k: number; pad: Pad }> = [
  { x: [2, 3, 3, 8], co: 16, k: 3, pad: 'same' },
  { x: [2, 4, 4, 16], co: 32, k: 3, pad: 'same' },
  { x: [3, 3, 4, 12], co: 20, k: 2, pad: 'valid' },
  { x: [2, 4, 3, 8], co: 24, k: 3, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [1, 1, 2, 8], co: 40, k: 1, pad: 'valid' },
];

function inputGrad(c: (typeof CASES)[number], seed: number): () => tf.Tensor {
  return () => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.co];
    const filter = tf.tensor4d(seededValues(filterShape.reduce((p, q) => p * q, 1), seed), filterShape);
    const y = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, filter, 1, c.pad as 'same');
    const dy = tf.tensor(seededValues(y.size, seed + 1), y.shape);
    const attrs = { strides: [1, 1], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x };
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
}

test('input gradient as GEMM + col2im: applies to small-dy layers, matches cpu and the phased route, leaves no buffers', async () => {
  let seed = 500;
  for (const c of CASES) {
    const g = convGeometry('test', c.x, [c.k, c.k, c.x[3], c.co], { strides: 1, pad: c.pad as 'same', dataFormat: 'NHWC' }, false);
    assert.ok(gemmInputGradApplies(g), `route should apply to ${JSON.stringify(c)}`);
    const ref = await runOn('cpu', inputGrad(c, seed));
    await runOn('wasm', () => tf.scalar(0));
    const before = tf.engine().backend.numDataIds();
    const got = await runOn('wasm', inputGrad(c, seed));
    await tf.setBackend('wasm');
    assert.equal(tf.engine().backend.numDataIds(), before, `heap buffers left (${JSON.stringify(c)})`);
    setGemmInputGrad(false);
    const phased = await runOn('wasm', inputGrad(c, seed)).finally(() => setGemmInputGrad(true));
    assert.deepEqual(got.shapes[0], ref.shapes[0]);
    for (const [what, v] of [['gemm', got], ['phased', phased]] as const) {
      const e = relError(v.values[0], ref.values[0]);
      assert.ok(e < 1e-4, `${what} ${JSON.stringify(c)}: relative error ${e}`);
    }
    seed += 10;
  }
  const big = convGeometry('test', [128, 28, 28, 32], [3, 3, 32, 32], { strides: 1, pad: 'same' }, false);
  assert.ok(!gemmInputGradApplies(big), 'a small CNN layer (dy ≫ filter) keeps the phased route');
  const strided = convGeometry('test', [2, 4, 4, 16], [3, 3, 16, 32], { strides: 2, pad: 'same' }, false);
  assert.ok(!gemmInputGradApplies(strided), 'stride 2 keeps the phased route');
});
