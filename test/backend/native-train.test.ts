/**
 * The native backend end to end (own process): `initBackend({ backend: 'native' })`, a conv + BN + dense
 * net trained with prunekit's Adam step — no tensor or wasm buffer leaked over the steps, and the weights
 * after a few steps equal those of the same steps on the plain wasm kernels. Skips when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { setNativeKernelsActive, nativeKernelsActive } from '../../src/backend/native/index.js';
import { createOptimizer, type TrainableVar } from '../../src/train/optimizers.js';
import { relError, seededValues } from '../helpers/backends.js';
import { nativeSkip } from '../helpers/native.js';

const skip = nativeSkip;

function makeNet(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }), // a bias before BN has ~0 gradient: Adam would amplify noise
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, kernelInitializer: init(2) }),
    ],
  });
}

/** Trains `steps` Adam steps on a fixed batch; returns the weights after each of them (copies). */
function train(steps: number, afterStep?: (i: number) => void): Float32Array[] {
  const model = makeNet();
  const x = tf.tensor4d(seededValues(8 * 144, 5), [8, 12, 12, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10).toFloat());
  const opt = createOptimizer({ name: 'adam', lr: 1e-2 });
  const vars: TrainableVar[] = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  for (let i = 0; i < steps; i++) {
    const loss = opt.step(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    loss.dispose();
    afterStep?.(i);
  }
  const out = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return out;
}

test("initBackend({ backend: 'native' }) runs training without leaks and matches the wasm kernels", { skip }, async () => {
  const info = await initBackend({ backend: 'native', threads: 1, log: false });
  assert.equal(info.name, 'native');
  assert.equal(tf.getBackend(), 'wasm');
  assert.ok(nativeKernelsActive());
  assert.match(info.detail, /libtorch .* kernels on the wasm heap/);

  const counts: Array<[number, number]> = [];
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const native = train(6, () => counts.push([tf.memory().numTensors, backend.numDataIds()]));
  // after the first step (Adam slots created) nothing grows
  for (const c of counts.slice(2)) assert.deepEqual(c, counts[1], `tensors / wasm buffers per step: ${JSON.stringify(counts)}`);

  setNativeKernelsActive(false);
  try {
    const wasm = train(6);
    assert.equal(wasm.length, native.length);
    for (let i = 0; i < wasm.length; i++) {
      const e = relError(native[i], wasm[i]);
      assert.ok(e < 1e-3, `weight ${i}: native vs wasm relative error ${e}`);
    }
  } finally {
    setNativeKernelsActive(true);
  }
});
