/**
 * Library entry for structured (filter) pruning (methods.md §4.3): score channels with a
 * criterion (criteria/), pick the kept channels per group with a rule (rates.ts: given rates or
 * widths; budget.ts: the uniform rate or the global ranking meeting a FLOPs/params budget), all
 * under the constraints (ignored layers, maximum rate, round-to), and physically remove the rest
 * (surgery.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { buildChannelGraph, prunableGroups, type ChannelGraph } from './graph.js';
import { removeChannels } from './surgery.js';
import { boundedWidth, checkConstraints, groupBounds, ignoredGroups, resolveRates, selectTopCount, widthsForRates, type RateConstraints, type RateSpec } from './rates.js';
import { globalWidthsForBudget, globalWidthsForFraction, uniformRateForBudget, type ScoreNormalization } from './budget.js';
import { structureCost, type Cost } from './cost.js';
import { checkCriterion, scoreChannels, type CriterionName } from './criteria/index.js';
import { buildStructuredRecord, type StructuredPruningRecord } from './record.js';

export type Ranking = 'uniform' | 'global';
export const RANKINGS: readonly Ranking[] = ['uniform', 'global'];

export interface PruneFiltersOptions extends RateConstraints {
  criterion: CriterionName;
  /** Per-group rates (see RateSpec). Exactly one of rates / flopsReduction / paramsReduction / widths. */
  rates?: RateSpec;
  /** Cut conv + dense multiply-adds by this fraction. */
  flopsReduction?: number;
  /** Cut trainable parameters by this fraction. */
  paramsReduction?: number;
  /** Kept channel counts keyed by a producer layer name (groups not named keep every channel). */
  widths?: Readonly<Record<string, number>>;
  /**
   * 'uniform' (default): one rate for every group in budget mode, or the given rates. 'global':
   * rank normalised channel scores across groups (budget mode, or one number in `rates` = the
   * fraction of all prunable channels to remove); per-group rates come out non-uniform.
   */
  ranking?: Ranking;
  /** Per-group score normalisation for global ranking (default 'mean'). */
  normalize?: ScoreNormalization;
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
  /** The rate asked for the group (global ranking and widths: the achieved 1 − kept/channels). */
  rate: number;
  /** Named in `ignore`: never pruned. */
  ignored?: boolean;
}

export interface PruneFiltersReport {
  criterion: CriterionName;
  hook: 'pre-pool' | 'post-pool';
  mode: 'rates' | 'flops' | 'params' | 'widths';
  ranking: Ranking;
  /** The uniform rate found in budget mode (uniform ranking, one step). */
  uniformRate?: number;
  /** Prune → fine-tune steps, when more than one. */
  steps?: number;
  /** The constraints applied (absent ones were not given). */
  constraints: { ignore?: string[]; maxRate?: number; roundTo?: number };
  groups: PruneFiltersGroupReport[];
  /** Analytic costs (conv+dense macs, trainable params). */
  before: Cost;
  after: Cost;
  reduction: { macs: number; params: number };
}

/**
 * The report of a structured run on `model` (the dense one) for kept indices `keep`: widths, rates
 * (asked, the uniform budget rate, or else the achieved 1 − kept/C), constraints and costs.
 */
export function filtersReport(
  model: tf.LayersModel,
  graph: ChannelGraph,
  opts: PruneFiltersOptions,
  keep: ReadonlyMap<number, Int32Array>,
  extra: { asked?: ReadonlyMap<number, number>; uniformRate?: number; steps?: number } = {},
): PruneFiltersReport {
  const ignored = ignoredGroups(graph, opts.ignore);
  const mode: PruneFiltersReport['mode'] =
    opts.rates !== undefined ? 'rates' : opts.flopsReduction !== undefined ? 'flops' : opts.paramsReduction !== undefined ? 'params' : 'widths';
  const before = structureCost(model, graph);
  const after = structureCost(model, graph, new Map([...keep].map(([id, k]) => [id, k.length])));
  return {
    criterion: opts.criterion,
    hook: opts.hook ?? 'pre-pool',
    mode,
    ranking: opts.ranking ?? 'uniform',
    ...(extra.uniformRate !== undefined ? { uniformRate: extra.uniformRate } : {}),
    ...(extra.steps !== undefined && extra.steps > 1 ? { steps: extra.steps } : {}),
    constraints: {
      ...(opts.ignore?.length ? { ignore: [...opts.ignore] } : {}),
      ...(opts.maxRate !== undefined ? { maxRate: opts.maxRate } : {}),
      ...(opts.roundTo !== undefined ? { roundTo: opts.roundTo } : {}),
    },
    groups: prunableGroups(graph).map((g) => {
      const kept = keep.get(g.id)?.length ?? g.channels;
      const rate = ignored.has(g.id) ? 0 : (extra.asked?.get(g.id) ?? extra.uniformRate ?? (extra.asked ? 0 : 1 - kept / g.channels));
      return { id: g.id, producers: g.producers, channels: g.channels, kept, rate, ...(ignored.has(g.id) ? { ignored: true } : {}) };
    }),
    before,
    after,
    reduction: { macs: 1 - after.macs / before.macs, params: 1 - after.params / before.params },
  };
}

/** Checks the option combination before any work (modes, ranking, constraints). */
export function checkPruneFiltersOptions(opts: PruneFiltersOptions): void {
  checkCriterion(opts.criterion);
  const modes = [opts.rates, opts.flopsReduction, opts.paramsReduction, opts.widths].filter((v) => v !== undefined).length;
  if (modes !== 1) throw new Error('pruneFilters: give exactly one of rates, flopsReduction, paramsReduction, widths');
  const ranking = opts.ranking ?? 'uniform';
  if (!RANKINGS.includes(ranking)) throw new Error(`pruneFilters: ranking must be one of ${RANKINGS.join(', ')}, got '${String(ranking)}'`);
  if (ranking === 'global' && (opts.widths !== undefined || (opts.rates !== undefined && typeof opts.rates !== 'number'))) {
    throw new Error('pruneFilters: global ranking needs a budget (flopsReduction / paramsReduction) or one number in rates (the fraction of all channels to remove)');
  }
  checkConstraints(opts);
}

/** The constraints part of the options. */
export function constraintsOf(opts: RateConstraints): RateConstraints {
  return { ignore: opts.ignore, maxRate: opts.maxRate, roundTo: opts.roundTo, minWidths: opts.minWidths };
}

export async function pruneFilters(
  model: tf.LayersModel,
  opts: PruneFiltersOptions,
): Promise<{ model: tf.LayersModel; keep: Map<number, Int32Array>; report: PruneFiltersReport; record: StructuredPruningRecord }> {
  checkPruneFiltersOptions(opts);
  const criterion = opts.criterion;
  const ranking = opts.ranking ?? 'uniform';
  const constraints = constraintsOf(opts);
  const graph = buildChannelGraph(model);
  const ignored = ignoredGroups(graph, opts.ignore);
  const mode: PruneFiltersReport['mode'] =
    opts.rates !== undefined ? 'rates' : opts.flopsReduction !== undefined ? 'flops' : opts.paramsReduction !== undefined ? 'params' : 'widths';
  const score = () =>
    scoreChannels(model, graph, criterion, opts.calib, {
      hook: opts.hook,
      dctK: opts.dctK,
      rankTol: opts.rankTol,
      calibBatches: opts.calibBatches,
      calibBatchSize: opts.calibBatchSize,
      seed: opts.seed,
    });
  let scores: Map<number, Float64Array> | undefined;
  let widths: Map<number, number>;
  let asked: Map<number, number> | undefined;
  let uniformRate: number | undefined;
  if (mode === 'widths') {
    widths = new Map();
    const bounds = new Map(groupBounds(graph, constraints).map((b) => [b.group.id, b]));
    for (const [name, w] of Object.entries(opts.widths!)) {
      const g = graph.groups.find((x) => x.producers.includes(name));
      if (!g) throw new Error(`widths: '${name}' is not a channel producer of the model`);
      if (!Number.isInteger(w) || w < 1 || w > g.channels) throw new Error(`widths['${name}'] must be an integer in [1, ${g.channels}], got ${w}`);
      const b = bounds.get(g.id);
      if (!b) {
        if (w === g.channels) continue;
        throw new Error(`widths: '${name}' cannot be pruned: ${ignored.has(g.id) ? 'it is ignored' : g.fixedReason}`);
      }
      widths.set(g.id, boundedWidth(b, w, opts.roundTo));
    }
  } else if (mode === 'rates' && ranking === 'uniform') {
    asked = resolveRates(graph, opts.rates!);
    widths = widthsForRates(graph, asked, constraints);
  } else if (ranking === 'uniform') {
    const b = uniformRateForBudget(model, graph, mode === 'flops' ? 'macs' : 'params', (opts.flopsReduction ?? opts.paramsReduction)!, constraints);
    uniformRate = b.rate;
    widths = b.widths;
  } else {
    scores = score();
    widths =
      mode === 'rates'
        ? globalWidthsForFraction(graph, scores, opts.rates as number, constraints, opts.normalize)
        : globalWidthsForBudget(model, graph, scores, mode === 'flops' ? 'macs' : 'params', (opts.flopsReduction ?? opts.paramsReduction)!, constraints, opts.normalize).widths;
  }
  const active = [...widths].filter(([id, w]) => w < graph.groups[id].channels);
  if (active.length > 0 && !scores) scores = score();
  const keep = new Map<number, Int32Array>();
  for (const [id, w] of active) keep.set(id, selectTopCount(scores!.get(id)!, w));
  const pruned = await removeChannels(model, keep, { copyBN: opts.copyBN, graph });
  const report = filtersReport(model, graph, opts, keep, { asked, uniformRate });
  const { before, after } = report;
  const record = buildStructuredRecord({ graph, options: opts, keep, cost: { before, after } });
  return { model: pruned, keep, report, record };
}
