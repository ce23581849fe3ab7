import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { computeMasks, computeScores } from '../../src/prune/compute.js';
import { METHOD_NAMES, getMethod } from '../../src/prune/methods.js';
import { MaskSet } from '../../src/prune/masks.js';
import { prunableLayers } from '../../src/prune/layers.js';
import { convNet, denseNet, randomImages } from './fixtures.js';

await tf.setBackend('cpu');

test('registry: names, suffix, unknown method lists names', () => {
  for (const n of ['mp', 'rp', 'lap', 'lap_bn', 'lap_act', 'obd', 'lap_forward', 'lap_backward', 'mp_global_normalize', 'lap_global_normalize', 'lap_act_global_normalize']) {
    assert.ok(METHOD_NAMES.includes(n), n);
  }
  assert.equal(getMethod('lap_global_normalize').rule, 'global');
  assert.equal(getMethod('lap_forward').order, 'forward');
  assert.throws(() => getMethod('lapp'), /unknown pruning method 'lapp'.*mp, rp, lap/);
  assert.throws(() => getMethod('lap_forward_global_normalize'), /unknown pruning method/);
});

test('every method keeps exactly round((1 − r)·alive) per layer', () => {
  const m = convNet();
  const data = randomImages(40, 6, 6, 2, 3, 9);
  const ratios = [0.3, 0.5, 0.75, 0.2];
  for (const method of ['mp', 'rp', 'lap', 'lap_bn', 'lap_act', 'obd', 'lap_forward', 'lap_backward']) {
    const masks = computeMasks(m, { method, ratios, data, seed: 4, actSamples: 30, obdBatches: 2, obdBatchSize: 10 });
    prunableLayers(m).forEach((l, i) => assert.equal(masks.alive(l.name), Math.round((1 - ratios[i]) * l.geom.size), `${method} ${l.name}`));
    const split = computeMasks(m, { method, ratios, data, seed: 4, split: 3, actSamples: 30, obdBatches: 2, obdBatchSize: 10 });
    prunableLayers(m).forEach((l, i) => assert.ok(Math.abs(split.alive(l.name) - (1 - ratios[i]) * l.geom.size) <= 2, `${method} split ${l.name}`));
  }
  const g = computeMasks(m, { method: 'lap_global_normalize', sparsity: 0.6 });
  assert.equal(g.totalAlive(), Math.round(0.4 * g.totalSize()));
  m.dispose();
});

test('rp: same seed → identical masks; other seed → different', () => {
  const m = denseNet();
  const a = computeMasks(m, { method: 'rp', sparsity: 0.5, seed: 7 });
  const b = computeMasks(m, { method: 'rp', sparsity: 0.5, seed: 7 });
  const c = computeMasks(m, { method: 'rp', sparsity: 0.5, seed: 8 });
  assert.ok(a.equals(b));
  assert.ok(!a.equals(c));
  m.dispose();
});

test('lap_forward: each layer is scored with the previous layers already pruned', () => {
  const m = denseNet();
  const ratios = [0.6, 0.6, 0.5];
  const fwd = computeMasks(m, { method: 'lap_forward', ratios });
  // naive: prune d1 by LAP, then score d2 with d1's mask applied, then d3
  let masks = MaskSet.ones(prunableLayers(m));
  for (const [i, name] of ['d1', 'd2', 'd3'].entries()) {
    const s = computeScores(m, { method: 'lap', masks }).get(name)!;
    const step = computeMasks(m, { method: 'mp', ratios: ratios.map((r, j) => (j === i ? r : 0)), masks });
    // replace mp's choice by the LAP choice for this layer: keep top by s
    const keep = Math.round((1 - ratios[i]) * masks.alive(name));
    const idx = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b).slice(0, keep);
    const mk = new Uint8Array(s.length);
    for (const j of idx) mk[j] = 1;
    step.set(name, mk);
    masks = step;
  }
  assert.ok(fwd.equals(masks));
  m.dispose();
});

test('validation errors', () => {
  const m = denseNet();
  assert.throws(() => computeMasks(m, { method: 'mp', sparsity: 1 }), /sparsity must be in \[0, 1\), got 1/);
  assert.throws(() => computeMasks(m, { method: 'mp', sparsity: -0.2 }), /sparsity must be in \[0, 1\)/);
  assert.throws(() => computeMasks(m, { method: 'mp', ratios: [0.5, 0.5] }), /got 2 pruning ratios but the model has 3 prunable layers/);
  assert.throws(() => computeMasks(m, { method: 'nope', sparsity: 0.5 }), /unknown pruning method 'nope'/);
  assert.throws(() => computeMasks(m, { method: 'lap_act', sparsity: 0.5 }), /needs training data/);
  assert.throws(() => computeMasks(m, { method: 'mp_global_normalize', ratios: [0.1, 0.1, 0.1] }), /global: pass one `sparsity`/);
  assert.throws(() => computeMasks(m, { method: 'mp', sparsity: 0.5, split: 0 }), /split must be a positive integer/);
  assert.throws(() => computeMasks(m, { method: 'mp', sparsity: 0.5, exclude: ['zz'] }), /excluded layer 'zz'/);
  const empty = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2] })] });
  assert.throws(() => computeMasks(empty, { method: 'mp', sparsity: 0.5 }), /has no prunable layer/);
  m.dispose();
  empty.dispose();
});

test('lap_act: factors from activation probabilities (dense: sqrt(p)), last layer unscaled', () => {
  const m = denseNet();
  const data = randomImages(50, 1, 6, 1, 3, 11);
  const act = computeScores(m, { method: 'lap_act', data, actSamples: 50, seed: 1 });
  // naive: p per unit of d1 and d2 outputs (relu) over all 50 samples
  const x = tf.tensor2d(data.images, [50, 6]);
  const h1 = m.getLayer('d1').apply(x) as tf.Tensor;
  const h2 = m.getLayer('d2').apply(h1) as tf.Tensor;
  const p = (h: tf.Tensor) => Array.from(tf.mean(tf.cast(tf.greater(h, 0), 'float32'), 0).dataSync());
  const p1 = p(h1), p2 = p(h2);
  tf.dispose([x, h1, h2]);
  const w = (n: string) => Float32Array.from(m.getLayer(n).getWeights()[0].dataSync());
  const w1 = w('d1').map((v, i) => v * Math.sqrt(p1[i % 5]));
  const w2 = w('d2').map((v, i) => v * Math.sqrt(p2[i % 4]));
  const w3 = w('d3');
  // score of d2 = w2s² · A(w1s) · B(w3)
  const A = new Array(5).fill(0), B = new Array(4).fill(0);
  for (let k = 0; k < 6; k++) for (let j = 0; j < 5; j++) A[j] += w1[k * 5 + j] ** 2;
  for (let j = 0; j < 4; j++) for (let o = 0; o < 3; o++) B[j] += w3[j * 3 + o] ** 2;
  const s2 = act.get('d2')!;
  for (let k = 0; k < 5; k++) for (let j = 0; j < 4; j++) {
    const want = w2[k * 4 + j] ** 2 * A[k] * B[j];
    assert.ok(Math.abs(s2[k * 4 + j] - want) <= 1e-5 * Math.max(1, want), `${k},${j}`);
  }
  m.dispose();
});

test('obd (Fisher approximation) = ½·g²·w² with g the full-batch gradient when one batch covers the data', () => {
  const m = denseNet();
  const data = randomImages(24, 1, 6, 1, 3, 13);
  const s = computeScores(m, { method: 'obd', data, obdBatches: 1, obdBatchSize: 24 });
  const x = tf.tensor2d(data.images, [24, 6]);
  const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 3).toFloat();
  const kernel = m.getLayer('d2').getWeights()[0] as tf.Variable;
  const vars = prunableLayers(m).map((l) => l.kernel.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, m.apply(x) as tf.Tensor) as tf.Scalar, vars);
  const g = grads[vars[1].name].dataSync();
  const w = kernel.dataSync();
  const got = s.get('d2')!;
  for (let i = 0; i < w.length; i++) {
    const want = 0.5 * g[i] * g[i] * w[i] * w[i];
    assert.ok(Math.abs(got[i] - want) <= 1e-5 * Math.max(1e-6, want) + 1e-12, `${i}: ${got[i]} vs ${want}`);
  }
  tf.dispose([x, y, ...Object.values(grads)]);
  m.dispose();
});
