/**
 * Knowledge-distillation loss (Hinton et al.):
 *   L = (1 − α)·CE(y, z_S) + α·τ²·mean_i KL( P_i ‖ softmax(z_S,i / τ) ),
 * where P are the teacher's soft targets softmax(z_T / τ) — or any row-stochastic targets, e.g. the
 * Variant-A smoothed ones G·P. KL(P‖Q) = Σ_k P_k (log P_k − log Q_k), with 0·log 0 = 0.
 * Gradients flow only into the student's logits; pass teacher targets that are not on the tape
 * (see TeacherCache / teacherTargets).
 */
import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../train/evaluate.js';

export interface KdOptions {
  /** Weight of the distillation term (default 0.7). */
  alpha?: number;
  /** Temperature τ (default 4). */
  tau?: number;
}

export const KD_DEFAULTS = { alpha: 0.7, tau: 4 } as const;

export function resolveKd(o: KdOptions = {}): { alpha: number; tau: number } {
  const alpha = o.alpha ?? KD_DEFAULTS.alpha;
  const tau = o.tau ?? KD_DEFAULTS.tau;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`KD weight α must be in [0, 1], got ${alpha}`);
  if (!(tau > 0) || !Number.isFinite(tau)) throw new Error(`KD temperature τ must be a positive number, got ${tau}`);
  return { alpha, tau };
}

const blockGradient = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/** Identity in the forward pass, zero gradient in the backward pass (TF's stop_gradient). */
export function stopGradient<T extends tf.Tensor>(t: T): T {
  return blockGradient(t) as T;
}

/** Soft targets softmax(z / τ) of teacher logits (no gradient). */
export function softTargets(teacherLogits: tf.Tensor2D, tau: number): tf.Tensor2D {
  return tf.tidy(() => stopGradient(tf.softmax(tf.div(teacherLogits, tau)) as tf.Tensor2D));
}

/** mean_i KL(P_i ‖ softmax(z_i / τ)). */
export function klToStudent(targets: tf.Tensor2D, studentLogits: tf.Tensor2D, tau: number): tf.Scalar {
  if (targets.shape[0] !== studentLogits.shape[0] || targets.shape[1] !== studentLogits.shape[1]) {
    throw new Error(`KD: teacher targets [${targets.shape}] and student logits [${studentLogits.shape}] differ in shape`);
  }
  return tf.tidy(() => {
    const logQ = tf.logSoftmax(tf.div(studentLogits, tau));
    const plogp = tf.mul(targets, tf.log(tf.maximum(targets, 1e-30)));
    return tf.mean(tf.sum(tf.sub(plogp, tf.mul(targets, logQ)), 1)) as tf.Scalar;
  });
}

/** The full KD loss; labels int32 [n]. */
export function kdLoss(studentLogits: tf.Tensor2D, targets: tf.Tensor2D, labels: tf.Tensor1D, opts: KdOptions = {}): tf.Scalar {
  const { alpha, tau } = resolveKd(opts);
  return tf.tidy(() => {
    const kl = tf.mul(klToStudent(targets, studentLogits, tau), alpha * tau * tau);
    if (alpha === 1) return kl as tf.Scalar;
    return tf.add(tf.mul(softmaxCrossEntropy(studentLogits, labels), 1 - alpha), kl) as tf.Scalar;
  });
}
