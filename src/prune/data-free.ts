/**
 * Data-free unstructured pruning: the methods whose scores need no data (mp, rp, lap, lap_bn, the
 * sequential LAP variants and their *_global_normalize forms — `needsData: false` in methods.ts)
 * prune a model with no dataset at all: no accuracy, no fine-tuning; each level reports sparsity and
 * parameters (report/sparse-cost.ts adds MACs and sizes).
 *
 * Schedules as pipeline.ts: one-shot levels each start from the dense weights (the model ends
 * dense; `onLevel` sees each pruned model, e.g. to save it), iterative rounds prune a fraction of
 * the survivors (masks accumulate; the model ends pruned).
 */
import type * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs';
import { resolveRatios } from './compute.js';
import type { MaskSet } from './masks.js';
import { getMethod, METHOD_NAMES } from './methods.js';
import { levelPruneOptions, levelResult, pipelineLayers, pipelinePruneOptions, snapshotWeights, type LevelResult, type PruneLevel, type ScheduleName } from './pipeline.js';
import { pruneModel } from './prune.js';

export interface DataFreeOptions {
  method: string;
  seed: number;
  exclude?: string[];
  skipShortcuts?: boolean;
  split?: number;
  log?: (line: string) => void;
  onLevel?: (result: LevelResult, model: tf.LayersModel, masks: MaskSet) => void | Promise<void>;
}

export interface DataFreeResult {
  method: string;
  schedule: ScheduleName;
  seed: number;
  /** Per level: sparsity, params, record; `before` / `after` accuracy are absent. */
  levels: LevelResult[];
  seconds: number;
}

/** The method names that need no data. */
export const DATA_FREE_METHODS: readonly string[] = METHOD_NAMES.filter((m) => !getMethod(m).needsData);

/** Throws when `method` needs data, naming the methods that do not. */
export function requireDataFree(method: string): void {
  if (getMethod(method).needsData) {
    throw new Error(`method '${method}' scores weights with training data and cannot prune without a dataset; data-free methods: ${DATA_FREE_METHODS.join(', ')}`);
  }
}

async function step(
  model: tf.LayersModel,
  o: DataFreeOptions,
  schedule: ScheduleName,
  index: number,
  asked: { label: string; ratios?: number[]; sparsity?: number },
  masks: MaskSet | undefined,
): Promise<{ result: LevelResult; masks: MaskSet }> {
  const t0 = performance.now();
  const { masks: next, record } = pruneModel(model, pipelinePruneOptions(o, asked, masks));
  const result = levelResult(model, { method: o.method, schedule, index, asked }, record, { prune: (performance.now() - t0) / 1000, finetune: 0, eval: 0 });
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  o.log?.(`[${o.method}] ${asked.label}: ${pct(result.remaining)} of weights left (data-free: no accuracy, no fine-tuning)`);
  if (o.onLevel) await o.onLevel(result, model, next);
  return { result, masks: next };
}

/** One-shot levels, each from the dense weights; the model ends with its dense weights. */
export async function pruneOneShotDataFree(model: tf.LayersModel, o: DataFreeOptions & { levels: PruneLevel[]; perIteration?: number[] }): Promise<DataFreeResult> {
  requireDataFree(o.method);
  const layers = pipelineLayers(model, o);
  if (o.levels.length === 0) throw new Error('no pruning levels given');
  const asked = o.levels.map((lv) => levelPruneOptions(o.method, lv, layers, o.perIteration)); // validate all first
  const t0 = performance.now();
  const snapshot = snapshotWeights(model);
  const levels: LevelResult[] = [];
  try {
    for (let i = 0; i < asked.length; i++) {
      if (i > 0) model.setWeights(snapshot);
      levels.push((await step(model, o, 'oneshot', i, asked[i], undefined)).result);
    }
  } finally {
    model.setWeights(snapshot);
    tfc.dispose(snapshot);
  }
  return { method: o.method, schedule: 'oneshot', seed: o.seed, levels, seconds: (performance.now() - t0) / 1000 };
}

/** Iterative rounds without fine-tuning (re-scoring the survivors each round); the model ends pruned. */
export async function pruneIterativeDataFree(
  model: tf.LayersModel,
  o: DataFreeOptions & { rounds: number; perRound: { ratios: number[] } | { sparsity: number } },
): Promise<DataFreeResult> {
  requireDataFree(o.method);
  const layers = pipelineLayers(model, o);
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error(`rounds must be an integer ≥ 1, got ${o.rounds}`);
  resolveRatios(layers, { method: o.method, ...o.perRound }, getMethod(o.method).rule === 'global');
  const t0 = performance.now();
  const levels: LevelResult[] = [];
  let masks: MaskSet | undefined;
  for (let r = 0; r < o.rounds; r++) {
    const s = await step(model, o, 'iterative', r, { label: `round ${r + 1}`, ...o.perRound }, masks);
    masks = s.masks;
    levels.push(s.result);
  }
  return { method: o.method, schedule: 'iterative', seed: o.seed, levels, seconds: (performance.now() - t0) / 1000 };
}
