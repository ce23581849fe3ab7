/**
 * Fourier-guided two-stage pruning (methods.md 3.3–3.4).
 *
 * Stage 1 (`findMasks`): copy the dense teacher and find the sparse topology with magnitude pruning
 * (MBP): one-shot to the target sparsity, or iterative (a fraction q of the survivors per round, brief
 * CE retraining between rounds with the masks enforced). Any other mask source can be passed instead.
 * Stage 2 (`retrainMasked`): retrain the masked student from the dense teacher with CE, plain KD, or a
 * low→high frequency curriculum (Variant A / B); masks are re-applied after every optimiser step.
 * `fourierPrune` runs both.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { applyMasks, maskEnforcer, MaskSet } from '../prune/masks.js';
import { pruneModel } from '../prune/prune.js';
import { iterativeRounds, iterativeSparsity, survivorFraction } from '../prune/schedules.js';
import { evaluate } from '../train/evaluate.js';
import { trainModel } from '../train/loop.js';
import type { OptimizerSpec } from '../train/optimizers.js';
import type { ScheduleSpec } from '../train/schedules.js';
import type { EpochLogs, TrainHistory } from '../train/types.js';
import type { FrequencyAnalysis, FrequencyAnalyzer } from '../spectral/analysis.js';
import { analysisRecorder } from '../spectral/analysis.js';
import { cloneModel } from './clone.js';
import { createDistillLoss, type KdMode } from './curriculum.js';

/** Produces masks for a (copy of the) dense model, e.g. LAP: `(m) => computeMasks(m, { method: 'lap', sparsity })`. */
export type MaskSource = (model: tf.LayersModel) => MaskSet | Promise<MaskSet>;

export interface Stage1Options {
  sparsity: number;
  /** 'oneshot' | 'iterative' MBP, or a custom mask source. Default 'iterative'. */
  stage1?: 'oneshot' | 'iterative' | MaskSource;
  /** Pruning method for MBP: 'mp' (layer-wise) or 'mp_global_normalize' (default 'mp'). */
  method?: string;
  /** Iterative: fraction of survivors pruned per round (default 0.2). */
  q?: number;
  /** Iterative: training data and CE retraining per round. */
  data?: ImageSet;
  roundEpochs?: number;
  /** Iterative: cap on steps per retraining epoch. */
  roundStepsPerEpoch?: number;
  batchSize?: number;
  optimizer?: OptimizerSpec;
  seed?: number;
  exclude?: string[];
  progress?: boolean | 'auto';
}

export interface Stage1Result {
  student: tf.LayersModel;
  masks: MaskSet;
  /** Sparsity of the masks over the prunable weights. */
  sparsity: number;
  rounds: number;
  seconds: number;
}

/** Stage 1: a pruned copy of `teacher` and its masks (the teacher is not modified). */
export async function findMasks(teacher: tf.LayersModel, o: Stage1Options): Promise<Stage1Result> {
  if (!(o.sparsity > 0 && o.sparsity < 1)) throw new Error(`fourier-prune: sparsity must be in (0, 1), got ${o.sparsity}`);
  const t0 = performance.now();
  const student = await cloneModel(teacher);
  const method = o.method ?? 'mp';
  const kind = o.stage1 ?? 'iterative';
  const seed = o.seed ?? 0;
  let masks: MaskSet;
  let rounds = 1;
  if (typeof kind === 'function') {
    masks = await kind(student);
    applyMasks(student, masks);
  } else if (kind === 'oneshot') {
    masks = pruneModel(student, { method, sparsity: o.sparsity, seed, exclude: o.exclude }).masks;
  } else {
    const q = o.q ?? 0.2;
    rounds = iterativeRounds(q, o.sparsity);
    const epochs = o.roundEpochs ?? 1;
    if (epochs > 0 && !o.data) throw new Error('fourier-prune: iterative stage 1 retrains between rounds and needs the training data');
    let current: MaskSet | undefined;
    let reached = 0;
    for (let r = 1; r <= rounds; r++) {
      const target = Math.min(o.sparsity, iterativeSparsity(q, r));
      const frac = survivorFraction(reached, target);
      // layer-wise methods: `sparsity` is the fraction of each layer's alive weights to prune
      current = pruneModel(student, { method, sparsity: frac, seed, masks: current, exclude: o.exclude }).masks;
      reached = target;
      if (epochs > 0 && r < rounds && o.data) {
        const enforce = maskEnforcer(student, current);
        try {
          await trainModel(student, o.data, {
            epochs,
            batchSize: o.batchSize ?? 128,
            optimizer: o.optimizer ?? { name: 'adam', lr: 1e-3 },
            seed: seed + r,
            stepsPerEpoch: o.roundStepsPerEpoch,
            afterStep: enforce,
            progress: o.progress ?? false,
          });
        } finally {
          enforce.dispose();
        }
      }
    }
    masks = current as MaskSet;
  }
  return { student, masks, sparsity: masks.totalSparsity(), rounds, seconds: (performance.now() - t0) / 1000 };
}

export interface Stage2Options {
  kd: KdMode;
  train: ImageSet;
  epochs: number;
  batchSize?: number;
  /** Cap on steps per epoch (the step budget is epochs × this). */
  stepsPerEpoch?: number;
  optimizer?: OptimizerSpec;
  schedule?: ScheduleSpec;
  seed?: number;
  alpha?: number;
  tau?: number;
  /** Variant A: k_max of the neighbour-count schedule (default 16). */
  kMax?: number;
  /** Variant A: T_c as a fraction of the stage-2 steps (default 0.7). */
  cutoffFraction?: number;
  /** Variant A: calibrate δ per row (t-SNE style) instead of per batch. */
  perRow?: boolean;
  /** Variant A anchor set (default: `anchorCount` seeded training points). */
  anchors?: ImageSet;
  /** Variant A: size of the default anchor set (default 2,048; 0 = in-batch kernel). */
  anchorCount?: number;
  validation?: ImageSet;
  /** Record the frequency analysis after every epoch. */
  analyzer?: FrequencyAnalyzer;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  progress?: boolean | 'auto';
}

export interface Stage2Result {
  history: TrainHistory;
  /** Per-epoch frequency analysis (when an analyzer was given). */
  analysis: FrequencyAnalysis[];
  /** Wall time of stage 2. */
  seconds: number;
  /** Variant A's anchor count (freq-a only; 0 = in-batch kernel). */
  anchorCount?: number;
}

/** Stage 2: retrains `student` in place under fixed `masks`, distilling from `teacher` per `kd`. */
export async function retrainMasked(student: tf.LayersModel, teacher: tf.LayersModel, masks: MaskSet, o: Stage2Options): Promise<Stage2Result> {
  const t0 = performance.now();
  const batchSize = o.batchSize ?? 128;
  const spe = Math.min(Math.ceil(o.train.count / batchSize), o.stepsPerEpoch ?? Infinity);
  const totalSteps = o.epochs * spe;
  const loss = createDistillLoss({
    mode: o.kd,
    teacher,
    totalSteps,
    alpha: o.alpha,
    tau: o.tau,
    kMax: o.kMax,
    cutoffFraction: o.cutoffFraction,
    perRow: o.perRow,
    anchors: o.anchors,
    anchorCount: o.anchorCount,
    seed: o.seed,
    data: o.train,
  });
  applyMasks(student, masks);
  const enforce = maskEnforcer(student, masks);
  const recorder = o.analyzer ? analysisRecorder(o.analyzer, student, o.kd) : undefined;
  try {
    const history = await trainModel(student, o.train, {
      epochs: o.epochs,
      batchSize,
      stepsPerEpoch: o.stepsPerEpoch,
      optimizer: o.optimizer ?? { name: 'adam', lr: 1e-3 },
      schedule: o.schedule,
      seed: o.seed ?? 0,
      lossFn: loss.lossFn,
      afterStep: enforce,
      validation: o.validation,
      progress: o.progress ?? false,
      onEpochEnd: async (epoch, logs) => {
        recorder?.onEpochEnd(epoch, logs);
        if (o.onEpochEnd) await o.onEpochEnd(epoch, logs);
      },
    });
    return { history, analysis: recorder?.records ?? [], seconds: (performance.now() - t0) / 1000, anchorCount: loss.anchorCount };
  } finally {
    enforce.dispose();
    loss.dispose();
  }
}

export interface FourierPruneOptions extends Stage1Options, Omit<Stage2Options, 'seed' | 'progress'> {
  test?: ImageSet;
}

export interface FourierPruneResult {
  student: tf.LayersModel;
  masks: MaskSet;
  stage1: Omit<Stage1Result, 'student' | 'masks'> & { accuracyAfterPrune?: number };
  stage2: Stage2Result;
  testAccuracy?: number;
  teacherAccuracy?: number;
}

/** Both stages: MBP (or `stage1` mask source) on a copy of `teacher`, then masked retraining with `kd`. */
export async function fourierPrune(teacher: tf.LayersModel, o: FourierPruneOptions): Promise<FourierPruneResult> {
  const s1 = await findMasks(teacher, { ...o, data: o.data ?? o.train });
  const { student, masks, ...rest } = s1;
  try {
    const teacherAccuracy = o.test ? (await evaluate(teacher, o.test)).accuracy : undefined;
    const accuracyAfterPrune = o.test ? (await evaluate(student, o.test)).accuracy : undefined;
    const stage2 = await retrainMasked(student, teacher, masks, o);
    const testAccuracy = o.test ? (await evaluate(student, o.test)).accuracy : undefined;
    return { student, masks, stage1: { ...rest, accuracyAfterPrune }, stage2, testAccuracy, teacherAccuracy };
  } catch (e) {
    student.dispose();
    throw e;
  }
}
