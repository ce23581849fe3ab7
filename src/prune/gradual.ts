/**
 * Gradual pruning during training (Zhu & Gupta; tfmot's PolynomialDecay): the target sparsity
 * follows `polynomialSparsity(schedule, t)` and the masks are updated after optimiser step t when
 * `isPruningStep(schedule, t)` (and always at `endStep`, so the final sparsity is reached exactly).
 * Each update prunes the fraction of the *survivors* that takes every layer (layer-wise methods) or
 * the whole model (global methods) to the target; pruned weights never come back.
 *
 * Unlike one-shot / iterative fine-tuning, one optimiser lives through the whole run (as in tfmot);
 * `maskEnforcer` keeps pruned weights at zero after every step. Steps count optimiser steps of
 * this training run (t = steps completed; t = 0 is before the first step).
 */
import type * as tf from '@tensorflow/tfjs';
import { batchCount } from '../data/batches.js';
import { trainModel } from '../train/loop.js';
import { maskEnforcer, MaskSet, type MaskEnforcer } from './masks.js';
import { getMethod } from './methods.js';
import {
  evalSummary,
  pipelineBaseResult,
  pipelineLayers,
  pipelinePruneOptions,
  formatLevelLine,
  sparsityOf,
  validatePipeline,
  type EvalSummary,
  type LevelResult,
  type PipelineOptions,
  type PipelineResult,
} from './pipeline.js';
import { pruneModel } from './prune.js';
import type { PruningRecord } from './record.js';
import { isPruningStep, polynomialSparsity, survivorFraction, type PolynomialSchedule } from './schedules.js';

export interface GradualOptions extends PipelineOptions {
  /** Steps are optimiser steps of the training run (`finetune.steps` in total; endStep ≤ that). */
  schedule: PolynomialSchedule;
}

/** Checks a gradual plan without touching the model. */
export function validateGradual(model: tf.LayersModel, o: GradualOptions): void {
  validatePipeline(model, o);
  polynomialSparsity(o.schedule, 0); // validates the schedule
  if (o.finetune.steps === 0) throw new Error('gradual pruning trains while pruning: give a positive number of training steps');
  if (o.schedule.endStep > o.finetune.steps) {
    throw new Error(`gradual schedule ends at step ${o.schedule.endStep} but training has only ${o.finetune.steps} steps; lower endStep or train longer`);
  }
}

/** Survivor fractions that bring `masks` to `target` sparsity (per layer, or globally). */
function stepAsk(global: boolean, masks: MaskSet, names: string[], target: number): { ratios?: number[]; sparsity?: number } {
  if (global) return { sparsity: survivorFraction(masks.totalSparsity(), target) };
  return { ratios: names.map((n) => survivorFraction(masks.sparsity(n), target)) };
}

/**
 * Trains `model` for `finetune.steps` steps while pruning it along the polynomial schedule. The model
 * ends pruned and trained; the result has one level ('final') with the accuracy after training.
 */
export async function pruneGradual(model: tf.LayersModel, o: GradualOptions, dense?: EvalSummary): Promise<PipelineResult> {
  validateGradual(model, o);
  const t0 = performance.now();
  const layers = pipelineLayers(model, o);
  const names = layers.map((l) => l.name);
  const global = getMethod(o.method).rule === 'global';
  const denseAcc = dense ?? (await evalSummary(model, o.test, o.evalBatchSize));
  const s = o.schedule;
  let masks = MaskSet.ones(layers);
  let record: PruningRecord | undefined;
  let enforce: MaskEnforcer | undefined;
  let pruneSeconds = 0;
  const events: { step: number; target: number; sparsity: number }[] = [];

  const pruneAt = (t: number): void => {
    if (!(isPruningStep(s, t) || t === s.endStep)) return;
    const target = polynomialSparsity(s, t);
    if (target <= masks.totalSparsity() + 1e-12 && !(t === s.endStep && record === undefined)) return;
    const tp = performance.now();
    const step = pruneModel(model, pipelinePruneOptions(o, stepAsk(global, masks, names, target), masks));
    masks = step.masks;
    record = step.record;
    enforce?.dispose();
    enforce = maskEnforcer(model, masks);
    events.push({ step: t, target, sparsity: masks.totalSparsity() });
    pruneSeconds += (performance.now() - tp) / 1000;
  };

  const f = o.finetune;
  const spe = batchCount(o.train.count, f.batchSize, true);
  const tTrain = performance.now();
  try {
    pruneAt(0);
    await trainModel(model, o.train, {
      epochs: Math.ceil(f.steps / spe),
      maxSteps: f.steps,
      batchSize: f.batchSize,
      optimizer: f.optimizer,
      seed: o.seed,
      dropRemainder: true,
      progress: f.progress ?? false,
      afterStep: (stepNow: number) => {
        pruneAt(stepNow + 1);
        enforce?.();
      },
    });
  } finally {
    enforce?.dispose();
  }
  const trainSeconds = (performance.now() - tTrain) / 1000 - pruneSeconds;
  if (!record) throw new Error('gradual pruning: the schedule never pruned (internal error)');
  const te = performance.now();
  const after = await evalSummary(model, o.test, o.evalBatchSize);
  const result: LevelResult = {
    method: o.method,
    schedule: 'gradual',
    index: 0,
    label: `gradual→${s.finalSparsity}`,
    sparsity: s.finalSparsity,
    ...sparsityOf(model, record),
    after,
    seconds: { prune: pruneSeconds, finetune: trainSeconds, eval: (performance.now() - te) / 1000 },
    record,
  };
  o.log?.(formatLevelLine(result, 1));
  if (o.onLevel) await o.onLevel(result, model, masks);
  return {
    ...pipelineBaseResult(o, 'gradual', denseAcc),
    levels: [result],
    gradual: { schedule: s, events },
    seconds: (performance.now() - t0) / 1000,
  };
}
