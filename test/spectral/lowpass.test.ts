import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { dft2d } from '../../src/spectral/fft.js';
import { keptCoefficients, lowPassImages, maxRadius, radiusMaskValues } from '../../src/spectral/lowpass.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

test('full radius (and Infinity) is the identity', () => {
  const [n, h, w, c] = [2, 28, 28, 1];
  const vals = seededValues(n * h * w * c, 1);
  const x = tf.tensor4d(vals, [n, h, w, c]);
  for (const r of [maxRadius(h, w), Infinity]) {
    const y = lowPassImages(x, r);
    const got = y.dataSync();
    y.dispose();
    for (let i = 0; i < vals.length; i++) assert.ok(Math.abs(got[i] - vals[i]) < 1e-6);
  }
  assert.equal(keptCoefficients(h, w, maxRadius(h, w)), h * w);
  x.dispose();
});

test('3-channel images are filtered per channel: each channel equals its own single-channel filtering', () => {
  const [n, h, w, c] = [2, 7, 9, 3];
  const vals = seededValues(n * h * w * c, 2);
  tf.tidy(() => {
    const x = tf.tensor4d(vals, [n, h, w, c]);
    const y = lowPassImages(x, 2).dataSync();
    for (let ch = 0; ch < c; ch++) {
      const xc = tf.slice(x, [0, 0, 0, ch], [n, h, w, 1]) as tf.Tensor4D;
      const yc = lowPassImages(xc, 2).dataSync();
      for (let i = 0; i < n * h * w; i++) assert.ok(Math.abs(y[i * c + ch] - yc[i]) < 1e-5);
    }
    assert.ok(keptCoefficients(h, w, maxRadius(h, w) - 1e-6) < h * w);
  });
});

test('radius 0 keeps only the mean of each image channel', () => {
  const [n, h, w, c] = [3, 8, 10, 2];
  const vals = seededValues(n * h * w * c, 3);
  const x = tf.tensor4d(vals, [n, h, w, c]);
  const y = lowPassImages(x, 0);
  const got = y.dataSync();
  tf.dispose([x, y]);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++) {
      let mean = 0;
      for (let p = 0; p < h * w; p++) mean += vals[(i * h * w + p) * c + ch];
      mean /= h * w;
      for (let p = 0; p < h * w; p++) assert.ok(Math.abs(got[(i * h * w + p) * c + ch] - mean) < 1e-5, `image ${i} channel ${ch}`);
    }
});

test('radius r removes exactly the coefficients outside the circle and keeps the others', () => {
  const [h, w, r] = [12, 12, 3];
  const vals = seededValues(h * w, 4);
  tf.tidy(() => {
    const x = tf.tensor4d(vals, [1, h, w, 1]);
    const y = lowPassImages(x, r);
    const fx = dft2d(tf.reshape(x, [1, h, w]) as tf.Tensor3D);
    const fy = dft2d(tf.reshape(y, [1, h, w]) as tf.Tensor3D);
    const m = radiusMaskValues(h, w, r);
    const [xr, xi, yr, yi] = [fx.re.dataSync(), fx.im.dataSync(), fy.re.dataSync(), fy.im.dataSync()];
    for (let k = 0; k < h * w; k++) {
      assert.ok(Math.abs(yr[k] - m[k] * xr[k]) < 1e-3 && Math.abs(yi[k] - m[k] * xi[k]) < 1e-3, `coefficient ${k} (mask ${m[k]})`);
    }
    // mask is symmetric (k → −k), so the filtered image is real: checked implicitly above; circle count
    assert.equal(keptCoefficients(h, w, r), 29); // lattice points with ku² + kv² ≤ 9
  });
});

test('filtering is idempotent and does not leak tensors', () => {
  const before = tf.memory().numTensors;
  const vals = seededValues(2 * 28 * 28, 9);
  const x = tf.tensor4d(vals, [2, 28, 28, 1]);
  const a = lowPassImages(x, 6);
  const b = lowPassImages(a, 6);
  const [av, bv] = [a.dataSync(), b.dataSync()];
  for (let i = 0; i < av.length; i++) assert.ok(Math.abs(av[i] - bv[i]) < 1e-4);
  tf.dispose([x, a, b]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => radiusMaskValues(4, 4, -1), /radius must be ≥ 0/);
});
