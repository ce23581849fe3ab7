/**
 * Structured pruning end to end: accuracy of the dense model, pruneFilters, accuracy right after
 * pruning, the reference fine-tune (final and best accuracy) — one-shot or in K prune → fine-tune
 * steps (iterative.ts) — a replayable record (record.ts), and optionally measured latency of
 * the dense vs pruned model (as built and with BN folded) on the active backend. Also the
 * inference export: BN folded, checked against the unfolded model.
 * Used by `prunekit prune-filters` and `exp/dct.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { evaluate, DEFAULT_EVAL_BATCH } from '../train/evaluate.js';
import { compareLatency, type LatencyOptions, type LatencyRow } from '../report/latency.js';
import { createRng, deriveSeed, randNormal } from '../util/random.js';
import { foldBatchNorm } from './fold-bn.js';
import { finetuneStructured, type FinetuneOptions, type FinetuneResult } from './finetune.js';
import { checkPruneFiltersOptions, filtersReport, pruneFilters, type PruneFiltersOptions, type PruneFiltersReport } from './prune-filters.js';
import { buildChannelGraph } from './graph.js';
import { structureCost } from './cost.js';
import { checkBudgetReachable } from './budget.js';
import { groupBounds } from './rates.js';
import { removeChannels } from './surgery.js';
import { composeKeep, stepPruneOptions } from './iterative.js';
import { buildStructuredRecord, type StructuredPruningRecord } from './record.js';
import { maxRelError } from '../util/rel-error.js';
import { withRecalibratedBatchNorm, type BnRecalibrationOptions } from '../train/bn-recalibration.js';

/** Labels of the four models timed by `pruneAndFinetune` (speedups are relative to 'dense'). */
export const LATENCY_LABELS = ['dense', 'pruned', 'dense, BN folded', 'pruned, BN folded'] as const;

export interface PruneFinetuneOptions {
  prune: Omit<PruneFiltersOptions, 'calib' | 'seed'>;
  /** Calibration images (default: the training set). */
  calib?: ImageSet;
  finetune: Omit<FinetuneOptions, 'evalSet' | 'seed'>;
  seed: number;
  /** Prune → fine-tune steps (default 1: one-shot); each step fine-tunes `finetune.epochs` epochs (iterative.ts). */
  steps?: number;
  /**
   * Also measure accuracy right after pruning with BN statistics re-estimated on the calibration images
   * (train/bn-recalibration.ts); the copied statistics are put back before fine-tuning (omit: not measured).
   */
  bnRecalibration?: Omit<BnRecalibrationOptions, 'seed'>;
  /** Test accuracy of the dense model if already known (skips one evaluation). */
  denseAccuracy?: number;
  /** Measure latency at these batch sizes (omit: no latency). */
  latency?: LatencyOptions & { batches: number[] };
  evalBatchSize?: number;
  /** Called between stages (e.g. to print progress). */
  log?: (line: string) => void;
}

/** One prune → fine-tune step. */
export interface PruneStepResult {
  step: number;
  /** Cost cut against the dense model after this step. */
  reduction: { macs: number; params: number };
  /** Test accuracy right after this step's pruning, and after its fine-tune (final, best). */
  pruned: number;
  /** Right after this step's pruning with BN statistics re-estimated (only with `bnRecalibration`, BN nets). */
  prunedRecalibrated?: number;
  final: number;
  best: number;
}

export interface PruneFinetuneResult {
  /** The pruned, fine-tuned model (the caller disposes it). */
  model: tf.LayersModel;
  /** Against the dense model (iterative runs: the composed kept channels of all steps). */
  report: PruneFiltersReport;
  /** Replayable record of the run (record.ts). */
  record: StructuredPruningRecord;
  /** Accuracies; `pruned` is right after the last pruning step, final/best are from the last fine-tune. */
  accuracy: { dense: number; pruned: number; prunedRecalibrated?: number; final: number; best: number; bestEpoch: number };
  /** The last step's fine-tune. */
  finetune: FinetuneResult;
  steps: PruneStepResult[];
  /** Rows per batch; stats/speedup in LATENCY_LABELS order. */
  latency?: LatencyRow[];
  seconds: { prune: number; finetune: number };
}

const pc = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Prunes a copy of `model` (left unchanged) in one or more steps, evaluates, fine-tunes, and optionally times it. */
export async function pruneAndFinetune(
  model: tf.LayersModel,
  train: ImageSet,
  test: ImageSet,
  opts: PruneFinetuneOptions,
): Promise<PruneFinetuneResult> {
  const log = opts.log ?? (() => {});
  const evalBatch = opts.evalBatchSize ?? DEFAULT_EVAL_BATCH;
  const steps = opts.steps ?? 1;
  const pruneOpts: PruneFiltersOptions = { ...opts.prune, calib: opts.calib ?? train, seed: opts.seed };
  checkPruneFiltersOptions(pruneOpts);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`pruneAndFinetune: steps must be a positive integer, got ${steps}`);
  const denseRef = { model, graph: buildChannelGraph(model) };
  groupBounds(denseRef.graph, pruneOpts); // layer names in ignore / minWidths
  if (pruneOpts.flopsReduction !== undefined || pruneOpts.paramsReduction !== undefined) {
    const metric = pruneOpts.flopsReduction !== undefined ? 'macs' : 'params';
    checkBudgetReachable(model, denseRef.graph, metric, (pruneOpts.flopsReduction ?? pruneOpts.paramsReduction)!, pruneOpts);
  }
  const dense = opts.denseAccuracy ?? (await evaluate(model, test, evalBatch)).accuracy;
  let current = model;
  let keep = new Map<number, Int32Array>();
  let right = dense;
  let ft: FinetuneResult | undefined;
  let report: PruneFiltersReport | undefined;
  let record: StructuredPruningRecord | undefined;
  const stepResults: PruneStepResult[] = [];
  const seconds = { prune: 0, finetune: 0 };
  try {
    for (let step = 1; step <= steps; step++) {
      const t0 = performance.now();
      const graph = step === 1 ? denseRef.graph : buildChannelGraph(current);
      const o = stepPruneOptions(denseRef, { model: current, graph }, pruneOpts, step, steps);
      const tag = steps > 1 ? ` step ${step}/${steps}` : '';
      if (o) {
        const res = await pruneFilters(current, step === 1 ? o : { ...o, seed: deriveSeed(opts.seed, `prune-step-${step}`) });
        for (const id of res.keep.keys()) {
          if (graph.groups[id].producers.join() !== denseRef.graph.groups[id].producers.join()) throw new Error(`pruneAndFinetune: internal error, group ${id} changed between steps`);
        }
        if (current !== model) current.dispose();
        current = res.model;
        keep = composeKeep(keep, res.keep);
        if (steps === 1) {
          report = res.report;
          record = res.record;
        }
      }
      seconds.prune += (performance.now() - t0) / 1000;
      const cost = structureCost(model, denseRef.graph, new Map([...keep].map(([id, k]) => [id, k.length])));
      const before = structureCost(model, denseRef.graph);
      const reduction = { macs: 1 - cost.macs / before.macs, params: 1 - cost.params / before.params };
      right = (await evaluate(current, test, evalBatch)).accuracy;
      log(`pruned${tag} (${pruneOpts.criterion}) in ${((performance.now() - t0) / 1000).toFixed(1)} s: MACs −${(100 * reduction.macs).toFixed(1)}%, accuracy ${pc(right)}`);
      if (current === model) {
        // nothing pruned yet (a step with nothing to do): fine-tune a copy, never the caller's model
        current = await removeChannels(model, new Map(), { graph: denseRef.graph });
      }
      let recal: number | undefined;
      if (opts.bnRecalibration) {
        const m = current;
        const data = opts.calib ?? train;
        recal = await withRecalibratedBatchNorm(m, data, { ...opts.bnRecalibration, seed: opts.seed }, async () => (await evaluate(m, test, evalBatch)).accuracy);
        if (recal !== undefined) log(`  with BN statistics re-estimated on ${opts.bnRecalibration.batches ?? 20} batches: accuracy ${pc(recal)}`);
      }
      ft = await finetuneStructured(current, train, {
        ...opts.finetune,
        seed: step === 1 ? opts.seed : deriveSeed(opts.seed, `finetune-step-${step}`),
        evalSet: test,
        evalBatchSize: evalBatch,
      });
      seconds.finetune += ft.seconds;
      log(`fine-tuned${tag} ${opts.finetune.epochs} epochs in ${ft.seconds.toFixed(1)} s: final ${pc(ft.final.accuracy)}, best ${pc(ft.best.accuracy)}`);
      stepResults.push({ step, reduction, pruned: right, ...(recal !== undefined ? { prunedRecalibrated: recal } : {}), final: ft.final.accuracy, best: ft.best.accuracy });
    }
    if (!report || !record) {
      report = filtersReport(model, denseRef.graph, pruneOpts, keep, { steps });
      record = buildStructuredRecord({ graph: denseRef.graph, options: pruneOpts, keep, cost: { before: report.before, after: report.after }, steps });
    }
    let latency: LatencyRow[] | undefined;
    if (opts.latency) {
      const foldedDense = await foldBatchNorm(model);
      const foldedPruned = await foldBatchNorm(current);
      try {
        const shape = model.inputs[0].shape.slice(1) as number[];
        const models = [model, current, foldedDense, foldedPruned].map((m, i) => ({ label: LATENCY_LABELS[i], model: m }));
        latency = compareLatency(models, shape, opts.latency.batches, opts.latency);
      } finally {
        foldedDense.dispose();
        foldedPruned.dispose();
      }
    }
    const last = ft!;
    const recalibrated = stepResults.at(-1)?.prunedRecalibrated;
    return {
      model: current,
      report,
      record,
      accuracy: { dense, pruned: right, ...(recalibrated !== undefined ? { prunedRecalibrated: recalibrated } : {}), final: last.final.accuracy, best: last.best.accuracy, bestEpoch: last.best.epoch },
      finetune: last,
      steps: stepResults,
      latency,
      seconds,
    };
  } catch (err) {
    if (current !== model) current.dispose();
    throw err;
  }
}

/** Max |a − b| / max |b| over the outputs of two models on `x`. */
export function outputRelError(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  const [ya, yb] = tf.tidy(() => [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor]);
  const va = ya.dataSync();
  const vb = yb.dataSync();
  tf.dispose([ya, yb]);
  return maxRelError(va, vb);
}

/**
 * The inference form of a model: BN folded into the preceding conv/dense, checked on a seeded
 * batch of 8 normal inputs: outputs must match within `tolerance` (default 1e-4) relative.
 */
export async function inferenceModel(model: tf.LayersModel, opts: { seed?: number; tolerance?: number } = {}): Promise<{ model: tf.LayersModel; relError: number }> {
  const folded = await foldBatchNorm(model);
  const shape = [8, ...(model.inputs[0].shape.slice(1) as number[])];
  const rng = createRng(opts.seed ?? 0);
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = randNormal(rng);
  const x = tf.tensor(v, shape);
  try {
    const relError = outputRelError(folded, model, x);
    const tol = opts.tolerance ?? 1e-4;
    if (!(relError <= tol)) {
      folded.dispose();
      throw new Error(`BN folding changed the outputs of '${model.name}' by ${relError.toExponential(2)} relative (> ${tol}); not exporting`);
    }
    return { model: folded, relError };
  } finally {
    x.dispose();
  }
}
