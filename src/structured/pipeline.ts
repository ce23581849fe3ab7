/**
 * Structured pruning end to end: accuracy of the dense model, pruneFilters, accuracy right after
 * pruning, the reference fine-tune (final and best accuracy), and optionally measured latency of
 * the dense vs pruned model (as built and with BN folded) on the active backend. Also the
 * inference export: BN folded, checked against the unfolded model.
 * Used by `prunekit prune-filters` and `exp/dct.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { evaluate, DEFAULT_EVAL_BATCH } from '../train/evaluate.js';
import { compareLatency, type LatencyOptions, type LatencyRow } from '../report/latency.js';
import { createRng, randNormal } from '../util/random.js';
import { foldBatchNorm } from './fold-bn.js';
import { finetuneStructured, type FinetuneOptions, type FinetuneResult } from './finetune.js';
import { pruneFilters, type PruneFiltersOptions, type PruneFiltersReport } from './prune-filters.js';
import { maxRelError } from '../util/rel-error.js';

/** Labels of the four models timed by `pruneAndFinetune` (speedups are relative to 'dense'). */
export const LATENCY_LABELS = ['dense', 'pruned', 'dense, BN folded', 'pruned, BN folded'] as const;

export interface PruneFinetuneOptions {
  prune: Omit<PruneFiltersOptions, 'calib' | 'seed'>;
  /** Calibration images (default: the training set). */
  calib?: ImageSet;
  finetune: Omit<FinetuneOptions, 'evalSet' | 'seed'>;
  seed: number;
  /** Test accuracy of the dense model if already known (skips one evaluation). */
  denseAccuracy?: number;
  /** Measure latency at these batch sizes (omit: no latency). */
  latency?: LatencyOptions & { batches: number[] };
  evalBatchSize?: number;
  /** Called between stages (e.g. to print progress). */
  log?: (line: string) => void;
}

export interface PruneFinetuneResult {
  /** The pruned, fine-tuned model (the caller disposes it). */
  model: tf.LayersModel;
  report: PruneFiltersReport;
  accuracy: { dense: number; pruned: number; final: number; best: number; bestEpoch: number };
  finetune: FinetuneResult;
  /** Rows per batch; stats/speedup in LATENCY_LABELS order. */
  latency?: LatencyRow[];
  seconds: { prune: number; finetune: number };
}

/** Prunes a copy of `model` (left unchanged), evaluates, fine-tunes, and optionally times it. */
export async function pruneAndFinetune(
  model: tf.LayersModel,
  train: ImageSet,
  test: ImageSet,
  opts: PruneFinetuneOptions,
): Promise<PruneFinetuneResult> {
  const log = opts.log ?? (() => {});
  const evalBatch = opts.evalBatchSize ?? DEFAULT_EVAL_BATCH;
  const dense = opts.denseAccuracy ?? (await evaluate(model, test, evalBatch)).accuracy;
  const t0 = performance.now();
  const { model: pruned, report } = await pruneFilters(model, { ...opts.prune, calib: opts.calib ?? train, seed: opts.seed });
  const pruneSeconds = (performance.now() - t0) / 1000;
  try {
    const right = (await evaluate(pruned, test, evalBatch)).accuracy;
    log(`pruned (${report.criterion}) in ${pruneSeconds.toFixed(1)} s: MACs −${(100 * report.reduction.macs).toFixed(1)}%, accuracy ${(100 * right).toFixed(2)}%`);
    const ft = await finetuneStructured(pruned, train, { ...opts.finetune, seed: opts.seed, evalSet: test, evalBatchSize: evalBatch });
    log(`fine-tuned ${opts.finetune.epochs} epochs in ${ft.seconds.toFixed(1)} s: final ${(100 * ft.final.accuracy).toFixed(2)}%, best ${(100 * ft.best.accuracy).toFixed(2)}%`);
    let latency: LatencyRow[] | undefined;
    if (opts.latency) {
      const foldedDense = await foldBatchNorm(model);
      const foldedPruned = await foldBatchNorm(pruned);
      try {
        const shape = model.inputs[0].shape.slice(1) as number[];
        const models = [model, pruned, foldedDense, foldedPruned].map((m, i) => ({ label: LATENCY_LABELS[i], model: m }));
        latency = compareLatency(models, shape, opts.latency.batches, opts.latency);
      } finally {
        foldedDense.dispose();
        foldedPruned.dispose();
      }
    }
    return {
      model: pruned,
      report,
      accuracy: { dense, pruned: right, final: ft.final.accuracy, best: ft.best.accuracy, bestEpoch: ft.best.epoch },
      finetune: ft,
      latency,
      seconds: { prune: pruneSeconds, finetune: ft.seconds },
    };
  } catch (err) {
    pruned.dispose();
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
