/**
 * Multi-output models: the model restricted to the chosen outputs (by output layer name), so that
 * pruning, fine-tuning and evaluation work on those heads only; layers that feed only the dropped
 * heads are left out. The result shares the source model's layers (no copy).
 */
import * as tf from '@tensorflow/tfjs';

export function outputNames(model: tf.LayersModel): string[] {
  return model.outputs.map((t) => (t.sourceLayer as tf.layers.Layer).name);
}

export function selectOutputs(model: tf.LayersModel, names: readonly string[]): tf.LayersModel {
  const all = outputNames(model);
  if (names.length === 0) throw new Error('selectOutputs: name at least one output');
  const chosen = names.map((n) => {
    const i = all.indexOf(n);
    if (i < 0) throw new Error(`--output '${n}' is not an output of model '${model.name}'; its outputs are: ${all.join(', ')}`);
    return model.outputs[i];
  });
  if (chosen.length === all.length && chosen.every((t, i) => t === model.outputs[i])) return model;
  return tf.model({ inputs: model.inputs, outputs: chosen.length === 1 ? chosen[0] : chosen, name: model.name });
}

/** One output unless `names` picks some: multi-output models need --output, naming the choices. */
export function requireSingleOutput(model: tf.LayersModel, names: readonly string[] | undefined): tf.LayersModel {
  if (names && names.length > 0) return selectOutputs(model, names);
  if (model.outputs.length > 1) {
    throw new Error(`model '${model.name}' has ${model.outputs.length} outputs (${outputNames(model).join(', ')}); choose the one to prune for with --output NAME`);
  }
  return model;
}
