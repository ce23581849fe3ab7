/**
 * Activation fusing for inference: an Activation layer (or a ReLU layer without or with a 6 cap)
 * whose only input is a Conv2D/DepthwiseConv2D/SeparableConv2D/Dense with a linear activation that
 * feeds nothing else becomes that layer's `activation` (y = act(conv(x) + b), the same function), so
 * TF.js runs one layer instead of two and fused kernels can take the activation (tfjs-layers fuses
 * relu/elu into Conv2D; `fusedPredict` fuses relu6 and the others too). Stock layers: the result
 * loads in stock TF.js. Run it after `foldBatchNorm` (BN sits between conv and activation).
 */
import type * as tf from '@tensorflow/tfjs';
import { mergeIntoProducers } from './merge-layers.js';

const PRODUCERS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense']);

function inboundOf(layer: tf.layers.Layer): tf.layers.Layer[] {
  return layer.inboundNodes.length === 0 ? [] : (layer.inboundNodes[0].inboundLayers as tf.layers.Layer[]);
}

/** The activation identifier an Activation/ReLU layer computes, or undefined when it is no plain activation. */
function activationOf(layer: tf.layers.Layer): string | undefined {
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (layer.getClassName() === 'Activation') return typeof cfg.activation === 'string' ? cfg.activation : undefined;
  if (layer.getClassName() === 'ReLU') {
    const max = cfg.maxValue ?? cfg.max_value;
    if (max === undefined || max === null) return 'relu';
    if (max === 6) return 'relu6';
  }
  return undefined;
}

/** Activation layer name → the layer it fuses into. */
export function fusableActivations(model: tf.LayersModel): Map<string, string> {
  const readers = new Map<string, number>();
  for (const l of model.layers) for (const p of inboundOf(l)) readers.set(p.name, (readers.get(p.name) ?? 0) + 1);
  const outputs = new Set(model.outputs.map((t) => t.sourceLayer.name));
  const pairs = new Map<string, string>();
  for (const l of model.layers) {
    const act = activationOf(l);
    if (act === undefined || act === 'linear' || l.inboundNodes.length !== 1) continue;
    const ins = inboundOf(l);
    if (ins.length !== 1) continue;
    const p = ins[0];
    if (!PRODUCERS.has(p.getClassName()) || (p.getConfig() as Record<string, unknown>).activation !== 'linear') continue;
    if (readers.get(p.name) !== 1 || outputs.has(p.name) || p.inboundNodes.length !== 1) continue;
    pairs.set(l.name, p.name);
  }
  return pairs;
}

/** Returns a new model with every fusable activation layer merged into the layer before it. */
export async function fuseActivations(model: tf.LayersModel): Promise<tf.LayersModel> {
  return mergeIntoProducers(model, fusableActivations(model), {
    config: (cfg, act) => {
      cfg.activation = activationOf(act);
    },
  });
}
