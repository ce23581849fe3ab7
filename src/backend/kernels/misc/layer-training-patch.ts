/**
 * Runtime patch of one tfjs-layers class's `call` for training on wasm: `trainingCall(layer, input, kwargs)`
 * runs when the layer is called with `training: true` on a single tensor, and returns the layer's output or
 * undefined (= not applicable here: the original `call` runs). The class, config, weights and serialisation
 * stay the standard TF.js ones. Used by the Dense and Conv2D training ops (dense-train.ts, conv-train.ts).
 */
import * as tf from '@tensorflow/tfjs';

type CallFn = (this: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
export type TrainingCall = (layer: tf.layers.Layer, input: tf.Tensor, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | undefined;

/** Installs the patch once per process (keyed by `tag`); returns false when the class cannot be found. */
export function patchLayerTraining(className: string, tag: symbol, trainingCall: TrainingCall): boolean {
  // The registered class (not a probe instance: creating one would advance tfjs-layers' name counters).
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  const proto = (entry?.[0] as unknown as { prototype: Record<symbol, CallFn | undefined> & { call: CallFn } } | undefined)?.prototype;
  if (proto === undefined || typeof proto.call !== 'function') return false;
  if (proto[tag]) return true;
  const original = proto.call;
  proto[tag] = original;
  proto.call = function patchedCall(this: tf.layers.Layer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const out = kwargs?.['training'] === true && input !== undefined ? trainingCall(this, input, inputs, kwargs) : undefined;
    return out ?? original.call(this, inputs, kwargs);
  };
  return true;
}
