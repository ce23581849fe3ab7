import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { removeChannels } from '../../src/structured/surgery.js';
import { relError } from '../helpers/backends.js';
import { createRng, permutation } from '../../src/util/random.js';
import { concatNet, inputBatch, killChannels, randomizeBN, sequentialNet, smallResNet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

/** Kills ~40% of each prunable group's channels, removes them, and checks outputs are unchanged. */
async function checkEquivalence(model: tf.LayersModel, seed: number): Promise<tf.LayersModel> {
  randomizeBN(model, seed);
  const graph = buildChannelGraph(model);
  const rng = createRng(seed);
  const dead = new Map<number, number[]>();
  const keep = new Map<number, Int32Array>();
  for (const g of prunableGroups(graph)) {
    const nDead = Math.max(1, Math.floor(g.channels * 0.4));
    const perm = Array.from(permutation(g.channels, rng));
    dead.set(g.id, perm.slice(0, nDead));
    keep.set(g.id, Int32Array.from(perm.slice(nDead).sort((a, b) => a - b)));
  }
  const x = inputBatch(model, 4, seed + 1);
  const yBefore = model.predict(x) as tf.Tensor;
  killChannels(model, graph, dead);
  const yKilled = model.predict(x) as tf.Tensor;
  // Sanity: killing changes the output (so the test can fail), unless nothing was killed.
  assert.ok(relError(yKilled.dataSync() as Float32Array, yBefore.dataSync() as Float32Array) > 1e-3, 'killing channels should change outputs');
  const before = tf.memory().numTensors;
  const pruned = await removeChannels(model, keep);
  const yPruned = pruned.predict(x) as tf.Tensor;
  const err = relError(yPruned.dataSync() as Float32Array, yKilled.dataSync() as Float32Array);
  assert.ok(err < 1e-5, `pruned output differs: rel err ${err}`);
  assert.ok(pruned.countParams() < model.countParams());
  for (const g of prunableGroups(graph)) {
    for (const p of g.producers) {
      const shape = pruned.getLayer(p).outputShape as number[];
      assert.equal(shape[shape.length - 1], keep.get(g.id)!.length, `${p} width`);
    }
  }
  yPruned.dispose();
  // The new model's weights are the only new tensors.
  assert.equal(tf.memory().numTensors - before, pruned.weights.length);
  tf.dispose([x, yBefore, yKilled]);
  return pruned;
}

test('graph: sequential chain groups, flatten factor and fixed output', () => {
  const m = sequentialNet();
  const g = buildChannelGraph(m);
  assert.equal(g.groups.length, 4);
  assert.deepEqual(g.groups.map((x) => x.prunable), [true, true, true, false]);
  const g1 = g.groups[1];
  assert.equal(g1.consumers.length, 1);
  assert.equal(g1.consumers[0].repeat, 16); // 4×4 positions after pooling
  assert.equal(g1.channelwise.length, 1);
  assert.equal(g.groups[0].hooks[0], m.layers[2].name); // after BN + ReLU
  assert.equal(g.groups[0].postPoolHooks[0], m.layers[3].name); // the max-pool
  m.dispose();
});

test('graph: residual Add unites producers into one group; concat gets offsets', () => {
  const r = smallResNet();
  const g = buildChannelGraph(r);
  const sizes = g.groups.map((x) => [x.producers.length, x.channels, x.prunable]);
  // stem+block1 conv2 (8), block1 inner (6), block2 inner (10), block2 conv2+shortcut+block3 conv2 (12), block3 inner (7), dense
  assert.deepEqual(sizes, [[2, 8, true], [1, 6, true], [1, 10, true], [3, 12, true], [1, 7, true], [1, 3, false]]);
  r.dispose();
  const c = concatNet();
  const gc = buildChannelGraph(c);
  const bnMembers = gc.groups.flatMap((x) => x.channelwise.filter((m) => m.layer.startsWith('batch')).map((m) => [x.id, m.offset]));
  assert.deepEqual(bnMembers, [[0, 0], [1, 4]]);
  c.dispose();
});

test('graph: unsupported layer gives a clear error naming it', () => {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 }), tf.layers.repeatVector({ n: 2, name: 'my_repeat' })] });
  assert.throws(() => buildChannelGraph(m), /layer 'my_repeat' of class RepeatVector has no layer handler; register one with registerLayerHandler\('RepeatVector'/);
  m.dispose();
});

test('removal equivalence: Sequential', async () => {
  const m = sequentialNet();
  const p = await checkEquivalence(m, 1);
  m.dispose();
  p.dispose();
});

test('removal equivalence: VGG-like BN net', async () => {
  const m = vggLike();
  const p = await checkEquivalence(m, 2);
  m.dispose();
  p.dispose();
});

test('removal equivalence: small ResNet (identity and 1×1 projection shortcuts)', async () => {
  const m = smallResNet();
  const p = await checkEquivalence(m, 3);
  m.dispose();
  p.dispose();
});

test('removal equivalence: Concatenate + BN + depthwise', async () => {
  const m = concatNet();
  const p = await checkEquivalence(m, 4);
  m.dispose();
  p.dispose();
});

test('removeChannels rejects bad keep sets', async () => {
  const m = sequentialNet();
  await assert.rejects(removeChannels(m, new Map([[3, Int32Array.from([0])]])), /cannot be pruned/);
  await assert.rejects(removeChannels(m, new Map([[0, Int32Array.from([2, 1])]])), /sorted/);
  await assert.rejects(removeChannels(m, new Map([[0, new Int32Array(0)]])), /at least 1/);
  m.dispose();
});

test('pruned model round-trips through save/load; copyBN=false resets BN', async () => {
  const m = vggLike();
  randomizeBN(m, 9);
  const keep = new Map<number, Int32Array>([[0, Int32Array.from([1, 3, 4])], [2, Int32Array.from([0, 5, 11])]]);
  const p = await removeChannels(m, keep);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await p.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const x = inputBatch(m, 2, 5);
  const a = p.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  assert.ok(relError(b.dataSync() as Float32Array, a.dataSync() as Float32Array) < 1e-6);
  const reset = await removeChannels(m, keep, { copyBN: false });
  const bnName = m.layers.find((l) => l.getClassName() === 'BatchNormalization')!.name;
  const w = reset.getLayer(bnName).getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(w, [[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
  tf.dispose([x, a, b]);
  for (const mm of [m, p, loaded, reset]) mm.dispose();
});

test('depthwise multiplier 2: its input and output channels are fixed, the rest is pruned', async () => {
  const m = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 5, kernelSize: 3, padding: 'same', name: 'c1' }),
    tf.layers.batchNormalization({ name: 'bn1' }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }),
    tf.layers.reLU({ name: 'r' }),
    tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'pw' }),
    tf.layers.globalAveragePooling2d({ name: 'gap' }),
    tf.layers.dense({ units: 3, name: 'out' }),
  ] });
  const g = buildChannelGraph(m);
  assert.deepEqual(g.groups.map((x) => [x.producers.join(','), x.prunable]), [['c1', false], ['dw', false], ['pw', true], ['out', false]]);
  assert.match(g.groups[0].fixedReason ?? '', /depth multiplier 2/);
  const p = await checkEquivalence(m, 6);
  assert.equal((p.getLayer('dw').outputShape as number[])[3], 10);
  m.dispose();
  p.dispose();
});
