/** Map-free criteria: filter L1 norm (Li et al.) and seeded random scores. */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelGroup } from '../graph.js';
import { requireHandler } from '../../graph/handler.js';
import { createRng, deriveSeed } from '../../util/random.js';

/** Σ over the group's producers of Σ |kernel[..., c]| (the handler's `outputL1`; nothing for the bias). */
export function l1Scores(model: tf.LayersModel, group: ChannelGroup): Float64Array {
  const out = new Float64Array(group.channels);
  for (const p of group.producers) {
    const layer = model.getLayer(p);
    const l1 = requireHandler(layer, 'l1 criterion').outputL1;
    if (!l1) throw new Error(`l1 criterion: layer '${p}' (${layer.getClassName()}) has no kernel its handler can score`);
    const s = l1(layer);
    if (s.length !== out.length) throw new Error(`l1 criterion: layer '${p}' has ${s.length} output channels, group ${group.id} has ${out.length}`);
    for (let c = 0; c < s.length; c++) out[c] += s[c];
  }
  return out;
}

/** Uniform random scores, seeded per group. */
export function randomScores(group: ChannelGroup, seed: number): Float64Array {
  const rng = createRng(deriveSeed(seed, `random-criterion/${group.id}`));
  return Float64Array.from({ length: group.channels }, () => rng());
}
