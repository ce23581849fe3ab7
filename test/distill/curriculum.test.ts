import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createDistillLoss, radiusAt, radiusStages } from '../../src/distill/curriculum.js';
import { TeacherCache } from '../../src/distill/teacher-cache.js';
import { createModel } from '../../src/models/index.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

test('Variant B: radii 4, 8, 12, 16 on 28×28 over the first 60% of steps, then ∞', () => {
  const s = { height: 28, width: 28, totalSteps: 100 };
  assert.deepEqual(radiusStages(s), [4, 8, 12, 16]);
  assert.deepEqual([0, 14, 15, 29, 30, 45, 59, 60, 99].map((t) => radiusAt(t, s)), [4, 4, 8, 8, 12, 16, 16, Infinity, Infinity]);
});

test('teacher cache: hits on repeated rows, identical logits, no leaks', () => {
  const teacher = createModel('lenet300', { inputShape: [4, 4, 1], numClasses: 3, seed: 1 });
  const cache = new TeacherCache(teacher);
  const before = tf.memory().numTensors;
  const vals = seededValues(3 * 16, 5);
  const x = tf.tensor4d(vals, [3, 4, 4, 1]);
  const a = cache.logits(x);
  assert.equal(cache.misses, 3);
  const rev = tf.reverse(x, 0);
  const b = cache.logits(rev);
  assert.equal(cache.hits, 3);
  const ref = tf.tidy(() => teacher.apply(x, { training: false }) as tf.Tensor);
  const [av, bv, rv] = [a.dataSync(), b.dataSync(), ref.dataSync()];
  for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(av[i * 3 + k] - rv[i * 3 + k]) < 1e-6);
    assert.equal(bv[(2 - i) * 3 + k], av[i * 3 + k]);
  }
  tf.dispose([x, a, rev, b, ref]);
  assert.equal(tf.memory().numTensors, before);
  teacher.dispose();
});

test('every KD mode yields a finite loss and non-zero student gradients without leaking tensors', () => {
  const teacher = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
  const student = createModel('lenet300', { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  const data = {
    name: 'toy', images: seededValues(16 * 64, 7), labels: Int32Array.from({ length: 16 }, (_, i) => i % 3),
    count: 16, height: 8, width: 8, channels: 1, numClasses: 3,
  };
  for (const mode of ['none', 'plain', 'freq-a', 'freq-b'] as const) {
    const loss = createDistillLoss({ mode, teacher, totalSteps: 10, data, anchorCount: 8 });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor4d(data.images, [16, 8, 8, 1]);
      const y = tf.tensor1d(data.labels, 'int32');
      const vars = student.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const out = loss.lossFn({ model: student, x, y, step: 0, epoch: 0 });
        return out instanceof tf.Tensor ? out : out.loss;
      }, vars);
      assert.ok(Number.isFinite(value.dataSync()[0]), mode);
      assert.ok(Object.values(grads).some((g) => tf.sum(tf.abs(g)).dataSync()[0] > 0), mode);
    });
    assert.equal(tf.memory().numTensors, before, `${mode} leaks`);
    if (mode === 'freq-a') assert.ok(loss.anchorCount === 8 && loss.scheduleAt(0) === 16 && loss.scheduleAt(7) === 1 && loss.lastCalibration !== null);
    if (mode === 'freq-b') assert.equal(loss.scheduleAt(0), 4);
    loss.dispose();
  }
  teacher.dispose();
  student.dispose();
});
