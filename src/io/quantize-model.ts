/**
 * What weight quantization does to a model: `quantizedCopy` is the model exactly as a quantized model
 * folder loads (same manifest encoding, TF.js's own dequantization via tf.loadLayersModel), and
 * `quantizationEffect` measures the test-accuracy change against the float32 model.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { evaluate } from '../train/evaluate.js';
import { quantizeWeightData, type WeightQuantization } from './quantize.js';

function joined(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = (Array.isArray(data) ? data : [data]).map((b) => new Uint8Array(b));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** A new model whose weights went through `dtype` quantization and TF.js's dequantization. */
export async function quantizedCopy(model: tf.LayersModel, dtype: WeightQuantization): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('quantizedCopy: model.save produced nothing');
  const q = quantizeWeightData(artifacts.weightSpecs ?? [], joined(artifacts.weightData), dtype);
  const buf = q.data.slice().buffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology, weightSpecs: q.specs, weightData: buf }));
}

export interface QuantizationEffect {
  dtype: WeightQuantization;
  floatAccuracy: number;
  quantizedAccuracy: number;
  /** quantized − float, in accuracy fraction (negative: worse). */
  accuracyChange: number;
  /** Fraction of test predictions that changed class. */
  flippedPredictions: number;
}

/** Test accuracy of `model` and of its `dtype`-quantized copy, and the fraction of changed predictions. */
export async function quantizationEffect(model: tf.LayersModel, test: ImageSet, dtype: WeightQuantization): Promise<QuantizationEffect> {
  const q = await quantizedCopy(model, dtype);
  try {
    const a = await evaluate(model, test);
    const b = await evaluate(q, test);
    const pa = predictions(model, test);
    const pb = predictions(q, test);
    let flipped = 0;
    for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) flipped++;
    return { dtype, floatAccuracy: a.accuracy, quantizedAccuracy: b.accuracy, accuracyChange: b.accuracy - a.accuracy, flippedPredictions: flipped / Math.max(1, pa.length) };
  } finally {
    q.dispose();
  }
}

function predictions(model: tf.LayersModel, set: ImageSet, batch = 256): Int32Array {
  const out = new Int32Array(set.count);
  const per = set.height * set.width * set.channels;
  for (let s = 0; s < set.count; s += batch) {
    const n = Math.min(batch, set.count - s);
    const idx = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(s * per, (s + n) * per), [n, set.height, set.width, set.channels]);
      return (model.predict(x) as tf.Tensor2D).argMax(-1);
    });
    out.set(idx.dataSync() as Int32Array, s);
    idx.dispose();
  }
  return out;
}
