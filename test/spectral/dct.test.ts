import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { dct2d, idct2d, dctMatrixValues } from '../../src/spectral/dct.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

/** Naive 4-loop orthonormal DCT-II of one H×W map (float64). */
function naiveDct(f: Float32Array, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  const a = (u: number, n: number) => (u === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n));
  for (let u = 0; u < h; u++)
    for (let v = 0; v < w; v++) {
      let s = 0;
      for (let x = 0; x < h; x++)
        for (let y = 0; y < w; y++)
          s += f[x * w + y] * Math.cos((Math.PI * (2 * x + 1) * u) / (2 * h)) * Math.cos((Math.PI * (2 * y + 1) * v) / (2 * w));
      out[u * w + v] = a(u, h) * a(v, w) * s;
    }
  return out;
}

test('D_N is orthonormal: D·Dᵀ = I for several N', () => {
  for (const n of [1, 2, 3, 7, 8, 16]) {
    const d = dctMatrixValues(n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += d[i * n + k] * d[j * n + k];
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-6, `N=${n} (${i},${j}) = ${s}`);
      }
  }
});

test('dct2d matches a naive 4-loop DCT on non-square maps', () => {
  const [b, h, w] = [3, 5, 7];
  const vals = seededValues(b * h * w, 11);
  const x = tf.tensor3d(vals, [b, h, w]);
  const c = dct2d(x);
  const got = c.dataSync();
  tf.dispose([x, c]);
  for (let i = 0; i < b; i++) {
    const ref = naiveDct(vals.subarray(i * h * w, (i + 1) * h * w), h, w);
    for (let k = 0; k < h * w; k++) assert.ok(Math.abs(got[i * h * w + k] - ref[k]) < 1e-5, `map ${i} coef ${k}`);
  }
});

test('idct2d inverts dct2d and energy is preserved (Parseval)', () => {
  const [b, h, w] = [4, 6, 6];
  const vals = seededValues(b * h * w, 3);
  tf.tidy(() => {
    const x = tf.tensor3d(vals, [b, h, w]);
    const c = dct2d(x);
    const back = idct2d(c).dataSync();
    for (let i = 0; i < vals.length; i++) assert.ok(Math.abs(back[i] - vals[i]) < 1e-5);
    const eSpatial = tf.sum(tf.square(x), [1, 2]).dataSync();
    const eDct = tf.sum(tf.square(c), [1, 2]).dataSync();
    for (let i = 0; i < b; i++) assert.ok(Math.abs(eSpatial[i] - eDct[i]) < 1e-4 * eSpatial[i]);
    // A non-constant map has energy outside DC.
    assert.ok(Math.abs(c.dataSync()[1]) > 1e-3);
  });
});

test('dct2d disposes its intermediates', () => {
  const x = tf.tensor3d(seededValues(2 * 4 * 4, 5), [2, 4, 4]);
  const before = tf.memory().numTensors;
  const c = dct2d(x);
  assert.equal(tf.memory().numTensors, before + 1);
  c.dispose();
  x.dispose();
});
