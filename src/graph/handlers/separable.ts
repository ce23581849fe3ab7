/**
 * SeparableConv2D: depthwise_kernel [kh, kw, C, M] then pointwise_kernel [1, 1, C·M, O] (+ bias [O]).
 * A producer: removing input channel c removes depthwise slice c and pointwise rows c·M … c·M+M−1.
 * MACs = Hout·Wout·(kh·kw·C·M + C·M·O). LAP energies: output = pointwise Σ w² per output channel,
 * input = depthwise Σ w² per input channel.
 */
import * as tf from '@tensorflow/tfjs';
import { registerLayerHandler } from '../handler.js';
import { abs, cfgOf, checkChannelsLast, expand, gatherAxis, kernelSize, lastOf, prod, spatial, sq, sumAlongAxis, useBias, weightValues } from './util.js';

registerLayerHandler('SeparableConv2D', {
  role: 'producer',
  needsChannelAxis: true,
  widthKey: 'filters',
  check: checkChannelsLast,
  slice(role, t, io) {
    if (role === 'depthwise_kernel') return gatherAxis(t, io.inKeep, 2);
    if (role === 'pointwise_kernel') return gatherAxis(gatherAxis(t, expand(io.inKeep, (cfgOf(io.layer).depthMultiplier as number | undefined) ?? 1), 2), io.outKeep, 3);
    if (role === 'bias') return gatherAxis(t, io.outKeep, 0);
    throw new Error(`layer '${io.layer.name}': unexpected weight '${role}'`);
  },
  cost(io) {
    const c = lastOf(io.inShape);
    const o = lastOf(io.outShape);
    const m = (io.config.depthMultiplier as number | undefined) ?? 1;
    const dw = prod(kernelSize(io.config, 2)) * c * m;
    const pw = c * m * o;
    const bias = useBias(io) ? o : 0;
    return { macs: prod(spatial(io.outShape)) * (dw + pw), convDense: true, params: dw + pw + bias, trainableParams: dw + pw + bias };
  },
  kernel: {
    outputEnergy: (l: tf.layers.Layer) => { const { v, shape } = weightValues(l, 'pointwise_kernel'); return sumAlongAxis(v, shape, 3, sq); },
    inputEnergy: (l: tf.layers.Layer) => { const { v, shape } = weightValues(l, 'depthwise_kernel'); return sumAlongAxis(v, shape, 2, sq); },
  },
  outputL1: (l) => { const { v, shape } = weightValues(l, 'pointwise_kernel'); return sumAlongAxis(v, shape, 3, abs); },
});
