import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdx, writeIdx, type IdxArray } from '../../src/data/idx.js';
import { createRng, randInt } from '../../src/util/random.js';

function withTmp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prunekit-idx-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function randomImages(n: number, h: number, w: number, seed: number): IdxArray {
  const rng = createRng(seed);
  const data = new Uint8Array(n * h * w);
  for (let i = 0; i < data.length; i++) data[i] = randInt(rng, 256);
  return { dtype: 'uint8', shape: [n, h, w], data };
}

test('IDX header bytes follow the MNIST layout (magic 0x00000803, big-endian dims)', () => {
  const bytes = encodeIdx({ dtype: 'uint8', shape: [2, 3, 4], data: new Uint8Array(24).map((_, i) => i) });
  assert.deepEqual(Array.from(bytes.subarray(0, 16)), [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
  assert.equal(bytes.length, 16 + 24);
  assert.equal(bytes[16 + 23], 23);
  const labels = encodeIdx({ dtype: 'uint8', shape: [300], data: new Uint8Array(300) });
  assert.deepEqual(Array.from(labels.subarray(0, 8)), [0, 0, 8, 1, 0, 0, 1, 44]);
});

test('IDX round-trip, raw and gzip files', withTmp(async (dir) => {
  const arr = randomImages(5, 7, 6, 1);
  for (const name of ['a-idx3-ubyte', 'a-idx3-ubyte.gz']) {
    const path = join(dir, name);
    await writeIdx(path, arr);
    const raw = readFileSync(path);
    assert.equal(raw[0] === 0x1f && raw[1] === 0x8b, name.endsWith('.gz'), `gzip detection for ${name}`);
    const back = await readIdx(path);
    assert.equal(back.dtype, 'uint8');
    assert.deepEqual(back.shape, [5, 7, 6]);
    assert.deepEqual(Array.from(back.data), Array.from(arr.data));
  }
}));

test('IDX round-trip of multi-byte big-endian dtypes', () => {
  const cases: IdxArray[] = [
    { dtype: 'int8', shape: [4], data: Int8Array.from([-128, -1, 0, 127]) },
    { dtype: 'int16', shape: [2, 2], data: Int16Array.from([-32768, -2, 258, 32767]) },
    { dtype: 'int32', shape: [3], data: Int32Array.from([-2147483648, 16909060, 2147483647]) },
    { dtype: 'float32', shape: [2], data: Float32Array.from([1.5, -3.25]) },
    { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
  ];
  for (const c of cases) {
    const back = parseIdx(encodeIdx(c, { gzip: true }), 'mem');
    assert.equal(back.dtype, c.dtype);
    assert.deepEqual(back.shape, c.shape);
    assert.deepEqual(Array.from(back.data), Array.from(c.data));
  }
  // Big-endian on disk: int32 16909060 = 0x01020304.
  const enc = encodeIdx(cases[2]);
  assert.deepEqual(Array.from(enc.subarray(12, 16)), [1, 2, 3, 4]);
});

test('truncated, trailing, bad-magic and bad-gzip files fail naming the file', withTmp(async (dir) => {
  const good = encodeIdx(randomImages(3, 4, 4, 2));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated-data', good.subarray(0, good.length - 5), /truncated/],
    ['trailing', new Uint8Array([...good, 1, 2]), /trailing bytes/],
    ['truncated-header', good.subarray(0, 9), /truncated IDX header/],
    ['tiny', good.subarray(0, 2), /header is missing/],
    ['bad-magic', Uint8Array.from([0x12, 0x34, 8, 3, ...good.subarray(4)]), /bad IDX magic 0x12340803/],
    ['bad-dtype', Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]), /bad IDX magic/],
    ['bad-gzip', gzipSync(good).subarray(0, 30), /gzip/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    await assert.rejects(readIdx(path), (err: Error) => {
      assert.match(err.message, re, name);
      assert.ok(err.message.includes(path), `message names the file: ${err.message}`);
      return true;
    });
  }
  await assert.rejects(readIdx(join(dir, 'nope')), /nope: cannot read IDX file/);
}));

test('encodeIdx rejects a data/shape mismatch', () => {
  assert.throws(() => encodeIdx({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array(3) }), /3 elements.*needs 4/);
});
