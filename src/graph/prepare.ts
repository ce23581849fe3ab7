/**
 * What the CLI does to a loaded model before pruning it: pick the output to prune for (multi-output
 * models need one, `--output NAME`) and flatten nested models into one graph of stock layers.
 * The returned model is the one to use and dispose; a flattened copy disposes the loaded model.
 */
import type * as tf from '@tensorflow/tfjs';
import { flattenModel } from './flatten-nested.js';
import { requireSingleOutput } from './select-outputs.js';

export function prepareModel(model: tf.LayersModel, output?: string): tf.LayersModel {
  const chosen = requireSingleOutput(model, output === undefined ? undefined : [output]);
  const flat = flattenModel(chosen);
  if (flat !== chosen) model.dispose();
  return flat;
}
