/**
 * The optimiser step through prunekit's fused wasm-SIMD update kernels (src/backend/kernels/simd/fused-update.ts)
 * instead of tf.train's op-by-op `applyGradients`. It keeps tfjs' own optimiser state — Adam's
 * `accumulatedFirstMoment` / `accumulatedSecondMoment` / `accBeta1` / `accBeta2`, momentum's `accumulations`,
 * created lazily per variable index with the same names, and `iterations` — so getState / setState,
 * checkpoints and a later switch to the op-by-op path see exactly what tfjs would have written.
 * Field names are those of tfjs-core 4.22.0.
 */
import * as tf from '@tensorflow/tfjs';
import { adamUpdate, momentumUpdate } from '../backend/kernels/simd/fused-update.js';
import type { OptimizerSpec } from './optimizers.js';

export interface FusedItem {
  variable: tf.Variable;
  grad: tf.Tensor;
  /** Coupled L2 coefficient for this variable (0: none). */
  weightDecay: number;
}

interface Slot {
  originalName: string;
  variable: tf.Variable;
}
interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<Slot | undefined>;
  accumulatedSecondMoment: Array<Slot | undefined>;
}
interface MomentumFields {
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
  accumulations: Array<Slot | undefined>;
}

function slot(list: Array<Slot | undefined>, i: number, like: tf.Variable, suffix: string): tf.Variable {
  let s = list[i];
  if (s == null) {
    s = { originalName: `${like.name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(like).variable(false)) };
    list[i] = s;
  }
  return s.variable;
}

function adamStep(opt: AdamFields, items: FusedItem[]): void {
  // 1 − β^t exactly as tfjs computes it (float32 subtraction); a synchronous scalar read, cheap on wasm
  const oneMinusAccBeta1 = Math.fround(1 - opt.accBeta1.dataSync()[0]);
  const oneMinusAccBeta2 = Math.fround(1 - opt.accBeta2.dataSync()[0]);
  tf.tidy(() => {
    items.forEach((it, i) => {
      const m = slot(opt.accumulatedFirstMoment, i, it.variable, 'm');
      const v = slot(opt.accumulatedSecondMoment, i, it.variable, 'v');
      const [x2, m2, v2] = adamUpdate(it.variable, it.grad, m, v, {
        lr: opt.learningRate,
        beta1: opt.beta1,
        beta2: opt.beta2,
        epsilon: opt.epsilon,
        oneMinusAccBeta1,
        oneMinusAccBeta2,
        weightDecay: it.weightDecay,
      });
      m.assign(m2);
      v.assign(v2);
      it.variable.assign(x2);
    });
    opt.accBeta1.assign(tf.mul(opt.accBeta1, opt.beta1));
    opt.accBeta2.assign(tf.mul(opt.accBeta2, opt.beta2));
  });
}

function momentumStep(opt: MomentumFields, items: FusedItem[]): void {
  tf.tidy(() => {
    items.forEach((it, i) => {
      const a = slot(opt.accumulations, i, it.variable, 'momentum');
      const [x2, a2] = momentumUpdate(it.variable, it.grad, a, { lr: opt.learningRate, momentum: opt.momentum, nesterov: opt.useNesterov, weightDecay: it.weightDecay });
      a.assign(a2);
      it.variable.assign(x2);
    });
  });
}

function sgdStep(lr: number, items: FusedItem[]): void {
  tf.tidy(() => {
    for (const it of items) {
      const [x2] = momentumUpdate(it.variable, it.grad, undefined, { lr, momentum: 0, nesterov: false, weightDecay: it.weightDecay });
      it.variable.assign(x2);
    }
  });
}

/** Applies one step of `optimizer` (built from `spec` by createOptimizer) with the fused kernels. */
export function applyFusedStep(spec: Readonly<OptimizerSpec>, optimizer: tf.Optimizer, items: FusedItem[]): void {
  if (spec.name === 'adam') adamStep(optimizer as unknown as AdamFields, items);
  else if ((spec.momentum ?? 0) > 0) momentumStep(optimizer as unknown as MomentumFields, items);
  else sgdStep((optimizer as unknown as { learningRate: number }).learningRate, items);
  (optimizer as unknown as { incrementIterations(): void }).incrementIterations();
}
