import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldBatchNorm, foldablePairs } from '../../src/structured/fold-bn.js';
import { relError } from '../helpers/backends.js';
import { inputBatch, randomizeBN, sequentialNet, smallResNet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

async function check(model: tf.LayersModel, seed: number, expectFolded: number): Promise<void> {
  randomizeBN(model, seed);
  assert.equal(foldablePairs(model).size, expectFolded);
  const folded = await foldBatchNorm(model);
  assert.equal(folded.layers.filter((l) => l.getClassName() === 'BatchNormalization').length,
    model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length - expectFolded);
  const x = inputBatch(model, 3, seed);
  const a = model.predict(x) as tf.Tensor;
  const b = folded.predict(x) as tf.Tensor;
  const err = relError(b.dataSync() as Float32Array, a.dataSync() as Float32Array);
  assert.ok(err < 1e-4, `folded output rel err ${err}`);
  // Folded model saves and loads as a standard model.
  let art: tf.io.ModelArtifacts | undefined;
  await folded.save(tf.io.withSaveHandler(async (m) => { art = m; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(art!));
  const c = loaded.predict(x) as tf.Tensor;
  assert.ok(relError(c.dataSync() as Float32Array, b.dataSync() as Float32Array) < 1e-6);
  tf.dispose([x, a, b, c]);
  folded.dispose();
  loaded.dispose();
  model.dispose();
}

test('foldBatchNorm: Sequential conv+BN (and flatten dense) is equivalent', async () => {
  await check(sequentialNet(), 1, 2);
});

test('foldBatchNorm: VGG-like functional incl. Dense+BN', async () => {
  await check(vggLike(), 2, 4);
});

test('foldBatchNorm: ResNet (BN before Add folds too)', async () => {
  await check(smallResNet(), 3, 8);
});

test('foldBatchNorm leaves BN after a non-linear or shared producer alone', async () => {
  const x = tf.input({ shape: [4] });
  const d = tf.layers.dense({ units: 3, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const y = tf.layers.batchNormalization().apply(d) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: y });
  assert.equal(foldablePairs(m).size, 0);
  m.dispose();
});
