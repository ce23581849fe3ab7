import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pruneModel } from '../../src/prune/prune.js';
import { readRecord, replayRecord, writeRecord } from '../../src/prune/record.js';
import { convNet, fillWeights, randomImages } from './fixtures.js';

await tf.setBackend('cpu');

test('a record replays to identical masks (lap, rp, lap_act) and survives a file round trip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-record-'));
  const data = randomImages(30, 6, 6, 2, 3, 5);
  for (const method of ['lap', 'rp', 'lap_act', 'lap_global_normalize']) {
    const pruned = convNet();
    const opts = method.endsWith('_normalize')
      ? { method, sparsity: 0.7, seed: 3 }
      : { method, ratios: [0.2, 0.5, 0.8, 0.3], seed: 3, split: 2, data, actSamples: 20 };
    const { masks, record } = pruneModel(pruned, opts);
    assert.equal(record.method, method);
    assert.equal(record.layers.length, 4);
    assert.ok(Math.abs(record.totalSparsity - masks.totalSparsity()) < 1e-12);
    assert.match(record.prunekitVersion, /^\d+\.\d+\.\d+/);
    const path = join(dir, `${method}.json`);
    writeRecord(path, record);
    const back = readRecord(path);
    const dense = convNet(); // same seeded weights as `pruned` before pruning
    const replayed = replayRecord(dense, back, { data });
    assert.ok(replayed.equals(masks), method);
    // a different dense model must be rejected
    const other = convNet();
    fillWeights(other, 99);
    if (method !== 'rp') assert.throws(() => replayRecord(other, back, { data }), /differs from the record/);
    [pruned, dense, other].forEach((m) => m.dispose());
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temp files left');
  writeFileSync(join(dir, 'bad.json'), '{"format":"x"}');
  assert.throws(() => readRecord(join(dir, 'bad.json')), /not a prunekit pruning record/);
});
