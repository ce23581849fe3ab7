/**
 * Iterative structured pruning (Torch-Pruning's `iterative_steps` with its linear schedule): K
 * steps of prune → fine-tune, each re-scoring the model the previous step fine-tuned. Step i of K
 * reaches i/K of the final target, always measured against the dense model:
 *
 * - per-group rates r_g: step i keeps keepCount(C_g, r_g·i/K) channels of the dense width
 *   (constraints applied), so step K gives the one-shot widths;
 * - given widths w_g: C_g − round((C_g − w_g)·i/K);
 * - a cost budget R (uniform or global ranking): step i cuts the current model by
 *   1 − (1 − R·i/K)·cost_dense / cost_current;
 * - a global fraction ρ of channels: step i removes round(N_current − (1 − ρ·i/K)·N_dense).
 *
 * The maximum rate always refers to the dense widths (carried to later steps as minWidths).
 * A step whose target is already met prunes nothing (it still fine-tunes).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelGraph } from './graph.js';
import { structureCost } from './cost.js';
import { groupBounds, resolveRates, widthsForRates } from './rates.js';
import { constraintsOf, type PruneFiltersOptions } from './prune-filters.js';

/** The dense model a run started from (its graph and bounds fix the targets of every step). */
export interface DenseReference {
  model: tf.LayersModel;
  graph: ChannelGraph;
}

function byProducer(graph: ChannelGraph, widths: ReadonlyMap<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, w] of widths) out[graph.groups[id].producers[0]] = w;
  return out;
}

/** Width per group id of `graph` as a model at `current` widths: channels of each group. */
function currentWidths(current: ChannelGraph): Map<number, number> {
  return new Map(current.groups.map((g) => [g.id, g.channels]));
}

/**
 * The pruneFilters options for step `step` (1-based) of `steps` on the current model, or
 * undefined when this step has nothing to prune. steps = 1 returns `opts` unchanged.
 */
export function stepPruneOptions(
  dense: DenseReference,
  current: { model: tf.LayersModel; graph: ChannelGraph },
  opts: PruneFiltersOptions,
  step: number,
  steps: number,
): PruneFiltersOptions | undefined {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`iterative pruning: steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(step) || step < 1 || step > steps) throw new Error(`iterative pruning: step ${step} is not in 1..${steps}`);
  if (steps === 1) return opts;
  const t = step / steps;
  const constraints = constraintsOf(opts);
  const bounds = groupBounds(dense.graph, constraints);
  const minWidths: Record<string, number> = { ...(opts.minWidths ?? {}) };
  for (const b of bounds) minWidths[b.group.producers[0]] = Math.max(minWidths[b.group.producers[0]] ?? 1, b.min);
  const base: PruneFiltersOptions = {
    ...opts,
    rates: undefined,
    flopsReduction: undefined,
    paramsReduction: undefined,
    widths: undefined,
    maxRate: undefined,
    minWidths,
  };
  const cur = currentWidths(current.graph);
  const clampToCurrent = (widths: Map<number, number>): Record<string, number> | undefined => {
    const w = new Map<number, number>();
    for (const [id, v] of widths) if (v < cur.get(id)!) w.set(id, v);
    return w.size === 0 ? undefined : byProducer(dense.graph, w);
  };
  const ranking = opts.ranking ?? 'uniform';
  if (opts.rates !== undefined && ranking === 'uniform') {
    const asked = resolveRates(dense.graph, opts.rates);
    const scaled = new Map([...asked].map(([id, r]) => [id, r * t]));
    const widths = clampToCurrent(widthsForRates(dense.graph, scaled, constraints));
    return widths ? { ...base, widths } : undefined;
  }
  if (opts.widths !== undefined) {
    const target = new Map<number, number>();
    for (const [name, w] of Object.entries(opts.widths)) {
      const g = dense.graph.groups.find((x) => x.producers.includes(name));
      if (!g) throw new Error(`widths: '${name}' is not a channel producer of the model`);
      target.set(g.id, g.channels - Math.round((g.channels - w) * t));
    }
    const widths = clampToCurrent(target);
    return widths ? { ...base, widths } : undefined;
  }
  if (opts.rates !== undefined) {
    const rho = (opts.rates as number) * t;
    const n0 = bounds.reduce((s, b) => s + b.group.channels, 0);
    const nCur = bounds.reduce((s, b) => s + cur.get(b.group.id)!, 0);
    const f = 1 - ((1 - rho) * n0) / nCur;
    return f > 1e-12 ? { ...base, rates: f } : undefined;
  }
  const metric = opts.flopsReduction !== undefined ? 'macs' : 'params';
  const target = (opts.flopsReduction ?? opts.paramsReduction)! * t;
  const c0 = structureCost(dense.model, dense.graph)[metric];
  const cNow = structureCost(current.model, current.graph)[metric];
  const req = 1 - ((1 - target) * c0) / cNow;
  if (req <= 1e-12) return undefined;
  return metric === 'macs' ? { ...base, flopsReduction: req } : { ...base, paramsReduction: req };
}

/** Kept dense indices after a further step: composed[id] = previous[id][step[id]] (groups absent from a map: all kept). */
export function composeKeep(previous: ReadonlyMap<number, Int32Array>, step: ReadonlyMap<number, Int32Array>): Map<number, Int32Array> {
  const out = new Map(previous);
  for (const [id, k] of step) {
    const prev = previous.get(id);
    out.set(id, prev ? Int32Array.from(k, (i) => prev[i]) : Int32Array.from(k));
  }
  return out;
}
