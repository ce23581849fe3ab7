/**
 * ONNX export of layer weights: quantized storage (uint8/uint16 Cast·scale + min, float16 Cast) runs in onnxruntime like the quantized TF.js folder loads in TF.js (quantizedCopy:
 * TF.js's own dequantization), pruned zeros stay exact codes of 0, the file shrinks; and a layer called
 * twice (shared weights) is stored once and still computes both calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { exportOnnx } from '../../../src/io/onnx/index.js';
import { quantizedCopy } from '../../../src/io/quantize-model.js';
import { WEIGHT_QUANTIZATIONS } from '../../../src/io/quantize.js';
import { maxRelError } from '../../../src/util/rel-error.js';
import { ensureWasm } from '../../helpers/backends.js';
import { branchedModel, randomizeBatchNorm, runOrt } from './fixtures.js';

await ensureWasm();
const { onnx } = onnxProto;

async function ortVsTfjs(bytes: Uint8Array, model: tf.LayersModel, seed: number): Promise<number> {
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const x = tf.randomNormal([3, ...inShape], 0, 1, 'float32', seed);
  const want = tf.tidy(() => model.predict(x) as tf.Tensor);
  const got = await runOrt(bytes, Float32Array.from(x.dataSync() as Float32Array), x.shape);
  assert.deepEqual([...got.dims], want.shape);
  const err = maxRelError(got.data, want.dataSync() as Float32Array);
  tf.dispose([x, want]);
  return err;
}

test('quantized ONNX export (uint8, uint16, float16) matches the quantized TF.js model in onnxruntime (≤ 1e-4); zeros stay zero; the file shrinks', async () => {
  const model = branchedModel(7);
  randomizeBatchNorm(model, 8);
  // prune a slice of one kernel to exact zeros (as structured/unstructured pruning leaves them)
  const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!;
  const [k, ...rest] = conv.getWeights();
  const zeroed = tf.tidy(() => k.mul(tf.randomUniform(k.shape, 0, 1, 'float32', 9).greater(0.5).cast('float32')));
  conv.setWeights([zeroed, ...rest]);
  const zeros = (zeroed.dataSync() as Float32Array).filter((v) => v === 0).length;
  assert.ok(zeros > 0);
  const plain = exportOnnx(model);
  for (const dtype of WEIGHT_QUANTIZATIONS) {
    const bytes = exportOnnx(model, { quantize: dtype });
    const q = await quantizedCopy(model, dtype);
    const err = await ortVsTfjs(bytes, q, 21);
    assert.ok(err <= 1e-4, `${dtype}: relative error ${err} against the quantized TF.js model`);
    // and it is really quantized: against the float model the error is that of the quantization
    if (dtype !== 'float16') assert.ok((await ortVsTfjs(bytes, model, 21)) > 1e-6, `${dtype}: output identical to float32 — not quantized?`);
    const limit = dtype === 'uint8' ? 0.45 : 0.65; // small model: names and per-tensor scales weigh in
    assert.ok(bytes.byteLength < limit * plain.byteLength, `${dtype}: ${bytes.byteLength} bytes vs float32 ${plain.byteLength}`);
    const m = onnx.ModelProto.decode(bytes);
    const ops = new Set(m.graph!.node!.map((n) => n.opType));
    assert.ok(ops.has('Cast'), `${dtype}: ops ${[...ops]}`);
    if (dtype === 'uint8') {
      const init = (name: string) => m.graph!.initializer!.find((t) => t.name === name)!;
      const codes = init(`${conv.name}/kernel/uint8`).rawData!;
      const scale = new Float32Array(Uint8Array.from(init(`${conv.name}/kernel/scale`).rawData!).buffer)[0];
      const min = new Float32Array(Uint8Array.from(init(`${conv.name}/kernel/min`).rawData!).buffer)[0];
      const zp = Math.round(-min / scale);
      assert.equal(Math.fround(Math.fround(zp * scale) + min), 0, 'the zero code decodes to exactly 0 in float32');
      const zeroCodes = [...codes].filter((c) => c === zp).length;
      assert.ok(zeroCodes >= zeros, `pruned zeros keep the zero-point code: ${zeroCodes} < ${zeros}`);
    }
    q.dispose();
  }
  tf.dispose(zeroed);
  assert.throws(() => exportOnnx(model, { quantize: 'int4' as 'uint8' }), /quantize must be one of uint8, uint16, float16/);
  model.dispose();
});

test('a layer called twice (shared weights) is stored once in the ONNX file and both calls compute', async () => {
  const x = tf.input({ shape: [6, 6, 3] });
  const shared = tf.layers.conv2d({ name: 'shared', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) });
  const a = shared.apply(x) as tf.SymbolicTensor;
  const b = shared.apply(a) as tf.SymbolicTensor; // second call on the first call's output
  const d = tf.layers.dense({ name: 'head', units: 4, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) });
  const flat = tf.layers.flatten().apply(b) as tf.SymbolicTensor;
  const y = tf.layers.add().apply([d.apply(flat) as tf.SymbolicTensor, d.apply(tf.layers.flatten().apply(a) as tf.SymbolicTensor) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: y });
  for (const quantize of [undefined, 'uint8'] as const) {
    const bytes = exportOnnx(model, quantize ? { quantize } : {});
    const m = onnx.ModelProto.decode(bytes);
    const names = m.graph!.initializer!.map((t) => t.name!);
    const copies = (re: RegExp) => names.filter((n) => re.test(n)).length;
    assert.equal(copies(/^shared\/kernel(\/uint8)?$/), 1, `one shared kernel: ${names}`);
    assert.equal(copies(/^shared\/bias(\/uint8)?$/), 1, `one shared bias: ${names}`);
    assert.equal(copies(/^head\/kernel(\/uint8)?$/), 1, `one head kernel: ${names}`);
    assert.equal(m.graph!.node!.filter((n) => n.opType === 'Conv').length, 2, 'two Conv calls');
    const ref = quantize ? await quantizedCopy(model, quantize) : model;
    const err = await ortVsTfjs(bytes, ref, 5);
    assert.ok(err <= 1e-4, `${quantize ?? 'float32'}: relative error ${err}`);
    if (ref !== model) ref.dispose();
  }
  model.dispose();
});
