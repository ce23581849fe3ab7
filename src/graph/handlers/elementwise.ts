/** Element-wise layers (activations, dropout, noise, Rescaling by a scalar): channels unchanged, no weights, 0 MACs. Softmax couples channels. */
import { registerLayerHandler, type LayerHandler } from '../handler.js';
import { cfgOf, isTrainableWeightFree } from './util.js';

const plain: LayerHandler = { role: 'passthrough', cost: isTrainableWeightFree };

for (const cls of ['ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Rescaling']) {
  registerLayerHandler(cls, plain);
}

/** Activation layer: any built-in activation (relu, relu6, swish, hard-swish via custom, sigmoid, …); softmax mixes channels. */
registerLayerHandler('Activation', {
  role: 'passthrough',
  couplesChannels: (layer) => (cfgOf(layer).activation === 'softmax' ? `'${layer.name}' applies softmax over channels` : undefined),
  cost: isTrainableWeightFree,
});

registerLayerHandler('Softmax', {
  role: 'passthrough',
  couplesChannels: (layer) => `'${layer.name}' applies softmax over channels`,
  cost: isTrainableWeightFree,
});
