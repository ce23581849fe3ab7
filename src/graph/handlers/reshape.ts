/**
 * Flatten and Reshape keep the flat (row-major, channels-last) order: feature f of the output is
 * channel f mod C of the input's channel layout. A Reshape's explicit last dimension is rewritten
 * when channels are removed (e.g. an SE gate reshaped to [1, 1, C]).
 */
import { registerLayerHandler } from '../handler.js';
import { isTrainableWeightFree } from './util.js';

registerLayerHandler('Flatten', { role: 'flatten', cost: isTrainableWeightFree });

registerLayerHandler('Reshape', {
  role: 'flatten',
  cost: isTrainableWeightFree,
  resize(config, outLast, layerName) {
    const key = 'targetShape' in config ? 'targetShape' : 'target_shape'; // layer config / serialised JSON
    const target = (config[key] as (number | null)[] | undefined)?.slice();
    if (!target || target.length === 0) throw new Error(`Reshape '${layerName}' has no targetShape`);
    if (target[target.length - 1] === -1 || target[target.length - 1] === null) return; // inferred
    if (target.some((d) => d === -1 || d === null)) {
      throw new Error(`Reshape '${layerName}' infers a non-last dimension (${JSON.stringify(target)}) and its channels change; give it an explicit shape`);
    }
    target[target.length - 1] = outLast;
    config[key] = target;
  },
});
