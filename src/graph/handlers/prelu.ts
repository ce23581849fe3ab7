/** PReLU: α has the input's shape (batch dropped) with shared axes of size 1; α's last axis follows the channels. */
import { registerLayerHandler } from '../handler.js';
import { gatherAxis, prod } from './util.js';

function sharedAxes(config: Record<string, unknown>): number[] {
  const s = config.sharedAxes;
  return s === undefined || s === null ? [] : Array.isArray(s) ? (s as number[]) : [s as number];
}

registerLayerHandler('PReLU', {
  role: 'channelwise',
  slice(role, t, io) {
    if (role !== 'alpha') throw new Error(`layer '${io.layer.name}': unexpected weight '${role}'`);
    return t.shape[t.rank - 1] === 1 ? t.clone() : gatherAxis(t, io.inKeep, -1);
  },
  cost(io) {
    const shared = new Set(sharedAxes(io.config));
    const dims = io.inShape.slice(1).map((d, i) => (shared.has(i + 1) ? 1 : d));
    const p = prod(dims);
    return { macs: 0, convDense: false, params: p, trainableParams: p };
  },
});
