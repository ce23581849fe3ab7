/**
 * The inference form: BN folded into Conv2D/Dense and DEPTHWISE convs, activation layers fused into the
 * layer before them (stock layers: saves and loads in stock TF.js), and `fusedPredict` (one fused kernel
 * per conv/dense with bias + activation) — all equal to the original model's predict on the cpu
 * reference backend; fusedPredict also on wasm, with no tensor left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/models/zoo.js';
import { fusedPredict } from '../../src/models/fused-predict.js';
import { foldBatchNorm, foldablePairs } from '../../src/structured/fold-bn.js';
import { fuseActivations, fusableActivations } from '../../src/structured/fuse-activations.js';
import { ensureWasm, relError } from '../helpers/backends.js';
import { branchedModel } from '../io/onnx/fixtures.js';
import { inputBatch, randomizeBN } from './fixtures.js';

const TOL = 1e-4;

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (m) => { art = m; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  return tf.loadLayersModel(tf.io.fromMemory(art!));
}

const values = (t: tf.Tensor | tf.Tensor[]) => Float32Array.from((Array.isArray(t) ? t[0] : t).dataSync() as Float32Array);

async function checkForm(model: tf.LayersModel, seed: number, expect: { bn: number; act: number }): Promise<void> {
  await tf.setBackend('cpu');
  randomizeBN(model, seed);
  assert.equal(foldablePairs(model).size, expect.bn, 'foldable BNs');
  const folded = await foldBatchNorm(model);
  assert.equal(fusableActivations(folded).size, expect.act, 'fusable activations');
  const form = await fuseActivations(folded);
  assert.equal(form.layers.length, model.layers.length - expect.bn - expect.act);
  const x = inputBatch(model, 3, seed);
  const want = values(model.predict(x) as tf.Tensor);
  const loaded = await roundTrip(form);
  for (const [label, got] of [
    ['folded', values(folded.predict(x) as tf.Tensor)],
    ['folded + fused activations', values(form.predict(x) as tf.Tensor)],
    ['saved and loaded', values(loaded.predict(x) as tf.Tensor)],
    ['fusedPredict (cpu)', values(fusedPredict(form, x))],
  ] as const) {
    const err = relError(got, want);
    assert.ok(err <= TOL, `${label}: relative error ${err}`);
  }
  await ensureWasm();
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const y = fusedPredict(form, x);
  const err = relError(values(y), want);
  tf.dispose(y);
  assert.equal(tf.memory().numTensors, before, 'fusedPredict leaves no tensor behind');
  assert.ok(err <= TOL, `fusedPredict (wasm): relative error ${err}`);
  await tf.setBackend('cpu');
  tf.dispose(x);
  for (const m of [model, folded, form, loaded]) m.dispose();
}

test('MobileNet-style: every BN folds (depthwise ones too), every ReLU6 fuses; outputs unchanged', async () => {
  await tf.setBackend('cpu');
  const m = createModel('mobilenet', { seed: 2, widthMultiplier: 0.25, inputShape: [16, 16, 3] });
  // 1 stem BN + 13 × (depthwise BN + pointwise BN); 1 stem ReLU6 + 13 × 2
  await checkForm(m, 4, { bn: 27, act: 27 });
});

test('branched model (separable, Add, Concat, SE, pools, Flatten → Dense softmax): fused form and fusedPredict unchanged', async () => {
  await tf.setBackend('cpu');
  const m = branchedModel(3);
  const acts = fusableActivations(m).size;
  await checkForm(m, 5, { bn: foldablePairs(m).size, act: acts });
});

test('vgg-small: conv → BN → ReLU folds and fuses; an activation after a shared or output producer is left alone', async () => {
  await tf.setBackend('cpu');
  await checkForm(createModel('vgg-small', { seed: 1, inputShape: [16, 16, 3] }), 6, { bn: 6, act: 6 });
  const x = tf.input({ shape: [4] });
  const d = tf.layers.dense({ units: 3 });
  const a = d.apply(x) as tf.SymbolicTensor;
  const y = tf.layers.activation({ activation: 'relu' }).apply(a) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: [y, a] });
  assert.equal(fusableActivations(m).size, 0, 'the dense output is read twice');
  m.dispose();
});
