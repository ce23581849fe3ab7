/**
 * Analytic cost of a model at given group widths (no model is built): conv + dense
 * multiply-adds and trainable parameters.
 *
 * Conventions: macs = Conv2D/DepthwiseConv2D/Dense multiply-adds only (no bias, BN, pooling);
 * params = trainable parameters (kernels, biases, BN γ and β; BN moving statistics excluded,
 * the PyTorch convention: HRank VGG-16 = 14,991,946 at 32×32×3).
 */
import type * as tf from '@tensorflow/tfjs';
import { keptWidth, type ChannelGraph } from './graph.js';

export interface Cost {
  macs: number;
  params: number;
}

const prod = (a: (number | null)[]): number => a.reduce<number>((x, y) => x * (y ?? NaN), 1);

/** Cost with group `g` at width `widths.get(g)` (absent: original width). */
export function structureCost(model: tf.LayersModel, graph: ChannelGraph, widths: ReadonlyMap<number, number> = new Map()): Cost {
  let macs = 0;
  let params = 0;
  const w = (g: number) => widths.get(g);
  for (const info of graph.layers) {
    if (info.role === 'input') continue;
    const layer = model.getLayer(info.name);
    const cfg = layer.getConfig() as Record<string, unknown>;
    const outShape = layer.outputShape as (number | null)[];
    const inW = info.inSpace ? keptWidth(info.inSpace, w) * info.inSpace.repeat : 0;
    const outW = info.outGroup !== undefined ? (w(info.outGroup) ?? info.outSpace.channels) : 0;
    const bias = cfg.useBias !== false;
    if (info.className === 'Conv2D') {
      const k = cfg.kernelSize as number[];
      const kk = k[0] * k[1];
      macs += prod(outShape.slice(1, -1)) * kk * inW * outW;
      params += kk * inW * outW + (bias ? outW : 0);
    } else if (info.className === 'Dense') {
      macs += prod(outShape.slice(1, -1)) * inW * outW;
      params += inW * outW + (bias ? outW : 0);
    } else if (info.className === 'DepthwiseConv2D') {
      const k = cfg.kernelSize as number[];
      const kk = k[0] * k[1];
      macs += prod(outShape.slice(1, -1)) * kk * inW;
      params += kk * inW + (bias ? inW : 0);
    } else if (info.className === 'BatchNormalization') {
      params += (cfg.scale !== false ? inW : 0) + (cfg.center !== false ? inW : 0);
    }
  }
  return { macs, params };
}
