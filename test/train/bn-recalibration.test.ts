import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchNormLayers, recalibrateBatchNorm, withRecalibratedBatchNorm } from '../../src/train/bn-recalibration.js';
import { pruneAndFinetune } from '../../src/structured/pipeline.js';
import type { ImageSet } from '../../src/data/types.js';
import { randomImageSet, vggLike } from '../structured/fixtures.js';

await tf.setBackend('cpu');

/** input [2, 2, 3] → BN: its batch statistics are the per-channel moments of the images themselves. */
function bnOnly(): tf.LayersModel {
  const x = tf.input({ shape: [2, 2, 3] });
  const y = tf.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

function images(count: number, seed: number): ImageSet {
  const v = new Float32Array(count * 12);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(seed * 7.1 + i * 1.37) * (1 + (i % 3)) + (i % 3);
  return { name: 'toy', images: v, labels: new Int32Array(count), count, height: 2, width: 2, channels: 3, numClasses: 2 };
}

/** Per-channel mean and biased variance of NHWC values (naive loops). */
function moments(v: Float32Array, c: number): { mean: number[]; variance: number[] } {
  const n = v.length / c;
  const mean = Array.from({ length: c }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i * c + k];
    return s / n;
  });
  const variance = mean.map((mu, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (v[i * c + k] - mu) ** 2;
    return s / n;
  });
  return { mean, variance };
}

const stats = (l: tf.layers.Layer) => {
  const w = l.getWeights(); // gamma, beta, moving mean, moving variance
  return { mean: Array.from(w[2].dataSync()), variance: Array.from(w[3].dataSync()) };
};
const close = (a: number[], b: number[], tol: number, what: string) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${x} vs ${b[i]}`));

test('recalibrateBatchNorm: the moving statistics become the batch moments (closed form), whatever they were before', () => {
  const m = bnOnly();
  const bn = batchNormLayers(m)[0];
  const data = images(12, 1);
  const want = moments(data.images, 3);
  // stale statistics, far off
  bn.setWeights([tf.ones([3]), tf.zeros([3]), tf.fill([3], 50), tf.fill([3], 9)]);
  // one batch of the whole set, drawn twice: the cumulative average of two equal batch statistics is that statistic
  assert.equal(recalibrateBatchNorm(m, data, { batches: 2, batchSize: 12, seed: 3 }), 1);
  close(stats(bn).mean, want.mean, 1e-5, 'mean');
  close(stats(bn).variance, want.variance, 1e-5, 'variance');
  assert.equal((bn as unknown as { momentum: number }).momentum, 0.9, 'momentum restored');
  // three batches of 4 that cover the set: the mean of the batch means is the overall mean (order-free)
  recalibrateBatchNorm(m, data, { batches: 3, batchSize: 4, seed: 5 });
  close(stats(bn).mean, want.mean, 1e-5, 'mean of 3 batches');
  // ... and the variance is the mean of the three batch variances, not the overall one: smaller here
  assert.ok(stats(bn).variance.every((v, k) => v < want.variance[k] + 1e-6));
  m.dispose();
});

test('recalibrateBatchNorm: a BN after a conv gets the moments of the conv outputs; seeded draws repeat', () => {
  const a = vggLike();
  const data = randomImageSet(a, 16, 4);
  const [first] = batchNormLayers(a);
  recalibrateBatchNorm(a, data, { batches: 1, batchSize: 16, seed: 1 });
  const conv = tf.model({ inputs: a.inputs, outputs: a.layers[1].output as tf.SymbolicTensor });
  const out = tf.tidy(() => conv.predict(tf.tensor4d(data.images, [16, 8, 8, 3])) as tf.Tensor);
  const want = moments(out.dataSync() as Float32Array, 8);
  out.dispose();
  close(stats(first).mean, want.mean, 1e-4, 'mean');
  close(stats(first).variance, want.variance, 1e-4, 'variance');
  // same seed, same images, same statistics; another seed, other images
  const b = vggLike();
  const c = vggLike();
  recalibrateBatchNorm(a, data, { batches: 2, batchSize: 5, seed: 9 });
  recalibrateBatchNorm(b, data, { batches: 2, batchSize: 5, seed: 9 });
  recalibrateBatchNorm(c, data, { batches: 2, batchSize: 5, seed: 10 });
  const all = (m: tf.LayersModel) => batchNormLayers(m).flatMap((l) => stats(l).mean);
  assert.deepEqual(all(a), all(b));
  assert.notDeepEqual(all(a), all(c));
  [a, b, c].forEach((m) => m.dispose());
});

test('withRecalibratedBatchNorm: fn sees re-estimated statistics; the old ones come back bit for bit, nothing leaks', async () => {
  const m = vggLike();
  const data = randomImageSet(m, 16, 2);
  const x = tf.tensor4d(data.images, [16, 8, 8, 3]);
  const before = m.getWeights().map((w) => Array.from(w.dataSync()));
  const yBefore = tf.tidy(() => Array.from((m.predict(x) as tf.Tensor).dataSync()));
  const tensors = tf.memory().numTensors;
  const inside = await withRecalibratedBatchNorm(m, data, { batches: 2, batchSize: 8, seed: 1 }, async () => tf.tidy(() => Array.from((m.predict(x) as tf.Tensor).dataSync())));
  assert.ok(inside && inside.some((v, i) => Math.abs(v - yBefore[i]) > 1e-3), 'the outputs changed with the statistics');
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
  assert.deepEqual(m.getWeights().map((w) => Array.from(w.dataSync())), before);
  // restored also when fn throws
  await assert.rejects(withRecalibratedBatchNorm(m, data, { seed: 1, batches: 1, batchSize: 4 }, async () => { throw new Error('boom'); }), /boom/);
  assert.deepEqual(m.getWeights().map((w) => Array.from(w.dataSync())), before);
  // no BN layer: fn is not called
  const plain = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 3] }), tf.layers.dense({ units: 2 })] });
  assert.equal(await withRecalibratedBatchNorm(plain, data, { seed: 1 }, async () => assert.fail('called')), undefined);
  assert.equal(recalibrateBatchNorm(plain, data, { seed: 1 }), 0);
  x.dispose();
  [m, plain].forEach((n) => n.dispose());
});

test('recalibrateBatchNorm: bad input is refused before any work, naming the model and the set', () => {
  const m = vggLike();
  const wrong = images(4, 1); // 2×2×3 images for an 8×8×3 model
  assert.throws(() => recalibrateBatchNorm(m, wrong, { seed: 1 }), /BN recalibration of '.*': image set 'toy' has images 2×2×3 but the model expects \[8, 8, 3\]/);
  assert.throws(() => recalibrateBatchNorm(m, randomImageSet(m, 4, 1), { seed: 1, batches: 0 }), /positive integers/);
  m.dispose();
});

test('pruneAndFinetune with bnRecalibration: reports the re-estimated accuracy and fine-tunes exactly as without it', async () => {
  const run = async (recal: boolean) => {
    const m = vggLike();
    const train = randomImageSet(m, 24, 5);
    const test_ = randomImageSet(m, 12, 6);
    const res = await pruneAndFinetune(m, train, test_, {
      prune: { criterion: 'l1', rates: 0.5 },
      finetune: { epochs: 1, batchSize: 8, stepsPerEpoch: 2 },
      seed: 4,
      ...(recal ? { bnRecalibration: { batches: 2, batchSize: 8 } } : {}),
    });
    const w = res.model.getWeights().map((t) => Array.from(t.dataSync()));
    res.model.dispose();
    m.dispose();
    return { res, w };
  };
  const a = await run(true);
  const b = await run(false);
  const r = a.res.accuracy.prunedRecalibrated;
  assert.ok(r !== undefined && r >= 0 && r <= 1, `prunedRecalibrated ${r}`);
  assert.equal(a.res.steps[0].prunedRecalibrated, r);
  assert.equal(b.res.accuracy.prunedRecalibrated, undefined);
  assert.equal(a.res.accuracy.pruned, b.res.accuracy.pruned);
  assert.equal(a.res.accuracy.final, b.res.accuracy.final);
  assert.deepEqual(a.w, b.w, 'the fine-tune starts from the copied statistics either way');
});
