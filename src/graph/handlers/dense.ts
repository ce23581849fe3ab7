/** Dense: kernel [in, out]; MACs = positions (all but the last axis) × in × out. */
import { registerLayerHandler } from '../handler.js';
import { abs, gatherAxis, lastOf, prod, spatial, sq, sumAlongAxis, useBias, weightValues } from './util.js';

registerLayerHandler('Dense', {
  role: 'producer',
  widthKey: 'units',
  slice(role, t, io) {
    if (role === 'kernel') return gatherAxis(gatherAxis(t, io.inKeep, 0), io.outKeep, 1);
    if (role === 'bias') return gatherAxis(t, io.outKeep, 0);
    throw new Error(`layer '${io.layer.name}': unexpected weight '${role}'`);
  },
  cost(io) {
    const w = lastOf(io.inShape) * lastOf(io.outShape);
    const bias = useBias(io) ? lastOf(io.outShape) : 0;
    return { macs: prod(spatial(io.outShape)) * w, convDense: true, params: w + bias, trainableParams: w + bias };
  },
  kernel: {
    outputEnergy: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, 1, sq); },
    inputEnergy: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, 0, sq); },
  },
  outputL1: (l) => { const { v, shape } = weightValues(l, 'kernel'); return sumAlongAxis(v, shape, 1, abs); },
});
