/**
 * BatchNormalization folding for inference: a BN whose only input is a Conv2D/DepthwiseConv2D/Dense
 * with a linear activation, which feeds nothing else, is merged into that layer's kernel and bias:
 * s = γ / √(σ² + ε), W' = W·s (per output channel), b' = (b − μ)·s + β. A depthwise kernel
 * [kh, kw, ci, m] has output channel c·m + j, so s is applied to it reshaped as [kh, kw, ci·m]. The
 * result is a new model of stock layers (the folded layers get use_bias = true; the BN layers are gone).
 */
import * as tf from '@tensorflow/tfjs';
import { mergeIntoProducers } from './merge-layers.js';

function inboundOf(layer: tf.layers.Layer): tf.layers.Layer[] {
  return layer.inboundNodes.length === 0 ? [] : (layer.inboundNodes[0].inboundLayers as tf.layers.Layer[]);
}

const FOLD_INTO = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense']);
const KERNEL_ROLES = new Set(['kernel', 'depthwise_kernel']);

/** BN layer name → the Conv2D/DepthwiseConv2D/Dense it folds into. */
export function foldablePairs(model: tf.LayersModel): Map<string, string> {
  const readers = new Map<string, number>();
  for (const l of model.layers) for (const p of inboundOf(l)) readers.set(p.name, (readers.get(p.name) ?? 0) + 1);
  const outputs = new Set(model.outputs.map((t) => t.sourceLayer.name));
  const pairs = new Map<string, string>();
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization' || l.inboundNodes.length !== 1) continue;
    const ins = inboundOf(l);
    if (ins.length !== 1) continue;
    const p = ins[0];
    const cls = p.getClassName();
    const cfg = p.getConfig() as Record<string, unknown>;
    const axis = (l.getConfig() as Record<string, unknown>).axis;
    const rank = (l.outputShape as number[]).length;
    if (!FOLD_INTO.has(cls) || cfg.activation !== 'linear') continue;
    if (readers.get(p.name) !== 1 || outputs.has(p.name) || p.inboundNodes.length !== 1) continue;
    if (!(axis === -1 || axis === rank - 1)) continue;
    if (cls !== 'Dense' && cfg.dataFormat === 'channelsFirst') continue;
    pairs.set(l.name, p.name);
  }
  return pairs;
}

function role(w: tf.LayerVariable): string {
  return w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
}

/** Folded kernel and bias of `producer` with the BN `bn` after it. */
function foldedWeights(producer: tf.layers.Layer, bn: tf.layers.Layer): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const get = (layer: tf.layers.Layer, r: string) => layer.weights.find((w) => role(w) === r)?.read();
    const kernel = get(producer, 'kernel') ?? get(producer, 'depthwise_kernel');
    if (!kernel) throw new Error(`foldBatchNorm: '${producer.name}' has no kernel`);
    // depthwise [kh, kw, ci, m]: output channel c·m + j ↔ the last two axes flattened
    const [kh, kw, ci, m] = kernel.shape as [number, number, number, number];
    const flat = producer.getClassName() === 'DepthwiseConv2D' ? kernel.reshape([kh, kw, ci * m]) : kernel;
    const c = flat.shape[flat.shape.length - 1];
    const eps = (bn.getConfig() as Record<string, unknown>).epsilon as number;
    const gamma = get(bn, 'gamma') ?? tf.ones([c]);
    const beta = get(bn, 'beta') ?? tf.zeros([c]);
    const mean = get(bn, 'moving_mean')!;
    const variance = get(bn, 'moving_variance')!;
    const bias = get(producer, 'bias') ?? tf.zeros([c]);
    const s = tf.div(gamma, tf.sqrt(tf.add(variance, eps)));
    return [tf.mul(flat, s).reshape(kernel.shape), tf.add(tf.mul(tf.sub(bias, mean), s), beta)];
  });
}

/** Returns a new model with every foldable BN merged into the layer before it. */
export async function foldBatchNorm(model: tf.LayersModel): Promise<tf.LayersModel> {
  const pairs = foldablePairs(model);
  return mergeIntoProducers(model, pairs, {
    config: (cfg) => {
      cfg.use_bias = true;
    },
    weights: (producer, bn, merged) => {
      const [k, b] = foldedWeights(producer, bn);
      return merged.weights.map((w) => (KERNEL_ROLES.has(role(w)) ? k : b));
    },
  });
}
