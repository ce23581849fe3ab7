import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '../../src/train/loop.js';
import { evaluate, predictLogits } from '../../src/train/evaluate.js';
import { loadModel } from '../../src/io/model-folder.js';
import type { TrainOptions } from '../../src/train/types.js';
import { maxAbsDiff, toyCnn, toyMlp, toySet, weightsOf } from './toy.js';

await tf.setBackend('cpu');

const train = toySet(200, 1);
const val = toySet(100, 2, 3, 'toy-val');
const base: TrainOptions = { epochs: 3, batchSize: 20, optimizer: { name: 'adam', lr: 0.02 }, seed: 7, progress: false };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'prunekit-train-'));
}

test('training a toy problem lowers the loss and raises accuracy; evaluate agrees with a naive computation', async () => {
  const model = toyMlp(1);
  const before = await evaluate(model, val);
  const h = await trainModel(model, train, { ...base, epochs: 6, validation: val });
  assert.equal(h.epochs.length, 6);
  assert.equal(h.steps, 60);
  assert.ok(h.epochs[5].loss < h.epochs[0].loss * 0.7, `loss ${h.epochs[0].loss} → ${h.epochs[5].loss}`);
  assert.ok(h.epochs[5].accuracy > 0.85, `train acc ${h.epochs[5].accuracy}`);
  assert.ok(h.epochs[5].valAccuracy! > 0.8 && h.epochs[5].valAccuracy! > before.accuracy + 0.2, `val acc ${before.accuracy} → ${h.epochs[5].valAccuracy}`);

  const ev = await evaluate(model, val, 32);
  const { logits, classes } = await predictLogits(model, val, 7);
  assert.equal(classes, 3);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < val.count; i++) {
    const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, z) => s + Math.exp(z - mx), 0));
    loss += lse - row[val.labels[i]];
    if (row.indexOf(mx) === val.labels[i]) correct++;
  }
  assert.ok(Math.abs(ev.loss - loss / val.count) < 1e-5, `${ev.loss} vs ${loss / val.count}`);
  assert.equal(ev.accuracy, correct / val.count);
  assert.equal(ev.accuracy, h.epochs[5].valAccuracy);
  model.dispose();
});

test('same seed → identical weights; another seed → different weights', async () => {
  const run = async (seed: number) => {
    const m = toyMlp(5);
    await trainModel(m, train, { ...base, epochs: 2, seed, augment: 'crop-flip' });
    const w = weightsOf(m);
    m.dispose();
    return w;
  };
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  assert.equal(maxAbsDiff(a, b), 0);
  assert.ok(maxAbsDiff(a, c) > 1e-3);
});

for (const [label, make, opts] of [
  ['adam, MLP', () => toyMlp(9), { optimizer: { name: 'adam', lr: 0.01 } }],
  [
    'sgd nesterov + wd + cosine, conv+BN',
    () => toyCnn(9),
    { optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, schedule: { kind: 'cosine', unit: 'step' }, augment: 'crop-flip' },
  ],
] as const) {
  test(`resume after epoch 1 ends with the same weights as an uninterrupted run (${label})`, async () => {
    const dirA = tmp();
    const dirB = tmp();
    try {
      const o = { ...base, ...opts, epochs: 2 } as TrainOptions;
      const straight = make();
      const hA = await trainModel(straight, train, { ...o, checkpointDir: dirA });

      // The interrupted run: same options, stopped after its first epoch (its checkpoint is complete).
      const first = make();
      await trainModel(first, train, { ...o, maxSteps: 10, checkpointDir: dirB });
      first.dispose();
      // A fresh model (as a new process would build) continues from dirB's checkpoint.
      const resumed = make();
      const hB = await trainModel(resumed, train, { ...o, checkpointDir: dirB, resume: true });
      assert.equal(hB.resumedFromEpoch, 1);
      assert.equal(hB.steps, hA.steps);
      assert.equal(hB.epochs.length, 2);
      assert.equal(hB.epochs[1].loss, hA.epochs[1].loss);
      // Exact on the same backend: same batches, same lr per step, optimiser slots restored bit for bit.
      assert.equal(maxAbsDiff(weightsOf(resumed), weightsOf(straight)), 0);
      assert.deepEqual(readdirSync(dirB), ['epoch-0002'], 'only the newest checkpoint is kept');

      // Resuming a finished run trains nothing more.
      const again = make();
      const hC = await trainModel(again, train, { ...o, checkpointDir: dirB, resume: true });
      assert.equal(hC.steps, hA.steps);
      assert.equal(maxAbsDiff(weightsOf(again), weightsOf(straight)), 0);
      // The checkpoint's model folder is a normal model folder.
      const loaded = await loadModel(join(dirB, 'epoch-0002'));
      assert.equal(maxAbsDiff(weightsOf(loaded), weightsOf(straight)), 0);
      [straight, resumed, again, loaded].forEach((m) => m.dispose());
    } finally {
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });
}

test('no tensor leak: numTensors is the same after epoch 1 and epoch 3 (validation + checkpoints on)', async () => {
  const dir = tmp();
  try {
    const model = toyCnn(2);
    const counts: number[] = [];
    await trainModel(model, train, {
      ...base,
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
      validation: val,
      checkpointDir: dir,
      onEpochEnd: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    assert.equal(counts.length, 3);
    assert.equal(counts[2], counts[0], `numTensors per epoch: ${counts}`);
    const after = tf.memory().numTensors;
    model.dispose();
    assert.ok(tf.memory().numTensors < after);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('custom loss without logits, afterStep every step (mask re-application), maxSteps and stepsPerEpoch', async () => {
  const model = toyMlp(3);
  const kernel = tf.clone(model.getLayer('fc1').getWeights()[0]);
  const mask = tf.tidy(() => tf.cast(tf.greater(tf.abs(kernel), 0.2), 'float32'));
  const kernelVar = model.getLayer('fc1').trainableWeights[0];
  kernelVar.write(tf.mul(kernel, mask));
  const steps: number[] = [];
  const h = await trainModel(model, train, {
    ...base,
    epochs: 5,
    stepsPerEpoch: 4,
    maxSteps: 10,
    lossFn: ({ model: m, x, y }) => {
      const logits = m.apply(x, { training: true }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, 3), logits) as tf.Scalar;
    },
    afterStep: (s) => {
      steps.push(s);
      kernelVar.write(tf.mul(kernelVar.read(), mask));
    },
  });
  assert.deepEqual(steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(h.epochs.map((e) => e.steps), [4, 4, 2]);
  assert.equal(h.epochs[2].partial, true);
  assert.ok(Number.isNaN(h.epochs[0].accuracy));
  const w = kernelVar.read().dataSync();
  const m = mask.dataSync();
  let changed = 0;
  for (let i = 0; i < w.length; i++) {
    if (m[i] === 0) assert.ok(w[i] === 0, `masked weight ${i} moved`);
    else if (w[i] !== kernel.dataSync()[i]) changed++;
  }
  assert.ok(changed > 0, 'unmasked weights trained');
  tf.dispose([kernel, mask]);
  model.dispose();
});

test('the per-step learning rate from the schedule is used (step schedule with gamma 0 freezes training)', async () => {
  const model = toyMlp(6);
  let frozen: Float32Array[] = [];
  const h = await trainModel(model, train, {
    ...base,
    optimizer: { name: 'sgd', lr: 0.1 },
    schedule: { kind: 'step', milestones: [1], gamma: 0 },
    onEpochEnd: (e) => {
      if (e === 0) frozen = weightsOf(model);
    },
  });
  assert.deepEqual(h.epochs.map((e) => e.lr), [0.1, 0, 0]);
  assert.equal(maxAbsDiff(weightsOf(model), frozen), 0);
  model.dispose();
});

test('bad options and incompatible checkpoints give clear errors', async () => {
  const model = toyMlp(8);
  const wrong = { ...train, height: 2, width: 8, images: train.images };
  await assert.rejects(trainModel(model, wrong, base), /model's input is \[4,4,1\] but the images are \[2,8,1\]/);
  await assert.rejects(trainModel(model, train, { ...base, batchSize: 0 }), /batchSize must be an integer ≥ 1/);
  await assert.rejects(trainModel(model, train, { ...base, resume: true }), /resume needs checkpointDir/);
  await assert.rejects(trainModel(model, train, { ...base, optimizer: { name: 'sgd', lr: -1 } }), /lr must be a positive number/);
  const dir = tmp();
  try {
    await trainModel(model, train, { ...base, epochs: 1, checkpointDir: dir });
    await assert.rejects(
      trainModel(model, train, { ...base, seed: 99, checkpointDir: dir, resume: true }),
      /cannot resume from .*epoch-0001: .*seed 7 vs 99/,
    );
    await assert.rejects(
      trainModel(model, train, { ...base, optimizer: { name: 'sgd', lr: 0.1 }, checkpointDir: dir, resume: true }),
      /was trained with optimizer .*adam.*; use the same optimizer or resume: false/,
    );
    await assert.rejects(trainModel(toyMlp(8, 3, 5), train, { ...base, checkpointDir: dir, resume: true }), /weight 'fc1\/kernel' has shape \[16,8\] but model weight 'fc1\/kernel' is \[16,5\]/);
    writeFileSync(join(dir, 'epoch-0001', 'state.json'), '{oops');
    await assert.rejects(trainModel(model, train, { ...base, checkpointDir: dir, resume: true }), /state\.json is not valid JSON/);
    assert.ok(existsSync(join(dir, 'epoch-0001')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});
