/**
 * Stage-2 losses: CE fine-tuning, plain KD, and the two low→high frequency curricula.
 *
 * - 'none'   : softmax cross-entropy (the trainModel default).
 * - 'plain'  : CE + α·τ²·KL(softmax(T(x)/τ) ‖ softmax(S(x)/τ)).
 * - 'freq-a' : Variant A: the teacher's soft labels smoothed in input space, P^{low} = G^{δ_t}·P_T,
 *              G the row-normalised Gaussian kernel over the batch (plus an optional fixed anchor set);
 *              δ_t = δ_max·(δ_min/δ_max)^{t/T_c} for t < T_c, then δ = 0 (plain KD). δ_max = c·median d_ij,
 *              δ_min = 1e-3·δ_max, T_c = 50% of the steps.
 * - 'freq-b' : Variant B: (1 − α)·CE(y, S(x)) + α·τ²·KL(T(x_r) ‖ S(x_r)), x_r the images low-passed at
 *              radius r; r = r0, r0 + Δr, … in stages evenly spaced over the first 60% of steps, then ∞.
 */
import * as tf from '@tensorflow/tfjs';
import { allExamples, gatherExamples } from '../data/batches.js';
import type { ImageSet } from '../data/types.js';
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { maxRadius, lowPassImages } from '../spectral/lowpass.js';
import { forwardLogits, softmaxCrossEntropy } from '../train/evaluate.js';
import { defaultLoss } from '../train/loop.js';
import type { LossContext, LossFn } from '../train/types.js';
import { kdLoss, resolveKd, softTargets, stopGradient, type KdOptions } from './kd-loss.js';
import { flattenRows, medianDistance, smoothingKernel, squaredDistances } from '../spectral/smoothing-kernel.js';
import { TeacherCache } from './teacher-cache.js';

export const KD_MODES = ['none', 'plain', 'freq-a', 'freq-b'] as const;
export type KdMode = (typeof KD_MODES)[number];

export interface DeltaScheduleSpec {
  deltaMax: number;
  totalSteps: number;
  /** T_c as a fraction of totalSteps (default 0.5). */
  cutoffFraction?: number;
  /** δ_min / δ_max (default 1e-3). */
  minRatio?: number;
}

/** Variant A's kernel width at `step` (0 from T_c on: plain KD). */
export function deltaAt(step: number, s: DeltaScheduleSpec): number {
  const tc = Math.round((s.cutoffFraction ?? 0.5) * s.totalSteps);
  if (step >= tc || s.deltaMax <= 0) return 0;
  return s.deltaMax * Math.pow(s.minRatio ?? 1e-3, step / tc);
}

export interface RadiusScheduleSpec {
  height: number;
  width: number;
  totalSteps: number;
  /** First radius (default 4). */
  r0?: number;
  /** Radius increment per stage (default 4). */
  rStep?: number;
  /** Fraction of steps covered by the finite radii (default 0.6). */
  rampFraction?: number;
}

/** The finite radii of Variant B's stages (those below maxRadius). */
export function radiusStages(s: RadiusScheduleSpec): number[] {
  const r0 = s.r0 ?? 4;
  const dr = s.rStep ?? 4;
  if (!(r0 >= 0) || !(dr > 0)) throw new Error(`Variant B radii need r0 ≥ 0 and a positive step, got r0=${r0}, step=${dr}`);
  const out: number[] = [];
  for (let r = r0; r < maxRadius(s.height, s.width); r += dr) out.push(r);
  return out;
}

/** Variant B's cut-off radius at `step` (Infinity = unfiltered). */
export function radiusAt(step: number, s: RadiusScheduleSpec): number {
  const stages = radiusStages(s);
  const ramp = Math.round((s.rampFraction ?? 0.6) * s.totalSteps);
  if (step >= ramp || stages.length === 0) return Infinity;
  return stages[Math.min(stages.length - 1, Math.floor((step / ramp) * stages.length))];
}

/** c·median of pairwise squared distances over a seeded sample of `set` (δ_max of Variant A). */
export function estimateDeltaMax(set: ImageSet, opts: { sample?: number; seed?: number; c?: number } = {}): number {
  const n = Math.min(opts.sample ?? 512, set.count);
  if (n < 2) throw new Error(`estimateDeltaMax: ${set.name} needs at least 2 examples`);
  const per = set.height * set.width * set.channels;
  const idx = permutation(set.count, createRng(deriveSeed(opts.seed ?? 0, 'delta-max'))).subarray(0, n);
  const xs = gatherExamples(set, idx);
  const d = tf.tidy(() => squaredDistances(tf.tensor2d(xs, [n, per])));
  const vals = d.dataSync() as Float32Array;
  d.dispose();
  return (opts.c ?? 1) * medianDistance(vals, n);
}

export interface DistillLossOptions extends KdOptions {
  mode: KdMode;
  /** The dense teacher (needed unless mode is 'none'). */
  teacher?: tf.LayersModel;
  /** Stage-2 optimiser steps (for the schedules). */
  totalSteps: number;
  /** Variant A: δ_max (default: estimateDeltaMax on `data`). */
  deltaMax?: number;
  /** Variant A: T_c fraction (default 0.5). */
  cutoffFraction?: number;
  /** Variant A: fixed anchor images [m, H, W, C] added to the kernel's columns (the batch itself is always included, so δ → 0 is plain KD). */
  anchors?: ImageSet;
  /** Variant B: r0, Δr, ramp fraction (defaults 4, 4, 0.6). */
  r0?: number;
  rStep?: number;
  rampFraction?: number;
  /** Image side lengths (Variant B; and δ_max estimation uses `data`). */
  data?: ImageSet;
  /** Cache teacher logits per example (default true). */
  cacheTeacher?: boolean;
}

export interface DistillLoss {
  lossFn: LossFn;
  /** Schedule value at a step: δ (freq-a), radius (freq-b), or null. */
  scheduleAt(step: number): number | null;
  readonly deltaMax?: number;
  readonly cache?: TeacherCache;
  dispose(): void;
}

/** Builds the stage-2 loss for `mode` (see the file comment). Call dispose() after training. */
export function createDistillLoss(o: DistillLossOptions): DistillLoss {
  if (!(KD_MODES as readonly string[]).includes(o.mode)) throw new Error(`unknown KD mode '${o.mode}'; use one of ${KD_MODES.join(', ')}`);
  if (o.mode === 'none') return { lossFn: defaultLoss, scheduleAt: () => null, dispose: () => undefined };
  if (!o.teacher) throw new Error(`KD mode '${o.mode}' needs a teacher model`);
  const kd = resolveKd(o);
  const cache = new TeacherCache(o.teacher, { disabled: o.cacheTeacher === false });
  const targetsOf = (x: tf.Tensor): tf.Tensor2D => tf.tidy(() => softTargets(cache.logits(x), kd.tau));

  if (o.mode === 'plain') {
    const lossFn: LossFn = (ctx: LossContext) => {
      const logits = forwardLogits(ctx.model, ctx.x, true);
      return { loss: kdLoss(logits, targetsOf(ctx.x), ctx.y as tf.Tensor1D, kd), logits };
    };
    return { lossFn, scheduleAt: () => null, cache, dispose: () => cache.clear() };
  }

  if (o.mode === 'freq-a') {
    let deltaMax = o.deltaMax;
    if (deltaMax === undefined) {
      if (!o.data) throw new Error("KD mode 'freq-a' needs deltaMax or the training data to estimate it");
      deltaMax = estimateDeltaMax(o.data);
    }
    const sched: DeltaScheduleSpec = { deltaMax, totalSteps: o.totalSteps, cutoffFraction: o.cutoffFraction };
    let anchorX: tf.Tensor2D | undefined;
    let anchorP: tf.Tensor2D | undefined;
    if (o.anchors) {
      const a = o.anchors;
      const imgs = tf.tensor4d(allExamples(a), [a.count, a.height, a.width, a.channels]);
      anchorX = tf.keep(flattenRows(imgs));
      anchorP = tf.keep(targetsOf(imgs));
      imgs.dispose();
    }
    const lossFn: LossFn = (ctx: LossContext) => {
      const logits = forwardLogits(ctx.model, ctx.x, true);
      const p = targetsOf(ctx.x);
      const delta = deltaAt(ctx.step, sched);
      if (delta === 0) return { loss: kdLoss(logits, p, ctx.y as tf.Tensor1D, kd), logits };
      const low = tf.tidy(() => {
        const xf = flattenRows(ctx.x);
        let d = squaredDistances(xf);
        let cols = p;
        if (anchorX && anchorP) {
          d = tf.concat([d, squaredDistances(xf, anchorX)], 1);
          cols = tf.concat([p, anchorP], 0);
        }
        return stopGradient(tf.matMul(smoothingKernel(d as tf.Tensor2D, delta), cols) as tf.Tensor2D);
      });
      return { loss: kdLoss(logits, low, ctx.y as tf.Tensor1D, kd), logits };
    };
    return {
      lossFn,
      scheduleAt: (s) => deltaAt(s, sched),
      deltaMax,
      cache,
      dispose: () => {
        tf.dispose([anchorX, anchorP].filter((t): t is tf.Tensor2D => t !== undefined));
        cache.clear();
      },
    };
  }

  // freq-b
  if (!o.data) throw new Error("KD mode 'freq-b' needs the training data (for the image size)");
  const rs: RadiusScheduleSpec = {
    height: o.data.height,
    width: o.data.width,
    totalSteps: o.totalSteps,
    r0: o.r0,
    rStep: o.rStep,
    rampFraction: o.rampFraction,
  };
  radiusStages(rs); // validates
  const lossFn: LossFn = (ctx: LossContext) => {
    const r = radiusAt(ctx.step, rs);
    const logits = forwardLogits(ctx.model, ctx.x, true);
    if (!Number.isFinite(r)) return { loss: kdLoss(logits, targetsOf(ctx.x), ctx.y as tf.Tensor1D, kd), logits };
    const xr = lowPassImages(ctx.x as tf.Tensor4D, r);
    const studentR = forwardLogits(ctx.model, xr, true);
    const kl = tf.mul(kdLoss(studentR, targetsOf(xr), ctx.y as tf.Tensor1D, { alpha: 1, tau: kd.tau }), kd.alpha);
    const loss = tf.add(tf.mul(softmaxCrossEntropy(logits, ctx.y as tf.Tensor1D), 1 - kd.alpha), kl) as tf.Scalar;
    return { loss, logits };
  };
  return { lossFn, scheduleAt: (s) => radiusAt(s, rs), cache, dispose: () => cache.clear() };
}
