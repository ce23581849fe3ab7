/**
 * Scores every prunable channel group of a model with a criterion.
 *
 * Map criteria run the calibration images through the model in inference mode (BN running
 * statistics) once, batched, reading each group's hook layers (one per producer); a group's
 * score is the sum of its producers' scores (residual groups: summed over member maps), averaged
 * over images.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../data/types.js';
import { prunableGroups, type ChannelGraph, type ChannelGroup } from '../graph.js';
import { calibrationIndices, checkCalibrationShape, forEachBatch } from './calibration.js';
import { dctEnergySums, rankSums } from './map-scores.js';
import { l1Scores, randomScores } from './weight-scores.js';
import { MAP_CRITERIA, checkCriterion, type CriterionName, type CriterionOptions } from './types.js';

export * from './types.js';
export { matrixRank } from './rank.js';

function mapScoreSums(criterion: CriterionName, maps: tf.Tensor, opts: CriterionOptions): Float64Array {
  switch (criterion) {
    case 'dct':
      return dctEnergySums(maps, 'full');
    case 'dct_low':
      return dctEnergySums(maps, 'low', opts.dctK);
    case 'dct_dc':
      return dctEnergySums(maps, 'dc');
    case 'hrank':
      return rankSums(maps, opts.rankTol);
    default:
      throw new Error(`criteria: '${criterion}' does not use feature maps`);
  }
}

/** Hook layer names per group (pre- or post-pool). */
export function hookLayers(group: ChannelGroup, hook: CriterionOptions['hook']): string[] {
  return hook === 'post-pool' ? group.postPoolHooks : group.hooks;
}

/** Scores per prunable group id (length = group channels; higher = more important). */
export function scoreChannels(
  model: tf.LayersModel,
  graph: ChannelGraph,
  criterionName: CriterionName,
  calib: ImageSet | undefined,
  opts: CriterionOptions = {},
): Map<number, Float64Array> {
  const criterion = checkCriterion(criterionName);
  const groups = prunableGroups(graph);
  const seed = opts.seed ?? 0;
  const out = new Map<number, Float64Array>();
  if (criterion === 'l1') {
    for (const g of groups) out.set(g.id, l1Scores(model, g));
    return out;
  }
  if (criterion === 'random') {
    for (const g of groups) out.set(g.id, randomScores(g, seed));
    return out;
  }
  if (!MAP_CRITERIA.has(criterion)) throw new Error(`criteria: unhandled criterion '${criterion}'`);
  if (!calib) throw new Error(`criterion '${criterion}' needs calibration images: pass calib (an ImageSet, e.g. the training split)`);
  checkCalibrationShape(calib, model);
  const hookNames = [...new Set(groups.flatMap((g) => hookLayers(g, opts.hook)))];
  if (hookNames.length === 0) return out;
  const extractor = tf.model({ inputs: model.inputs, outputs: hookNames.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
  const batchSize = opts.calibBatchSize ?? 128;
  const indices = calibrationIndices(calib, opts.calibBatches ?? 5, batchSize, seed);
  const sums = new Map<string, Float64Array>();
  forEachBatch(calib, indices, batchSize, (x) => {
    const res = extractor.predict(x, { batchSize });
    const list = Array.isArray(res) ? res : [res];
    try {
      list.forEach((maps, i) => {
        const s = mapScoreSums(criterion, maps, opts);
        const acc = sums.get(hookNames[i]);
        if (acc) for (let c = 0; c < s.length; c++) acc[c] += s[c];
        else sums.set(hookNames[i], s);
      });
    } finally {
      tf.dispose(list);
    }
  });
  for (const g of groups) {
    const total = new Float64Array(g.channels);
    for (const h of hookLayers(g, opts.hook)) {
      const s = sums.get(h)!;
      if (s.length !== g.channels) throw new Error(`criteria: hook '${h}' has ${s.length} channels, group ${g.id} has ${g.channels}`);
      for (let c = 0; c < s.length; c++) total[c] += s[c] / indices.length;
    }
    out.set(g.id, total);
  }
  return out;
}
