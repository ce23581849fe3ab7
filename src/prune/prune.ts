/** pruneModel: compute masks, write kernel ⊙ mask into the model, and describe the step in a record. */
import type * as tf from '@tensorflow/tfjs';
import { computeMasks, type PruneOptions } from './compute.js';
import { applyMasks, type MaskSet } from './masks.js';
import { buildRecord, type PruningRecord } from './record.js';

export function pruneModel(model: tf.LayersModel, opts: PruneOptions): { masks: MaskSet; record: PruningRecord } {
  const masks = computeMasks(model, opts);
  const record = buildRecord(model, opts, masks);
  applyMasks(model, masks);
  return { masks, record };
}
