import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { dft2d, idft2d, signedFrequency } from '../../src/spectral/fft.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

/** Naive 4-loop forward DFT of one real H×W map (float64). */
function naiveDft(f: Float32Array, h: number, w: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(h * w);
  const im = new Float64Array(h * w);
  for (let u = 0; u < h; u++)
    for (let v = 0; v < w; v++) {
      let sr = 0;
      let si = 0;
      for (let x = 0; x < h; x++)
        for (let y = 0; y < w; y++) {
          const a = -2 * Math.PI * ((u * x) / h + (v * y) / w);
          sr += f[x * w + y] * Math.cos(a);
          si += f[x * w + y] * Math.sin(a);
        }
      re[u * w + v] = sr;
      im[u * w + v] = si;
    }
  return { re, im };
}

test('dft2d matches a naive DFT loop on non-square, odd and even maps', () => {
  for (const [b, h, w] of [[2, 5, 7], [1, 8, 6], [1, 28, 28]]) {
    const vals = seededValues(b * h * w, h * 31 + w);
    const x = tf.tensor3d(vals, [b, h, w]);
    const y = dft2d(x);
    const re = y.re.dataSync();
    const im = y.im.dataSync();
    tf.dispose([x, y.re, y.im]);
    for (let i = 0; i < b; i++) {
      const ref = naiveDft(vals.subarray(i * h * w, (i + 1) * h * w), h, w);
      for (let k = 0; k < h * w; k++) {
        assert.ok(Math.abs(re[i * h * w + k] - ref.re[k]) < 1e-3, `[${h}×${w}] re ${k}: ${re[i * h * w + k]} vs ${ref.re[k]}`);
        assert.ok(Math.abs(im[i * h * w + k] - ref.im[k]) < 1e-3, `[${h}×${w}] im ${k}`);
      }
    }
  }
});

test('idft2d inverts dft2d (complex input) and Parseval holds', () => {
  const [b, h, w] = [3, 6, 9];
  const a = seededValues(b * h * w, 5);
  const c = seededValues(b * h * w, 6);
  tf.tidy(() => {
    const re = tf.tensor3d(a, [b, h, w]);
    const im = tf.tensor3d(c, [b, h, w]);
    const f = dft2d(re, im);
    const back = idft2d(f.re, f.im);
    const br = back.re.dataSync();
    const bi = back.im.dataSync();
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(br[i] - a[i]) < 1e-5 && Math.abs(bi[i] - c[i]) < 1e-5, `element ${i}`);
    }
    const eSpace = tf.add(tf.sum(tf.square(re)), tf.sum(tf.square(im))).dataSync()[0];
    const eFreq = tf.add(tf.sum(tf.square(f.re)), tf.sum(tf.square(f.im))).dataSync()[0] / (h * w);
    assert.ok(Math.abs(eSpace - eFreq) < 1e-4 * eSpace);
  });
});

test('DC coefficient is the sum; a pure cosine lands on ±k; tensors are not leaked', () => {
  const before = tf.memory().numTensors;
  const [h, w] = [8, 8];
  const vals = new Float32Array(h * w);
  for (let x = 0; x < h; x++) for (let y = 0; y < w; y++) vals[x * w + y] = 1 + Math.cos((2 * Math.PI * 3 * y) / w);
  const x = tf.tensor3d(vals, [1, h, w]);
  const f = dft2d(x);
  const re = f.re.dataSync();
  tf.dispose([x, f.re, f.im]);
  assert.ok(Math.abs(re[0] - h * w) < 1e-3);
  assert.ok(Math.abs(re[3] - (h * w) / 2) < 1e-3 && Math.abs(re[w - 3] - (h * w) / 2) < 1e-3);
  assert.ok(Math.abs(re[1]) < 1e-3 && Math.abs(re[w]) < 1e-3);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((u) => signedFrequency(u, 8)), [0, 1, 2, 3, -4, -3, -2, -1]);
  assert.deepEqual([0, 1, 2, 3, 4].map((u) => signedFrequency(u, 5)), [0, 1, 2, -2, -1]);
});

test('bad shapes are rejected with a clear message', () => {
  const x = tf.zeros([2, 3]);
  assert.throws(() => dft2d(x as unknown as tf.Tensor3D), /expected maps of shape \[B, H, W\]/);
  x.dispose();
});
