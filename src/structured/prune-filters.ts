/**
 * Library entry for structured (filter) pruning: score channels with a criterion, pick the kept
 * channels per group at the requested rates (or the uniform rate meeting a FLOPs/params budget),
 * and physically remove the rest.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { buildChannelGraph, prunableGroups } from './graph.js';
import { removeChannels } from './surgery.js';
import { resolveRates, selectTop, type RateSpec } from './rates.js';
import { uniformRateForBudget } from './budget.js';
import { structureCost, type Cost } from './cost.js';
import { checkCriterion, scoreChannels, type CriterionName } from './criteria/index.js';

export interface PruneFiltersOptions {
  criterion: CriterionName;
  /** Per-group rates (see RateSpec). Exactly one of rates / flopsReduction / paramsReduction. */
  rates?: RateSpec;
  /** Cut conv + dense multiply-adds by this fraction with one uniform rate. */
  flopsReduction?: number;
  /** Cut trainable parameters by this fraction with one uniform rate. */
  paramsReduction?: number;
  /** Calibration images (needed by dct, dct_low, dct_dc, hrank). */
  calib?: ImageSet;
  calibBatches?: number;
  calibBatchSize?: number;
  seed?: number;
  /** Copy kept BN parameters (default true); false = reset as the reference code. */
  copyBN?: boolean;
  hook?: 'pre-pool' | 'post-pool';
  dctK?: number;
  rankTol?: number;
}

export interface PruneFiltersGroupReport {
  id: number;
  producers: string[];
  channels: number;
  kept: number;
  rate: number;
}

export interface PruneFiltersReport {
  criterion: CriterionName;
  hook: 'pre-pool' | 'post-pool';
  mode: 'rates' | 'flops' | 'params';
  /** The uniform rate found in budget mode. */
  uniformRate?: number;
  groups: PruneFiltersGroupReport[];
  /** Analytic costs (conv+dense macs, trainable params). */
  before: Cost;
  after: Cost;
  reduction: { macs: number; params: number };
}

export async function pruneFilters(
  model: tf.LayersModel,
  opts: PruneFiltersOptions,
): Promise<{ model: tf.LayersModel; keep: Map<number, Int32Array>; report: PruneFiltersReport }> {
  const criterion = checkCriterion(opts.criterion);
  const modes = [opts.rates !== undefined, opts.flopsReduction !== undefined, opts.paramsReduction !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new Error('pruneFilters: give exactly one of rates, flopsReduction, paramsReduction');
  const graph = buildChannelGraph(model);
  let rates: Map<number, number>;
  let uniformRate: number | undefined;
  const mode: PruneFiltersReport['mode'] = opts.rates !== undefined ? 'rates' : opts.flopsReduction !== undefined ? 'flops' : 'params';
  if (opts.rates !== undefined) {
    rates = resolveRates(graph, opts.rates);
  } else {
    const b = uniformRateForBudget(model, graph, mode === 'flops' ? 'macs' : 'params', (opts.flopsReduction ?? opts.paramsReduction)!);
    uniformRate = b.rate;
    rates = resolveRates(graph, b.rate);
  }
  const active = [...rates].filter(([, r]) => r > 0);
  const scores = active.length === 0 ? new Map<number, Float64Array>() : scoreChannels(model, graph, criterion, opts.calib, {
    hook: opts.hook,
    dctK: opts.dctK,
    rankTol: opts.rankTol,
    calibBatches: opts.calibBatches,
    calibBatchSize: opts.calibBatchSize,
    seed: opts.seed,
  });
  const keep = new Map<number, Int32Array>();
  for (const [id, r] of active) keep.set(id, selectTop(scores.get(id)!, r));
  const pruned = await removeChannels(model, keep, { copyBN: opts.copyBN, graph });
  const before = structureCost(model, graph);
  const after = structureCost(model, graph, new Map([...keep].map(([id, k]) => [id, k.length])));
  const report: PruneFiltersReport = {
    criterion,
    hook: opts.hook ?? 'pre-pool',
    mode,
    ...(uniformRate !== undefined ? { uniformRate } : {}),
    groups: prunableGroups(graph).map((g) => ({
      id: g.id,
      producers: g.producers,
      channels: g.channels,
      kept: keep.get(g.id)?.length ?? g.channels,
      rate: rates.get(g.id) ?? 0,
    })),
    before,
    after,
    reduction: { macs: 1 - after.macs / before.macs, params: 1 - after.params / before.params },
  };
  return { model: pruned, keep, report };
}
