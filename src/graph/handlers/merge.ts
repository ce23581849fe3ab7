/**
 * Merges: Add, Average, Maximum, Minimum, Multiply (element-wise, same channels: their producers
 * are pruned together; Multiply may broadcast a gate, as in Squeeze-and-Excitation) and
 * Concatenate (channels side by side at offsets). 0 MACs.
 */
import { registerLayerHandler } from '../handler.js';
import { isTrainableWeightFree } from './util.js';

for (const cls of ['Add', 'Average', 'Maximum', 'Minimum']) registerLayerHandler(cls, { role: 'merge', cost: isTrainableWeightFree });
registerLayerHandler('Multiply', { role: 'merge', gates: true, cost: isTrainableWeightFree });
registerLayerHandler('Concatenate', { role: 'concat', cost: isTrainableWeightFree });
