import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cifarRecordBytes,
  encodeCifarBatch,
  loadCifar10,
  loadCifar100,
  parseCifarBatch,
  readCifarBatch,
  writeCifarBatch,
} from '../../src/data/cifar.js';
import type { ImageSet } from '../../src/data/types.js';
import { createRng, randInt } from '../../src/util/random.js';

/** Raw CHW record bytes built by hand: byte value for (n, c, y, x) is a seeded random byte. */
function rawRecords(n: number, labelBytes: number[][], seed: number): Uint8Array {
  const rec = labelBytes[0].length + 3072;
  const out = new Uint8Array(n * rec);
  const rng = createRng(seed);
  for (let k = 0; k < n; k++) {
    out.set(labelBytes[k], k * rec);
    for (let i = labelBytes[k].length; i < rec; i++) out[k * rec + i] = randInt(rng, 256);
  }
  return out;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'prunekit-cifar-'));
}

test('CIFAR-10 record → NHWC pixel by pixel, and writer round-trip', async () => {
  const labels = [[3], [9], [0]];
  const bytes = rawRecords(3, labels, 5);
  const b = parseCifarBatch(bytes, 'mem', 'cifar10');
  assert.equal(b.count, 3);
  assert.deepEqual(Array.from(b.labels), [3, 9, 0]);
  for (let n = 0; n < 3; n++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          const expected = bytes[n * 3073 + 1 + c * 1024 + y * 32 + x] / 255;
          assert.equal(b.images[((n * 32 + y) * 32 + x) * 3 + c], Math.fround(expected));
        }
  const set: ImageSet = { name: 't', images: b.images, labels: b.labels, count: 3, height: 32, width: 32, channels: 3, numClasses: 10 };
  assert.deepEqual(encodeCifarBatch(set, 'cifar10'), bytes);
  const dir = tmp();
  try {
    await writeCifarBatch(join(dir, 'x.bin'), set, 'cifar10');
    const back = await readCifarBatch(join(dir, 'x.bin'), 'cifar10');
    assert.deepEqual(back.images, b.images);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CIFAR-100 records carry coarse then fine labels', () => {
  const bytes = rawRecords(2, [[4, 77], [19, 0]], 6);
  const b = parseCifarBatch(bytes, 'mem', 'cifar100');
  assert.deepEqual(Array.from(b.labels), [77, 0]);
  assert.deepEqual(Array.from(b.coarseLabels!), [4, 19]);
  assert.equal(b.images[((1 * 32 + 31) * 32 + 5) * 3 + 2], Math.fround(bytes[3074 + 2 + 2 * 1024 + 31 * 32 + 5] / 255));
  const set: ImageSet = { name: 't', images: b.images, labels: b.labels, count: 2, height: 32, width: 32, channels: 3, numClasses: 100 };
  assert.deepEqual(encodeCifarBatch(set, 'cifar100', b.coarseLabels), bytes);
});

test('bad sizes and labels fail naming the file', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'data_batch_1.bin');
    writeFileSync(p, new Uint8Array(3073 * 2 + 10));
    await assert.rejects(readCifarBatch(p, 'cifar10'), (e: Error) => e.message.includes(p) && /not a positive multiple of the cifar10 record size 3073/.test(e.message));
    writeFileSync(p, new Uint8Array(3073)); // a valid cifar10 size is not a cifar100 size
    await assert.rejects(readCifarBatch(p, 'cifar100'), /record size 3074/);
    const bad = new Uint8Array(3073);
    bad[0] = 10;
    writeFileSync(p, bad);
    await assert.rejects(readCifarBatch(p, 'cifar10'), /record 0 has label 10/);
    await assert.rejects(loadCifar10(dir), /lacks data_batch_2\.bin/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loaders read the standard folder layouts', async () => {
  const root = tmp();
  try {
    const c10 = join(root, 'cifar-10-batches-bin');
    mkdirSync(c10);
    for (let i = 1; i <= 5; i++) writeFileSync(join(c10, `data_batch_${i}.bin`), rawRecords(2, [[i], [i + 1]], i));
    writeFileSync(join(c10, 'test_batch.bin'), rawRecords(1, [[7]], 9));
    const d10 = await loadCifar10(root); // parent folder works
    assert.equal(d10.train.count, 10);
    assert.equal(d10.test.count, 1);
    assert.deepEqual(Array.from(d10.train.labels), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    assert.equal(d10.classNames?.[0], 'airplane');
    assert.equal(d10.train.images.length, 10 * 3072);
    assert.equal((await loadCifar10(c10)).train.count, 10); // the folder itself works

    const c100 = join(root, 'cifar-100-binary');
    mkdirSync(c100);
    writeFileSync(join(c100, 'train.bin'), rawRecords(3, [[1, 50], [2, 60], [3, 99]], 1));
    writeFileSync(join(c100, 'test.bin'), rawRecords(1, [[5, 5]], 2));
    writeFileSync(join(c100, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `sc${i}`).join('\n') + '\n');
    const fine = await loadCifar100(root);
    assert.deepEqual(Array.from(fine.train.labels), [50, 60, 99]);
    assert.equal(fine.train.numClasses, 100);
    const coarse = await loadCifar100(root, { labels: 'coarse' });
    assert.deepEqual(Array.from(coarse.train.labels), [1, 2, 3]);
    assert.equal(coarse.train.numClasses, 20);
    assert.equal(coarse.classNames?.[3], 'sc3');
    assert.equal(cifarRecordBytes('cifar100'), 3074);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
