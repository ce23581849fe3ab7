/**
 * `--backend webgpu` (tfjs-backend-webgpu on Dawn through the npm package `webgpu`): a small conv + BN net
 * trained a few steps by prunekit's training loop gives the cpu backend's losses and weights, reads data
 * only asynchronously (the backend's readSync is never called), and leaks no tensors. On machines without
 * an adapter (no GPU, no Mesa EGL/GLES) the test skips with the reason. On a headless Linux box Dawn's
 * OpenGL ES backend runs on Mesa's software renderer (llvmpipe), which is what CI exercises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { trainModel } from '../../src/train/loop.js';
import type { TrainOptions } from '../../src/train/types.js';
import { maxRelError } from '../../src/util/rel-error.js';
import { toyCnn, toySet } from '../train/toy.js';

const TOL = 1e-3;
const data = toySet(48, 5);
const opts: TrainOptions = { epochs: 2, batchSize: 16, maxSteps: 5, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, seed: 3, progress: false };

async function weights(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => Float32Array.from((await w.data()) as Float32Array)));
}

test('webgpu: a conv+BN net trains like on cpu, with async reads only and no leaks (skips without an adapter)', async (ctx) => {
  await tf.setBackend('cpu');
  const ref = toyCnn(9);
  const refHistory = await trainModel(ref, data, opts);
  const refWeights = await weights(ref);
  ref.dispose();

  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  let info;
  try {
    info = await initBackend({ backend: 'webgpu' });
  } finally {
    process.stderr.write = write;
  }
  if (info.name !== 'webgpu') {
    assert.match(stderr, /webgpu unavailable: /, 'the fallback says why webgpu is unavailable');
    ctx.skip(`no WebGPU adapter here: ${info.detail}`);
    return;
  }
  ctx.diagnostic(info.detail);
  const backend = tf.backend() as unknown as { readSync: (id: unknown) => unknown };
  let syncReads = 0;
  const readSync = backend.readSync;
  backend.readSync = function (id: unknown) {
    syncReads++;
    return readSync.call(this, id);
  };
  try {
    const model = toyCnn(9);
    const before = tf.memory().numTensors;
    const perEpoch: number[] = [];
    const history = await trainModel(model, data, { ...opts, onEpochEnd: () => void perEpoch.push(tf.memory().numTensors) });
    const got = await weights(model);
    model.dispose();
    assert.equal(syncReads, 0, 'the training loop read GPU data synchronously');
    assert.equal(perEpoch[0], perEpoch[1], 'tensor count grows between epochs');
    assert.ok(tf.memory().numTensors <= before, `tensors leaked: ${tf.memory().numTensors} > ${before}`);
    assert.equal(history.steps, refHistory.steps);
    for (let e = 0; e < history.epochs.length; e++) {
      const [a, b] = [history.epochs[e].loss, refHistory.epochs[e].loss];
      assert.ok(Math.abs(a - b) <= TOL * Math.abs(b), `epoch ${e} loss ${a} vs cpu ${b}`);
    }
    got.forEach((g, i) => {
      const scale = Math.max(...refWeights[i].map(Math.abs));
      // a conv bias followed by BN has zero gradient in exact arithmetic: its values are rounding noise
      if (scale < 1e-5) assert.ok(maxRelError(g, refWeights[i]) * scale < 1e-5, `weight ${i}: absolute error above 1e-5`);
      else assert.ok(maxRelError(g, refWeights[i]) < TOL, `weight ${i}: relative error ${maxRelError(g, refWeights[i])}`);
    });
  } finally {
    backend.readSync = readSync;
    await tf.setBackend('cpu');
  }
});
