/** Seeded sampling of training images for data-dependent scores. */
import * as tf from '@tensorflow/tfjs';
import { gatherExamples } from '../../data/batches.js';
import type { ImageSet } from '../../data/types.js';
import { createRng, permutation, randInt } from '../../util/random.js';

/** `n` sample indices into a set of `count` (without replacement while n ≤ count). */
export function sampleIndices(count: number, n: number, seed: number): Int32Array {
  if (count <= 0) throw new Error('sampleIndices: the data set is empty');
  const rng = createRng(seed);
  if (n <= count) return permutation(count, rng).slice(0, n);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = randInt(rng, count);
  return out;
}

/** NHWC batch of the given images. */
export function imageBatch(set: ImageSet, idx: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(gatherExamples(set, idx), [idx.length, set.height, set.width, set.channels]);
}

/** One-hot labels of the given images. */
export function labelBatch(set: ImageSet, idx: ArrayLike<number>): tf.Tensor2D {
  const lab = new Int32Array(idx.length);
  for (let b = 0; b < idx.length; b++) lab[b] = set.labels[idx[b]];
  return tf.tidy(() => tf.oneHot(tf.tensor1d(lab, 'int32'), set.numClasses).toFloat() as tf.Tensor2D);
}

/** Reshapes an NHWC batch to the model's input shape (e.g. [N, 784] for an MLP). */
export function toModelInput(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor {
  const shape = model.inputs[0].shape;
  const per = x.shape[1] * x.shape[2] * x.shape[3];
  const want = shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  if (want !== per) {
    throw new Error(`model '${model.name}' expects inputs of shape ${JSON.stringify(shape)}, data images have ${per} values`);
  }
  return x.reshape([x.shape[0], ...(shape.slice(1) as number[])]);
}
