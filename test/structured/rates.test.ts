import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { keepCount, parseRateExpression, resolveRates, selectTop } from '../../src/structured/rates.js';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { structureCost } from '../../src/structured/cost.js';
import { uniformRateForBudget } from '../../src/structured/budget.js';
import { removeChannels } from '../../src/structured/surgery.js';
import { sequentialNet } from './fixtures.js';

await tf.setBackend('cpu');

/** HRank's CIFAR VGG-16: 13 conv3×3(+bias)+BN+ReLU, pools after conv 2,4,7,10, 2×2 avg pool, Dense 512, BN, ReLU, Dense 10. */
function vgg16Hrank(): tf.Sequential {
  const widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];
  const m = tf.sequential();
  widths.forEach((w, i) => {
    m.add(tf.layers.conv2d({ ...(i === 0 ? { inputShape: [32, 32, 3] } : {}), filters: w, kernelSize: 3, padding: 'same', kernelInitializer: 'zeros' }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.reLU());
    if ([1, 3, 6, 9].includes(i)) m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tf.layers.averagePooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 512 }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU());
  m.add(tf.layers.dense({ units: 10 }));
  return m;
}

const trainableParams = (m: tf.LayersModel) => m.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

test('keepCount follows floor(C·(1−r)), at least 1', () => {
  assert.equal(keepCount(512, 0.95), 25);
  assert.equal(keepCount(64, 0.5), 32);
  assert.equal(keepCount(10, 0.99), 1);
  assert.equal(keepCount(7, 0), 7);
  assert.throws(() => keepCount(8, 1), /\[0, 1\)/);
});

test('selectTop keeps the highest scores, sorted by index, ties to the lower index', () => {
  assert.deepEqual(Array.from(selectTop([0.1, 5, 3, 4, 0.2, 9], 0.5)), [1, 3, 5]);
  assert.deepEqual(Array.from(selectTop([1, 1, 1, 1], 0.5)), [0, 1]);
  assert.deepEqual(Array.from(selectTop([3, 2, 1], 0.9)), [0]);
});

test('rate expressions parse', () => {
  assert.deepEqual(parseRateExpression('[0.5]*7+[0.95]*5'), [...Array(7).fill(0.5), ...Array(5).fill(0.95)]);
  assert.deepEqual(parseRateExpression('[0.1, 0.2]*2 + [0.3] + 0.4'), [0.1, 0.2, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(parseRateExpression('0.25'), [0.25]);
  assert.throws(() => parseRateExpression('[0.5]*x'), /expected a number at position 6/);
  assert.throws(() => parseRateExpression('[0.5,1.2]'), /\[0, 1\)/);
  assert.throws(() => parseRateExpression('[0.5'), /expected '\]'/);
});

test('resolveRates: uniform, list (short lists leave the rest unpruned), by name, errors', () => {
  const m = sequentialNet();
  const g = buildChannelGraph(m);
  const ids = prunableGroups(g).map((x) => x.id);
  assert.deepEqual([...resolveRates(g, 0.5)], ids.map((i) => [i, 0.5]));
  assert.deepEqual([...resolveRates(g, '[0.2]*2')], [[0, 0.2], [1, 0.2]]);
  assert.deepEqual([...resolveRates(g, '0.3')], ids.map((i) => [i, 0.3]));
  assert.deepEqual([...resolveRates(g, { [g.groups[1].producers[0]]: 0.4 })], [[1, 0.4]]);
  assert.throws(() => resolveRates(g, [0.1, 0.1, 0.1, 0.1]), /4 rates given but the model has 3 prunable/);
  assert.throws(() => resolveRates(g, { [g.groups[3].producers[0]]: 0.5 }), /cannot be pruned/);
  m.dispose();
});

test('HRank VGG-16 counts: 14,991,946 params; [0.5]*7+[0.95]*5 → 872,965 params, 49,484,520 MACs; save/load', async () => {
  const m = vgg16Hrank();
  const g = buildChannelGraph(m);
  assert.equal(trainableParams(m), 14991946);
  assert.equal(structureCost(m, g).params, 14991946);
  assert.equal(prunableGroups(g).length, 14); // conv1..13 + dense 512
  const rates = resolveRates(g, '[0.5]*7+[0.95]*5');
  const keep = new Map<number, Int32Array>();
  for (const [id, r] of rates) {
    const k = keepCount(g.groups[id].channels, r);
    keep.set(id, Int32Array.from({ length: k }, (_, i) => i * 2 < g.groups[id].channels ? i * 2 : i));
  }
  const analytic = structureCost(m, g, new Map([...keep].map(([id, k]) => [id, k.length])));
  assert.deepEqual(analytic, { params: 872965, macs: 49484520 });
  const p = await removeChannels(m, keep);
  m.dispose();
  assert.equal(trainableParams(p), 872965);
  assert.deepEqual(structureCost(p, buildChannelGraph(p)), { params: 872965, macs: 49484520 });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await p.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  assert.equal(trainableParams(loaded), 872965);
  p.dispose();
  loaded.dispose();
});

test('budget: the uniform rate meets a MACs / params reduction and is minimal', () => {
  const m = sequentialNet();
  const g = buildChannelGraph(m);
  for (const metric of ['macs', 'params'] as const) {
    const b = uniformRateForBudget(m, g, metric, 0.4);
    assert.ok(b.reduction >= 0.4, `${metric} reduction ${b.reduction}`);
    // A slightly smaller rate falls short.
    const w = new Map(prunableGroups(g).map((x) => [x.id, keepCount(x.channels, Math.max(0, b.rate - 1e-6))]));
    const r2 = 1 - structureCost(m, g, w)[metric] / b.before[metric];
    assert.ok(r2 < 0.4, `${metric}: rate ${b.rate} is not minimal (${r2})`);
  }
  assert.throws(() => uniformRateForBudget(m, g, 'params', 0.999), /cannot cut params/);
  m.dispose();
});
