/** InputLayer: a channel source that is never pruned. */
import { registerLayerHandler } from '../handler.js';
import { isTrainableWeightFree } from './util.js';

registerLayerHandler('InputLayer', { role: 'input', cost: isTrainableWeightFree });
