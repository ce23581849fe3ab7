/**
 * Stage-2 losses: CE fine-tuning, plain KD, and the two low→high frequency curricula.
 *
 * - 'none'   : softmax cross-entropy (the trainModel default).
 * - 'plain'  : CE + α·τ²·KL(softmax(T(x)/τ) ‖ softmax(S(x)/τ)).
 * - 'freq-a' : Variant A (methods.md §3.4): the teacher's soft labels smoothed in input space,
 *              P^{low}(x_i) = Σ_a G_ia·P_T(x_a), the row running over {x_i} ∪ anchors (a fixed anchor set,
 *              default 2,048 training points, teacher probabilities cached once) — or over the batch
 *              (the in-batch fallback) — row-normalised, G_i· = softmax(−d_i·/(2δ)). δ_t is calibrated per
 *              batch (neighbours.ts) so that the median row perplexity equals k_t, which decays
 *              geometrically from k_max = 16 to 1 over the first T_c = 70% of steps; then G = I (plain KD).
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
import { flattenRows, squaredDistances } from '../spectral/smoothing-kernel.js';
import { subset } from '../data/batches.js';
import { calibrateDelta, neighbourTarget, NEIGHBOUR_DEFAULTS, type Calibration, type NeighbourScheduleSpec } from './neighbours.js';
import { TeacherCache } from './teacher-cache.js';

export const KD_MODES = ['none', 'plain', 'freq-a', 'freq-b'] as const;
export type KdMode = (typeof KD_MODES)[number];

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

export interface DistillLossOptions extends KdOptions {
  mode: KdMode;
  /** The dense teacher (needed unless mode is 'none'). */
  teacher?: tf.LayersModel;
  /** Stage-2 optimiser steps (for the schedules). */
  totalSteps: number;
  /** Variant A: k_max (default 16). */
  kMax?: number;
  /** Variant A: T_c as a fraction of totalSteps (default 0.7). */
  cutoffFraction?: number;
  /** Variant A: one δ per row (t-SNE style) instead of one per batch (default false). */
  perRow?: boolean;
  /** Variant A: relative tolerance of the perplexity calibration (default 0.05). */
  tolerance?: number;
  /** Variant A: the anchor images; default: `anchorCount` seeded training points from `data`. */
  anchors?: ImageSet;
  /** Variant A: size of the default anchor set (default 2,048; 0 = in-batch kernel). */
  anchorCount?: number;
  /** Seed of the default anchor sample (default 0). */
  seed?: number;
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
  /** Schedule value at a step: target neighbour count k_t (freq-a), radius (freq-b), or null. */
  scheduleAt(step: number): number | null;
  /** freq-a: the calibration of the last batch (null when the kernel was the identity). */
  readonly lastCalibration?: (Calibration & { step: number; target: number }) | null;
  /** freq-a: number of anchors (0 = in-batch kernel). */
  readonly anchorCount?: number;
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

  if (o.mode === 'freq-a') return variantA(o, kd, cache, targetsOf);

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

/** A seeded sample of `count` examples of `set` (all of them when count ≥ set.count). */
export function sampleAnchors(set: ImageSet, count: number, seed: number): ImageSet {
  if (count >= set.count) return set;
  const idx = permutation(set.count, createRng(deriveSeed(seed, 'anchors'))).subarray(0, count);
  return subset(set, Array.from(idx).sort((a, b) => a - b), `${set.name}[anchors ${count}]`);
}

function variantA(
  o: DistillLossOptions,
  kd: { alpha: number; tau: number },
  cache: TeacherCache,
  targetsOf: (x: tf.Tensor) => tf.Tensor2D,
): DistillLoss {
  const sched: NeighbourScheduleSpec = { totalSteps: o.totalSteps, kMax: o.kMax, cutoffFraction: o.cutoffFraction };
  neighbourTarget(0, sched); // validates
  let anchorSet = o.anchors;
  const count = o.anchorCount ?? NEIGHBOUR_DEFAULTS.anchors;
  if (!anchorSet && count > 0) {
    if (!o.data) throw new Error("KD mode 'freq-a' needs the training data (for the anchor set) or anchorCount = 0 (in-batch kernel)");
    anchorSet = sampleAnchors(o.data, count, o.seed ?? 0);
  }
  let anchorX: tf.Tensor2D | undefined;
  let anchorP: tf.Tensor2D | undefined;
  if (anchorSet) {
    const a = anchorSet;
    const pixels = allExamples(a); // streamed sets decode here, once
    // teacher probabilities of the anchors, computed once (in chunks to bound memory)
    const probs: tf.Tensor2D[] = [];
    for (let i = 0; i < a.count; i += 512) {
      const n = Math.min(512, a.count - i);
      const per = a.height * a.width * a.channels;
      probs.push(tf.tidy(() => targetsOf(tf.tensor4d(pixels.subarray(i * per, (i + n) * per), [n, a.height, a.width, a.channels]))));
    }
    anchorP = tf.keep(tf.concat(probs, 0));
    tf.dispose(probs);
    anchorX = tf.keep(tf.tensor2d(pixels.subarray(0, a.count * a.height * a.width * a.channels), [a.count, a.height * a.width * a.channels]));
  }
  const state: { last: (Calibration & { step: number; target: number }) | null } = { last: null };
  const lossFn: LossFn = (ctx: LossContext) => {
    const logits = forwardLogits(ctx.model, ctx.x, true);
    const p = targetsOf(ctx.x);
    const k = neighbourTarget(ctx.step, sched);
    if (k === 1) {
      state.last = null;
      return { loss: kdLoss(logits, p, ctx.y as tf.Tensor1D, kd), logits };
    }
    const low = tf.tidy(() => {
      const xf = flattenRows(ctx.x);
      const n = xf.shape[0];
      // kernel rows: [self, anchors…] (distance 0 to itself) or the in-batch distances
      const d = anchorX ? tf.concat([tf.zeros([n, 1]), squaredDistances(xf, anchorX)], 1) as tf.Tensor2D : squaredDistances(xf);
      const m = d.shape[1];
      const cal = calibrateDelta(d.dataSync(), n, m, Math.min(k, m), { perRow: o.perRow, tolerance: o.tolerance });
      state.last = { ...cal, step: ctx.step, target: k };
      const twoDelta = tf.tensor2d(Float32Array.from(cal.deltas, (v) => 2 * v), [n, 1]);
      const g = tf.softmax(tf.div(tf.neg(d), twoDelta)) as tf.Tensor2D;
      const smoothed = anchorX && anchorP
        ? tf.add(tf.mul(tf.slice(g, [0, 0], [n, 1]), p), tf.matMul(tf.slice(g, [0, 1], [n, m - 1]), anchorP))
        : tf.matMul(g, p);
      return stopGradient(smoothed as tf.Tensor2D);
    });
    return { loss: kdLoss(logits, low, ctx.y as tf.Tensor1D, kd), logits };
  };
  return {
    lossFn,
    scheduleAt: (s) => neighbourTarget(s, sched),
    get lastCalibration() {
      return state.last;
    },
    anchorCount: anchorSet?.count ?? 0,
    cache,
    dispose: () => {
      tf.dispose([anchorX, anchorP].filter((t): t is tf.Tensor2D => t !== undefined));
      cache.clear();
    },
  };
}
