/**
 * BatchNormalization (channel-wise γ, β, μ, σ²; 1 MAC per output element, the folded a·x + b form)
 * and LayerNormalization over the channel axis (γ, β; it normalises channels jointly, so removing
 * a channel would change the others: its channels are fixed).
 */
import * as tf from '@tensorflow/tfjs';
import { registerLayerHandler } from '../handler.js';
import { cfgOf, checkLastAxis, gatherAxis, lastOf, prod } from './util.js';

registerLayerHandler('BatchNormalization', {
  role: 'channelwise',
  check(layer) {
    checkLastAxis(layer, cfgOf(layer).axis, (layer.outputShape as number[]).length);
  },
  slice(role, t, io) {
    if (!io.copyBN) {
      const n = io.inKeep?.length ?? (t.shape[0] as number);
      return role === 'gamma' || role === 'moving_variance' ? tf.ones([n]) : tf.zeros([n]);
    }
    return gatherAxis(t, io.inKeep, 0);
  },
  cost(io) {
    const c = lastOf(io.inShape);
    const trainable = (io.config.scale !== false ? c : 0) + (io.config.center !== false ? c : 0);
    return { macs: prod(io.outShape.slice(1)), convDense: false, params: trainable + 2 * c, trainableParams: trainable };
  },
});

registerLayerHandler('LayerNormalization', {
  role: 'channelwise',
  check(layer) {
    checkLastAxis(layer, cfgOf(layer).axis ?? -1, (layer.outputShape as number[]).length);
  },
  couplesChannels: (layer) => `LayerNormalization '${layer.name}' normalises its channels jointly`,
  slice: (_role, t, io) => gatherAxis(t, io.inKeep, 0),
  cost(io) {
    const c = lastOf(io.inShape);
    const p = (io.config.scale !== false ? c : 0) + (io.config.center !== false ? c : 0);
    return { macs: prod(io.outShape.slice(1)), convDense: false, params: p, trainableParams: p };
  },
});
