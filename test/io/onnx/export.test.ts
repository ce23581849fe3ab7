import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx, writeOnnx, unsupportedOnnxLayers } from '../../../src/io/onnx/index.js';
import { createModel, listModels, type ZooModelName } from '../../../src/models/zoo.js';
import { maxRelError } from '../../../src/util/rel-error.js';
import { ensureWasm } from '../../helpers/backends.js';
import { branchedModel, branchedModel2, randomizeBatchNorm, runOrt } from './fixtures.js';

await ensureWasm();

const TOL = 1e-4;
/** Big nets run thinned (same layers and topology, fewer filters) to keep the suite fast. */
const THIN = new Set<string>(['conv6', 'vgg11', 'vgg16', 'vgg19', 'vgg11-hrank', 'vgg16-hrank', 'vgg19-hrank', 'resnet56', 'mobilenet']);

function seededInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Exports `model`, runs it in onnxruntime, returns the relative error against model.predict. */
async function compare(model: tf.LayersModel, layout: 'nhwc' | 'nchw' = 'nhwc', batch = 2): Promise<number> {
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const x = seededInput([batch, ...inShape], 11);
  const want = tf.tidy(() => model.predict(x) as tf.Tensor);
  const bytes = exportOnnx(model, { inputLayout: layout });
  let feed = x;
  if (layout === 'nchw' && inShape.length === 3) feed = tf.transpose(x, [0, 3, 1, 2]);
  const got = await runOrt(bytes, Float32Array.from(feed.dataSync() as Float32Array), feed.shape);
  let wantT = want;
  if (layout === 'nchw' && want.shape.length === 4) wantT = tf.transpose(want, [0, 3, 1, 2]);
  assert.deepEqual([...got.dims], wantT.shape, 'output shape');
  const err = maxRelError(got.data, wantT.dataSync() as Float32Array);
  tf.dispose([x, want, feed, wantT]);
  return err;
}

for (const { name } of listModels()) {
  test(`zoo ${name}: ONNX in onnxruntime matches TF.js (≤ ${TOL} relative)`, async () => {
    const model = createModel(name as ZooModelName, { seed: 3, ...(THIN.has(name) ? { widthMultiplier: 0.25 } : {}) });
    randomizeBatchNorm(model, 5);
    const err = await compare(model);
    assert.ok(err <= TOL, `${name}: relative error ${err}`);
    model.dispose();
  });
}

test('branched model (depthwise ×2, separable, Add, BN, Concat, SE Multiply, pools, pad, upsample, Flatten): NHWC and NCHW inputs', async () => {
  const model = branchedModel(1);
  randomizeBatchNorm(model, 2);
  for (const layout of ['nhwc', 'nchw'] as const) {
    const err = await compare(model, layout, 3);
    assert.ok(err <= TOL, `${layout}: relative error ${err}`);
  }
  model.dispose();
});

test('branched model 2 (dilation, valid stride 2, Dense on rank 4, Reshape to image, crop, bilinear, Min/Avg/Max, GMP, rank-2 BN): rank-4 output in both layouts', async () => {
  const model = branchedModel2(4);
  randomizeBatchNorm(model, 6);
  for (const layout of ['nhwc', 'nchw'] as const) {
    const err = await compare(model, layout, 2);
    assert.ok(err <= TOL, `${layout}: relative error ${err}`);
  }
  model.dispose();
});

test('the ONNX file declares opset 17 and a symbolic batch; batch 1 and 5 both run', async () => {
  const model = createModel('lenet5', { seed: 1 });
  const bytes = exportOnnx(model);
  const onnxProto = (await import('onnx-proto')).default;
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  assert.equal(Number(m.opsetImport[0].version), 17);
  assert.equal(m.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam, 'N');
  for (const b of [1, 5]) assert.ok((await compare(model, 'nhwc', b)) <= TOL);
  model.dispose();
});

test('unsupported layer: one clear error naming layer and class, before anything is written', async () => {
  const x = tf.input({ shape: [6, 4] });
  const y = tf.layers.conv1d({ name: 'temporal', filters: 2, kernelSize: 3 }).apply(x) as tf.SymbolicTensor;
  const z = tf.layers.flatten({ name: 'f' }).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: z });
  assert.deepEqual(unsupportedOnnxLayers(model), [{ layer: 'temporal', className: 'Conv1D' }]);
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-onnx-'));
  try {
    const file = join(dir, 'm.onnx');
    await assert.rejects(writeOnnx(model, file), /export: no ONNX exporter for layer 'temporal' \(Conv1D\); supported classes: .*Conv2D/);
    assert.equal(existsSync(file), false);
    assert.deepEqual(readdirSync(dir), [], 'no temp file left');
    // config-level refusal: channelsFirst
    const cf = tf.sequential({ layers: [tf.layers.conv2d({ name: 'cf', inputShape: [2, 5, 5], filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' })] });
    await assert.rejects(writeOnnx(cf, file), /export: layer 'cf' \(Conv2D\): dataFormat 'channelsFirst' is not supported/);
    assert.deepEqual(readdirSync(dir), []);
    assert.throws(() => exportOnnx(cf, { inputLayout: 'nwhc' as 'nhwc' }), /input layout must be nhwc or nchw/);
    cf.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});
