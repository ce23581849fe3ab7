import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDigitArrays, loadDigits } from '../../src/data/digits.js';

test('digits: all 10,000 samples, fixed stratified 8000/2000 split, values in [0, 1]', async () => {
  const d = await loadDigits();
  assert.equal(d.train.count, 8000);
  assert.equal(d.test.count, 2000);
  assert.deepEqual([d.train.height, d.train.width, d.train.channels, d.train.numClasses], [28, 28, 1, 10]);
  const raw = await loadDigitArrays();
  const perDigit = raw.map((a) => a.length / 784);
  const trainHist = new Array(10).fill(0);
  const testHist = new Array(10).fill(0);
  for (const l of d.train.labels) trainHist[l]++;
  for (const l of d.test.labels) testHist[l]++;
  for (let k = 0; k < 10; k++) {
    assert.equal(trainHist[k] + testHist[k], perDigit[k]);
    assert.equal(testHist[k], Math.round(perDigit[k] * 0.2));
  }
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of d.train.images) { if (v < min) min = v; if (v > max) max = v; sum += v; }
  assert.equal(min, 0);
  assert.ok(max > 0.99 && max <= 1);
  const mean = sum / d.train.images.length;
  assert.ok(mean > 0.1 && mean < 0.16, `MNIST mean ≈ 0.13, got ${mean}`);
  // First 100 train examples are class-mixed (the split is shuffled).
  assert.ok(new Set(d.train.labels.subarray(0, 100)).size === 10);

  // Every train/test image is one of the package's samples of its labelled digit, and none is used twice.
  // 52-bit-ish fingerprint of an image's float bits (two independent 32-bit FNV-1a hashes).
  const key = (a: Float32Array): string => {
    const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
    let h1 = 0x811c9dc5, h2 = 0x12345678;
    for (let i = 0; i < u.length; i++) {
      h1 = Math.imul(h1 ^ u[i], 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ u[i], 0x5bd1e995) >>> 0;
    }
    return `${h1}:${h2}`;
  };
  const seen = new Map<string, number>();
  for (const s of [d.train, d.test])
    for (let k = 0; k < s.count; k++) {
      const kk = key(s.images.subarray(k * 784, (k + 1) * 784)) + '|' + s.labels[k];
      seen.set(kk, (seen.get(kk) ?? 0) + 1);
    }
  const expected = new Map<string, number>();
  raw.forEach((arr, digit) => { for (let i = 0; i < arr.length / 784; i++) { const kk = key(arr.subarray(i * 784, (i + 1) * 784)) + '|' + digit; expected.set(kk, (expected.get(kk) ?? 0) + 1); } });
  assert.deepEqual(seen, expected);

  const again = await loadDigits();
  assert.deepEqual(again.train.labels, d.train.labels, 'deterministic split');
});
