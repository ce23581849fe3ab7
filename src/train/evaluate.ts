/**
 * Evaluation of a classifier that outputs logits (prunekit's zoo models end in a linear Dense).
 * Runs in inference mode (`training: false`: BatchNorm uses moving statistics, no dropout).
 */
import * as tf from '@tensorflow/tfjs';
import { iterateBatches } from '../data/batches.js';
import type { ImageSet } from '../data/types.js';

export interface EvalResult {
  /** Mean softmax cross-entropy over the set. */
  loss: number;
  /** Fraction of examples whose arg-max logit equals the label. */
  accuracy: number;
  count: number;
}

export const DEFAULT_EVAL_BATCH = 256;

/** Images of a batch as an NHWC tensor of the set's shape. */
export function batchTensor(set: ImageSet, x: Float32Array, size: number): tf.Tensor4D {
  return tf.tensor4d(x, [size, set.height, set.width, set.channels]);
}

/** Forward pass returning one logits tensor; throws naming the model if it has several outputs. */
export function forwardLogits(model: tf.LayersModel, x: tf.Tensor, training: boolean): tf.Tensor2D {
  const out = model.apply(x, { training });
  if (Array.isArray(out)) throw new Error(`model '${model.name}' has ${out.length} outputs; prunekit expects one logits output`);
  const t = out as tf.Tensor;
  if (t.rank !== 2) throw new Error(`model '${model.name}' outputs rank-${t.rank} tensors [${t.shape}]; expected logits [batch, classes]`);
  return t as tf.Tensor2D;
}

/** Mean softmax cross-entropy of logits [n, K] against int labels [n]. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  });
}

/** Number of rows whose arg-max equals the label (int32 scalar). */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'int32')) as tf.Scalar);
}

function checkClasses(model: tf.LayersModel, set: ImageSet, classes: number): void {
  if (classes < set.numClasses) {
    throw new Error(`model '${model.name}' outputs ${classes} logits but ${set.name} has ${set.numClasses} classes`);
  }
}

/** Loss and accuracy of `model` on `set`. */
export async function evaluate(model: tf.LayersModel, set: ImageSet, batchSize = DEFAULT_EVAL_BATCH): Promise<EvalResult> {
  if (set.count === 0) throw new Error(`evaluate: ${set.name} is empty`);
  let lossSum = 0;
  let correct = 0;
  for (const b of iterateBatches(set, batchSize)) {
    const [l, c] = tf.tidy(() => {
      const logits = forwardLogits(model, batchTensor(set, b.x, b.size), false);
      checkClasses(model, set, logits.shape[1]);
      const y = tf.tensor1d(b.y, 'int32');
      const oneHot = tf.oneHot(y, logits.shape[1]);
      const sum = tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, undefined, tf.Reduction.SUM);
      return [sum, countCorrect(logits, y)];
    });
    const [lv, cv] = await Promise.all([l.data(), c.data()]);
    tf.dispose([l, c]);
    lossSum += lv[0];
    correct += cv[0];
  }
  return { loss: lossSum / set.count, accuracy: correct / set.count, count: set.count };
}

/** Logits for every example, row-major [count, classes]. */
export async function predictLogits(
  model: tf.LayersModel,
  set: ImageSet,
  batchSize = DEFAULT_EVAL_BATCH,
): Promise<{ logits: Float32Array; classes: number }> {
  const parts: Float32Array[] = [];
  let classes = 0;
  for (const b of iterateBatches(set, batchSize)) {
    const logits = tf.tidy(() => forwardLogits(model, batchTensor(set, b.x, b.size), false));
    classes = logits.shape[1];
    parts.push((await logits.data()) as Float32Array);
    logits.dispose();
  }
  const out = new Float32Array(set.count * classes);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return { logits: out, classes };
}
