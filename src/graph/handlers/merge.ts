/**
 * Merges: Add, Average, Maximum, Minimum, Multiply (element-wise, same channels: their producers
 * are pruned together; Multiply may broadcast a gate, as in Squeeze-and-Excitation) and
 * Concatenate (channels side by side at offsets). 0 MACs.
 */
import { registerLayerHandler } from '../handler.js';
import { zeroCost } from './util.js';

for (const cls of ['Add', 'Average', 'Maximum', 'Minimum']) registerLayerHandler(cls, { role: 'merge', cost: zeroCost });
registerLayerHandler('Multiply', { role: 'merge', gates: true, cost: zeroCost });
registerLayerHandler('Concatenate', { role: 'concat', cost: zeroCost });
