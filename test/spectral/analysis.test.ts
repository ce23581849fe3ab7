import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { FrequencyAnalyzer, analysisRecorder, defaultRadii } from '../../src/spectral/analysis.js';
import { createModel } from '../../src/models/index.js';
import type { ImageSet } from '../../src/data/types.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

const set: ImageSet = {
  name: 'toy', images: seededValues(40 * 64, 3), labels: Int32Array.from({ length: 40 }, (_, i) => i % 3),
  count: 40, height: 8, width: 8, channels: 1, numClasses: 3,
};

test('the teacher against itself: zero errors in both bands, full agreement at every radius', () => {
  const teacher = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
  const a = new FrequencyAnalyzer(set, { teacher, deltaFactors: [0.1, 1] });
  const r = a.analyze(teacher, 'dense');
  assert.equal(r.target, 'teacher');
  for (const p of r.filtering) assert.ok(p.eLow < 1e-5 && p.eHigh < 1e-5);
  assert.deepEqual(r.spectrum.map((p) => p.radius), defaultRadii(8, 8));
  for (const p of r.spectrum) assert.equal(p.agreement, 1);
  a.dispose();
  teacher.dispose();
});

test('filtering errors match a direct float64 computation; recorder records per epoch; no leaks', () => {
  const teacher = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
  const other = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  const before = tf.memory().numTensors;
  const a = new FrequencyAnalyzer(set, { deltaFactors: [0.2], radii: [0, 2, 99] });
  const r = a.analyze(other, 'x');
  assert.equal(r.target, 'labels');
  // reference: y one-hot, h = softmax(other), G from the definition
  const n = set.count;
  const h = tf.tidy(() => tf.softmax(other.apply(tf.tensor4d(set.images, [n, 8, 8, 1])) as tf.Tensor).dataSync());
  const d: number[][] = [];
  for (let i = 0; i < n; i++) {
    d.push([]);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s += (set.images[i * 64 + k] - set.images[j * 64 + k]) ** 2;
      d[i].push(s);
    }
  }
  const off = d.flatMap((row, i) => row.filter((_, j) => j !== i)).sort((p, q) => p - q);
  const med = (off[off.length / 2 - 1] + off[off.length / 2]) / 2;
  const delta = 0.2 * med;
  const num = { low: 0, high: 0 };
  const den = { low: 0, high: 0 };
  for (let i = 0; i < n; i++) {
    const w = d[i].map((v) => Math.exp(-(v - Math.min(...d[i])) / (2 * delta)));
    const z = w.reduce((p, q) => p + q, 0);
    for (let k = 0; k < 3; k++) {
      let yl = 0;
      let el = 0;
      for (let j = 0; j < n; j++) {
        const yj = set.labels[j] === k ? 1 : 0;
        yl += (w[j] / z) * yj;
        el += (w[j] / z) * (yj - h[j * 3 + k]);
      }
      const yi = set.labels[i] === k ? 1 : 0;
      const ei = yi - h[i * 3 + k];
      num.low += el * el;
      den.low += yl * yl;
      num.high += (ei - el) ** 2;
      den.high += (yi - yl) ** 2;
    }
  }
  assert.ok(Math.abs(r.filtering[0].eLow - Math.sqrt(num.low / den.low)) < 1e-3, `${r.filtering[0].eLow}`);
  assert.ok(Math.abs(r.filtering[0].eHigh - Math.sqrt(num.high / den.high)) < 1e-3);
  assert.equal(r.spectrum[2].accuracy, r.accuracy); // radius ≥ max = unfiltered
  assert.equal(r.spectrum[0].agreement, null);
  const rec = analysisRecorder(a, other, 'ft');
  rec.onEpochEnd(0, {} as never);
  rec.onEpochEnd(1, {} as never);
  assert.deepEqual(rec.records.map((x) => [x.epoch, x.label]), [[1, 'ft epoch 1'], [2, 'ft epoch 2']]);
  a.dispose();
  assert.equal(tf.memory().numTensors, before);
  teacher.dispose();
  other.dispose();
});
