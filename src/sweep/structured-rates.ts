/**
 * The reference's per-layer rate style for the DCT sweep (methods.md §4.5, §4.9): one rate r for the
 * allowed groups only — the last `protectLast` prunable groups are never pruned (VGG: the last conv,
 * as `compress_rate` leaves conv13), and with `innerOnly` only ResNet blocks' inner channels
 * (each block's conv1 outputs) are pruned — with r the smallest rate whose analytic MACs cut
 * (structureCost) reaches the target. Bisection as in structured/budget.ts.
 *
 * NOTE for integration: the structured-controls work adds protected layers / inner-only / global
 * ranking to src/structured/rates.ts; once merged, this helper should defer to it.
 */
import type * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, prunableGroups, type ChannelGroup } from '../structured/graph.js';
import { structureCost } from '../structured/cost.js';
import { keepCount } from '../structured/rates.js';

export interface RestrictedRateOptions {
  reduction: number;
  protectLast: number;
  innerOnly: boolean;
}

/** ResNet block inner channels: a group produced only by `…_conv1` layers of blocks (`layer…`). */
export function isInnerGroup(g: ChannelGroup): boolean {
  return g.producers.length > 0 && g.producers.every((p) => /^layer.*_conv1$/.test(p));
}

/** Rates keyed by producer layer name (a RateSpec) and the rate r. */
export function restrictedRates(model: tf.LayersModel, o: RestrictedRateOptions): { rates: Record<string, number>; rate: number; reduction: number; groups: number } {
  const graph = buildChannelGraph(model);
  let groups = prunableGroups(graph);
  if (o.innerOnly) {
    groups = groups.filter(isInnerGroup);
    if (groups.length === 0) throw new Error(`innerOnly: model '${model.name}' has no ResNet block inner channels (layer…_conv1)`);
  }
  if (o.protectLast > 0) groups = groups.slice(0, Math.max(0, groups.length - o.protectLast));
  if (groups.length === 0) throw new Error(`model '${model.name}': no prunable groups left after protecting the last ${o.protectLast}`);
  const before = structureCost(model, graph).macs;
  const widths = (r: number) => new Map(groups.map((g) => [g.id, keepCount(g.channels, r)]));
  const red = (r: number) => 1 - structureCost(model, graph, widths(r)).macs / before;
  let lo = 0;
  let hi = 1 - 1e-9;
  if (red(hi) < o.reduction) {
    throw new Error(
      `model '${model.name}': pruning only the allowed groups cuts at most ${(100 * red(hi)).toFixed(1)}% of MACs, below the target ${(100 * o.reduction).toFixed(1)}%`,
    );
  }
  for (let it = 0; it < 60 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    if (red(mid) >= o.reduction) hi = mid;
    else lo = mid;
  }
  const rates: Record<string, number> = {};
  for (const g of groups) for (const p of g.producers) rates[p] = hi;
  return { rates, rate: hi, reduction: red(hi), groups: groups.length };
}
