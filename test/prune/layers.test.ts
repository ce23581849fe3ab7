import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { computeMasks, computeScores } from '../../src/prune/compute.js';
import { findShortcutConvs, inputUnitOf, outputUnitOf, prunableLayers } from '../../src/prune/layers.js';
import { buildChannelGraph } from '../../src/graph/channel-graph.js';
import { kernelReaders } from '../../src/prune/scores/lap-neighbours.js';
import { assertClose, convEnergies, convNet, fillWeights, naiveConvScore, values } from './fixtures.js';

await tf.setBackend('cpu');

/** stem conv → [block with 1×1 projection] → [identity block] → GAP → dense. */
function tinyResnet(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  const conv = (name: string, filters: number, k: number, s = 1) =>
    tf.layers.conv2d({ name, filters, kernelSize: k, strides: s, padding: 'same', useBias: false });
  const ap = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  let x = ap(tf.layers.reLU({ name: 'stem_relu' }), ap(tf.layers.batchNormalization({ name: 'stem_bn' }), ap(conv('stem', 3, 3), input)));
  const block = (p: string, x0: tf.SymbolicTensor, planes: number, proj: boolean) => {
    let y = ap(conv(`${p}_conv1`, planes, 3), x0);
    y = ap(tf.layers.reLU({ name: `${p}_relu1` }), ap(tf.layers.batchNormalization({ name: `${p}_bn1` }), y));
    y = ap(tf.layers.batchNormalization({ name: `${p}_bn2` }), ap(conv(`${p}_conv2`, planes, 3), y));
    const sc = proj ? ap(tf.layers.batchNormalization({ name: `${p}_sbn` }), ap(conv(`${p}_short`, planes, 1), x0)) : x0;
    return ap(tf.layers.reLU({ name: `${p}_out` }), ap(tf.layers.add({ name: `${p}_add` }), [y, sc]));
  };
  x = block('b1', x, 4, true);
  x = block('b2', x, 4, false);
  const out = ap(tf.layers.dense({ name: 'fc', units: 3 }), ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), x));
  const m = tf.model({ inputs: input, outputs: out, name: 'tinyres' });
  fillWeights(m, 7);
  return m;
}

test('prunable layers in module order; 1×1 projection shortcut skipped; explicit exclude', () => {
  const m = tinyResnet();
  assert.deepEqual(findShortcutConvs(m), ['b1_short']);
  const names = prunableLayers(m).map((l) => l.name);
  assert.deepEqual(names, ['stem', 'b1_conv1', 'b1_conv2', 'b2_conv1', 'b2_conv2', 'fc']);
  assert.ok(prunableLayers(m, { skipShortcuts: false }).some((l) => l.name === 'b1_short'));
  const ex = prunableLayers(m, { exclude: ['stem'] });
  assert.equal(ex[0].name, 'b1_conv1');
  assert.equal(ex[0].prev, undefined);
  const l = prunableLayers(m);
  assert.equal(l[2].prev, 'b1_conv1');
  assert.equal(l[2].next, 'b2_conv1');
  assert.equal(l[1].bnAfter?.name, 'b1_bn1');
  // graph neighbours (terms of each kernel layer's input; Add = sum over producers, identity skips carry theirs)
  const graph = buildChannelGraph(m);
  const feeders = (n: string) => [...new Set(graph.byName.get(n)!.inSpace!.terms.map((t) => t.layer))].sort();
  assert.deepEqual(feeders('b2_conv1'), ['b1_conv2', 'b1_short']);
  assert.deepEqual(feeders('fc'), ['b1_conv2', 'b1_short', 'b2_conv2']);
  assert.deepEqual(feeders('stem'), [null]);
  assert.deepEqual(kernelReaders(graph, 'b1_conv2').map((x) => x.name), ['b2_conv1', 'fc']);
  // masks never include the shortcut; sparsity count excludes it
  const masks = computeMasks(m, { method: 'lap', sparsity: 0.5 });
  assert.ok(!masks.names().includes('b1_short'));
  m.dispose();
});

test('graph-aware LAP sums predecessor energies (+1 per identity path)', () => {
  const m = tinyResnet();
  const w = (n: string) => values(m, n);
  const eC2 = convEnergies(w('b1_conv2'), 3, 3, 4, 4).eOut;
  const eSh = convEnergies(w('b1_short'), 1, 1, 3, 4).eOut;
  const eNext = convEnergies(w('b2_conv2'), 3, 3, 4, 4).eIn;
  const A = eC2.map((v, k) => v + eSh[k]);
  const s = computeScores(m, { method: 'lap', graphAware: true }).get('b2_conv1')!;
  assertClose(s, naiveConvScore(w('b2_conv1'), 3, 3, 4, 4, A, eNext));
  // plain chain: A from b1_conv2 only
  const p = computeScores(m, { method: 'lap' }).get('b2_conv1')!;
  assertClose(p, naiveConvScore(w('b2_conv1'), 3, 3, 4, 4, eC2, eNext));
  m.dispose();
});

test('depthwise kernels: output channel = in·mult + m, input = in', () => {
  const m = tf.sequential({ layers: [
    tf.layers.depthwiseConv2d({ inputShape: [4, 4, 2], kernelSize: 2, depthMultiplier: 3, name: 'dw' }),
    tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'pw' }),
  ] });
  const [dw] = prunableLayers(m);
  assert.equal(dw.geom.outUnits, 6);
  // flat index of [a, b, c, mIdx] in [2,2,2,3]
  const flat = (a: number, b: number, c: number, mi: number) => ((a * 2 + b) * 2 + c) * 3 + mi;
  assert.equal(inputUnitOf(dw.geom, flat(1, 0, 1, 2)), 1);
  assert.equal(outputUnitOf(dw.geom, flat(1, 0, 1, 2)), 5);
  assert.equal(outputUnitOf(dw.geom, flat(0, 1, 0, 1)), 1);
  const masks = computeMasks(m, { method: 'lap', sparsity: 0.5 });
  assert.equal(masks.alive('dw'), 12);
  m.dispose();
});

test('unrelatable neighbours give a clear error', () => {
  const m = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 2, name: 'c' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 4, name: 'd' }),
  ] });
  // 4·4·3 = 48 inputs, a multiple of 3: fine
  assert.doesNotThrow(() => computeScores(m, { method: 'lap' }));
  const bad = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [4], units: 3, name: 'x' }),
    tf.layers.reshape({ targetShape: [3, 1] }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 2, name: 'y' }),
  ] });
  assert.doesNotThrow(() => computeScores(bad, { method: 'lap' }));
  const c = convNet();
  assert.throws(() => computeScores(c, { method: 'lap', exclude: ['c2'] }), /cannot relate layer 'f1' \(16 inputs\) to its predecessor 'c1' \(3 outputs\)/);
  [m, bad, c].forEach((x) => x.dispose());
});
