import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { finetuneStructured, scaledMilestones } from '../../src/structured/finetune.js';
import { trainModel } from '../../src/train/loop.js';
import { evaluate } from '../../src/train/evaluate.js';
import { inferenceModel, pruneAndFinetune } from '../../src/structured/pipeline.js';
import { ensureWasm } from '../helpers/backends.js';
import { randomImageSet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

function twin(m: tf.LayersModel): tf.LayersModel {
  const c = vggLike();
  const w = m.getWeights();
  c.setWeights(w);
  return c;
}

test('scaledMilestones maps the reference [50, 100]/150 to thirds of the budget', () => {
  assert.deepEqual(scaledMilestones(150), [50, 100]);
  assert.deepEqual(scaledMilestones(3), [1, 2]);
  assert.deepEqual(scaledMilestones(6), [2, 4]);
  assert.deepEqual(scaledMilestones(5), [2, 3]);
  assert.deepEqual(scaledMilestones(1), []);
  assert.deepEqual(scaledMilestones(0), []);
});

test('finetuneStructured is trainModel with the reference recipe; final = last epoch, best = max', async () => {
  const m = vggLike();
  const ref = twin(m);
  const train = randomImageSet(m, 24, 1);
  const evalSet = randomImageSet(m, 12, 2);
  const before = tf.memory().numTensors;
  const res = await finetuneStructured(m, train, { epochs: 3, batchSize: 8, seed: 5, evalSet });
  assert.equal(tf.memory().numTensors - before, 0, 'tensors leaked by fine-tuning (SGD with momentum)');
  assert.deepEqual(res.milestones, [1, 2]);
  assert.deepEqual(res.recipe, { batchSize: 8, lr: 0.01, momentum: 0.9, weightDecay: 5e-3, gamma: 0.1 });
  const h = await trainModel(ref, train, {
    epochs: 3,
    batchSize: 8,
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-3 },
    schedule: { kind: 'step', unit: 'epoch', milestones: [1, 2], gamma: 0.1 },
    seed: 5,
    validation: evalSet,
    progress: false,
  });
  const a = m.getWeights();
  const b = ref.getWeights();
  for (let i = 0; i < a.length; i++) assert.deepEqual(Array.from(a[i].dataSync()), Array.from(b[i].dataSync()), `weight ${i}`);
  res.history.epochs.forEach((e, i) => assert.ok(Math.abs(e.lr - 0.01 * 0.1 ** i) < 1e-12, `epoch ${i} lr ${e.lr}`));
  const accs = h.epochs.map((e) => e.valAccuracy!);
  assert.equal(res.final.accuracy, accs[2]);
  assert.equal(res.final.epoch, 3);
  assert.equal(res.best.accuracy, Math.max(...accs));
  assert.equal(res.best.epoch, accs.indexOf(Math.max(...accs)) + 1);
  const ev = await evaluate(m, evalSet);
  assert.equal(res.final.accuracy, ev.accuracy);
  m.dispose();
  ref.dispose();
});

test('finetuneStructured with 0 epochs only evaluates; bad epochs are rejected', async () => {
  const m = vggLike();
  const evalSet = randomImageSet(m, 10, 3);
  const w0 = m.getWeights().map((t) => Array.from(t.dataSync()));
  const res = await finetuneStructured(m, randomImageSet(m, 8, 4), { epochs: 0, seed: 1, evalSet });
  assert.equal(res.final.accuracy, (await evaluate(m, evalSet)).accuracy);
  assert.equal(res.best.epoch, 0);
  assert.deepEqual(m.getWeights().map((t) => Array.from(t.dataSync())), w0);
  await assert.rejects(finetuneStructured(m, evalSet, { epochs: 1.5, seed: 1, evalSet }), /epochs must be an integer/);
  m.dispose();
});

test('pruneAndFinetune end to end on wasm: source untouched, accuracies consistent, 4 latency columns', async () => {
  await ensureWasm();
  try {
    const m = vggLike();
    const train = randomImageSet(m, 16, 6);
    const test_ = randomImageSet(m, 8, 7);
    const w0 = m.getWeights().map((t) => Array.from(t.dataSync()));
    const res = await pruneAndFinetune(m, train, test_, {
      prune: { criterion: 'l1', rates: 0.5 },
      finetune: { epochs: 1, batchSize: 8 },
      seed: 3,
      latency: { batches: [2], runs: 1, warmup: 0 },
    });
    assert.deepEqual(m.getWeights().map((t) => Array.from(t.dataSync())), w0, 'source model unchanged');
    assert.equal(res.accuracy.dense, (await evaluate(m, test_)).accuracy);
    assert.equal(res.accuracy.final, (await evaluate(res.model, test_)).accuracy);
    assert.deepEqual(res.report.groups.map((g) => g.kept), [4, 4, 6, 8]);
    assert.equal(res.latency!.length, 1);
    assert.deepEqual(res.latency![0].stats.map((s) => s.batch), [2, 2, 2, 2]);
    const inf = await inferenceModel(res.model);
    assert.ok(inf.relError < 1e-4);
    assert.equal(inf.model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 0);
    inf.model.dispose();
    res.model.dispose();
    m.dispose();
  } finally {
    await tf.setBackend('cpu');
  }
});
