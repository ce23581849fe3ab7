/**
 * Sensitivity analysis of structured pruning: the accuracy on a held-out set when ONE channel
 * group alone is pruned at each rate of a grid (0.1 … 0.9 by default), every other group intact.
 * Channels are scored once on the dense model with the chosen criterion; group g at rate r keeps
 * its keepCount(C, r) top-scoring channels (constraints applied), removed physically (surgery.ts).
 *
 * `sensitivityBudget` turns the curves into per-group rates for a cost target, greedily: every
 * (group, rate) step is ranked by the accuracy drop it would cost — the running maximum of the
 * drop over the group's grid up to that rate, so a group's steps stay in rate order — and steps
 * are taken from the cheapest until the analytic cost (cost.ts) meets the target: prune most where
 * accuracy drops least. The last step may overshoot by up to one grid step; a trim pass then steps
 * groups back one grid level, most costly first, while the target still holds.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { evaluate, DEFAULT_EVAL_BATCH } from '../train/evaluate.js';
import { buildChannelGraph, type ChannelGraph } from './graph.js';
import { structureCost, type Cost } from './cost.js';
import { removeChannels } from './surgery.js';
import { boundedWidth, groupBounds, keepCount, selectTopCount, type RateConstraints } from './rates.js';
import { scoreChannels, checkCriterion, type CriterionName, type CriterionOptions } from './criteria/index.js';
import type { BudgetMetric } from './budget.js';

export const DEFAULT_SENSITIVITY_RATES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface SensitivityOptions extends CriterionOptions, Omit<RateConstraints, 'minWidths'> {
  criterion: CriterionName;
  /** The held-out images the accuracy is measured on. */
  evalSet: ImageSet;
  /** Calibration images for data-dependent criteria. */
  calib?: ImageSet;
  /** Rate grid, ascending, each in (0, 1) (default 0.1 … 0.9). */
  rates?: readonly number[];
  evalBatchSize?: number;
  copyBN?: boolean;
  /** Called after each evaluation (done of total). */
  onProgress?: (done: number, total: number) => void;
}

export interface GroupSensitivity {
  id: number;
  producers: string[];
  channels: number;
  /** Kept channels at each grid rate. */
  kept: number[];
  /** Accuracy with only this group pruned, at each grid rate. */
  accuracy: number[];
  /** MACs reduction of the whole model with only this group pruned, at each grid rate. */
  macsReduction: number[];
}

export interface SensitivityResult {
  criterion: CriterionName;
  rates: number[];
  /** Accuracy of the dense model on the same held-out set. */
  dense: number;
  evalCount: number;
  groups: GroupSensitivity[];
  before: Cost;
  /** Ignore / round-to / max-rate as given. */
  constraints: Omit<RateConstraints, 'minWidths'>;
}

/** Checks a rate grid: non-empty, ascending, unique, each in (0, 1). */
export function checkRateGrid(rates: readonly number[]): number[] {
  if (rates.length === 0) throw new Error('sensitivity: the rate grid is empty; give e.g. 0.1,0.3,0.5,0.7,0.9');
  rates.forEach((r, i) => {
    if (!(r > 0 && r < 1)) throw new Error(`sensitivity: every rate must be in (0, 1), got ${r}`);
    if (i > 0 && r <= rates[i - 1]) throw new Error(`sensitivity: rates must be ascending and unique, got ${rates.join(', ')}`);
  });
  return [...rates];
}

export async function sensitivityAnalysis(model: tf.LayersModel, opts: SensitivityOptions): Promise<SensitivityResult> {
  const criterion = checkCriterion(opts.criterion);
  const rates = checkRateGrid(opts.rates ?? DEFAULT_SENSITIVITY_RATES);
  const constraints = { ignore: opts.ignore, maxRate: opts.maxRate, roundTo: opts.roundTo };
  const graph = buildChannelGraph(model);
  const bounds = groupBounds(graph, constraints);
  if (bounds.length === 0) throw new Error(`sensitivity: model '${model.name}' has no prunable channel group (all fixed or ignored)`);
  const evalBatch = opts.evalBatchSize ?? DEFAULT_EVAL_BATCH;
  const scores = scoreChannels(model, graph, criterion, opts.calib, opts);
  const before = structureCost(model, graph);
  const dense = (await evaluate(model, opts.evalSet, evalBatch)).accuracy;
  const total = bounds.length * rates.length;
  let done = 0;
  const groups: GroupSensitivity[] = [];
  for (const b of bounds) {
    const g = b.group;
    const byWidth = new Map<number, number>();
    const kept: number[] = [];
    const accuracy: number[] = [];
    const macsReduction: number[] = [];
    for (const r of rates) {
      const w = boundedWidth(b, keepCount(g.channels, r), opts.roundTo);
      let acc = byWidth.get(w);
      if (acc === undefined) {
        if (w === g.channels) acc = dense;
        else {
          const pruned = await removeChannels(model, new Map([[g.id, selectTopCount(scores.get(g.id)!, w)]]), { graph, copyBN: opts.copyBN });
          try {
            acc = (await evaluate(pruned, opts.evalSet, evalBatch)).accuracy;
          } finally {
            pruned.dispose();
          }
        }
        byWidth.set(w, acc);
      }
      kept.push(w);
      accuracy.push(acc);
      macsReduction.push(1 - structureCost(model, graph, new Map([[g.id, w]])).macs / before.macs);
      opts.onProgress?.(++done, total);
    }
    groups.push({ id: g.id, producers: [...g.producers], channels: g.channels, kept, accuracy, macsReduction });
  }
  return { criterion, rates, dense, evalCount: opts.evalSet.count, groups, before, constraints };
}

export interface SensitivityBudget {
  metric: BudgetMetric;
  target: number;
  /** Rate per group id (0: unpruned). */
  rates: Map<number, number>;
  /** The same keyed by each group's first producer layer (the rates-file form). */
  byLayer: Record<string, number>;
  widths: Map<number, number>;
  /** Largest single-group accuracy drop among the chosen steps (dense − accuracy). */
  tolerance: number;
  before: Cost;
  after: Cost;
  reduction: number;
}

/**
 * Before any analysis: throws when the target cannot be met even with every analysable group at
 * the grid's largest rate (the most a sensitivity budget can choose).
 */
export function checkSensitivityBudget(model: tf.LayersModel, rates: readonly number[], constraints: Omit<RateConstraints, 'minWidths'>, metric: BudgetMetric, target: number): void {
  if (!(target > 0 && target < 1)) throw new Error(`sensitivity budget: the ${metric} reduction must be in (0, 1), got ${target}`);
  const grid = checkRateGrid(rates);
  const graph = buildChannelGraph(model);
  const widths = new Map(groupBounds(graph, constraints).map((b) => [b.group.id, boundedWidth(b, keepCount(b.group.channels, grid[grid.length - 1]), constraints.roundTo)]));
  const before = structureCost(model, graph)[metric];
  const most = 1 - structureCost(model, graph, widths)[metric] / before;
  if (most < target) throw unreachableBudget(metric, target, grid[grid.length - 1], most);
}

function unreachableBudget(metric: BudgetMetric, target: number, maxRate: number, most: number): Error {
  return new Error(
    `sensitivity budget: cannot cut ${metric} by ${(100 * target).toFixed(1)}%: every group at the largest analysed rate ` +
      `(${maxRate}) cuts only ${(100 * most).toFixed(1)}%; analyse higher rates or lower the target`,
  );
}

/** The greedy cost of a group at grid level j: the running maximum of its drop up to j. */
function dropAt(result: SensitivityResult, g: GroupSensitivity, j: number): number {
  let env = -Infinity;
  for (let i = 0; i <= j; i++) env = Math.max(env, result.dense - g.accuracy[i]);
  return env;
}

/** Greedy per-group rates from sensitivity curves for a cost target (see the module comment). */
export function sensitivityBudget(
  model: tf.LayersModel,
  result: SensitivityResult,
  metric: BudgetMetric,
  target: number,
  graph: ChannelGraph = buildChannelGraph(model),
): SensitivityBudget {
  if (!(target > 0 && target < 1)) throw new Error(`sensitivity budget: the ${metric} reduction must be in (0, 1), got ${target}`);
  for (const g of result.groups) {
    const mine = graph.groups[g.id];
    if (!mine || mine.producers.join() !== g.producers.join()) throw new Error(`sensitivity budget: group ${g.id} (${g.producers.join(', ')}) is not a group of model '${model.name}'`);
  }
  const moves: { group: GroupSensitivity; j: number; drop: number }[] = [];
  for (const g of result.groups) {
    let env = -Infinity;
    g.accuracy.forEach((a, j) => {
      env = Math.max(env, result.dense - a);
      moves.push({ group: g, j, drop: env });
    });
  }
  moves.sort((a, b) => a.drop - b.drop || a.group.id - b.group.id || a.j - b.j);
  const before = structureCost(model, graph);
  /** Grid level (index into result.rates) per pruned group. */
  const level = new Map<number, number>();
  const widthsOf = () => new Map([...level].map(([id, j]) => [id, result.groups.find((g) => g.id === id)!.kept[j]]));
  const red = () => 1 - structureCost(model, graph, widthsOf())[metric] / before[metric];
  let reached = false;
  for (const m of moves) {
    level.set(m.group.id, m.j);
    if (red() >= target) {
      reached = true;
      break;
    }
  }
  if (!reached) throw unreachableBudget(metric, target, result.rates[result.rates.length - 1], red());
  // Trim the overshoot of the last (possibly large) step: step groups back down one grid level,
  // most costly first, while the target still holds.
  for (let changed = true; changed; ) {
    changed = false;
    const byCost = result.groups.filter((g) => level.has(g.id)).sort((a, b) => dropAt(result, b, level.get(b.id)!) - dropAt(result, a, level.get(a.id)!) || a.id - b.id);
    for (const g of byCost) {
      const j = level.get(g.id)!;
      if (j === 0) level.delete(g.id);
      else level.set(g.id, j - 1);
      if (red() >= target) {
        changed = true;
        break;
      }
      level.set(g.id, j);
    }
  }
  const widths = widthsOf();
  const rates = new Map<number, number>();
  for (const [id, j] of level) {
    const r = result.rates[j];
    rates.set(id, result.constraints.maxRate !== undefined ? Math.min(r, result.constraints.maxRate) : r);
  }
  const tolerance = Math.max(0, ...[...level].map(([id, j]) => dropAt(result, result.groups.find((g) => g.id === id)!, j)));
  const after = structureCost(model, graph, widths);
  const byLayer: Record<string, number> = {};
  for (const g of result.groups) byLayer[g.producers[0]] = rates.get(g.id) ?? 0;
  return { metric, target, rates, byLayer, widths, tolerance, before, after, reduction: 1 - after[metric] / before[metric] };
}
