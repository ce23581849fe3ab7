import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, type DType, type TypedArray } from 'npyjs';
import { loadDataset } from '../../src/data/registry.js';

function save(path: string, data: TypedArray, shape: number[], dtype?: DType): void {
  writeFileSync(path, new Uint8Array(dump(data, shape, dtype ? { dtype } : undefined)));
}

function writeNpy(dir: string, opts: { testShape?: number[]; oneHot?: boolean } = {}): Uint8Array {
  mkdirSync(dir, { recursive: true });
  const x = Uint8Array.from({ length: 4 * 3 * 2 * 3 }, (_, i) => (i * 13) % 256);
  save(join(dir, 'x_train.npy'), x, [4, 3, 2, 3]);
  if (opts.oneHot) save(join(dir, 'y_train.npy'), Float32Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0]), [4, 3]);
  else save(join(dir, 'y_train.npy'), BigInt64Array.from([1n, 0n, 2n, 1n]), [4]);
  const ts = opts.testShape ?? [2, 3, 2, 3];
  save(join(dir, 'x_test.npy'), new Float32Array(ts.reduce((a, b) => a * b, 1)).fill(0.5), ts);
  save(join(dir, 'y_test.npy'), Int32Array.from([2, 0]), [2]);
  return x;
}

test('npy:DIR reads uint8 / float images and int64, int32 or one-hot labels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-npy-'));
  try {
    const x = writeNpy(join(dir, 'a'));
    const d = await loadDataset(`npy:${join(dir, 'a')}`, { normalize: false });
    assert.deepEqual([d.train.count, d.train.height, d.train.width, d.train.channels, d.train.numClasses], [4, 3, 2, 3, 3]);
    assert.deepEqual(Array.from(d.train.labels), [1, 0, 2, 1]);
    assert.deepEqual(Array.from(d.test.labels), [2, 0]);
    d.train.images.forEach((v, i) => assert.ok(Math.abs(v - x[i] / 255) < 1e-7));
    assert.ok(d.test.images.every((v) => v === 0.5), 'float arrays are kept as given');
    writeNpy(join(dir, 'b'), { oneHot: true });
    assert.deepEqual(Array.from((await loadDataset(`npy:${join(dir, 'b')}`)).train.labels), [1, 0, 2, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad npy folders: missing, truncated or mismatched files are named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-npy-'));
  try {
    mkdirSync(join(dir, 'empty'));
    await assert.rejects(loadDataset(`npy:${join(dir, 'empty')}`), /lacks x_train\.npy, y_train\.npy, x_test\.npy, y_test\.npy/);
    writeNpy(join(dir, 'cut'));
    const p = join(dir, 'cut', 'x_train.npy');
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 10));
    await assert.rejects(loadDataset(`npy:${join(dir, 'cut')}`), /x_train\.npy is truncated or corrupt: header shape \[4, 3, 2, 3\] needs 72 values/);
    writeFileSync(p, 'garbage');
    await assert.rejects(loadDataset(`npy:${join(dir, 'cut')}`), /cannot read .*x_train\.npy \(not a valid \.npy file/);
    writeNpy(join(dir, 'shape'), { testShape: [2, 3, 3, 3] });
    await assert.rejects(loadDataset(`npy:${join(dir, 'shape')}`), /x_train\.npy images are 3×2×3 but x_test\.npy images are 3×3×3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
