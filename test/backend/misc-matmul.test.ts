import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { seededValues, expectMatchesCpu } from '../helpers/backends.js';

const TOL = 1e-4;

const compare = (name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> => expectMatchesCpu(name, fn, TOL);

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);

// [m, k, n, batch]: small, odd, and one shape where B is much larger than A (swapped route).
const SHAPES: [number, number, number, number][] = [
  [3, 5, 7, 1],
  [17, 31, 9, 1],
  [8, 200, 150, 1],
  [5, 4, 6, 3],
];

for (const [m, k, n, batch] of SHAPES) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      test(`BatchMatMul m=${m} k=${k} n=${n} batch=${batch} transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
        const pre = batch > 1 ? [batch] : [];
        const aShape = [...pre, ...(ta ? [k, m] : [m, k])];
        const bShape = [...pre, ...(tb ? [n, k] : [k, n])];
        await compare('matMul', () => tf.matMul(t(aShape, m * 7 + k), t(bShape, n * 13 + k), ta, tb));
        // gradients of matMul (they use BatchMatMul with every transpose combination)
        await compare('matMul grads', () => {
          const a = t(aShape, 11);
          const b = t(bShape, 12);
          const w = t([...pre, m, n], 13);
          return tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b]);
        });
      });
    }
  }
}

test('BatchMatMul broadcasts a rank-2 operand against a batch', async () => {
  await compare('broadcast', () => tf.matMul(t([4, 6, 5], 1), t([7, 5], 2), false, true));
});

for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    for (const activation of ['linear', 'relu'] as const) {
      test(`fused matMul with bias, ${activation}, transposeA=${ta} transposeB=${tb}: value and gradients match cpu`, async () => {
        const [m, k, n] = [9, 13, 11];
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        await compare('fused', () => tf.fused.matMul({ a: t(aShape, 3), b: t(bShape, 4), transposeA: ta, transposeB: tb, bias: t([n], 5), activation }));
        await compare('fused grads', () => {
          const w = t([m, n], 6);
          return tf.grads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
            tf.sum(tf.mul(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation }), w)),
          )([t(aShape, 7), t(bShape, 8), t([n], 9)]);
        });
      });
    }
  }
}

test('Dense layer training gradients match cpu', async () => {
  await compare('dense', () => {
    const x = t([6, 10], 21);
    const w = tf.variable(t([10, 4], 22));
    const b = tf.variable(t([4], 23));
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(tf.relu(tf.add(tf.matMul(x, w), b)))), [w, b]);
    const out = [value, grads[w.name], grads[b.name]];
    w.dispose();
    b.dispose();
    return out;
  });
});
