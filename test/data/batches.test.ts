import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchCount, iterateBatches, splitTrainVal, subset, take, type Batch } from '../../src/data/batches.js';
import { applyCropFlip, drawCropFlipParams } from '../../src/data/augment.js';
import { createRng, deriveSeed } from '../../src/util/random.js';
import { makeSet } from './fixtures.js';

const per = 3 * 3 * 2;

/** The example ids (first value of each image) in iteration order. */
function ids(batches: Batch[]): number[] {
  return batches.flatMap((b) => Array.from({ length: b.size }, (_, k) => b.x[k * per]));
}

test('every index exactly once per epoch, with matching labels and pixels', () => {
  const set = makeSet(23, 3, 3, 2);
  for (const shuffle of [false, true]) {
    const batches = [...iterateBatches(set, 5, { shuffle, seed: 3, epoch: 1 })];
    assert.equal(batches.length, 5);
    assert.deepEqual(batches.map((b) => b.size), [5, 5, 5, 5, 3]);
    assert.deepEqual(batches.map((b) => b.index), [0, 1, 2, 3, 4]);
    const order = ids(batches);
    assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
    if (!shuffle) assert.deepEqual(order, Array.from({ length: 23 }, (_, i) => i));
    for (const b of batches) {
      assert.equal(b.x.length, b.size * per);
      assert.equal(b.y.length, b.size);
      for (let k = 0; k < b.size; k++) {
        const src = b.x[k * per];
        assert.equal(b.y[k], set.labels[src]);
        assert.deepEqual(Array.from(b.x.subarray(k * per, (k + 1) * per)), Array.from(set.images.subarray(src * per, (src + 1) * per)));
      }
    }
  }
});

test('same (seed, epoch) same order; other epoch or seed gives another order', () => {
  const set = makeSet(40, 3, 3, 2);
  const run = (seed: number, epoch: number) => ids([...iterateBatches(set, 8, { shuffle: true, seed, epoch })]);
  assert.deepEqual(run(5, 0), run(5, 0));
  assert.notDeepEqual(run(5, 0), run(5, 1));
  assert.notDeepEqual(run(5, 0), run(6, 0));
  assert.notDeepEqual(run(5, 0), Array.from({ length: 40 }, (_, i) => i));
});

test('dropRemainder skips the short last batch', () => {
  const set = makeSet(23, 3, 3, 2);
  const batches = [...iterateBatches(set, 5, { dropRemainder: true })];
  assert.equal(batches.length, 4);
  assert.equal(batchCount(23, 5, true), 4);
  assert.equal(batchCount(23, 5), 5);
  assert.ok(batches.every((b) => b.size === 5));
});

test('crop-flip augmentation equals applyCropFlip with the documented seed stream', () => {
  const set = makeSet(10, 8, 8, 3);
  const batches = [...iterateBatches(set, 4, { shuffle: true, seed: 9, epoch: 2, augment: 'crop-flip' })];
  const plain = [...iterateBatches(set, 4, { shuffle: true, seed: 9, epoch: 2 })];
  const rng = createRng(deriveSeed(9, 'augment/epoch:2'));
  let differs = false;
  for (let b = 0; b < batches.length; b++) {
    const params = drawCropFlipParams(plain[b].size, 4, rng);
    const expect = new Float32Array(plain[b].x.length);
    applyCropFlip(plain[b].x, expect, set, 4, params);
    assert.deepEqual(batches[b].x, expect);
    assert.deepEqual(batches[b].y, plain[b].y);
    if (!batches[b].x.every((v, i) => v === plain[b].x[i])) differs = true;
  }
  assert.ok(differs, 'augmentation changed something');
});

test('bad arguments fail clearly', () => {
  const set = makeSet(4, 2, 2, 1);
  assert.throws(() => [...iterateBatches(set, 0)], /batchSize must be a positive integer/);
  assert.throws(() => [...iterateBatches({ ...set, count: 5 }, 2)], /synthetic.*expected count/);
  assert.throws(() => subset(set, [4]), /index 4 at position 0 is outside \[0, 4\)/);
});

test('subset, take and splitTrainVal', () => {
  const set = makeSet(20, 3, 3, 2);
  const s = subset(set, [3, 3, 0]);
  assert.equal(s.count, 3);
  assert.deepEqual(Array.from(s.labels), [3, 3, 0]);
  assert.deepEqual([s.images[0], s.images[per], s.images[2 * per]], [3, 3, 0]);
  const t = take(set, 6);
  assert.equal(t.count, 6);
  assert.deepEqual(Array.from(t.images), Array.from(set.images.subarray(0, 6 * per)));
  assert.equal(take(set, 100).count, 20);

  const { train, val } = splitTrainVal(set, 0.25, 1);
  assert.equal(val.count, 5);
  assert.equal(train.count, 15);
  const idsOf = (x: typeof set) => Array.from({ length: x.count }, (_, k) => x.images[k * per]);
  const all = [...idsOf(train), ...idsOf(val)].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(idsOf(val), [...idsOf(val)].sort((a, b) => a - b), 'original order kept');
  assert.deepEqual(idsOf(splitTrainVal(set, 0.25, 1).val), idsOf(val), 'deterministic');
  assert.notDeepEqual(idsOf(splitTrainVal(set, 0.25, 2).val), idsOf(val), 'seed matters');
  assert.throws(() => splitTrainVal(set, 1, 0), /fraction must be in \[0, 1\)/);
});
