import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, flattenModel, prepareModel, registerLayerHandler, registeredLayerClasses, selectOutputs } from '../../src/graph/index.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { structureCost } from '../../src/structured/cost.js';
import { removeChannels } from '../../src/structured/surgery.js';
import { computeScores } from '../../src/prune/compute.js';
import { countModel } from '../../src/report/count.js';
import { relError } from '../helpers/backends.js';
import { densenetStyle, seedWeights } from '../coverage/archs.js';
import { inputBatch } from '../structured/fixtures.js';

await tf.setBackend('cpu');

/** A custom parameter-free layer (y = 2x), as users register their own. */
class TimesTwo extends tf.layers.Layer {
  static className = 'TimesTwoTest';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2));
  }
}
tf.serialization.registerClass(TimesTwo);

function customNet(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  let x = tf.layers.conv2d({ name: 'c1', filters: 6, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  x = new TimesTwo({ name: 'twice' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 3 }).apply(x) as tf.SymbolicTensor });
  seedWeights(m, 5);
  return m;
}

test('a layer class without a handler is refused before any work, naming layer, class and the fix', async () => {
  const m = customNet();
  const msg = /layer 'twice' of class TimesTwoTest has no layer handler; register one with registerLayerHandler\('TimesTwoTest'/;
  assert.throws(() => buildChannelGraph(m), msg);
  await assert.rejects(pruneFilters(m, { criterion: 'l1', rates: 0.5 }), msg);
  assert.throws(() => computeScores(m, { method: 'lap' }), msg);
  // MP needs no graph
  assert.doesNotThrow(() => computeScores(m, { method: 'mp' }));
  // countModel: a note instead of a failure
  assert.match(countModel(m).layers.find((r) => r.name === 'twice')!.note ?? '', /no layer handler/);
  m.dispose();
});

test('registerLayerHandler: a custom layer becomes prunable (removal equivalence)', async () => {
  registerLayerHandler('TimesTwoTest', { role: 'passthrough', cost: () => ({ macs: 0, convDense: false, params: 0, trainableParams: 0 }) });
  assert.ok(registeredLayerClasses().includes('TimesTwoTest'));
  const m = customNet();
  const g = buildChannelGraph(m);
  assert.deepEqual(g.groups.map((x) => x.prunable), [true, true, false]);
  const keep = new Map([[0, Int32Array.from([0, 2, 5])]]);
  const p = await removeChannels(m, keep, { graph: g });
  // reference: c2's kernel rows of the removed channels zeroed
  const [k, b] = m.getLayer('c2').getWeights();
  const kv = Float32Array.from(k.dataSync());
  for (let i = 0; i < kv.length; i++) if (![0, 2, 5].includes(Math.floor(i / 4) % 6)) kv[i] = 0;
  const x = inputBatch(m, 2, 1);
  const zk = tf.tensor(kv, k.shape);
  m.getLayer('c2').setWeights([zk, b]);
  const a = (m.predict(x) as tf.Tensor).dataSync() as Float32Array;
  const c = (p.predict(x) as tf.Tensor).dataSync() as Float32Array;
  assert.ok(relError(c, a) < 1e-5);
  assert.throws(() => registerLayerHandler('', { role: 'passthrough', cost: () => ({ macs: 0, convDense: false, params: 0, trainableParams: 0 }) }), /non-empty/);
  tf.dispose([zk, x]);
  m.dispose();
  p.dispose();
});

function nested(frozen: boolean): tf.LayersModel {
  const inner = tf.sequential({ name: 'backbone', layers: [
    tf.layers.conv2d({ inputShape: [6, 6, 4], name: 'conv', filters: 6, kernelSize: 3, padding: 'same' }),
    tf.layers.batchNormalization({ name: 'bn' }),
    tf.layers.reLU({ name: 'relu' }),
  ] });
  inner.trainable = !frozen;
  const input = tf.input({ shape: [6, 6, 3] });
  let x = tf.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor; // same name as inside
  x = inner.apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'fc', units: 3 }).apply(x) as tf.SymbolicTensor, name: 'outer' });
  seedWeights(m, 9);
  return m;
}

test('nested models: the graph says how to flatten; flattenModel gives the same function with stock layers', async () => {
  const m = nested(false);
  assert.throws(() => buildChannelGraph(m), /layer 'backbone' is a nested model \(Sequential\); flatten it first with flattenModel/);
  const flat = flattenModel(m);
  assert.ok(!flat.layers.some((l) => l instanceof tf.LayersModel));
  assert.deepEqual(flat.layers.map((l) => l.name), ['input1', 'conv', 'backbone_conv', 'bn', 'relu', 'gap', 'fc'].map((n, i) => (i === 0 ? flat.layers[0].name : n)));
  const x = inputBatch(m, 2, 3);
  assert.ok(relError((flat.predict(x) as tf.Tensor).dataSync() as Float32Array, (m.predict(x) as tf.Tensor).dataSync() as Float32Array) < 1e-6);
  assert.equal(countModel(flat).params, countModel(m).params);
  const r = await pruneFilters(flat, { criterion: 'l1', rates: 0.5 });
  assert.deepEqual(r.report.groups.map((g) => [g.producers.join(','), g.kept]), [['conv', 2], ['backbone_conv', 3]]);
  x.dispose();
  for (const mm of [m, flat, r.model]) mm.dispose();
});

test('frozen layers: kept frozen, counted as non-trainable by info, structureCost and prune-filters alike', async () => {
  const m = nested(true);
  const flat = flattenModel(m);
  const frozen = flat.layers.filter((l) => !l.trainable && l.getClassName() !== 'InputLayer').map((l) => l.name);
  assert.deepEqual(frozen, ['backbone_conv', 'bn', 'relu']);
  const c = countModel(m);
  assert.equal(countModel(flat).trainableParams, c.trainableParams);
  assert.equal(c.trainableParams, (3 * 3 * 3 * 4 + 4) + (6 * 3 + 3)); // outer conv + fc only
  const graph = buildChannelGraph(flat);
  assert.equal(structureCost(flat, graph).params, c.trainableParams);
  const r = await pruneFilters(flat, { criterion: 'l1', rates: 0.5 });
  assert.equal(r.report.before.params, c.trainableParams);
  assert.equal(r.report.after.params, countModel(r.model).trainableParams);
  assert.deepEqual(r.model.layers.filter((l) => !l.trainable && l.getClassName() !== 'InputLayer').map((l) => l.name), ['backbone_conv', 'bn', 'relu']);
  for (const mm of [m, flat, r.model]) mm.dispose();
});

test('multi-output models: both heads fix their channels; --output picks one; bad names list the outputs', async () => {
  const input = tf.input({ shape: [6, 6, 2] });
  const trunk = tf.layers.conv2d({ name: 'trunk', filters: 6, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(trunk) as tf.SymbolicTensor;
  const a = tf.layers.dense({ name: 'head_a', units: 3 }).apply(gap) as tf.SymbolicTensor;
  const hb = tf.layers.dense({ name: 'hidden_b', units: 5, activation: 'relu' }).apply(gap) as tf.SymbolicTensor;
  const b = tf.layers.dense({ name: 'head_b', units: 2 }).apply(hb) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: [a, b], name: 'two_heads' });
  seedWeights(m, 4);
  const g = buildChannelGraph(m);
  assert.deepEqual(g.outputLayers, ['head_a', 'head_b']);
  assert.deepEqual(g.groups.filter((x) => !x.prunable).map((x) => x.producers[0]), ['head_a', 'head_b']);
  assert.throws(() => prepareModel(m), /has 2 outputs \(head_a, head_b\); choose the one to prune for with --output NAME/);
  assert.throws(() => selectOutputs(m, ['nope']), /--output 'nope' is not an output of model 'two_heads'; its outputs are: head_a, head_b/);
  const onlyA = prepareModel(m, 'head_a');
  assert.deepEqual(onlyA.outputs.map((t) => (t.sourceLayer as tf.layers.Layer).name), ['head_a']);
  assert.ok(!onlyA.layers.some((l) => l.name === 'hidden_b'));
  const r = await pruneFilters(onlyA, { criterion: 'l1', rates: 0.5 });
  assert.equal((r.model.outputs[0].shape as number[])[1], 3);
  r.model.dispose();
  m.dispose();
});

test('LAP chain neighbours that the graph cannot relate exactly are an error naming both layers', () => {
  const m = densenetStyle();
  assert.throws(() => computeScores(m, { method: 'lap' }), /cannot relate layer 'conv_\d+' \(\d+ inputs\) to its predecessor 'conv_\d+' \(\d+ outputs\): .* use graph neighbours \(graphAware: true, CLI --lap-graph\)/);
  assert.doesNotThrow(() => computeScores(m, { method: 'lap', graphAware: true }));
  m.dispose();
});
