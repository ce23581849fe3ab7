/** InputLayer: a channel source that is never pruned. */
import { registerLayerHandler } from '../handler.js';
import { zeroCost } from './util.js';

registerLayerHandler('InputLayer', { role: 'input', cost: zeroCost });
