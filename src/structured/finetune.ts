/**
 * Fine-tuning after filter pruning with the reference recipe (DCTPruning / HRankPlus,
 * `prune_cifar10.py`): SGD, momentum 0.9, lr 0.01, weight decay 5e-3 (coupled L2 on every
 * trainable weight, BN γ/β and biases included, as PyTorch's `weight_decay`), MultiStepLR γ = 0.1.
 * The reference VGG-16 milestones [50, 100] of 150 epochs are scaled to the budget: by default the
 * lr drops at round(E/3) and round(2E/3) (milestones ≤ 0 or ≥ E have no effect and are dropped).
 * Reported like the reference: the test accuracy after the last epoch (`final`) and the best test
 * accuracy over all epochs (`best`). Runs on `trainModel`; this file only sets the recipe.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { evaluate, DEFAULT_EVAL_BATCH } from '../train/evaluate.js';
import { trainModel } from '../train/loop.js';
import type { EpochLogs, TrainHistory } from '../train/types.js';

/** Reference schedule: milestones [50, 100] over 150 epochs (VGG-16, CIFAR-10). */
export const REFERENCE_MILESTONES = [50, 100] as const;
export const REFERENCE_EPOCHS = 150;
/** Reference weight decay of the CIFAR fine-tune (large by ImageNet standards; it is what the code uses). */
export const REFERENCE_WEIGHT_DECAY = 5e-3;

export interface FinetuneOptions {
  epochs: number;
  /** Default 128 (the reference uses 256 on CIFAR; 128 suits 2-core CPU steps). */
  batchSize?: number;
  /** Default 0.01. */
  lr?: number;
  /** Default 0.9. */
  momentum?: number;
  /** Default 5e-3 (reference). */
  weightDecay?: number;
  /** Epochs at which lr is multiplied by gamma (default: reference milestones scaled to `epochs`). */
  milestones?: number[];
  /** Default 0.1. */
  gamma?: number;
  seed: number;
  /** Evaluated (inference mode) after every epoch; final and best accuracy are taken on it. */
  evalSet: ImageSet;
  evalBatchSize?: number;
  augment?: 'none' | 'crop-flip';
  /** At most this many optimiser steps per epoch (default: the whole training set). */
  stepsPerEpoch?: number;
  progress?: boolean | 'auto';
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
}

export interface FinetuneAccuracy {
  accuracy: number;
  loss: number;
  /** 1-based epoch the value was measured after (0: before any fine-tuning, i.e. epochs = 0). */
  epoch: number;
}

export interface FinetuneResult {
  /** After the last epoch. */
  final: FinetuneAccuracy;
  /** Best test accuracy over all epochs (first epoch reaching it). */
  best: FinetuneAccuracy;
  history: TrainHistory;
  /** The milestones actually used. */
  milestones: number[];
  /** The optimiser settings actually used. */
  recipe: { batchSize: number; lr: number; momentum: number; weightDecay: number; gamma: number };
  seconds: number;
}

/** The reference milestones [50, 100]/150 scaled to `epochs` (round(E·50/150), round(E·100/150)), kept in (0, E). */
export function scaledMilestones(epochs: number): number[] {
  const ms = REFERENCE_MILESTONES.map((m) => Math.round((epochs * m) / REFERENCE_EPOCHS)).filter((m) => m > 0 && m < epochs);
  return [...new Set(ms)];
}

/** Fine-tunes `model` in place on `data` with the reference recipe; returns final and best test accuracy. */
export async function finetuneStructured(model: tf.LayersModel, data: ImageSet, opts: FinetuneOptions): Promise<FinetuneResult> {
  if (!(Number.isInteger(opts.epochs) && opts.epochs >= 0)) {
    throw new Error(`finetuneStructured(${model.name}): epochs must be an integer ≥ 0, got ${opts.epochs}`);
  }
  const milestones = opts.milestones ?? scaledMilestones(opts.epochs);
  const evalBatch = opts.evalBatchSize ?? DEFAULT_EVAL_BATCH;
  const recipe = {
    batchSize: opts.batchSize ?? 128,
    lr: opts.lr ?? 0.01,
    momentum: opts.momentum ?? 0.9,
    weightDecay: opts.weightDecay ?? REFERENCE_WEIGHT_DECAY,
    gamma: opts.gamma ?? 0.1,
  };
  const t0 = performance.now();
  if (opts.epochs === 0) {
    const ev = await evaluate(model, opts.evalSet, evalBatch);
    const acc = { accuracy: ev.accuracy, loss: ev.loss, epoch: 0 };
    return { final: acc, best: { ...acc }, history: { epochs: [], steps: 0 }, milestones, recipe, seconds: (performance.now() - t0) / 1000 };
  }
  const history = await trainModel(model, data, {
    epochs: opts.epochs,
    batchSize: recipe.batchSize,
    optimizer: { name: 'sgd', lr: recipe.lr, momentum: recipe.momentum, weightDecay: recipe.weightDecay },
    schedule: { kind: 'step', unit: 'epoch', milestones, gamma: recipe.gamma },
    seed: opts.seed,
    validation: opts.evalSet,
    evalBatchSize: evalBatch,
    augment: opts.augment ?? 'none',
    stepsPerEpoch: opts.stepsPerEpoch,
    progress: opts.progress ?? false,
    onEpochEnd: opts.onEpochEnd,
  });
  const per = history.epochs.map((e) => ({ accuracy: e.valAccuracy!, loss: e.valLoss!, epoch: e.epoch + 1 }));
  const final = per[per.length - 1];
  const best = per.reduce((b, e) => (e.accuracy > b.accuracy ? e : b), per[0]);
  return { final, best: { ...best }, history, milestones, recipe, seconds: (performance.now() - t0) / 1000 };
}
