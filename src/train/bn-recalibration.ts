/**
 * BatchNorm statistics re-estimated on calibration images: no gradient step, no labels. Every
 * BatchNormalization layer's moving mean and variance become the average, over N batches, of the batch
 * statistics the layer sees in training mode — PyTorch's BN with `momentum=None` (cumulative average),
 * the "adaptive BN" of EagleEye (Li et al., ECCV 2020). Batch k is run with momentum 1 − 1/k, so the
 * layers' own moving-average update, m ← m − (m − s)·(1 − momentum) = m + (s − m)/k, leaves the mean of
 * the k batch statistics.
 *
 * Why: removing channels (methods.md §4.6, BN copied) changes what later layers receive, so the copied
 * statistics no longer describe it and accuracy right after pruning can fall to chance for every
 * criterion. With re-estimated statistics the comparison before fine-tuning can still rank criteria.
 * `withRecalibratedBatchNorm` measures with them and puts the copied statistics back, so the §4
 * protocol (fine-tuning from the copied BN) is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { gatherExamples } from '../data/batches.js';
import { createRng, deriveSeed, permutation } from '../util/random.js';

export interface BnRecalibrationOptions {
  /** Calibration batches (default 20). */
  batches?: number;
  /** Images per batch (default 128). */
  batchSize?: number;
  /** Which images: a seeded draw without replacement from the set. */
  seed: number;
}

interface BnState {
  momentum: number;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** The BatchNormalization layers of `model`, nested models included, in layer order. */
export function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const l of layers) {
      if (l.getClassName() === 'BatchNormalization') out.push(l);
      const inner = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(inner)) visit(inner);
    }
  };
  visit(model.layers);
  return out;
}

const stateOf = (l: tf.layers.Layer) => l as unknown as BnState;

/**
 * Replaces the moving statistics of every BN layer of `model` (in place) by their average over the calibration
 * batches; returns the number of BN layers (0: nothing done). The layers' momentum is restored afterwards.
 */
export function recalibrateBatchNorm(model: tf.LayersModel, data: ImageSet, opts: BnRecalibrationOptions): number {
  const bns = batchNormLayers(model);
  if (bns.length === 0) return 0;
  const batches = opts.batches ?? 20;
  const batchSize = opts.batchSize ?? 128;
  if (!Number.isInteger(batches) || batches < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`BN recalibration of '${model.name}': batches and batch size must be positive integers, got ${batches} × ${batchSize}`);
  }
  if (data.count < 1) throw new Error(`BN recalibration of '${model.name}': image set '${data.name}' is empty`);
  const want = model.inputs[0].shape.slice(1);
  const have = [data.height, data.width, data.channels];
  if (want.length !== have.length || want.some((d, i) => d !== null && d !== have[i])) {
    throw new Error(`BN recalibration of '${model.name}': image set '${data.name}' has images ${have.join('×')} but the model expects [${want.join(', ')}]`);
  }
  const order = permutation(data.count, createRng(deriveSeed(opts.seed, 'bn-recalibration')));
  const momenta = bns.map((l) => stateOf(l).momentum);
  try {
    for (let k = 0; k < batches; k++) {
      const idx = order.subarray((k * batchSize) % data.count, Math.min(data.count, ((k * batchSize) % data.count) + batchSize));
      for (const l of bns) stateOf(l).momentum = 1 - 1 / (k + 1);
      tf.tidy(() => {
        const x = tf.tensor4d(gatherExamples(data, idx), [idx.length, data.height, data.width, data.channels]);
        model.apply(x, { training: true });
      });
    }
  } finally {
    bns.forEach((l, i) => (stateOf(l).momentum = momenta[i]));
  }
  return bns.length;
}

/**
 * Runs `fn` with the BN statistics of `model` re-estimated on `data`, then puts the previous statistics back
 * (also when `fn` throws). Returns `fn`'s result, or undefined without calling it when the model has no BN layer.
 */
export async function withRecalibratedBatchNorm<T>(
  model: tf.LayersModel,
  data: ImageSet,
  opts: BnRecalibrationOptions,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  const bns = batchNormLayers(model);
  if (bns.length === 0) return undefined;
  const saved = bns.map((l) => [tf.clone(stateOf(l).movingMean.read()), tf.clone(stateOf(l).movingVariance.read())] as const);
  try {
    recalibrateBatchNorm(model, data, opts);
    return await fn();
  } finally {
    bns.forEach((l, i) => {
      stateOf(l).movingMean.write(saved[i][0]);
      stateOf(l).movingVariance.write(saved[i][1]);
    });
    tf.dispose(saved.flat());
  }
}
