/** Data-free prune / prune-filters, the default-dataset rule, and model/data mismatch errors from the CLI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cli, cliFailing } from '../helpers/cli.js';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { writeImageTree } from '../helpers/image-files.js';


const root = mkdtempSync(join(tmpdir(), 'pk-cli-datafree-'));
const modelDir = join(root, 'm12');

/** A 12×12×3 Keras-style model: conv(8) → BN → ReLU → conv(8) → ReLU → GAP → dense(3). */
async function makeModel(): Promise<void> {
  if (existsSync(modelDir)) return;
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [12, 12, 3] });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'r1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 3, name: 'out', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: y });
  await saveModel(m, modelDir);
  m.dispose();
}

test('prune --method mp without --dataset: prunes, saves, reports sparsity / params / MACs / size', async () => {
  await makeModel();
  const out = join(root, 'mp');
  const r = await cli(['prune', '--model', modelDir, '--method', 'mp', '--sparsity', '0.75', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /no --dataset given and the model's 12×12×3 input does not fit the built-in digits: pruning data-free/);
  assert.match(r.out, /level\s+sparsity\s+params \(non-zero \/ all\)\s+MACs \(non-zero \/ dense\)\s+size float32/);
  assert.match(r.out, /s=0\.75\s+75\.00%/);
  const m = await loadModel(out);
  for (const name of ['c1', 'c2', 'out']) {
    const w = m.getLayer(name).getWeights()[0].dataSync();
    assert.equal(w.filter((v) => v === 0).length, Math.round(0.75 * w.length), `${name}: 75% zeros`);
  }
  m.dispose();
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(res.dataFree, true);
  assert.equal(res.levels[0].before, undefined, 'no accuracy without data');
  assert.ok(existsSync(join(out, 'pruning-record.json')));
});

test('prune-filters --criterion l1 without --dataset removes filters and saves the smaller model', async () => {
  await makeModel();
  const out = join(root, 'l1');
  const r = await cli(['prune-filters', '--model', modelDir, '--criterion', 'l1', '--rates', '0.5', '--out', out, '--dataset', 'none']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /data-free prune-filters \(l1\)/);
  assert.match(r.out, /MACs\s+[\d,]+\s+[\d,]+/);
  const m = await loadModel(out);
  assert.equal(m.getLayer('c1').getWeights()[0].shape[3], 4);
  assert.equal(m.getLayer('c2').getWeights()[0].shape[3], 4);
  m.dispose();
});

test('data-needing methods and mismatched datasets fail before any work, naming shapes and flags; nothing written', async () => {
  await makeModel();
  const out = join(root, 'never');
  let r = await cliFailing(['prune', '--model', modelDir, '--method', 'obd', '--sparsity', '0.5', '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /method 'obd' scores weights with training data, but no --dataset was given \(the model takes 12×12×3 inputs; .*give --dataset images:DIR/);
  r = await cliFailing(['prune-filters', '--model', modelDir, '--rates', '0.5', '--out', out, '--dataset', 'none']);
  assert.match(r.err, /criterion 'dct' scores filters by their feature maps .*--dataset none was given/);
  r = await cliFailing(['prune', '--model', modelDir, '--method', 'mp', '--schedule', 'gradual', '--sparsity', '0.5', '--out', out]);
  assert.match(r.err, /--schedule gradual prunes while training, but no --dataset/);
  r = await cliFailing(['prune', '--model', modelDir, '--method', 'mp', '--sparsity', '0.5', '--dataset', 'digits', '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /the model takes 12×12×3 inputs but --dataset digits has 28×28×1 images; give --dataset images:DIR or npy:DIR/);
  // five classes of images for a 3-output model
  writeImageTree(join(root, 'five'), ['a', 'b', 'c', 'd', 'e'], 2, 12, 12);
  r = await cliFailing(['eval', '--model', modelDir, '--dataset', `images:${join(root, 'five')}`]);
  assert.match(r.err, /images:.*five has 5 classes \(a, b, c, d, e\) but the model has 3 outputs/);
  r = await cliFailing(['prune', '--model', modelDir, '--method', 'mp', '--sparsity', '0.5', '--normalize', 'imagenet']);
  assert.match(r.err, /--normalize must be one of stats/);
  assert.ok(!existsSync(out), 'nothing written');
});

test('eval on an images:DIR folder fitted to the model (16×20 PNGs centre-cropped to 12×12)', async () => {
  await makeModel();
  writeImageTree(join(root, 'three'), ['a', 'b', 'c'], 3, 16, 20);
  const r = await cli(['eval', '--model', modelDir, '--dataset', `images:${join(root, 'three')}`, '--normalize', '-1-1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /on images:.*three test \(3\): accuracy [\d.]+%/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
