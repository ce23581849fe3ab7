import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { pruneModel } from '../../src/prune/prune.js';
import { sparseCost } from '../../src/report/sparse-cost.js';

test('sparseCost: non-zero params and MACs against counts written out by hand', async () => {
  await tf.setBackend('cpu');
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'c', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }));
  m.add(tf.layers.flatten({ name: 'f' }));
  m.add(tf.layers.dense({ units: 5, name: 'd', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
  const { record } = pruneModel(m, { method: 'mp', ratios: [0.5, 0.75] });
  const c = sparseCost(m, record);
  const convMacs = 6 * 6 * 3 * 3 * 2 * 4; // 2592
  const denseMacs = 144 * 5; // 720
  assert.equal(c.convDenseMacs, convMacs + denseMacs);
  assert.equal(c.nonZeroMacs, Math.round(convMacs * (36 / 72) + denseMacs * (180 / 720)));
  assert.equal(c.params, 72 + 4 + 720 + 5);
  assert.equal(c.nonZeroParams, c.params - 36 - 540);
  assert.equal(c.size.denseBytes, 4 * c.params);
  assert.ok(c.size.sparseBytes < c.size.denseBytes);
  m.dispose();
});
