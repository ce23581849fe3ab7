/**
 * DepthwiseConv2D: depthwise_kernel [kh, kw, C, M], output channel c·M + m reads input channel c.
 * Channel-wise for the channel graph with depth multiplier 1; with M > 1 a producer of C·M channels
 * (c·M + m) whose input and output channels are fixed. MACs = Hout·Wout·kh·kw·C·M.
 */
import type * as tf from '@tensorflow/tfjs';
import { registerLayerHandler } from '../handler.js';
import { abs, cfgOf, checkChannelsLast, expand, gatherAxis, kernelSize, lastOf, prod, spatial, sq, sumAlongAxis, useBias, weightValues } from './util.js';

const multiplier = (layer: tf.layers.Layer): number => (cfgOf(layer).depthMultiplier as number | undefined) ?? 1;

registerLayerHandler('DepthwiseConv2D', {
  role: 'channelwise',
  needsChannelAxis: true,
  roleOf: (layer) => (multiplier(layer) === 1 ? 'channelwise' : 'producer'),
  couplesChannels: (layer) => (multiplier(layer) === 1 ? undefined : `DepthwiseConv2D '${layer.name}' has depth multiplier ${multiplier(layer)}`),
  check: checkChannelsLast,
  slice(role, t, io) {
    if (role === 'depthwise_kernel') return gatherAxis(t, io.inKeep, 2);
    if (role === 'bias') return gatherAxis(t, expand(io.inKeep, multiplier(io.layer)), 0);
    throw new Error(`layer '${io.layer.name}': unexpected weight '${role}'`);
  },
  cost(io) {
    const out = lastOf(io.outShape);
    const w = prod(kernelSize(io.config, 2)) * out;
    const bias = useBias(io) ? out : 0;
    return { macs: prod(spatial(io.outShape)) * w, convDense: true, params: w + bias, trainableParams: w + bias };
  },
  kernel: {
    outputEnergy: (l) => { const { v, shape } = weightValues(l, 'depthwise_kernel'); return sumAlongAxis(v, [shape[0] * shape[1], shape[2] * shape[3]], 1, sq); },
    inputEnergy: (l) => { const { v, shape } = weightValues(l, 'depthwise_kernel'); return sumAlongAxis(v, shape, 2, sq); },
  },
  outputL1: (l) => { const { v, shape } = weightValues(l, 'depthwise_kernel'); return sumAlongAxis(v, [shape[0] * shape[1], shape[2] * shape[3]], 1, abs); },
});
