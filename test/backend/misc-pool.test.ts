import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { runOn, seededValues, expectMatchesCpu } from '../helpers/backends.js';

const TOL = 1e-4;

const compare = (name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> => expectMatchesCpu(name, fn, TOL);

/** Values quantised to a few levels so that windows contain ties. */
function withTies(n: number, seed: number): Float32Array {
  return seededValues(n, seed).map((v) => Math.round(v * 2) / 2);
}

type Case = { shape: [number, number, number, number]; filter: number | [number, number]; stride: number | [number, number]; pad: 'same' | 'valid' };
const CASES: Case[] = [
  { shape: [2, 4, 4, 3], filter: 2, stride: 2, pad: 'valid' },
  { shape: [1, 7, 5, 2], filter: 3, stride: 2, pad: 'same' },
  { shape: [2, 9, 9, 4], filter: 3, stride: 1, pad: 'same' },
  { shape: [1, 6, 7, 1], filter: [2, 3], stride: [1, 2], pad: 'valid' },
  { shape: [3, 5, 5, 5], filter: 2, stride: 2, pad: 'same' },
  { shape: [1, 8, 8, 2], filter: 3, stride: 3, pad: 'valid' },
  // 2×2/2: the SIMD kernel (odd edges left without gradient; 'same' on even sizes); channels four at a time, the
  // last c mod 4 in its scalar loop (the first case above: c = 3, scalar only)
  { shape: [2, 5, 7, 8], filter: 2, stride: 2, pad: 'valid' },
  { shape: [2, 6, 6, 4], filter: 2, stride: 2, pad: 'same' },
  { shape: [2, 6, 8, 6], filter: 2, stride: 2, pad: 'valid' },
  { shape: [2, 5, 7, 7], filter: 2, stride: 2, pad: 'valid' },
  { shape: [1, 4, 6, 13], filter: 2, stride: 2, pad: 'same' },
];

for (const c of CASES) {
  const desc = `${c.shape} filter ${c.filter} stride ${c.stride} ${c.pad}`;
  test(`MaxPoolGrad with ties (${desc}) matches cpu`, async () => {
    await compare('maxPool grad', () => {
      const x = tf.tensor4d(withTies(c.shape.reduce((p, q) => p * q), 17), c.shape);
      const g = tf.grad((v: tf.Tensor) => {
        const y = tf.maxPool(v as tf.Tensor4D, c.filter, c.stride, c.pad);
        return tf.sum(tf.mul(y, tf.tensor(seededValues(y.size, 23), y.shape)));
      });
      return g(x);
    });
  });
  test(`AvgPoolGrad (${desc}) matches cpu`, async () => {
    await compare('avgPool grad', () => {
      const x = tf.tensor4d(seededValues(c.shape.reduce((p, q) => p * q), 18), c.shape);
      const g = tf.grad((v: tf.Tensor) => {
        const y = tf.avgPool(v as tf.Tensor4D, c.filter, c.stride, c.pad);
        return tf.sum(tf.mul(y, tf.tensor(seededValues(y.size, 19), y.shape)));
      });
      return g(x);
    });
  });
}

test('MaxPoolGrad (2×2/2, SIMD lanes and scalar tail) gives NaN and −∞ no gradient and a tie to the first maximum', async () => {
  // c = 5: channel 0–3 in the vector lanes, channel 4 in the scalar loop; the same window in every channel
  const win = [[NaN, 2, 2, 1], [-Infinity, -Infinity, -Infinity, -Infinity], [3, NaN, 3, 4], [0, 0, 0, 0], [1, 5, -Infinity, 5]];
  const c = 5;
  const x = new Float32Array(4 * c);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < 4; p++) x[p * c + ch] = win[(ch + (ch === 4 ? 1 : 0)) % win.length][p];
  const r = await runOn('wasm', () => tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(x, [1, 2, 2, c])));
  const expected = (w: number[]): number[] => {
    let best = -Infinity;
    let at = -1;
    w.forEach((v, i) => {
      if (v > best) [best, at] = [v, i];
    });
    return w.map((_, i) => (i === at ? 1 : 0));
  };
  for (let ch = 0; ch < c; ch++) {
    const got = [0, 1, 2, 3].map((p) => r.values[0][p * c + ch]);
    assert.deepEqual(got, expected(win[(ch + (ch === 4 ? 1 : 0)) % win.length]), `channel ${ch}`);
  }
});

test('MaxPoolGrad sends a tied window gradient to the first maximum only', async () => {
  const r = await runOn('wasm', () => {
    const x = tf.tensor4d([1, 1, 1, 1], [1, 2, 2, 1]);
    return tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(x);
  });
  assert.deepEqual(Array.from(r.values[0]), [1, 0, 0, 0]);
});
