import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { buildChannelGraph } from '../../src/structured/graph.js';
import { scoreChannels } from '../../src/structured/criteria/index.js';
import { selectTop } from '../../src/structured/rates.js';
import { randomImageSet, randomizeBN, smallResNet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

test('pruneFilters with rates keeps the top-scoring channels and reports costs', async () => {
  const m = vggLike();
  randomizeBN(m, 3);
  const calib = randomImageSet(m, 16, 1);
  const opts = { calibBatches: 2, calibBatchSize: 8, seed: 4 };
  const before = tf.memory().numTensors;
  const { model: p, keep, report } = await pruneFilters(m, { criterion: 'dct', rates: '[0.5]*2+[0.25]', calib, ...opts });
  assert.equal(tf.memory().numTensors - before, p.weights.length);
  const scores = scoreChannels(m, buildChannelGraph(m), 'dct', calib, opts);
  assert.deepEqual(Array.from(keep.get(0)!), Array.from(selectTop(scores.get(0)!, 0.5)));
  assert.deepEqual(report.groups.map((g) => g.kept), [4, 4, 9, 16]);
  assert.equal(report.after.params, p.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0));
  assert.ok(report.reduction.macs > 0.3 && report.reduction.params > 0);
  m.dispose();
  p.dispose();
});

test('pruneFilters in budget mode reaches the requested FLOPs cut', async () => {
  const m = smallResNet();
  const { model: p, report } = await pruneFilters(m, { criterion: 'l1', flopsReduction: 0.5 });
  assert.equal(report.mode, 'flops');
  assert.ok(report.reduction.macs >= 0.5, `macs cut ${report.reduction.macs}`);
  assert.ok(report.uniformRate! > 0 && report.uniformRate! < 1);
  const x = tf.zeros([1, 8, 8, 3]);
  const y = p.predict(x) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 3]);
  tf.dispose([x, y]);
  await assert.rejects(pruneFilters(m, { criterion: 'l1' }), /exactly one of/);
  m.dispose();
  p.dispose();
});
