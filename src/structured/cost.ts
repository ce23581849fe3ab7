/**
 * Analytic cost of a model at given group widths (no model is built), summed from the layer
 * handlers' costs (src/graph/cost.ts).
 *
 * Conventions: macs = conv + dense multiply-adds only (Conv1D/2D, Conv2DTranspose, Depthwise,
 * SeparableConv2D, Dense; no bias, BN, pooling); params = trainable parameters (kernels, biases,
 * BN γ and β, PReLU α, LayerNorm γ/β; BN moving statistics and frozen (trainable: false) layers
 * excluded — the same number as `countModel(...).trainableParams`; HRank VGG-16 = 14,991,946 at 32×32×3).
 */
import type * as tf from '@tensorflow/tfjs';
import { keptLastDim, type ChannelGraph } from './graph.js';
import { layerCostAt } from '../graph/cost.js';

export interface Cost {
  macs: number;
  params: number;
}

/** Cost with group `g` at width `widths.get(g)` (absent: original width). */
export function structureCost(model: tf.LayersModel, graph: ChannelGraph, widths: ReadonlyMap<number, number> = new Map()): Cost {
  let macs = 0;
  let params = 0;
  const w = (g: number) => widths.get(g);
  for (const info of graph.layers) {
    if (info.role === 'input') continue;
    const layer = model.getLayer(info.name);
    const inLast = info.inSpace ? keptLastDim(info.inSpace, w) : undefined;
    const c = layerCostAt(layer, inLast, keptLastDim(info.outSpace, w));
    if (c.convDense) macs += c.macs;
    params += c.trainableParams;
  }
  return { macs, params };
}
