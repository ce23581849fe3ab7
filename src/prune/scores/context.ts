/**
 * What a score sees: the model, its prunable layers, current masks, and host copies of the *masked*
 * kernels (read once per kernel). A score is `(ctx) => Map<layerName, Float32Array>` in the kernel's
 * own layout; larger = more important. Scores for layers outside `ctx.only` may be omitted.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../data/types.js';
import { geometryOf, kernelOf, kindOf, type KernelGeometry, type PrunableLayer } from '../layers.js';
import type { MaskSet } from '../masks.js';

export interface ScoreOptions {
  /** lap_bn: scale A by the previous layer's BN β² and B by the own BN β² (β = γ/sqrt(var + bnEps)). */
  bn?: boolean;
  /** eps inside β; the reference uses 1e-10 regardless of the layer's epsilon (default 1e-10). */
  bnEps?: number;
  /** lap_act: rescale non-final layers' outputs by activation probabilities from `data`. */
  act?: boolean;
  /** lap_act: how many training samples to run (default 1000). */
  actSamples?: number;
  /**
   * LAP: A/B from all graph neighbours (A: Σ over every kernel layer summed into the input, +1 per
   * model-input term; B: Σ over every kernel layer reading the output) instead of the module-order chain.
   */
  graphAware?: boolean;
  /** obd: number of batches and batch size for the Fisher diagonal (defaults 10 × 60). */
  obdBatches?: number;
  obdBatchSize?: number;
}

export interface ScoreContext {
  model: tf.LayersModel;
  layers: PrunableLayer[];
  masks: MaskSet;
  /** Masked kernel values of every prunable layer (host memory). */
  weights: Map<string, Float32Array>;
  seed: number;
  /** Layers to score; all when undefined. */
  only?: Set<string>;
  /** Training data for data-dependent scores (lap_act, obd). */
  data?: ImageSet;
  options: ScoreOptions;
  /** Per-call cache for data-dependent statistics (activation probabilities, Fisher diagonal). */
  cache: Map<string, unknown>;
}

export type Scorer = (ctx: ScoreContext) => Map<string, Float32Array>;

/** Host copies of each prunable kernel, multiplied by its mask. */
export function maskedWeights(layers: PrunableLayer[], masks: MaskSet): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of layers) {
    const w = (l.kernel.read().dataSync() as Float32Array).slice();
    if (masks.has(l.name)) {
      const m = masks.get(l.name);
      for (let i = 0; i < w.length; i++) if (m[i] === 0) w[i] = 0;
    }
    out.set(l.name, w);
  }
  return out;
}

export function wanted(ctx: ScoreContext, name: string): boolean {
  return ctx.only === undefined || ctx.only.has(name);
}

/** Weights and geometry of any kernel layer by name (masked for prunable layers, raw for excluded ones). */
export function kernelData(ctx: ScoreContext, name: string): { w: Float32Array; g: KernelGeometry } {
  const pl = ctx.layers.find((l) => l.name === name);
  if (pl) return { w: ctx.weights.get(name) as Float32Array, g: pl.geom };
  const key = `raw:${name}`;
  const cached = ctx.cache.get(key) as { w: Float32Array; g: KernelGeometry } | undefined;
  if (cached) return cached;
  const layer = ctx.model.getLayer(name);
  const k = kernelOf(layer);
  if (!k) throw new Error(`score: layer '${name}' has no kernel`);
  const kind = kindOf(layer);
  if (!kind) throw new Error(`score: layer '${name}' (${layer.getClassName()}) is not a Dense/Conv/Depthwise kernel layer`);
  const v = { w: Float32Array.from(k.read().dataSync() as Float32Array), g: geometryOf(kind, k.read().shape) };
  ctx.cache.set(key, v);
  return v;
}
