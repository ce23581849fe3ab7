/**
 * lap_act statistics: probability p that each output unit of each prunable layer is active (> 0) on
 * training samples, measured at the layer's activation output (after BN/ReLU layers that follow it),
 * with the model in inference mode. Factor per output unit: Dense sqrt(p_j); conv channel j
 * Σ_{h,w} sqrt(p[h, w, j]) — a sum, as in the reference code.
 */
import * as tf from '@tensorflow/tfjs';
import { activationOutputLayer } from '../layers.js';
import { deriveSeed } from '../../util/random.js';
import type { ScoreContext } from './context.js';
import { imageBatch, sampleIndices, toModelInput } from './samples.js';

const BATCH = 100;

export function activationFactors(ctx: ScoreContext): Map<string, Float64Array> {
  const cached = ctx.cache.get('act') as Map<string, Float64Array> | undefined;
  if (cached) return cached;
  if (!ctx.data) throw new Error('lap_act needs training data: pass `data` (an ImageSet) to the pruning call');
  const samples = ctx.options.actSamples ?? 1000;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`lap_act: actSamples must be a positive integer, got ${samples}`);
  const layers = ctx.layers.slice(0, -1);
  const outputs = layers.map((l) => activationOutputLayer(ctx.model, l.layer).output as tf.SymbolicTensor);
  const probe = tf.model({ inputs: ctx.model.inputs, outputs });
  const idx = sampleIndices(ctx.data.count, samples, deriveSeed(ctx.seed, 'lap_act'));
  const counts: Float64Array[] = [];
  for (let start = 0; start < idx.length; start += BATCH) {
    const part = idx.subarray(start, Math.min(idx.length, start + BATCH));
    const sums = tf.tidy(() => {
      const x = toModelInput(ctx.model, imageBatch(ctx.data!, part));
      const ys = probe.predict(x) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(ys) ? ys : [ys]).map((y) => tf.sum(tf.cast(tf.greater(y, 0), 'float32'), 0));
    });
    sums.forEach((s, i) => {
      const v = s.dataSync() as Float32Array;
      if (!counts[i]) counts[i] = new Float64Array(v.length);
      for (let j = 0; j < v.length; j++) counts[i][j] += v[j];
    });
    tf.dispose(sums);
  }
  const out = new Map<string, Float64Array>();
  layers.forEach((l, i) => {
    const c = counts[i];
    const O = l.geom.outUnits;
    if (c.length % O !== 0) {
      throw new Error(`lap_act: activation of '${l.name}' has ${c.length} values per sample, not a multiple of its ${O} outputs`);
    }
    const f = new Float64Array(O);
    for (let p = 0; p < c.length; p++) f[p % O] += Math.sqrt(c[p] / idx.length);
    out.set(l.name, f);
  });
  ctx.cache.set('act', out);
  return out;
}
