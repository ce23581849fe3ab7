import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, loadRawDataset } from '../../src/data/registry.js';
import { channelStats } from '../../src/data/normalize.js';
import { writeIdx } from '../../src/data/idx.js';

test('unknown or malformed specs list the valid forms', async () => {
  await assert.rejects(loadDataset('imagenet'), (e: Error) => /unknown dataset 'imagenet'/.test(e.message) && /cifar10:DIR/.test(e.message) && /mnist-idx:DIR/.test(e.message));
  await assert.rejects(loadDataset('cifar10'), /'cifar10' needs a directory/);
  await assert.rejects(loadDataset('digits:/x'), /takes no directory/);
  await assert.rejects(loadDataset('fashion-mnist:/nonexistent/f'), /apt-get install dataset-fashion-mnist/);
});

test('digits: limits are seeded subsets; normalisation uses full-train stats', async () => {
  const raw = await loadRawDataset('digits');
  const full = channelStats(raw.train);
  const d = await loadDataset('digits', { limitTrain: 500, limitTest: 100, seed: 1 });
  assert.equal(d.train.count, 500);
  assert.equal(d.test.count, 100);
  assert.ok(d.normalization);
  assert.ok(Math.abs(d.normalization.mean[0] - full.mean[0]) < 1e-12);
  assert.ok(Math.abs(d.normalization.mean[0] - 0.13) < 0.03 && Math.abs(d.normalization.std[0] - 0.31) < 0.03);
  const s = channelStats(d.train);
  assert.ok(Math.abs(s.mean[0]) < 0.1 && Math.abs(s.std[0] - 1) < 0.1, `roughly standardised: ${s.mean[0]}, ${s.std[0]}`);
  const e = await loadDataset('digits', { limitTrain: 500, limitTest: 100, seed: 1 });
  assert.deepEqual(e.train.labels, d.train.labels, 'same seed same subset');
  const f = await loadDataset('digits', { limitTrain: 500, limitTest: 100, seed: 2 });
  assert.notDeepEqual(f.train.labels, d.train.labels, 'other seed other subset');
  const plain = await loadDataset('digits', { limitTrain: 10, normalize: false });
  assert.equal(plain.normalization, undefined);
  assert.ok(plain.train.images.every((v) => v >= 0 && v <= 1));
});

test('mnist-idx:DIR and cifar10:DIR route to their loaders', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-reg-'));
  try {
    const img = (n: number) => ({ dtype: 'uint8' as const, shape: [n, 2, 2], data: new Uint8Array(n * 4).map((_, i) => i * 9) });
    await writeIdx(join(dir, 'train-images-idx3-ubyte'), img(3));
    await writeIdx(join(dir, 'train-labels-idx1-ubyte'), { dtype: 'uint8', shape: [3], data: Uint8Array.from([0, 1, 1]) });
    await writeIdx(join(dir, 't10k-images-idx3-ubyte'), img(2));
    await writeIdx(join(dir, 't10k-labels-idx1-ubyte'), { dtype: 'uint8', shape: [2], data: Uint8Array.from([1, 0]) });
    const d = await loadDataset(`mnist-idx:${dir}`);
    assert.equal(d.train.count, 3);
    const s = channelStats(d.train);
    assert.ok(Math.abs(s.mean[0]) < 1e-6 && Math.abs(s.std[0] - 1) < 1e-5);

    const c10 = join(dir, 'c', 'cifar-10-batches-bin');
    mkdirSync(c10, { recursive: true });
    for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'])
      writeFileSync(join(c10, `${f}.bin`), new Uint8Array(3073).map((_, i) => (i === 0 ? 4 : i % 251)));
    const c = await loadDataset(`cifar10:${join(dir, 'c')}`, { normalize: false });
    assert.equal(c.train.count, 5);
    assert.equal(c.name, 'cifar10');
    assert.equal(c.train.channels, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
