import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist, loadIdxDataset } from '../../src/data/fashion-mnist.js';
import { writeIdx } from '../../src/data/idx.js';

const installed = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

test('Fashion-MNIST from the Debian package: 60000/10000, 6000 per class', { skip: !installed && 'dataset-fashion-mnist not installed' }, async () => {
  const d = await loadFashionMnist();
  assert.equal(d.train.count, 60000);
  assert.equal(d.test.count, 10000);
  assert.deepEqual([d.train.height, d.train.width, d.train.channels, d.train.numClasses], [28, 28, 1, 10]);
  assert.equal(d.train.images.length, 60000 * 784);
  const hist = new Array(10).fill(0);
  for (const l of d.train.labels) hist[l]++;
  assert.deepEqual(hist, new Array(10).fill(6000));
  const testHist = new Array(10).fill(0);
  for (const l of d.test.labels) testHist[l]++;
  assert.deepEqual(testHist, new Array(10).fill(1000));
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of d.train.images) { if (v < min) min = v; if (v > max) max = v; sum += v; }
  assert.equal(min, 0);
  assert.equal(max, 1);
  const mean = sum / d.train.images.length;
  assert.ok(mean > 0.25 && mean < 0.32, `Fashion-MNIST mean ≈ 0.286, got ${mean}`);
  assert.deepEqual(d.classNames, FASHION_MNIST_CLASSES);
});

test('missing directory: message says how to install or what to pass', async () => {
  await assert.rejects(loadFashionMnist('/nonexistent/fmnist'), (e: Error) => {
    assert.match(e.message, /\/nonexistent\/fmnist/);
    assert.match(e.message, /sudo apt-get install dataset-fashion-mnist/);
    assert.match(e.message, /directory of Fashion-MNIST IDX files/);
    return true;
  });
});

test('loadIdxDataset reads a generated MNIST-format folder (mixed raw/gz and name styles)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-idxds-'));
  try {
    const img = (n: number) => ({ dtype: 'uint8' as const, shape: [n, 2, 3], data: new Uint8Array(n * 6).map((_, i) => (i * 37) % 256) });
    await writeIdx(join(dir, 'train-images-idx3-ubyte.gz'), img(4));
    await writeIdx(join(dir, 'train-labels-idx1-ubyte'), { dtype: 'uint8', shape: [4], data: Uint8Array.from([0, 2, 1, 2]) });
    await writeIdx(join(dir, 't10k-images.idx3-ubyte'), img(2));
    await writeIdx(join(dir, 't10k-labels.idx1-ubyte.gz'), { dtype: 'uint8', shape: [2], data: Uint8Array.from([1, 0]) });
    const d = await loadIdxDataset(dir, 'toy');
    assert.equal(d.train.count, 4);
    assert.equal(d.test.count, 2);
    assert.deepEqual([d.train.height, d.train.width, d.train.channels, d.train.numClasses], [2, 3, 1, 3]);
    assert.equal(d.train.images[5], Math.fround(((5 * 37) % 256) / 255));
    assert.deepEqual(Array.from(d.train.labels), [0, 2, 1, 2]);

    await writeIdx(join(dir, 't10k-labels.idx1-ubyte.gz'), { dtype: 'uint8', shape: [3], data: Uint8Array.from([1, 0, 0]) });
    await assert.rejects(loadIdxDataset(dir, 'toy'), /t10k-labels\.idx1-ubyte\.gz: 3 labels but .*t10k-images\.idx3-ubyte holds 2 images/);
    rmSync(join(dir, 't10k-labels.idx1-ubyte.gz'));
    await assert.rejects(loadIdxDataset(dir, 'toy'), /lacks IDX files for testLabels/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
