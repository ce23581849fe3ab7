/**
 * Public types of the training loop.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import type { OptimizerSpec } from './optimizers.js';
import type { ScheduleSpec } from './schedules.js';

export interface LossContext {
  model: tf.LayersModel;
  /** Batch images, NHWC float32. */
  x: tf.Tensor;
  /** Batch labels, int32 [batch]. */
  y: tf.Tensor;
  /** 0-based optimiser step. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
}

/**
 * What a loss function returns: the scalar to minimise, or it together with the student's logits
 * (then the loop also reports training accuracy).
 */
export type LossOutput = tf.Scalar | { loss: tf.Scalar; logits?: tf.Tensor };

export type LossFn = (ctx: LossContext) => LossOutput;

export interface EpochLogs {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's steps (as computed during the steps). */
  loss: number;
  /** Training accuracy over the epoch (NaN when the loss function returns no logits). */
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Optimiser steps in this epoch. */
  steps: number;
  /** Wall-clock seconds for the epoch (training + validation). */
  seconds: number;
  /** True when maxSteps cut this epoch short. */
  partial?: boolean;
}

export interface TrainHistory {
  epochs: EpochLogs[];
  /** Total optimiser steps taken (including those before a resume). */
  steps: number;
  /** Epochs completed by the checkpoint this run resumed from (absent without resume). */
  resumedFromEpoch?: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  schedule?: ScheduleSpec;
  /** Seeds shuffling and augmentation (the model's initial weights are the caller's). */
  seed: number;
  validation?: ImageSet;
  /** Batch size for validation (default 256). */
  evalBatchSize?: number;
  augment?: 'none' | 'crop-flip';
  /** Default: softmax cross-entropy on model.apply(x, { training: true }) (logits). */
  lossFn?: LossFn;
  /** Called after every optimiser step (inside tf.tidy), e.g. to re-apply pruning masks. */
  afterStep?: (step: number) => void;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Write a checkpoint here at the end of every epoch. */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in checkpointDir (if any). */
  resume?: boolean;
  /** Checkpoints kept (default 1: only the newest). */
  keepCheckpoints?: number;
  /**
   * true: progress bar on stderr; false: silent; 'auto' (default): bar when stderr is a TTY,
   * otherwise one plain line per epoch.
   */
  progress?: boolean | 'auto';
  /** Stop after this many optimiser steps in total. */
  maxSteps?: number;
  /** Use at most this many batches per epoch (default: all). */
  stepsPerEpoch?: number;
  /** Drop a final short batch (default false). */
  dropRemainder?: boolean;
}
