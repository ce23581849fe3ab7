/**
 * Runtime patch of tfjs-layers' BatchNormalization so that, in training mode on wasm, it uses the fused
 * `batchNormTraining` op instead of ~15 small kernels. Only `call` is wrapped: the layer's class, config,
 * weights and serialisation stay the standard TF.js ones, and inference, other backends, axes other than
 * the last, and center/scale = false all take the original code path. The moving-average update is the
 * same arithmetic as tfjs-layers 4.22.0 (`moving ← moving − (moving − batchStat)·(1 − momentum)`).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, canFuseBatchNorm } from './batch-norm-train.js';

interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}
type CallFn = (this: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

const PATCHED = Symbol.for('prunekit.batchNormTrainingPatch');

function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/** Installs the patch once per process; returns false when the layer class cannot be found. */
export function patchBatchNormalizationLayer(): boolean {
  // The registered class (not a probe instance: creating one would advance tfjs-layers' name counters).
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
  const cls = entry?.[0] as unknown as { prototype: { call: CallFn; [PATCHED]?: CallFn } } | undefined;
  const proto = cls?.prototype;
  if (proto === undefined || typeof proto.call !== 'function') return false;
  if (proto[PATCHED]) return true;
  const original = proto.call;
  proto[PATCHED] = original;
  proto.call = function patchedCall(this: tf.layers.Layer, inputs, kwargs) {
    const training = kwargs?.['training'] === true;
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const self = this as unknown as BatchNormInternals;
    if (!training || input === undefined || !self.center || !self.scale || !self.gamma || !self.beta || !canFuseBatchNorm(input)) {
      return original.call(this, inputs, kwargs);
    }
    const axis = self.axis >= 0 ? self.axis : self.axis + input.rank;
    if (axis !== input.rank - 1) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(input, self.gamma!.read() as tf.Tensor1D, self.beta!.read() as tf.Tensor1D, self.epsilon);
      movingAverage(self.movingMean, mean, self.momentum);
      movingAverage(self.movingVariance, variance, self.momentum);
      return y;
    });
  };
  return true;
}
