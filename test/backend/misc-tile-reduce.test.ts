import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { seededValues, expectMatchesCpu } from '../helpers/backends.js';
import { leadingAxisCount } from '../../src/backend/kernels/misc/reduce-leading.js';

const TOL = 1e-4;

const compare = (name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> => expectMatchesCpu(name, fn, TOL);
const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);

const TILES: [number[], number[]][] = [
  [[1, 1, 1, 5], [3, 4, 2, 1]],
  [[2, 3], [3, 2]],
  [[4], [5]],
  [[2, 1, 3], [1, 4, 1]],
  [[3, 2, 2, 1], [2, 1, 3, 4]],
  [[2, 2], [1, 1]],
];
for (const [shape, reps] of TILES) {
  test(`Tile ${shape} by ${reps} matches cpu (float32 and int32)`, async () => {
    await compare('tile', () => tf.tile(t(shape, 3), reps));
    await compare('tile int32', () => tf.tile(tf.cast(tf.mul(t(shape, 4), 100), 'int32'), reps).toFloat());
  });
}
test('Tile of a scalar-like and gradient through tile match cpu', async () => {
  await compare('tile grad', () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, [2, 3]), t([4, 9], 5))))(t([2, 3], 6)));
});

const REDUCE: [number[], number | number[], boolean][] = [
  [[4, 3, 3, 5], [0, 1, 2], false],
  [[4, 3, 3, 5], [0, 1, 2], true],
  [[7, 9], 0, false],
  [[7, 9], [0, 1], false],
  [[7, 9], 1, false], // trailing axis: stock path
  [[2, 3, 4], [1, 0], true],
  [[2, 3, 4], [0, 2], false], // non-contiguous: stock path
  [[6, 5, 5, 8], [0, 1, 2], false], // columns a multiple of 4: the SIMD module's colSums
  [[33, 12], 0, true],
  // other column counts: colSums over rows of t·cols columns (t = 2 or 4) + a JS tail of rows % t rows
  [[5, 6], 0, false],
  [[3, 2, 7, 22], [0, 1, 2], false],
];
for (const [shape, axis, keepDims] of REDUCE) {
  test(`Sum and Mean over ${JSON.stringify(axis)} of ${shape} keepDims=${keepDims} match cpu`, async () => {
    await compare('sum', () => tf.sum(t(shape, 7), axis, keepDims));
    await compare('mean', () => tf.mean(t(shape, 8), axis, keepDims));
    await compare('sum int32', () => tf.sum(tf.cast(tf.mul(t(shape, 9), 50), 'int32'), axis, keepDims).toFloat());
  });
}

test('leadingAxisCount recognises leading axis sets only', () => {
  assert.equal(leadingAxisCount([0, 1, 2], 4), 3);
  assert.equal(leadingAxisCount([2, 0, 1], 4), 3);
  assert.equal(leadingAxisCount(0, 2), 1);
  assert.equal(leadingAxisCount(-2, 2), 1);
  assert.equal(leadingAxisCount([1], 3), 0);
  assert.equal(leadingAxisCount([0, 2], 3), 0);
});
