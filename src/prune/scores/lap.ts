/**
 * LAP (lookahead pruning): score(w) = w² · A[in(w)] · B[out(w)] on masked kernels.
 *
 * A[k] = Σ w² of the previous prunable layer's weights producing unit k (≡ 1 for the first layer);
 * B[j] = Σ w² of the next layer's weights reading unit j (≡ 1 for the last layer). Across a
 * channels-last Flatten, dense input f takes A of channel f mod C, and the conv's B[c] sums the
 * dense inputs with f mod C = c. Options: `bn` (lap_bn, β = γ/sqrt(var + 1e-10): A *= β_prev²,
 * B *= β_own² when a next layer exists), `act` (lap_act, see activation.ts), `graphAware`
 * (A = Σ over kernel predecessors + 1 per identity input; B likewise over successors; our design).
 */
import * as tf from '@tensorflow/tfjs';
import { findBatchNormAfter, scaleOutputs, unitRelation, weightedSquares, inputEnergy, outputEnergy, type PrunableLayer } from '../layers.js';
import { activationFactors } from './activation.js';
import { kernelData, wanted, type ScoreContext } from './context.js';

/** β² per channel of a BatchNormalization layer (γ ≡ 1 when it has no scale). */
export function bnFactorSquared(bn: tf.layers.Layer, eps: number): Float64Array {
  const l = bn as unknown as { gamma?: tf.LayerVariable | null; movingVariance: tf.LayerVariable };
  const variance = l.movingVariance.read().dataSync() as Float32Array;
  const gamma = l.gamma ? (l.gamma.read().dataSync() as Float32Array) : undefined;
  const out = new Float64Array(variance.length);
  for (let c = 0; c < out.length; c++) {
    const beta = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
    out[c] = beta * beta;
  }
  return out;
}

export function lapScores(ctx: ScoreContext): Map<string, Float32Array> {
  const eps = ctx.options.bnEps ?? 1e-10;
  const weights = ctx.options.act ? actScaledWeights(ctx) : ctx.weights;
  const byName = new Map(ctx.layers.map((l) => [l.name, l]));
  const dataOf = (name: string) => {
    const pl = byName.get(name);
    return pl ? { w: weights.get(name) as Float32Array, g: pl.geom } : kernelData(ctx, name);
  };
  const bnSq = (name: string): Float64Array | undefined => {
    if (!ctx.options.bn) return undefined;
    const key = `bn:${name}`;
    if (ctx.cache.has(key)) return ctx.cache.get(key) as Float64Array | undefined;
    const layer = ctx.model.getLayer(name);
    const bn = byName.get(name)?.bnAfter ?? findBatchNormAfter(ctx.model, layer);
    const v = bn ? bnFactorSquared(bn, eps) : undefined;
    ctx.cache.set(key, v);
    return v;
  };

  /** Incoming energy at each input unit of `l`, produced by kernel layer `producer`. */
  const energyIn = (producer: string, l: PrunableLayer): Float64Array => {
    const { w, g } = dataOf(producer);
    const e = outputEnergy(g, w);
    const beta = bnSq(producer);
    if (beta) {
      if (beta.length !== e.length) throw new Error(`lap_bn: BN after '${producer}' has ${beta.length} channels, layer has ${e.length} outputs`);
      for (let c = 0; c < e.length; c++) e[c] *= beta[c];
    }
    const C = unitRelation(producer, e.length, l.name, l.geom.inUnits);
    const a = new Float64Array(l.geom.inUnits);
    for (let k = 0; k < a.length; k++) a[k] = e[k % C];
    return a;
  };
  /** Outgoing energy at each output unit of `l`, read by kernel layer `consumer`. */
  const energyOut = (consumer: string, l: PrunableLayer): Float64Array => {
    const { w, g } = dataOf(consumer);
    const e = inputEnergy(g, w);
    const C = unitRelation(l.name, l.geom.outUnits, consumer, e.length);
    const b = new Float64Array(C);
    for (let f = 0; f < e.length; f++) b[f % C] += e[f];
    return b;
  };
  const ownBn = (l: PrunableLayer, b: Float64Array): void => {
    const beta = bnSq(l.name);
    if (!beta) return;
    if (beta.length !== b.length) throw new Error(`lap_bn: BN after '${l.name}' has ${beta.length} channels, layer has ${b.length} outputs`);
    for (let j = 0; j < b.length; j++) b[j] *= beta[j];
  };
  const sum = (parts: Float64Array[], n: number, plus: number): Float64Array => {
    const out = new Float64Array(n).fill(plus);
    for (const p of parts) for (let i = 0; i < n; i++) out[i] += p[i];
    return out;
  };

  const out = new Map<string, Float32Array>();
  for (const l of ctx.layers) {
    if (!wanted(ctx, l.name)) continue;
    let a: Float64Array | undefined;
    let b: Float64Array | undefined;
    if (ctx.options.graphAware) {
      if (l.graphPrev.length > 0 || l.identityIn > 0) {
        a = sum(l.graphPrev.map((p) => energyIn(p, l)), l.geom.inUnits, l.identityIn);
      }
      if (l.graphNext.length > 0 || l.identityOut > 0) {
        b = sum(l.graphNext.map((s) => energyOut(s, l)), l.geom.outUnits, l.identityOut);
        ownBn(l, b);
      }
    } else {
      if (l.prev) a = energyIn(l.prev, l);
      if (l.next) {
        b = energyOut(l.next, l);
        ownBn(l, b);
      }
    }
    out.set(l.name, weightedSquares(l.geom, weights.get(l.name) as Float32Array, a, b));
  }
  return out;
}

/** lap_act: copies of the masked kernels with non-final layers' outputs scaled by activation factors. */
function actScaledWeights(ctx: ScoreContext): Map<string, Float32Array> {
  const factors = activationFactors(ctx);
  const out = new Map<string, Float32Array>();
  const last = ctx.layers[ctx.layers.length - 1].name;
  for (const l of ctx.layers) {
    const w = (ctx.weights.get(l.name) as Float32Array).slice();
    if (l.name !== last) scaleOutputs(l.geom, w, factors.get(l.name) as Float64Array);
    out.set(l.name, w);
  }
  return out;
}
