import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { kdLoss, softTargets, stopGradient } from '../../src/distill/kd-loss.js';

await tf.setBackend('cpu');

function softmax(z: number[], t: number): number[] {
  const m = Math.max(...z.map((v) => v / t));
  const e = z.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('KD loss equals a hand-computed value (α = 0.7, τ = 4)', () => {
  const zs = [[1, 2, 0.5], [0.1, -1, 3]];
  const zt = [[2, 1, 0], [0, 0, 4]];
  const y = [1, 2];
  const [alpha, tau] = [0.7, 4];
  let ce = 0;
  let kl = 0;
  for (let i = 0; i < 2; i++) {
    ce += -Math.log(softmax(zs[i], 1)[y[i]]);
    const p = softmax(zt[i], tau);
    const q = softmax(zs[i], tau);
    for (let k = 0; k < 3; k++) kl += p[k] * Math.log(p[k] / q[k]);
  }
  const want = (1 - alpha) * (ce / 2) + alpha * tau * tau * (kl / 2);
  const got = tf.tidy(() => {
    const p = softTargets(tf.tensor2d(zt), tau);
    return kdLoss(tf.tensor2d(zs), p, tf.tensor1d(y, 'int32'), { alpha, tau }).dataSync()[0];
  });
  assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
});

test('KL term is zero when student equals teacher; zero targets contribute 0·log 0 = 0', () => {
  tf.tidy(() => {
    const z = tf.tensor2d([[1, 2, 3]]);
    const l = kdLoss(z, softTargets(z, 2), tf.tensor1d([0], 'int32'), { alpha: 1, tau: 2 }).dataSync()[0];
    assert.ok(Math.abs(l) < 1e-6);
    const onehot = tf.tensor2d([[0, 1, 0]]);
    const l2 = kdLoss(z, onehot, tf.tensor1d([1], 'int32'), { alpha: 1, tau: 1 }).dataSync()[0];
    const q = softmax([1, 2, 3], 1);
    assert.ok(Math.abs(l2 - -Math.log(q[1])) < 1e-5 && Number.isFinite(l2));
  });
});

test('gradient flows to the student only; stopGradient blocks it', () => {
  tf.tidy(() => {
    const zs = tf.variable(tf.tensor2d([[0.5, -0.5]]));
    const zt = tf.variable(tf.tensor2d([[1, 0]]));
    const { grads } = tf.variableGrads(
      () => kdLoss(zs, softTargets(zt, 4), tf.tensor1d([0], 'int32')),
      [zs, zt],
    );
    assert.ok(Math.abs(grads[zs.name].dataSync()[0]) > 1e-4);
    assert.equal(tf.sum(tf.abs(grads[zt.name])).dataSync()[0], 0);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(stopGradient(x), x)))(tf.tensor1d([3]));
    assert.equal(g.dataSync()[0], 3);
  });
});

test('bad α and τ are rejected', () => {
  tf.tidy(() => {
    const z = tf.tensor2d([[1, 2]]);
    assert.throws(() => kdLoss(z, z, tf.tensor1d([0], 'int32'), { alpha: 1.5 }), /α must be in \[0, 1\]/);
    assert.throws(() => kdLoss(z, z, tf.tensor1d([0], 'int32'), { tau: 0 }), /τ must be a positive/);
  });
});
