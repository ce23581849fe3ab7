import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { findMasks, fourierPrune, retrainMasked } from '../../src/distill/fourier-prune.js';
import { computeMasks, requirePrunable } from '../../src/prune/index.js';
import { createModel } from '../../src/models/index.js';
import { trainModel } from '../../src/train/loop.js';
import type { ImageSet } from '../../src/data/types.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

function toyData(n: number, seed: number): ImageSet {
  const images = seededValues(n * 64, seed);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = images[i * 64] + images[i * 64 + 9] > 0 ? 1 : 0;
  return { name: 'toy', images, labels, count: n, height: 8, width: 8, channels: 1, numClasses: 2 };
}

function zerosWhereMasked(model: tf.LayersModel, masks: ReturnType<typeof computeMasks>): number {
  let bad = 0;
  for (const name of masks.names()) {
    const m = masks.get(name);
    const layer = model.getLayer(name) as unknown as { kernel: tf.LayerVariable };
    const w = layer.kernel.read().dataSync();
    for (let i = 0; i < m.length; i++) if (m[i] === 0 && w[i] !== 0) bad++;
  }
  return bad;
}

test('a masked student stays masked through stage 2 for every KD mode; the teacher is untouched', async () => {
  const data = toyData(96, 1);
  const teacher = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 2, seed: 3 });
  await trainModel(teacher, data, { epochs: 1, batchSize: 32, optimizer: { name: 'adam', lr: 1e-2 }, seed: 1, progress: false });
  const teacherBefore = teacher.getWeights().map((w) => w.dataSync().slice());
  const s1 = await findMasks(teacher, { sparsity: 0.9, stage1: 'iterative', q: 0.5, data, roundEpochs: 1, batchSize: 32, seed: 1 });
  assert.ok(Math.abs(s1.sparsity - 0.9) < 0.01, `sparsity ${s1.sparsity}`);
  assert.equal(s1.rounds, 4);
  for (const kd of ['none', 'plain', 'freq-a', 'freq-b'] as const) {
    const student = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 2, seed: 3 });
    student.setWeights(s1.student.getWeights());
    const before = student.getWeights().map((w) => w.dataSync().slice());
    const r = await retrainMasked(student, teacher, s1.masks, { kd, train: data, epochs: 2, batchSize: 32, seed: 2, optimizer: { name: 'adam', lr: 1e-2 } });
    assert.equal(r.history.steps, 6);
    assert.equal(zerosWhereMasked(student, s1.masks), 0, `${kd}: pruned weights revived`);
    const after = student.getWeights().map((w) => w.dataSync());
    assert.ok(after.some((w, i) => w.some((v, k) => v !== before[i][k])), `${kd}: training changed nothing`);
    student.dispose();
  }
  teacher.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), teacherBefore[i]));
  s1.student.dispose();
  teacher.dispose();
});

test('fourierPrune accepts any mask source (LAP) and reports accuracies', async () => {
  const data = toyData(64, 2);
  const teacher = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 2, seed: 4 });
  const layers = requirePrunable(teacher);
  const res = await fourierPrune(teacher, {
    sparsity: 0.8,
    stage1: (m) => computeMasks(m, { method: 'lap', sparsity: 0.8 }),
    kd: 'freq-a',
    train: data,
    test: data,
    epochs: 1,
    batchSize: 32,
  });
  assert.equal(res.masks.names().length, layers.length);
  assert.ok(Math.abs(res.stage1.sparsity - 0.8) < 0.01);
  assert.equal(zerosWhereMasked(res.student, res.masks), 0);
  assert.ok(res.testAccuracy !== undefined && res.testAccuracy >= 0 && res.testAccuracy <= 1);
  res.student.dispose();
  teacher.dispose();
  await assert.rejects(() => findMasks(teacher, { sparsity: 1.2 }), /sparsity must be in \(0, 1\)/);
});
