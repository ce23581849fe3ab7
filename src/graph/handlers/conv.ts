/**
 * Conv1D, Conv2D (kernel [k…, in, out]) and Conv2DTranspose (kernel [kh, kw, out, in]).
 * MACs: Conv = output positions × kernel size; Conv2DTranspose = input positions × kernel size.
 */
import type * as tf from '@tensorflow/tfjs';
import { registerLayerHandler, type CostIO, type LayerHandler } from '../handler.js';
import { abs, checkChannelsLast, gatherAxis, kernelSize, lastOf, prod, spatial, sq, sumAlongAxis, useBias, weightValues } from './util.js';

function convHandler(rank: number): LayerHandler {
  return {
    role: 'producer',
    needsChannelAxis: true,
    widthKey: 'filters',
    check: checkChannelsLast,
    slice(role, t, io) {
      if (role === 'kernel') return gatherAxis(gatherAxis(t, io.inKeep, -2), io.outKeep, -1);
      if (role === 'bias') return gatherAxis(t, io.outKeep, 0);
      throw new Error(`layer '${io.layer.name}': unexpected weight '${role}'`);
    },
    cost(io: CostIO) {
      const kk = prod(kernelSize(io.config, rank));
      const w = kk * lastOf(io.inShape) * lastOf(io.outShape);
      const bias = useBias(io) ? lastOf(io.outShape) : 0;
      return { macs: prod(spatial(io.outShape)) * w, convDense: true, params: w + bias, trainableParams: w + bias };
    },
    kernel: {
      outputEnergy: (l: tf.layers.Layer) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, -1, sq); },
      inputEnergy: (l: tf.layers.Layer) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, -2, sq); },
    },
    outputL1: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, -1, abs); },
  };
}

registerLayerHandler('Conv1D', convHandler(1));
registerLayerHandler('Conv2D', convHandler(2));

registerLayerHandler('Conv2DTranspose', {
  role: 'producer',
  needsChannelAxis: true,
  widthKey: 'filters',
  check: checkChannelsLast,
  slice(role, t, io) {
    if (role === 'kernel') return gatherAxis(gatherAxis(t, io.inKeep, 3), io.outKeep, 2);
    if (role === 'bias') return gatherAxis(t, io.outKeep, 0);
    throw new Error(`layer '${io.layer.name}': unexpected weight '${role}'`);
  },
  cost(io) {
    const w = prod(kernelSize(io.config, 2)) * lastOf(io.inShape) * lastOf(io.outShape);
    const bias = useBias(io) ? lastOf(io.outShape) : 0;
    return { macs: prod(spatial(io.inShape)) * w, convDense: true, params: w + bias, trainableParams: w + bias };
  },
  kernel: {
    outputEnergy: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, 2, sq); },
    inputEnergy: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, 3, sq); },
  },
  outputL1: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, 2, abs); },
});
