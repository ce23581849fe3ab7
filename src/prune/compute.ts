/**
 * computeMasks: one pruning step = method (score + rule + order) applied to a model's current
 * weights and masks, optionally in `split` sub-steps. The model is not modified (see prune.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { requirePrunable, type PrunableLayer } from './layers.js';
import { MaskSet } from './masks.js';
import { getMethod } from './methods.js';
import { globalRule, layerwiseRule, splitRate } from './rules.js';
import { maskedWeights, type ScoreContext, type ScoreOptions } from './scores/context.js';

export interface PruneOptions extends ScoreOptions {
  /** Method name, see METHOD_NAMES. */
  method: string;
  /** Layer-wise methods: fraction of the *alive* weights of each prunable layer to prune (one per layer). */
  ratios?: number[];
  /** Global methods: the fraction of all alive weights to prune; layer-wise methods: a uniform ratio. */
  sparsity?: number;
  /** Seed for random scores and data sampling (default 0). */
  seed?: number;
  /** Sub-steps of this step, re-scoring in between (default 1). */
  split?: number;
  /** Current masks (default all ones). */
  masks?: MaskSet;
  /** Layers never pruned. */
  exclude?: string[];
  /** Detect and skip ResNet 1×1 projection shortcuts (default true). */
  skipShortcuts?: boolean;
  /** Training data for lap_act / obd. */
  data?: ImageSet;
}

/** Per-layer ratios of a layer-wise method, or the single global ratio; validated. */
export function resolveRatios(layers: PrunableLayer[], opts: PruneOptions, global: boolean): number[] {
  const check = (r: number, what: string): void => {
    if (!(typeof r === 'number' && r >= 0 && r < 1)) throw new Error(`${what} must be in [0, 1), got ${r}`);
  };
  if (global) {
    if (opts.ratios !== undefined) throw new Error(`method '${opts.method}' is global: pass one \`sparsity\`, not per-layer \`ratios\``);
    if (opts.sparsity === undefined) throw new Error(`method '${opts.method}' needs \`sparsity\` (fraction of weights to prune)`);
    check(opts.sparsity, 'sparsity');
    return [opts.sparsity];
  }
  if (opts.ratios !== undefined) {
    if (opts.sparsity !== undefined) throw new Error('pass either `ratios` or `sparsity`, not both');
    if (opts.ratios.length !== layers.length) {
      throw new Error(
        `got ${opts.ratios.length} pruning ratios but the model has ${layers.length} prunable layers (${layers.map((l) => l.name).join(', ')})`,
      );
    }
    opts.ratios.forEach((r, i) => check(r, `pruning ratio of layer '${layers[i].name}'`));
    return opts.ratios.slice();
  }
  if (opts.sparsity === undefined) throw new Error('pass `ratios` (one per prunable layer) or `sparsity`');
  check(opts.sparsity, 'sparsity');
  return layers.map(() => opts.sparsity as number);
}

export function computeMasks(model: tf.LayersModel, opts: PruneOptions): MaskSet {
  const spec = getMethod(opts.method);
  const layers = requirePrunable(model, { exclude: opts.exclude, skipShortcuts: opts.skipShortcuts });
  const ratios = resolveRatios(layers, opts, spec.rule === 'global');
  const split = opts.split ?? 1;
  if (!Number.isInteger(split) || split < 1) throw new Error(`split must be a positive integer, got ${split}`);
  if (spec.needsData && !opts.data) throw new Error(`method '${spec.name}' needs training data: pass \`data\` (an ImageSet)`);
  let masks = opts.masks ? opts.masks.clone() : MaskSet.ones(layers);
  for (const l of layers) {
    if (!masks.has(l.name)) throw new Error(`masks have no entry for prunable layer '${l.name}'`);
    if (masks.size(l.name) !== l.geom.size) {
      throw new Error(`mask of layer '${l.name}' has ${masks.size(l.name)} entries, its kernel has ${l.geom.size}`);
    }
  }
  const { method: _m, ratios: _r, sparsity: _s, seed: _seed, split: _split, masks: _masks, exclude: _e, skipShortcuts: _k, data: _d, ...callerScore } = opts;
  const options: ScoreOptions = { ...callerScore, ...spec.scoreOptions };
  const cache = new Map<string, unknown>();
  const names = layers.map((l) => l.name);

  for (let t = 0; t < split; t++) {
    const ctx: ScoreContext = { model, layers, masks, weights: maskedWeights(layers, masks), seed: opts.seed ?? 0, data: opts.data, options, cache };
    if (spec.rule === 'global') {
      masks = globalRule(spec.scorer(ctx), masks, names, splitRate(ratios[0], split, t), true);
    } else if (spec.order === 'simultaneous') {
      const rates = new Map(names.map((n, i) => [n, splitRate(ratios[i], split, t)]));
      masks = layerwiseRule(spec.scorer(ctx), masks, rates);
    } else {
      const order = spec.order === 'forward' ? layers : layers.slice().reverse();
      for (const l of order) {
        ctx.only = new Set([l.name]);
        ctx.masks = masks;
        masks = layerwiseRule(spec.scorer(ctx), masks, new Map([[l.name, splitRate(ratios[l.index], split, t)]]));
        const w = ctx.weights.get(l.name) as Float32Array;
        const m = masks.get(l.name);
        for (let i = 0; i < w.length; i++) if (m[i] === 0) w[i] = 0;
      }
    }
  }
  return masks;
}

/** The raw scores a method assigns (its scorer on the current masked weights; no rule applied). */
export function computeScores(
  model: tf.LayersModel,
  opts: Omit<PruneOptions, 'ratios' | 'sparsity' | 'split'>,
): Map<string, Float32Array> {
  const spec = getMethod(opts.method);
  const layers = requirePrunable(model, { exclude: opts.exclude, skipShortcuts: opts.skipShortcuts });
  if (spec.needsData && !opts.data) throw new Error(`method '${spec.name}' needs training data: pass \`data\` (an ImageSet)`);
  const masks = opts.masks ?? MaskSet.ones(layers);
  const { method: _m, seed: _seed, masks: _masks, exclude: _e, skipShortcuts: _k, data: _d, ...callerScore } = opts;
  const ctx: ScoreContext = {
    model, layers, masks, weights: maskedWeights(layers, masks), seed: opts.seed ?? 0, data: opts.data,
    options: { ...callerScore, ...spec.scoreOptions }, cache: new Map(),
  };
  return spec.scorer(ctx);
}
