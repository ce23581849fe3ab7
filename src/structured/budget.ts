/**
 * Budget rules: per-group kept widths that cut the analytic cost (structureCost) by a requested
 * fraction, under the rate constraints (ignored layers, maximum rate, round-to).
 *
 * - Uniform: the smallest rate r (every bounded group keeps max(min, floor(C·(1 − r))), rounded)
 *   meeting the target. Bisection on r; the reduction is a non-decreasing step function of r.
 * - Global ranking (Torch-Pruning's global pruning): each group's scores are normalised
 *   (s / mean(s) by default), every removable channel of every group is ranked on one list
 *   (ascending normalised score; ties: lower group id, then higher channel index first), and the
 *   first k channels of the list are removed, skipping those that would take a group below its
 *   bound. k is the smallest count meeting the target (bisection; the cost is non-increasing in k),
 *   so per-group rates come out non-uniform. Within a group the removed channels are its lowest
 *   scores, so the kept set is selectTopCount(scores, width).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelGraph } from './graph.js';
import { structureCost, type Cost } from './cost.js';
import { boundedWidth, groupBounds, keepCount, type GroupBound, type RateConstraints } from './rates.js';

export type BudgetMetric = 'macs' | 'params';

export interface BudgetResult {
  rate: number;
  before: Cost;
  after: Cost;
  /** Achieved reduction of the metric, 1 − after/before. */
  reduction: number;
}

function checkReduction(metric: BudgetMetric, reduction: number): void {
  if (!(reduction > 0 && reduction < 1)) throw new Error(`budget: ${metric} reduction must be in (0, 1), got ${reduction}`);
}

function unreachable(metric: BudgetMetric, reduction: number, most: number): Error {
  return new Error(
    `budget: cannot cut ${metric} by ${(reduction * 100).toFixed(1)}%: pruning every prunable group as far as allowed cuts only ` +
      `${(most * 100).toFixed(1)}% (the rest is in unprunable or ignored layers, or held by the maximum rate)`,
  );
}

/** Throws the clear "cannot cut" error when even every bounded group at its fewest channels misses the target. */
export function checkBudgetReachable(model: tf.LayersModel, graph: ChannelGraph, metric: BudgetMetric, reduction: number, constraints: RateConstraints = {}): void {
  checkReduction(metric, reduction);
  const bounds = groupBounds(graph, constraints);
  const before = structureCost(model, graph)[metric];
  const least = new Map(bounds.map((b) => [b.group.id, boundedWidth(b, b.min, constraints.roundTo)]));
  const most = 1 - structureCost(model, graph, least)[metric] / before;
  if (most < reduction) throw unreachable(metric, reduction, most);
}

/** Width per bounded group at a uniform rate. */
export function uniformWidths(bounds: readonly GroupBound[], rate: number, roundTo = 1): Map<number, number> {
  const w = new Map<number, number>();
  for (const b of bounds) w.set(b.group.id, boundedWidth(b, keepCount(b.group.channels, rate), roundTo));
  return w;
}

export function uniformRateForBudget(
  model: tf.LayersModel,
  graph: ChannelGraph,
  metric: BudgetMetric,
  reduction: number,
  constraints: RateConstraints = {},
): BudgetResult & { widths: Map<number, number> } {
  checkReduction(metric, reduction);
  const bounds = groupBounds(graph, constraints);
  const before = structureCost(model, graph);
  const red = (r: number) => 1 - structureCost(model, graph, uniformWidths(bounds, r, constraints.roundTo))[metric] / before[metric];
  let lo = 0;
  let hi = 1 - 1e-9;
  const most = red(hi);
  if (most < reduction) throw unreachable(metric, reduction, most);
  for (let it = 0; it < 60 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    if (red(mid) >= reduction) hi = mid;
    else lo = mid;
  }
  const widths = uniformWidths(bounds, hi, constraints.roundTo);
  const after = structureCost(model, graph, widths);
  return { rate: hi, before, after, reduction: 1 - after[metric] / before[metric], widths };
}

/** How each group's scores are made comparable across groups before global ranking. */
export type ScoreNormalization = 'mean' | 'max' | 'l2' | 'none';
export const SCORE_NORMALIZATIONS: readonly ScoreNormalization[] = ['mean', 'max', 'l2', 'none'];

/** s / mean(s), s / max(s), s / ‖s‖₂ or s; a zero denominator leaves the scores as they are. */
export function normalizeScores(scores: ArrayLike<number>, how: ScoreNormalization): Float64Array {
  const s = Float64Array.from(scores as ArrayLike<number>);
  let d = 1;
  if (how === 'mean') d = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  else if (how === 'max') d = s.reduce((a, b) => Math.max(a, b), -Infinity);
  else if (how === 'l2') d = Math.sqrt(s.reduce((a, b) => a + b * b, 0));
  else if (how !== 'none') throw new Error(`unknown score normalisation '${String(how)}'; use one of ${SCORE_NORMALIZATIONS.join(', ')}`);
  if (d !== 0 && Number.isFinite(d)) for (let i = 0; i < s.length; i++) s[i] /= d;
  return s;
}

/** One channel on the global list. */
export interface RankedChannel {
  group: number;
  index: number;
  score: number;
}

/** Every channel of the bounded groups, ascending by normalised score (ties: group id, then higher index first). */
export function globalRanking(bounds: readonly GroupBound[], scores: ReadonlyMap<number, ArrayLike<number>>, normalize: ScoreNormalization = 'mean'): RankedChannel[] {
  const list: RankedChannel[] = [];
  for (const b of bounds) {
    const raw = scores.get(b.group.id);
    if (!raw || raw.length !== b.group.channels) throw new Error(`global ranking: no scores (or the wrong count) for group ${b.group.id} (${b.group.producers.join(', ')})`);
    const s = normalizeScores(raw, normalize);
    for (let i = 0; i < s.length; i++) {
      if (Number.isNaN(s[i])) throw new Error(`global ranking: score ${i} of group ${b.group.id} (${b.group.producers.join(', ')}) is NaN`);
      list.push({ group: b.group.id, index: i, score: s[i] });
    }
  }
  return list.sort((a, b) => a.score - b.score || a.group - b.group || b.index - a.index);
}

/** Widths after removing the first `k` removable channels of the ranking (bounds honoured, then rounded). */
export function widthsAfterRemoving(bounds: readonly GroupBound[], ranking: readonly RankedChannel[], k: number, roundTo = 1): Map<number, number> {
  const byId = new Map(bounds.map((b) => [b.group.id, b]));
  const removed = new Map<number, number>();
  let taken = 0;
  for (const c of ranking) {
    if (taken >= k) break;
    const b = byId.get(c.group)!;
    const r = removed.get(c.group) ?? 0;
    if (b.group.channels - r <= b.min) continue;
    removed.set(c.group, r + 1);
    taken++;
  }
  const w = new Map<number, number>();
  for (const b of bounds) w.set(b.group.id, boundedWidth(b, b.group.channels - (removed.get(b.group.id) ?? 0), roundTo));
  return w;
}

/** Channels the ranking can remove in all (Σ C − min over bounded groups). */
export function removableChannels(bounds: readonly GroupBound[]): number {
  return bounds.reduce((s, b) => s + b.group.channels - b.min, 0);
}

export interface GlobalBudgetResult {
  /** Channels removed from the ranking (before rounding up to roundTo). */
  removed: number;
  widths: Map<number, number>;
  before: Cost;
  after: Cost;
  reduction: number;
}

/** Global ranking for a cost target: the fewest channels removed from the ranking meeting it. */
export function globalWidthsForBudget(
  model: tf.LayersModel,
  graph: ChannelGraph,
  scores: ReadonlyMap<number, ArrayLike<number>>,
  metric: BudgetMetric,
  reduction: number,
  constraints: RateConstraints = {},
  normalize: ScoreNormalization = 'mean',
): GlobalBudgetResult {
  checkReduction(metric, reduction);
  const bounds = groupBounds(graph, constraints);
  const ranking = globalRanking(bounds, scores, normalize);
  const before = structureCost(model, graph);
  const widthsAt = (k: number) => widthsAfterRemoving(bounds, ranking, k, constraints.roundTo);
  const red = (k: number) => 1 - structureCost(model, graph, widthsAt(k))[metric] / before[metric];
  let lo = 0;
  let hi = removableChannels(bounds);
  const most = red(hi);
  if (most < reduction) throw unreachable(metric, reduction, most);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (red(mid) >= reduction) hi = mid;
    else lo = mid;
  }
  const widths = widthsAt(hi);
  const after = structureCost(model, graph, widths);
  return { removed: hi, widths, before, after, reduction: 1 - after[metric] / before[metric] };
}

/** Global ranking for a fraction of channels: removes round(fraction · Σ C) channels of the bounded groups (fewer if bounds stop it). */
export function globalWidthsForFraction(
  graph: ChannelGraph,
  scores: ReadonlyMap<number, ArrayLike<number>>,
  fraction: number,
  constraints: RateConstraints = {},
  normalize: ScoreNormalization = 'mean',
): Map<number, number> {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`global ranking: the fraction of channels to remove must be in [0, 1), got ${fraction}`);
  const bounds = groupBounds(graph, constraints);
  const total = bounds.reduce((s, b) => s + b.group.channels, 0);
  return widthsAfterRemoving(bounds, globalRanking(bounds, scores, normalize), Math.round(fraction * total), constraints.roundTo);
}
