/**
 * prunekit's wasm Conv2DBackpropInput / Conv2DBackpropFilter against the cpu backend, through tf.grads of
 * conv2d(x, w)·R summed (the real gradient path), over kernel sizes, strides, paddings and channel counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { relError, runOn, seededValues } from '../helpers/backends.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
}

function convGrads(c: Case, seed: number): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(seededValues(c.n * c.h * c.w * c.ci, seed), [c.n, c.h, c.w, c.ci]);
    const f = tf.tensor4d(seededValues(c.k * c.k * c.ci * c.co, seed + 1), [c.k, c.k, c.ci, c.co]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad as 'same');
      const r = tf.tensor(seededValues(y.size, seed + 2), y.shape);
      return y.mul(r).sum();
    });
    return g([x, f]);
  };
}

async function compare(c: Case, seed: number): Promise<void> {
  const ref = await runOn('cpu', convGrads(c, seed));
  const got = await runOn('wasm', convGrads(c, seed));
  const label = JSON.stringify(c);
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(got.shapes[i], ref.shapes[i], `${label}: shape of ${i === 0 ? 'dx' : 'dW'}`);
    const e = relError(got.values[i], ref.values[i]);
    assert.ok(e < 1e-4, `${label}: ${i === 0 ? 'dx' : 'dW'} relative error ${e}`);
  }
}

const ASYM: Pad = [
  [0, 0],
  [1, 2],
  [2, 0],
  [0, 0],
];

test('conv2d gradients match cpu: kernels 1/3/5 × strides 1/2/3 × same/valid/explicit, even and odd sizes', async () => {
  let seed = 100;
  let count = 0;
  for (const k of [1, 3, 5]) {
    for (const s of [1, 2, 3]) {
      for (const pad of ['same', 'valid', ASYM] as Pad[]) {
        // even sizes give asymmetric 'same' pads with stride 2; 7×9 exercises unequal axes and leftover rows;
        // ci ≤ 3 takes the patches path of the filter gradient, ci = 4 the transposed-conv path.
        for (const [h, w, ci, co] of [
          [8, 8, 3, 4],
          [7, 9, 1, 2],
          [6, 7, 4, 3],
        ]) {
          await compare({ n: 2, h, w, ci, co, k, s, pad }, seed);
          seed += 10;
          count++;
        }
      }
    }
  }
  assert.equal(count, 81);
});

test('conv2d gradients match cpu: wider channels, batch 1, numeric pads, pads larger than the kernel', async () => {
  const cases: Case[] = [
    { n: 1, h: 6, w: 6, ci: 16, co: 24, k: 3, s: 1, pad: 'same' },
    { n: 3, h: 10, w: 10, ci: 8, co: 16, k: 3, s: 2, pad: 'same' },
    { n: 2, h: 9, w: 9, ci: 5, co: 3, k: 5, s: 2, pad: 1 },
    { n: 2, h: 6, w: 5, ci: 2, co: 3, k: 1, s: 1, pad: [[0, 0], [2, 1], [3, 0], [0, 0]] },
    { n: 2, h: 6, w: 7, ci: 2, co: 3, k: 3, s: 3, pad: [[0, 0], [4, 0], [0, 3], [0, 0]] },
    { n: 2, h: 4, w: 4, ci: 3, co: 2, k: 4, s: 2, pad: 'same' },
    { n: 2, h: 11, w: 3, ci: 1, co: 1, k: 2, s: 3, pad: 'valid' },
  ];
  let seed = 900;
  for (const c of cases) await compare(c, (seed += 10));
});

test('conv2dTranspose (a direct user of Conv2DBackpropInput) matches cpu', async () => {
  const fn = () => {
    const x = tf.tensor4d(seededValues(2 * 5 * 5 * 6, 7), [2, 5, 5, 6]);
    const f = tf.tensor4d(seededValues(3 * 3 * 4 * 6, 8), [3, 3, 4, 6]);
    return tf.conv2dTranspose(x, f, [2, 10, 10, 4], 2, 'same');
  };
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  assert.ok(relError(got.values[0], ref.values[0]) < 1e-4);
});

test('direct runKernel calls of both kernels match cpu', async () => {
  const x = () => tf.tensor4d(seededValues(2 * 8 * 6 * 3, 21), [2, 8, 6, 3]);
  const dy = () => tf.tensor4d(seededValues(2 * 4 * 3 * 5, 22), [2, 4, 3, 5]);
  const f = () => tf.tensor4d(seededValues(3 * 3 * 3 * 5, 23), [3, 3, 3, 5]);
  const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
  const fn = () => [
    tf.engine().runKernel('Conv2DBackpropInput', { dy: dy(), filter: f() }, { ...attrs, inputShape: [2, 8, 6, 3] }) as tf.Tensor,
    tf.engine().runKernel('Conv2DBackpropFilter', { x: x(), dy: dy() }, { ...attrs, filterShape: [3, 3, 3, 5] }) as tf.Tensor,
  ];
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  for (let i = 0; i < 2; i++) assert.ok(relError(got.values[i], ref.values[i]) < 1e-4, `output ${i}`);
});

test('NCHW and mismatched dy shapes give clear errors', async () => {
  await runOn('wasm', () => tf.scalar(0));
  tf.tidy(() => {
    const dy = tf.zeros([1, 4, 4, 2]);
    const filter = tf.zeros([3, 3, 1, 2]);
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 1, pad: 'same', dataFormat: 'NCHW', inputShape: [1, 4, 4, 1] }),
      /Conv2DBackpropInput: dataFormat 'NCHW' is not supported; use NHWC/,
    );
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.zeros([1, 5, 5, 1]), dy }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, 2] }),
      /Conv2DBackpropFilter: dy has shape \[1,4,4,2\] but the forward conv .* gives \[1,3,3,2\]/,
    );
  });
});

test("dimRoundingMode 'ceil' (an extra output row past the padded edge) matches cpu", async () => {
  // x 8×7, k 3, stride 2, pad 1: ceil gives 5×4 outputs where floor would give 4×4.
  const attrs = { strides: [2, 2], pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil' } as unknown as tf.NamedAttrMap;
  const fn = () => {
    const x = tf.tensor4d(seededValues(2 * 8 * 7 * 3, 61), [2, 8, 7, 3]);
    const dy = tf.tensor4d(seededValues(2 * 5 * 4 * 4, 62), [2, 5, 4, 4]);
    const f = tf.tensor4d(seededValues(3 * 3 * 3 * 4, 63), [3, 3, 3, 4]);
    return [
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: [2, 8, 7, 3] }) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, 3, 4] }) as tf.Tensor,
    ];
  };
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  for (let i = 0; i < 2; i++) assert.ok(relError(got.values[i], ref.values[i]) < 1e-4, `output ${i}`);
});

test('fused conv2d (bias + relu, as tfjs-layers uses) gradients match cpu', async () => {
  const fn = () => {
    const x = tf.tensor4d(seededValues(2 * 9 * 9 * 3, 71), [2, 9, 9, 3]);
    const f = tf.tensor4d(seededValues(3 * 3 * 3 * 8, 72), [3, 3, 3, 8]);
    const bias = tf.tensor1d(seededValues(8, 73));
    return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const y = tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same', bias: c, activation: 'relu' });
      return y.mul(tf.tensor(seededValues(y.size, 74), y.shape)).sum();
    })([x, f, bias]);
  };
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  for (let i = 0; i < 3; i++) assert.ok(relError(got.values[i], ref.values[i]) < 1e-4, `gradient ${i}`);
});
