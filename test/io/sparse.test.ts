import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadSparse, saveSparse } from '../../src/io/sparse.js';
import { sizeReport } from '../../src/io/sparse-size.js';
import { pruneModel } from '../../src/prune/prune.js';
import { bnNet, convNet } from '../prune/fixtures.js';

await tf.setBackend('cpu');

const bits = (m: tf.LayersModel) => m.getWeights().map((t) => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer)));

test('sparse export round-trips weights bit-exactly (gzip and raw), topology included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-sparse-'));
  for (const make of [convNet, bnNet]) {
    const m = make();
    pruneModel(m, { method: 'lap', sparsity: 0.8 });
    for (const gzip of [true, false]) {
      const path = join(dir, `${m.name}-${gzip}.pks`);
      const n = saveSparse(m, path, { gzip });
      assert.equal(readFileSync(path).length, n);
      const back = await loadSparse(path);
      assert.deepEqual(back.layers.map((l) => l.getClassName()), m.layers.map((l) => l.getClassName()));
      assert.deepEqual(bits(back), bits(m));
      const x = tf.randomNormal([2, ...(m.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 1);
      const y0 = m.predict(x) as tf.Tensor, y1 = back.predict(x) as tf.Tensor;
      assert.deepEqual(Array.from(y1.dataSync()), Array.from(y0.dataSync()));
      tf.dispose([x, y0, y1]);
      back.dispose();
    }
    m.dispose();
  }
});

test('size report: sparse is smaller than dense at 90% sparsity', () => {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [100], units: 80 }), tf.layers.dense({ units: 10 })] });
  pruneModel(m, { method: 'mp', sparsity: 0.9 });
  const r = sizeReport(m);
  const nWeights = m.weights.reduce((a, v) => a + v.read().size, 0);
  assert.equal(r.denseBytes, nWeights * 4);
  // 889 non-zeros · 4 B + 8890/8 B of bitmask + dense biases + JSON header
  assert.ok(r.sparseBytes < r.denseBytes / 4, JSON.stringify(r));
  assert.ok(r.sparseGzipBytes <= r.denseGzipBytes, JSON.stringify(r));
  assert.ok(r.sparseBytes > 0 && r.denseGzipBytes > 0);
  m.dispose();
});

test('corrupt or truncated sparse files give clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-sparse-bad-'));
  const m = convNet();
  pruneModel(m, { method: 'mp', sparsity: 0.5 });
  for (const gzip of [true, false]) {
    const path = join(dir, `ok-${gzip}.pks`);
    saveSparse(m, path, { gzip });
    const bytes = readFileSync(path);
    const trunc = join(dir, 'trunc.pks');
    writeFileSync(trunc, bytes.subarray(0, bytes.length - 20));
    await assert.rejects(loadSparse(trunc), /trunc\.pks: not a valid prunekit sparse file/);
    const flip = Buffer.from(bytes);
    flip[flip.length - 7] ^= 0xff;
    const corrupt = join(dir, 'corrupt.pks');
    writeFileSync(corrupt, flip);
    await assert.rejects(loadSparse(corrupt), /not a valid prunekit sparse file/);
  }
  writeFileSync(join(dir, 'junk.pks'), 'hello world, not a model at all');
  await assert.rejects(loadSparse(join(dir, 'junk.pks')), /bad magic/);
  await assert.rejects(loadSparse(join(dir, 'missing.pks')), /cannot read/);
  m.dispose();
});
