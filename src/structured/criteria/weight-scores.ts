/** Map-free criteria: filter L1 norm (Li et al.) and seeded random scores. */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelGroup } from '../graph.js';
import { createRng, deriveSeed } from '../../util/random.js';

/** Σ over the group's producers of Σ |kernel[..., c]| (+ nothing for the bias). */
export function l1Scores(model: tf.LayersModel, group: ChannelGroup): Float64Array {
  const out = new Float64Array(group.channels);
  for (const p of group.producers) {
    const layer = model.getLayer(p);
    const kernel = layer.weights.find((w) => w.originalName.endsWith('/kernel'));
    if (!kernel) throw new Error(`l1 criterion: layer '${p}' has no kernel`);
    const v = kernel.read().dataSync();
    const c = group.channels;
    for (let i = 0; i < v.length; i++) out[i % c] += Math.abs(v[i]);
  }
  return out;
}

/** Uniform random scores, seeded per group. */
export function randomScores(group: ChannelGroup, seed: number): Float64Array {
  const rng = createRng(deriveSeed(seed, `random-criterion/${group.id}`));
  return Float64Array.from({ length: group.channels }, () => rng());
}
