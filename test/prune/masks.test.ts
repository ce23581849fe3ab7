import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { computeMasks } from '../../src/prune/compute.js';
import { prunableLayers } from '../../src/prune/layers.js';
import { MaskSet, applyMasks, maskEnforcer } from '../../src/prune/masks.js';
import { convNet, denseNet, values } from './fixtures.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

test('MaskSet counts and applyMasks zeroes exactly the masked weights', () => {
  const m = convNet();
  const layers = prunableLayers(m);
  const masks = MaskSet.ones(layers);
  assert.equal(masks.totalSparsity(), 0);
  const c2 = masks.get('c2');
  for (let i = 0; i < c2.length; i += 2) c2[i] = 0;
  assert.equal(masks.alive('c2'), c2.length / 2);
  assert.equal(masks.sparsity('c2'), 0.5);
  assert.ok(Math.abs(masks.totalSparsity() - c2.length / 2 / masks.totalSize()) < 1e-12);
  const before = values(m, 'c2');
  const n0 = tf.memory().numTensors;
  applyMasks(m, masks);
  assert.equal(tf.memory().numTensors, n0);
  const after = values(m, 'c2');
  for (let i = 0; i < c2.length; i++) assert.ok(Object.is(after[i], c2[i] ? before[i] : 0), `${i}: ${after[i]}`);
  assert.ok(MaskSet.fromModel(layers).equals(masks));
  const bad = new MaskSet();
  bad.set('c2', new Uint8Array(3));
  assert.throws(() => applyMasks(m, bad), /mask for 'c2' has 3 entries/);
  bad.set('nope', new Uint8Array(3));
  m.dispose();
});

test('pruned weights stay exactly zero through Adam steps with maskEnforcer; no tensor leak', () => {
  const m = denseNet();
  const masks = computeMasks(m, { method: 'mp', sparsity: 0.6 });
  applyMasks(m, masks);
  const x = tf.tensor2d(seededValues(32 * 6, 3), [32, 6]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 3), 'int32'), 3).toFloat();
  const opt = tf.train.adam(0.05);
  const enforce = maskEnforcer(m, masks);
  const loss = () => tf.losses.softmaxCrossEntropy(y, m.apply(x) as tf.Tensor) as tf.Scalar;
  const step = (withMask: boolean) => {
    tf.tidy(() => {
      opt.minimize(loss);
    });
    if (withMask) enforce();
  };
  step(true); // creates optimizer slots
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) step(true);
  assert.equal(tf.memory().numTensors, n0, 'enforcer and steps leak no tensors');
  const trained = values(m, 'd2');
  const mk = masks.get('d2');
  let moved = 0;
  for (let i = 0; i < mk.length; i++) {
    if (!mk[i]) assert.ok(trained[i] === 0, `weight ${i} revived: ${trained[i]}`);
    else if (trained[i] !== 0) moved++;
  }
  assert.ok(moved > 0);
  // control: without the enforcer Adam's moments revive pruned weights (so the test can fail)
  step(false);
  step(false);
  const revived = values(m, 'd2').some((v, i) => !mk[i] && v !== 0);
  assert.ok(revived);
  enforce.dispose();
  assert.throws(() => enforce(), /after dispose/);
  tf.dispose([x, y]);
  opt.dispose();
  m.dispose();
});
