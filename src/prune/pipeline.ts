/**
 * Unstructured pruning pipelines: prune → evaluate → fine-tune (masks enforced) → evaluate, with
 * plain-JSON results.
 *
 * - `pruneOneShotLevels`: every level restarts from the same dense weights (LAP's `oneshot`). A level
 *   is `{ it }` (per-layer 1 − (1 − p_l)^it with `perIteration` p; global methods prune the same
 *   total fraction), `{ sparsity }` (uniform per layer, or global) or `{ ratios }` (per layer).
 * - `pruneIterative`: each round prunes a fraction of the *survivors* of the fine-tuned net (masks
 *   accumulate).
 * - gradual polynomial sparsity during training: see gradual.ts.
 *
 * Fine-tuning uses `trainModel` with `maskEnforcer` as `afterStep`; every fine-tune creates a new
 * optimiser (trainModel does), i.e. Adam is re-created after each prune, as the reference code.
 * The model passed in is pruned in place level by level; `pruneOneShotLevels` restores its dense
 * weights at the end. `onLevel` sees each pruned, fine-tuned model (e.g. to save it).
 */
import * as tf from '@tensorflow/tfjs';
import { batchCount } from '../data/batches.js';
import type { ImageSet } from '../data/types.js';
import { evaluate } from '../train/evaluate.js';
import { trainModel } from '../train/loop.js';
import { validateOptimizerSpec, type OptimizerSpec } from '../train/optimizers.js';
import { deriveSeed } from '../util/random.js';
import { resolveRatios, type PruneOptions } from './compute.js';
import { requirePrunable, type PrunableLayer } from './layers.js';
import { maskEnforcer, MaskSet } from './masks.js';
import { getMethod } from './methods.js';
import { pruneModel } from './prune.js';
import type { PruningRecord } from './record.js';
import { oneShotRatios, oneShotRemaining, type PolynomialSchedule } from './schedules.js';
import type { ScoreOptions } from './scores/context.js';

export type ScheduleName = 'oneshot' | 'iterative' | 'gradual';

export interface FinetuneOptions {
  /** Optimiser steps per fine-tune (0: no fine-tuning, `after` is then absent). */
  steps: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  /** trainModel's progress output (default false). */
  progress?: boolean | 'auto';
}

/** One pruning level of a one-shot run. */
export type PruneLevel = { it: number } | { sparsity: number } | { ratios: number[] };

export interface PipelineOptions {
  method: string;
  /** Seeds pruning (rp, data sampling) and fine-tuning batches (same batches for every method). */
  seed: number;
  /** Fine-tuning data; also the data of data-dependent methods (lap_act, obd). */
  train: ImageSet;
  /** Evaluation data (accuracy before / after fine-tuning). */
  test: ImageSet;
  finetune: FinetuneOptions;
  exclude?: string[];
  skipShortcuts?: boolean;
  split?: number;
  /** Extra score options (e.g. actSamples). */
  score?: ScoreOptions;
  /** Evaluation batch size (default 1000). */
  evalBatchSize?: number;
  /** Progress lines (one per level). */
  log?: (line: string) => void;
  /** Called with every level's result and the pruned, fine-tuned model (before the next level). */
  onLevel?: (result: LevelResult, model: tf.LayersModel, masks: MaskSet) => void | Promise<void>;
}

export interface OneShotOptions extends PipelineOptions {
  levels: PruneLevel[];
  /** Per-layer ratios p applied per iteration for `{ it }` levels (one per prunable layer). */
  perIteration?: number[];
}

export interface IterativeOptions extends PipelineOptions {
  rounds: number;
  /** Fraction of the survivors pruned per round: one per layer (layer-wise methods) or one sparsity (uniform / global). */
  perRound: { ratios: number[] } | { sparsity: number };
}

export interface EvalSummary {
  accuracy: number;
  loss: number;
}

export interface LayerSparsity {
  name: string;
  size: number;
  alive: number;
  sparsity: number;
}

export interface LevelResult {
  method: string;
  schedule: ScheduleName;
  /** Position in the run (0-based). */
  index: number;
  /** e.g. 'it=4', 's=0.9', 'round 2', 'final'. */
  label: string;
  /** What was asked: per-layer ratios (layer-wise) or the sparsity (global / uniform). */
  ratios?: number[];
  sparsity?: number;
  /** Achieved fraction of prunable weights remaining (1 − totalSparsity). */
  remaining: number;
  totalSparsity: number;
  layers: LayerSparsity[];
  params: { total: number; left: number };
  /** Accuracy right after pruning (absent for gradual pruning). */
  before?: EvalSummary;
  /** Accuracy after fine-tuning (absent without fine-tuning). */
  after?: EvalSummary;
  seconds: { prune: number; finetune: number; eval: number };
  record: PruningRecord;
}

export interface PipelineResult {
  method: string;
  schedule: ScheduleName;
  seed: number;
  dense: EvalSummary;
  levels: LevelResult[];
  finetune: { steps: number; batchSize: number; optimizer: OptimizerSpec };
  data: { train: string; trainCount: number; test: string; testCount: number };
  seconds: number;
  /** Gradual pruning only: the schedule and the sparsity reached at each pruning step. */
  gradual?: { schedule: PolynomialSchedule; events: { step: number; target: number; sparsity: number }[] };
}

export const DEFAULT_EVAL_BATCH_SIZE = 1000;

/** The prunable layers; throws naming the model when it has none. */
export function pipelineLayers(model: tf.LayersModel, o: Pick<PipelineOptions, 'exclude' | 'skipShortcuts'>): PrunableLayer[] {
  return requirePrunable(model, { exclude: o.exclude, skipShortcuts: o.skipShortcuts });
}

/** The pruning options of one level (ratios or sparsity), validated against the model's layers. */
export function levelPruneOptions(
  method: string,
  level: PruneLevel,
  layers: PrunableLayer[],
  perIteration?: number[],
): { label: string; ratios?: number[]; sparsity?: number } {
  const global = getMethod(method).rule === 'global';
  let out: { label: string; ratios?: number[]; sparsity?: number };
  if ('it' in level) {
    if (!perIteration) throw new Error(`level it=${level.it} needs per-iteration ratios (one per prunable layer: ${layers.map((l) => l.name).join(', ')})`);
    if (perIteration.length !== layers.length) {
      throw new Error(`got ${perIteration.length} per-iteration ratios but the model has ${layers.length} prunable layers (${layers.map((l) => l.name).join(', ')})`);
    }
    const label = `it=${level.it}`;
    out = global
      ? { label, sparsity: 1 - oneShotRemaining(perIteration, layers.map((l) => l.geom.size), level.it) }
      : { label, ratios: oneShotRatios(perIteration, level.it) };
  } else if ('sparsity' in level) {
    out = { label: `s=${level.sparsity}`, sparsity: level.sparsity };
  } else {
    out = { label: `ratios=${level.ratios.join(',')}`, ratios: level.ratios };
  }
  resolveRatios(layers, { method, ratios: out.ratios, sparsity: out.sparsity }, global); // throws on bad values
  return out;
}

/** Checks what every schedule needs (method, prunable layers, fine-tuning, data); returns the prunable layers. */
export function validatePipeline(model: tf.LayersModel, o: PipelineOptions): PrunableLayer[] {
  const spec = getMethod(o.method);
  const layers = pipelineLayers(model, o);
  const f = o.finetune;
  if (!(Number.isInteger(f.steps) && f.steps >= 0)) throw new Error(`fine-tune steps must be an integer ≥ 0, got ${f.steps}`);
  if (!(Number.isInteger(f.batchSize) && f.batchSize >= 1)) throw new Error(`fine-tune batch size must be an integer ≥ 1, got ${f.batchSize}`);
  validateOptimizerSpec(f.optimizer);
  if (f.steps > 0 && batchCount(o.train.count, f.batchSize, true) === 0) {
    throw new Error(`${o.train.name} has ${o.train.count} examples, fewer than one fine-tuning batch of ${f.batchSize}`);
  }
  if (o.test.count === 0) throw new Error(`${o.test.name} is empty: nothing to evaluate on`);
  if (spec.needsData && o.train.count === 0) throw new Error(`method '${o.method}' needs training data but ${o.train.name} is empty`);
  return layers;
}

/** Checks a one-shot plan without touching the model (unknown method, no prunable layer, bad levels). */
export function validateOneShot(model: tf.LayersModel, o: OneShotOptions): void {
  const layers = validatePipeline(model, o);
  if (o.levels.length === 0) throw new Error('no pruning levels given');
  for (const lv of o.levels) levelPruneOptions(o.method, lv, layers, o.perIteration);
}

/** Checks an iterative plan without touching the model. */
export function validateIterative(model: tf.LayersModel, o: IterativeOptions): void {
  const layers = validatePipeline(model, o);
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error(`rounds must be an integer ≥ 1, got ${o.rounds}`);
  resolveRatios(layers, { method: o.method, ...o.perRound }, getMethod(o.method).rule === 'global');
}

/** Per-round fraction of survivors so that `rounds` rounds reach `target` sparsity: 1 − (1 − target)^(1/rounds). */
export function perRoundFraction(target: number, rounds: number): number {
  if (!(target >= 0 && target < 1)) throw new Error(`target sparsity must be in [0, 1), got ${target}`);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`rounds must be an integer ≥ 1, got ${rounds}`);
  return 1 - Math.pow(1 - target, 1 / rounds);
}

export async function evalSummary(model: tf.LayersModel, set: ImageSet, batchSize = DEFAULT_EVAL_BATCH_SIZE): Promise<EvalSummary> {
  const r = await evaluate(model, set, batchSize);
  return { accuracy: r.accuracy, loss: r.loss };
}

/** Fine-tunes `model` for `f.steps` steps with pruned weights held at zero; returns seconds. */
export async function finetuneMasked(model: tf.LayersModel, masks: MaskSet, train: ImageSet, f: FinetuneOptions, seed: number): Promise<number> {
  if (f.steps === 0) return 0;
  const t0 = performance.now();
  const spe = batchCount(train.count, f.batchSize, true);
  const enforce = maskEnforcer(model, masks);
  try {
    await trainModel(model, train, {
      epochs: Math.ceil(f.steps / spe),
      maxSteps: f.steps,
      batchSize: f.batchSize,
      optimizer: f.optimizer,
      seed,
      dropRemainder: true,
      afterStep: enforce,
      progress: f.progress ?? false,
    });
  } finally {
    enforce.dispose();
  }
  return (performance.now() - t0) / 1000;
}

/** Per-layer sparsity and parameter counts of a pruning record on `model`. */
export function sparsityOf(model: tf.LayersModel, record: PruningRecord): Pick<LevelResult, 'layers' | 'remaining' | 'totalSparsity' | 'params'> {
  const layers = record.layers.map((l) => ({ name: l.name, size: l.size, alive: l.alive, sparsity: l.sparsity }));
  const pruned = layers.reduce((a, l) => a + (l.size - l.alive), 0);
  const total = model.countParams();
  return { layers, remaining: 1 - record.totalSparsity, totalSparsity: record.totalSparsity, params: { total, left: total - pruned } };
}

/** PruneOptions of one pipeline step. */
export function pipelinePruneOptions(
  o: Pick<PipelineOptions, 'method' | 'seed' | 'split' | 'exclude' | 'skipShortcuts' | 'score'> & { train?: ImageSet },
  asked: { ratios?: number[]; sparsity?: number },
  masks?: MaskSet,
): PruneOptions {
  return {
    ...o.score,
    method: o.method,
    ...(asked.ratios !== undefined ? { ratios: asked.ratios } : { sparsity: asked.sparsity }),
    seed: o.seed,
    split: o.split,
    exclude: o.exclude,
    skipShortcuts: o.skipShortcuts,
    masks,
    data: getMethod(o.method).needsData ? o.train : undefined,
  };
}

/** The result of one pruned level, from what was asked, the pruning record and what was measured. */
export function levelResult(
  model: tf.LayersModel,
  at: { method: string; schedule: ScheduleName; index: number; asked: { label: string; ratios?: number[]; sparsity?: number } },
  record: PruningRecord,
  seconds: LevelResult['seconds'],
  evals: { before?: EvalSummary; after?: EvalSummary } = {},
): LevelResult {
  const { asked } = at;
  return {
    method: at.method,
    schedule: at.schedule,
    index: at.index,
    label: asked.label,
    ratios: asked.ratios,
    sparsity: asked.sparsity,
    ...sparsityOf(model, record),
    ...evals,
    seconds,
    record,
  };
}

export function pct(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}

/** One progress line for a finished level. */
export function formatLevelLine(r: LevelResult, of: number): string {
  const b = r.before ? pct(r.before.accuracy) : '-';
  const a = r.after ? ` → ${pct(r.after.accuracy)} after fine-tuning` : '';
  const secs = r.seconds.prune + r.seconds.finetune + r.seconds.eval;
  return `[${r.method}] ${r.label} (${r.index + 1}/${of}): ${pct(r.remaining)} of weights left, accuracy ${b}${a} (${secs.toFixed(1)} s)`;
}

/** One prune (+ fine-tune) step on the model's current weights and masks. */
async function pruneStep(
  model: tf.LayersModel,
  o: PipelineOptions,
  schedule: ScheduleName,
  index: number,
  asked: { label: string; ratios?: number[]; sparsity?: number },
  masks: MaskSet | undefined,
  trainSeed: number,
): Promise<{ result: LevelResult; masks: MaskSet }> {
  const t0 = performance.now();
  const { masks: next, record } = pruneModel(model, pipelinePruneOptions(o, asked, masks));
  const tPrune = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const before = await evalSummary(model, o.test, o.evalBatchSize);
  let tEval = (performance.now() - t1) / 1000;
  const tFt = await finetuneMasked(model, next, o.train, o.finetune, trainSeed);
  let after: EvalSummary | undefined;
  if (o.finetune.steps > 0) {
    const t2 = performance.now();
    after = await evalSummary(model, o.test, o.evalBatchSize);
    tEval += (performance.now() - t2) / 1000;
  }
  const result = levelResult(model, { method: o.method, schedule, index, asked }, record, { prune: tPrune, finetune: tFt, eval: tEval }, { before, after });
  return { result, masks: next };
}

export function pipelineBaseResult(o: PipelineOptions, schedule: ScheduleName, dense: EvalSummary): Omit<PipelineResult, 'levels' | 'seconds'> {
  return {
    method: o.method,
    schedule,
    seed: o.seed,
    dense,
    finetune: { steps: o.finetune.steps, batchSize: o.finetune.batchSize, optimizer: o.finetune.optimizer },
    data: { train: o.train.name, trainCount: o.train.count, test: o.test.name, testCount: o.test.count },
  };
}

/** Copies of every weight of `model` (dispose them when done). */
export function snapshotWeights(model: tf.LayersModel): tf.Tensor[] {
  return model.getWeights().map((w) => w.clone());
}

/**
 * One-shot pruning at several levels, each from the same dense weights: prune, evaluate, fine-tune,
 * evaluate. The model ends with its dense weights restored. `dense` may be passed when already known.
 */
export async function pruneOneShotLevels(model: tf.LayersModel, o: OneShotOptions, dense?: EvalSummary): Promise<PipelineResult> {
  validateOneShot(model, o);
  const t0 = performance.now();
  const layers = pipelineLayers(model, o);
  const denseAcc = dense ?? (await evalSummary(model, o.test, o.evalBatchSize));
  const snapshot = snapshotWeights(model);
  const levels: LevelResult[] = [];
  try {
    for (let i = 0; i < o.levels.length; i++) {
      if (i > 0) model.setWeights(snapshot);
      const asked = levelPruneOptions(o.method, o.levels[i], layers, o.perIteration);
      // the same fine-tuning batches for every method at a level
      const { result, masks } = await pruneStep(model, o, 'oneshot', i, asked, undefined, deriveSeed(o.seed, `finetune/${asked.label}`));
      levels.push(result);
      o.log?.(formatLevelLine(result, o.levels.length));
      if (o.onLevel) await o.onLevel(result, model, masks);
    }
  } finally {
    model.setWeights(snapshot);
    tf.dispose(snapshot);
  }
  return { ...pipelineBaseResult(o, 'oneshot', denseAcc), levels, seconds: (performance.now() - t0) / 1000 };
}

/** Iterative pruning: `rounds` × (prune a fraction of the survivors, fine-tune). The model ends pruned. */
export async function pruneIterative(model: tf.LayersModel, o: IterativeOptions, dense?: EvalSummary): Promise<PipelineResult> {
  validateIterative(model, o);
  const t0 = performance.now();
  const denseAcc = dense ?? (await evalSummary(model, o.test, o.evalBatchSize));
  const levels: LevelResult[] = [];
  let masks: MaskSet | undefined;
  for (let r = 0; r < o.rounds; r++) {
    const asked = { label: `round ${r + 1}`, ...o.perRound };
    const step = await pruneStep(model, o, 'iterative', r, asked, masks, deriveSeed(o.seed, `finetune/round${r + 1}`));
    masks = step.masks;
    levels.push(step.result);
    o.log?.(formatLevelLine(step.result, o.rounds));
    if (o.onLevel) await o.onLevel(step.result, model, masks);
  }
  return { ...pipelineBaseResult(o, 'iterative', denseAcc), levels, seconds: (performance.now() - t0) / 1000 };
}
