/**
 * Budget mode: the smallest uniform rate r (every prunable group keeps floor(C·(1 − r)))
 * whose analytic cost (structureCost) drops by at least the requested fraction. Bisection on r;
 * the reduction is a non-decreasing step function of r.
 */
import type * as tf from '@tensorflow/tfjs';
import { prunableGroups, type ChannelGraph } from './graph.js';
import { structureCost, type Cost } from './cost.js';
import { keepCount } from './rates.js';

export type BudgetMetric = 'macs' | 'params';

export interface BudgetResult {
  rate: number;
  before: Cost;
  after: Cost;
  /** Achieved reduction of the metric, 1 − after/before. */
  reduction: number;
}

function widthsAt(graph: ChannelGraph, rate: number): Map<number, number> {
  const w = new Map<number, number>();
  for (const g of prunableGroups(graph)) w.set(g.id, keepCount(g.channels, rate));
  return w;
}

export function uniformRateForBudget(model: tf.LayersModel, graph: ChannelGraph, metric: BudgetMetric, reduction: number): BudgetResult {
  if (!(reduction > 0 && reduction < 1)) throw new Error(`budget: ${metric} reduction must be in (0, 1), got ${reduction}`);
  const before = structureCost(model, graph);
  const red = (r: number) => 1 - structureCost(model, graph, widthsAt(graph, r))[metric] / before[metric];
  let lo = 0;
  let hi = 1 - 1e-9;
  const most = red(hi);
  if (most < reduction) {
    throw new Error(
      `budget: cannot cut ${metric} by ${(reduction * 100).toFixed(1)}%: keeping one channel per prunable group cuts only ${(most * 100).toFixed(1)}% (the rest is in unprunable layers)`,
    );
  }
  for (let it = 0; it < 60 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    if (red(mid) >= reduction) hi = mid;
    else lo = mid;
  }
  const after = structureCost(model, graph, widthsAt(graph, hi));
  return { rate: hi, before, after, reduction: 1 - after[metric] / before[metric] };
}
