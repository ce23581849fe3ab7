/**
 * OBD, Fisher approximation: score = ½ · h · w², with the Hessian diagonal h approximated by the
 * mean squared mini-batch gradient of the cross-entropy loss (an empirical Fisher diagonal) over
 * `obdBatches` seeded batches of `obdBatchSize` training samples. The reference (BackPACK) uses the
 * exact Hessian diagonal; prunekit names this method 'obd' = Fisher approximation. Gradients are
 * taken at the masked weights (the model's kernels are masked for the computation and restored).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../util/random.js';
import { wanted, type ScoreContext } from './context.js';
import { imageBatch, labelBatch, sampleIndices, toModelInput } from './samples.js';

/** True when the model's last layer already outputs probabilities (softmax). */
export function outputsProbabilities(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const cls = last.getClassName();
  if (cls === 'Softmax') return true;
  const act = (last.getConfig() as { activation?: unknown }).activation;
  return act === 'softmax';
}

function fisherDiagonal(ctx: ScoreContext): Map<string, Float32Array> {
  const cached = ctx.cache.get('fisher') as Map<string, Float32Array> | undefined;
  if (cached) return cached;
  const data = ctx.data;
  if (!data) throw new Error('obd needs training data: pass `data` (an ImageSet) to the pruning call');
  const batches = ctx.options.obdBatches ?? 10;
  const batchSize = ctx.options.obdBatchSize ?? 60;
  if (!Number.isInteger(batches) || batches < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`obd: obdBatches and obdBatchSize must be positive integers, got ${batches} and ${batchSize}`);
  }
  const probs = outputsProbabilities(ctx.model);
  const vars = ctx.layers.map((l) => l.kernel.read() as tf.Variable);
  const originals = vars.map((v) => tf.keep(v.clone()));
  const sums = ctx.layers.map((l) => new Float64Array(l.geom.size));
  try {
    ctx.layers.forEach((l, i) => l.kernel.write(tf.tidy(() => tf.tensor(ctx.weights.get(l.name) as Float32Array, l.shape))));
    const idx = sampleIndices(data.count, batches * batchSize, deriveSeed(ctx.seed, 'obd'));
    for (let b = 0; b < batches; b++) {
      const part = idx.subarray(b * batchSize, (b + 1) * batchSize);
      const grads = tf.tidy(() => {
        const x = toModelInput(ctx.model, imageBatch(data, part));
        const y = labelBatch(data, part);
        const { grads } = tf.variableGrads(() => {
          const out = ctx.model.apply(x, { training: false }) as tf.Tensor;
          if (probs) return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(out, 1e-7, 1))), -1))) as tf.Scalar;
          return tf.losses.softmaxCrossEntropy(y, out) as tf.Scalar;
        }, vars);
        return vars.map((v) => tf.square(grads[v.name]));
      });
      grads.forEach((g, i) => {
        const v = g.dataSync() as Float32Array;
        const s = sums[i];
        for (let j = 0; j < v.length; j++) s[j] += v[j];
      });
      tf.dispose(grads);
    }
  } finally {
    ctx.layers.forEach((l, i) => l.kernel.write(originals[i]));
    tf.dispose(originals);
  }
  const out = new Map<string, Float32Array>();
  ctx.layers.forEach((l, i) => out.set(l.name, Float32Array.from(sums[i], (v) => v / batches)));
  ctx.cache.set('fisher', out);
  return out;
}

export function obdScores(ctx: ScoreContext): Map<string, Float32Array> {
  const h = fisherDiagonal(ctx);
  const out = new Map<string, Float32Array>();
  for (const l of ctx.layers) {
    if (!wanted(ctx, l.name)) continue;
    const w = ctx.weights.get(l.name) as Float32Array;
    const hl = h.get(l.name) as Float32Array;
    const s = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) s[i] = 0.5 * hl[i] * w[i] * w[i];
    out.set(l.name, s);
  }
  return out;
}
