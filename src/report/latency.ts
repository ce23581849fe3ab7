/**
 * Inference latency on the active backend: wall time of `model.predict(x)` (the whole batch in one
 * call; or the model's own `run`, e.g. fusedPredict) plus reading the
 * result back (`dataSync`), for one fixed seeded input batch. Reports the median and the 10th/90th
 * percentiles (linear interpolation) over `runs` timed calls after `warmup` untimed ones.
 *
 * `compareLatency` times several models at several batch sizes with the runs interleaved
 * (model A, model B, A, B, …), so drift from other processes on the machine hits every model
 * alike; speedups are relative to the first model.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, randNormal } from '../util/random.js';

export interface LatencyOptions {
  /** Untimed calls first (default 2). */
  warmup?: number;
  /** Timed calls (default 10). */
  runs?: number;
  /** Seed of the input values (default 0). */
  seed?: number;
  /** Untimed calls of a model right before each of its timed calls (default 0): steady-state latency, rounds still interleaved. */
  rewarm?: number;
}

export interface LatencyStats {
  batch: number;
  runs: number;
  medianMs: number;
  p10: number;
  p90: number;
}

export interface LatencyModel {
  label: string;
  model: tf.LayersModel;
  /** How to run it (default `model.predict(x)` on the whole batch at once); e.g. `fusedPredict`. */
  run?: (model: tf.LayersModel, x: tf.Tensor) => tf.Tensor | tf.Tensor[];
}

export interface LatencyRow {
  batch: number;
  /** One entry per model, in the order given. */
  stats: LatencyStats[];
  /** median(first model) / median(this model), per model (1 for the first). */
  speedup: number[];
}

/** q-quantile (0 ≤ q ≤ 1) of values with linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function latencyStats(batch: number, timesMs: readonly number[]): LatencyStats {
  return { batch, runs: timesMs.length, medianMs: quantile(timesMs, 0.5), p10: quantile(timesMs, 0.1), p90: quantile(timesMs, 0.9) };
}

function checkCounts(where: string, batch: number, warmup: number, runs: number): void {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`${where}: batch must be an integer ≥ 1, got ${batch}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`${where}: warmup must be an integer ≥ 0, got ${warmup}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`${where}: runs must be an integer ≥ 1, got ${runs}`);
}

/** The model's single input shape [H, W, C…] (without batch); throws naming the model otherwise. */
export function modelInputShape(model: tf.LayersModel): number[] {
  if (model.inputs.length !== 1) throw new Error(`latency: model '${model.name}' has ${model.inputs.length} inputs; expected one`);
  const s = model.inputs[0].shape.slice(1);
  if (s.some((d) => d === null)) throw new Error(`latency: model '${model.name}' has an input with unknown dimensions [${s}]; give inputShape`);
  return s as number[];
}

function checkShape(model: tf.LayersModel, inputShape: readonly number[]): void {
  const want = model.inputs[0]?.shape.slice(1) ?? [];
  if (want.length !== inputShape.length || want.some((d, i) => d !== null && d !== inputShape[i])) {
    throw new Error(`latency: model '${model.name}' expects inputs [${want.join(', ')}] but inputShape is [${inputShape.join(', ')}]`);
  }
}

function seededInput(inputShape: readonly number[], batch: number, seed: number): tf.Tensor {
  const shape = [batch, ...inputShape];
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = createRng(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = randNormal(rng);
  return tf.tensor(v, shape);
}

/** The whole batch in one predict call (predict's default batchSize 32 would split batch 64 into Slice + Concat). */
const predictAll = (model: tf.LayersModel, x: tf.Tensor) => model.predict(x, { batchSize: x.shape[0] });

/** One timed call: predict (or `run`) + read back; everything allocated is disposed. */
function timeOnce(m: LatencyModel, x: tf.Tensor): number {
  const t0 = performance.now();
  const y = (m.run ?? predictAll)(m.model, x);
  const list = Array.isArray(y) ? y : [y];
  for (const t of list) t.dataSync();
  const ms = performance.now() - t0;
  tf.dispose(list);
  return ms;
}

/** Latency of `model` at one batch size on the active backend. */
export function measureLatency(model: tf.LayersModel, inputShape: readonly number[], batch: number, opts: LatencyOptions = {}): LatencyStats {
  return compareLatency([{ label: model.name, model }], inputShape, [batch], opts)[0].stats[0];
}

/** Latency of every model at every batch size, runs interleaved across models. */
export function compareLatency(
  models: readonly LatencyModel[],
  inputShape: readonly number[],
  batches: readonly number[],
  opts: LatencyOptions = {},
): LatencyRow[] {
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 10;
  if (models.length === 0) throw new Error('compareLatency: no models');
  for (const b of batches) checkCounts('latency', b, warmup, runs);
  for (const m of models) checkShape(m.model, inputShape);
  const rows: LatencyRow[] = [];
  for (const batch of batches) {
    const x = seededInput(inputShape, batch, opts.seed ?? 0);
    try {
      for (const m of models) for (let i = 0; i < warmup; i++) timeOnce(m, x);
      const times = models.map(() => [] as number[]);
      for (let r = 0; r < runs; r++) {
        models.forEach((m, i) => {
          for (let k = 0; k < (opts.rewarm ?? 0); k++) timeOnce(m, x);
          times[i].push(timeOnce(m, x));
        });
      }
      const stats = times.map((t) => latencyStats(batch, t));
      rows.push({ batch, stats, speedup: stats.map((s) => stats[0].medianMs / s.medianMs) });
    } finally {
      x.dispose();
    }
  }
  return rows;
}
