import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { medianDistance, smoothingKernel, splitBands, squaredDistances } from '../../src/spectral/smoothing-kernel.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

test('squared distances match a naive loop, zero diagonal', () => {
  const [n, m, dim] = [5, 3, 7];
  const a = seededValues(n * dim, 1);
  const b = seededValues(m * dim, 2);
  tf.tidy(() => {
    const dx = squaredDistances(tf.tensor2d(a, [n, dim])).dataSync();
    const dab = squaredDistances(tf.tensor2d(a, [n, dim]), tf.tensor2d(b, [m, dim])).dataSync();
    for (let i = 0; i < n; i++) {
      assert.equal(dx[i * n + i], 0);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += (a[i * dim + k] - a[j * dim + k]) ** 2;
        assert.ok(Math.abs(dx[i * n + j] - s) < 1e-5);
      }
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += (a[i * dim + k] - b[j * dim + k]) ** 2;
        assert.ok(Math.abs(dab[i * m + j] - s) < 1e-5);
      }
    }
  });
  assert.equal(medianDistance(Float32Array.from([0, 1, 5, 1, 0, 2, 5, 2, 0]), 3), 2);
});

test('kernel rows sum to 1 and match exp(−d/2δ) normalised; δ → 0 is the identity; δ = 0 is exactly I', () => {
  const [n, dim] = [6, 4];
  const x = seededValues(n * dim, 3);
  tf.tidy(() => {
    const d = squaredDistances(tf.tensor2d(x, [n, dim]));
    const dv = d.dataSync();
    for (const delta of [0.05, 0.5, 5]) {
      const g = smoothingKernel(d, delta).dataSync();
      for (let i = 0; i < n; i++) {
        let row = 0;
        let z = 0;
        for (let j = 0; j < n; j++) z += Math.exp(-dv[i * n + j] / (2 * delta));
        for (let j = 0; j < n; j++) {
          row += g[i * n + j];
          assert.ok(Math.abs(g[i * n + j] - Math.exp(-dv[i * n + j] / (2 * delta)) / z) < 1e-5);
        }
        assert.ok(Math.abs(row - 1) < 1e-5, `δ=${delta} row ${i} sums to ${row}`);
      }
    }
    const tiny = smoothingKernel(d, 1e-6).dataSync();
    const eye = smoothingKernel(d, 0).dataSync();
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      assert.ok(Math.abs(tiny[i * n + j] - (i === j ? 1 : 0)) < 1e-6);
      assert.equal(eye[i * n + j], i === j ? 1 : 0);
    }
    // δ → 0: the high band vanishes; huge δ: every low row is the column mean
    const y = tf.tensor2d(seededValues(n * 3, 4), [n, 3]);
    assert.ok(tf.max(tf.abs(splitBands(d, y, 1e-6).high)).dataSync()[0] < 1e-5);
    const low = splitBands(d, y, 1e9).low;
    const mean = tf.mean(y, 0).dataSync();
    const lv = low.dataSync();
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) assert.ok(Math.abs(lv[i * 3 + k] - mean[k]) < 1e-4);
  });
  assert.throws(() => tf.tidy(() => smoothingKernel(tf.zeros([2, 3]) as tf.Tensor2D, 0)), /square/);
  assert.throws(() => tf.tidy(() => smoothingKernel(tf.zeros([2, 2]) as tf.Tensor2D, -1)), /δ must be/);
});
