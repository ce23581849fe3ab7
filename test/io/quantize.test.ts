import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, readModelJson, saveModel } from '../../src/io/model-folder.js';
import { affineParams, float32ToFloat16Bits, quantizeWeightData } from '../../src/io/quantize.js';
import { quantizedCopy } from '../../src/io/quantize-model.js';

await tf.setBackend('cpu');

/** A small CNN whose kernels are half zeros (pruned), with a negative-only and an all-zero tensor. */
function prunedModel(): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'c', inputShape: [6, 6, 2], filters: 5, kernelSize: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), biasInitializer: 'ones' }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ name: 'd', units: 4, kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
    ],
  });
  for (const layer of m.layers) {
    const ws = layer.getWeights().map((w, i) =>
      tf.tidy(() => {
        const role = layer.weights[i].originalName.split('/').pop();
        if (role === 'kernel') return tf.mul(w, tf.randomUniform(w.shape, 0, 1, 'float32', 7).greater(0.5).cast('float32')); // ~50% pruned
        if (layer.name === 'c' && role === 'bias') return tf.neg(tf.randomUniform(w.shape, 0.5, 1, 'float32', 3)); // all negative
        if (role === 'beta') return tf.zeros(w.shape); // all zero
        return w.clone();
      }),
    );
    layer.setWeights(ws);
    tf.dispose(ws);
  }
  return m;
}

function weights(m: tf.LayersModel): Map<string, Float32Array> {
  return new Map(m.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));
}

test('uint8 / uint16 / float16 folders: TF.js-format manifest, zeros stay exactly zero, error within scale/2 (or 2^-11 relative), ¼ / ½ the bytes', async () => {
  const model = prunedModel();
  const orig = weights(model);
  const floatDir = mkdtempSync(join(tmpdir(), 'prunekit-q-'));
  try {
    const dense = await saveModel(model, join(floatDir, 'f32'));
    for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
      const dir = join(floatDir, dtype);
      const res = await saveModel(model, dir, { quantize: dtype });
      const expect = dtype === 'uint8' ? 0.25 : 0.5;
      assert.equal(res.weightBytes, dense.weightBytes * expect, `${dtype} bytes`);
      assert.equal(statSync(join(dir, 'group1-shard1of1.bin')).size, res.weightBytes);
      const manifest = (await readModelJson(dir)).weightsManifest[0].weights;
      for (const spec of manifest) {
        assert.equal(spec.dtype, 'float32');
        assert.equal(spec.quantization?.dtype, dtype);
        if (dtype !== 'float16') assert.ok(Number.isFinite(spec.quantization?.scale) && Number.isFinite(spec.quantization?.min));
      }
      // independent decode with tfjs-core's own decoder, from the files on disk
      const bytes = readFileSync(join(dir, 'group1-shard1of1.bin'));
      const decoded = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), manifest);
      const back = await loadModel(dir);
      const loaded = weights(back);
      for (const spec of manifest) {
        const a = orig.get(spec.name)!;
        const b = loaded.get(spec.name)!;
        assert.deepEqual(b, decoded[spec.name].dataSync(), `${spec.name}: loadModel = tfjs decodeWeights`);
        const bound = dtype === 'float16' ? 0 : (spec.quantization!.scale as number) / 2 + 1e-7;
        for (let i = 0; i < a.length; i++) {
          if (a[i] === 0) assert.ok(b[i] === 0, `${dtype} ${spec.name}[${i}]: pruned zero must stay exactly 0, got ${b[i]}`);
          const tol = dtype === 'float16' ? Math.abs(a[i]) * 2 ** -11 + 1e-7 : bound;
          assert.ok(Math.abs(a[i] - b[i]) <= tol, `${dtype} ${spec.name}[${i}]: ${a[i]} → ${b[i]} (bound ${tol})`);
        }
      }
      const zeros = [...orig.values()].reduce((s, a) => s + a.filter((v) => v === 0).length, 0);
      assert.ok(zeros > 40, 'the fixture really has pruned zeros');
      // the in-memory copy is the same model the folder loads as
      const copy = await quantizedCopy(model, dtype);
      for (const [k, v] of weights(copy)) assert.deepEqual(v, loaded.get(k), `${dtype} quantizedCopy ${k}`);
      copy.dispose();
      back.dispose();
      tf.dispose(Object.values(decoded));
    }
  } finally {
    rmSync(floatDir, { recursive: true, force: true });
    model.dispose();
  }
});

test('affine parameters: 0 is an integer code; all-zero and one-signed tensors work', () => {
  for (const vals of [[-3, 0.5, 0, 1.25], [0.2, 0.7, 1.0], [-2, -1, -0.1], [0, 0, 0], [-1e-8, 5]]) {
    const v = Float32Array.from(vals);
    for (const dtype of ['uint8', 'uint16'] as const) {
      const p = affineParams(v, dtype);
      assert.ok(Number.isInteger(p.zeroPoint));
      assert.equal(p.zeroPoint * p.scale + p.min, 0, `${vals} ${dtype}: code ${p.zeroPoint} decodes to 0`);
    }
  }
});

test('float16 encoding matches tfjs-core float16 decoding (rounding, subnormals, overflow)', () => {
  const values = Float32Array.from([0, -0, 1, -2.5, 65504, 70000, -1e9, 6.1e-5, 5.96e-8, 3e-8, 1e-9, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1, -0.3333]);
  const bits = Uint16Array.from(values, (v) => float32ToFloat16Bits(v));
  const spec = [{ name: 'w', shape: [values.length], dtype: 'float32' as const, quantization: { dtype: 'float16' as const } }];
  const dec = tf.io.decodeWeights(bits.buffer, spec).w;
  const got = dec.dataSync();
  const want = [0, -0, 1, -2.5, 65504, Infinity, -Infinity, 1023 * 2 ** -24, 5.960464477539063e-8, 5.960464477539063e-8, 0, 1, 1 + 2 * 2 ** -10, 0.0999755859375, -0.333251953125];
  assert.deepEqual([...got], want);
  dec.dispose();
});

test('bad quantized manifests: clear errors naming the file and weight', async () => {
  const model = prunedModel();
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-q-'));
  try {
    await saveModel(model, dir, { quantize: 'uint8' });
    const file = join(dir, 'model.json');
    const good = readFileSync(file, 'utf8');
    const edit = (f: (j: { weightsManifest: { weights: Record<string, unknown>[] }[] }) => void) => {
      const j = JSON.parse(good);
      f(j);
      writeFileSync(file, JSON.stringify(j));
    };
    edit((j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'int4', scale: 1, min: 0 }));
    await assert.rejects(loadModel(dir), /model\.json: weight 'c\/kernel' has quantization dtype 'int4' \(supported: uint8, uint16, float16\)/);
    edit((j) => (j.weightsManifest[0].weights[1].quantization = { dtype: 'uint8', min: 0 }));
    await assert.rejects(loadModel(dir), /weight 'c\/bias' is uint8-quantized without finite 'scale' and 'min'/);
    assert.throws(() => quantizeWeightData([], new Uint8Array(0), 'int8' as 'uint8'), /dtype must be one of uint8, uint16, float16, got 'int8'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});
