/** Calibration batches: a seeded sample of images from an ImageSet, yielded as NHWC tensors. */
import * as tf from '@tensorflow/tfjs';
import { gatherExamples } from '../../data/batches.js';
import type { ImageSet } from '../../data/types.js';
import { createRng, deriveSeed, permutation } from '../../util/random.js';

/** Indices of min(count, batches·batchSize) images, chosen by a seeded shuffle. */
export function calibrationIndices(set: ImageSet, batches: number, batchSize: number, seed: number): Int32Array {
  if (!Number.isInteger(batches) || batches < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`calibration: batches and batch size must be positive integers, got ${batches} × ${batchSize}`);
  }
  if (set.count < 1) throw new Error(`calibration: image set '${set.name}' is empty`);
  const perm = permutation(set.count, createRng(deriveSeed(seed, 'calibration')));
  return perm.slice(0, Math.min(set.count, batches * batchSize));
}

/** Checks the set matches the model's input shape [H, W, C]. */
export function checkCalibrationShape(set: ImageSet, model: tf.LayersModel): void {
  const want = model.inputs[0].shape.slice(1);
  const have = [set.height, set.width, set.channels];
  if (want.length !== 3 || want.some((d, i) => d !== null && d !== have[i])) {
    throw new Error(`calibration: image set '${set.name}' has images ${have.join('×')} but the model expects [${want.join(', ')}]`);
  }
}

/** Calls fn with each batch tensor (disposed after fn returns). */
export function forEachBatch(set: ImageSet, indices: Int32Array, batchSize: number, fn: (x: tf.Tensor4D) => void): void {
  for (let start = 0; start < indices.length; start += batchSize) {
    const n = Math.min(batchSize, indices.length - start);
    const buf = gatherExamples(set, indices.subarray(start, start + n));
    const x = tf.tensor4d(buf, [n, set.height, set.width, set.channels]);
    try {
      fn(x);
    } finally {
      x.dispose();
    }
  }
}
