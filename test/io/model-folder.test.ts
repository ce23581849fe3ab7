import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, readModelJson, readPrunekitMetadata, saveModel } from '../../src/io/model-folder.js';
import { toyCnn, toyMlp, weightsOf, maxAbsDiff } from '../train/toy.js';

await tf.setBackend('cpu');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'prunekit-mf-'));
}

function predict(model: tf.LayersModel, seed: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.randomNormal([5, 4, 4, 1], 0, 1, 'float32', seed)) as tf.Tensor).dataSync() as Float32Array);
}

test('save → load round trip gives identical weights and predictions (with BatchNorm)', async () => {
  const dir = tmp();
  try {
    const model = toyCnn(3);
    const res = await saveModel(model, dir, { metadata: { method: 'mp', sparsity: 0.5 } });
    assert.deepEqual(res.files, ['group1-shard1of1.bin', 'model.json']);
    const json = await readModelJson(dir);
    assert.equal(json.format, 'layers-model');
    assert.match(json.generatedBy ?? '', /TensorFlow\.js tfjs-layers/);
    assert.equal(json.convertedBy, null);
    assert.deepEqual(json.weightsManifest[0].paths, ['group1-shard1of1.bin']);
    assert.equal(statSync(join(dir, 'group1-shard1of1.bin')).size, res.weightBytes);
    assert.deepEqual(await readPrunekitMetadata(dir), { method: 'mp', sparsity: 0.5 });
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp')), [], 'no temp files left');

    const back = await loadModel(dir);
    assert.equal(maxAbsDiff(weightsOf(back), weightsOf(model)), 0);
    assert.deepEqual(predict(back, 9), predict(model, 9));
    assert.equal((back.getUserDefinedMetadata() as Record<string, unknown>).prunekit !== undefined, true);
    model.dispose();
    back.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weights are split into shards of at most shardBytes, and stale shards are removed on re-save', async () => {
  const dir = tmp();
  try {
    const model = toyMlp(1, 3, 40); // 16·40+40+40·3+3 = 803 floats = 3212 bytes
    const res = await saveModel(model, dir, { shardBytes: 1000 });
    assert.equal(res.weightBytes, 3212);
    assert.deepEqual(res.files.slice(0, -1), ['group1-shard1of4.bin', 'group1-shard2of4.bin', 'group1-shard3of4.bin', 'group1-shard4of4.bin']);
    const sizes = res.files.slice(0, -1).map((f) => statSync(join(dir, f)).size);
    assert.deepEqual(sizes, [1000, 1000, 1000, 212]);
    const back = await loadModel(dir);
    assert.equal(maxAbsDiff(weightsOf(back), weightsOf(model)), 0);
    back.dispose();
    await saveModel(model, dir);
    assert.deepEqual(readdirSync(dir).sort(), ['group1-shard1of1.bin', 'model.json']);
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load errors name the file and the problem', async () => {
  const dir = tmp();
  try {
    await assert.rejects(loadModel(join(dir, 'nope')), /nope does not exist/);
    await assert.rejects(loadModel(dir), /model\.json is missing/);
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    await assert.rejects(loadModel(dir), /model\.json is not valid JSON: /);
    writeFileSync(join(dir, 'model.json'), '{"weightsManifest": []}');
    await assert.rejects(loadModel(dir), /model\.json has no modelTopology/);
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": {}}');
    await assert.rejects(loadModel(dir), /no weightsManifest/);

    const model = toyMlp(2);
    await saveModel(model, dir);
    const good = readFileSync(join(dir, 'model.json'), 'utf8');
    const shard = readFileSync(join(dir, 'group1-shard1of1.bin'));

    writeFileSync(join(dir, 'group1-shard1of1.bin'), shard.subarray(0, shard.length - 4));
    await assert.rejects(loadModel(dir), /has \d+ bytes but its 4 weights need \d+/);
    rmSync(join(dir, 'group1-shard1of1.bin'));
    await assert.rejects(loadModel(dir), /weight shard .*group1-shard1of1\.bin .* is missing/);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), shard);

    // Shapes in the manifest that do not fit the topology (same byte count: swap fc1 kernel to [8,16]).
    const j = JSON.parse(good);
    j.weightsManifest[0].weights[0].shape = [8, 16];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
    await assert.rejects(loadModel(dir), /layer 'fc1': weight 'fc1\/kernel' has shape \[8,16\] in the manifest but the topology needs \[16,8\]/);

    // A topology whose layer is wider than the stored weights.
    const k = JSON.parse(good);
    const fc2 = k.modelTopology.config.layers.find((l: { name: string }) => l.name === 'fc2');
    fc2.config.units = 4;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(k));
    await assert.rejects(loadModel(dir), /layer 'fc2': weight 'fc2\/kernel' has shape \[8,3\] in the manifest but the topology needs \[8,4\]/);
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saving leaves no temp files and never a partial model.json when a write fails', async () => {
  const dir = tmp();
  try {
    const model = toyMlp(4);
    writeFileSync(join(dir, 'model.json'), 'OLD');
    // A directory where the shard should go makes the shard rename fail.
    const blocker = join(dir, 'group1-shard1of1.bin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(blocker, 'x'), { recursive: true });
    await assert.rejects(saveModel(model, dir), /writing the model folder/);
    assert.equal(readFileSync(join(dir, 'model.json'), 'utf8'), 'OLD');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp')), []);
    assert.ok(existsSync(blocker));
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
