/**
 * LAP (lookahead pruning): score(w) = w² · A[in(w)] · B[out(w)] on masked kernels.
 *
 * A[k] = Σ w² of the previous prunable layer's weights producing unit k (≡ 1 for the first layer);
 * B[j] = Σ w² of the next layer's weights reading unit j (≡ 1 for the last layer). Which unit feeds
 * which comes from the channel graph (lap-neighbours.ts): across a channels-last Flatten, dense
 * input f takes A of channel f mod C and the conv's B[c] sums the dense inputs with f mod C = c;
 * Concatenate offsets, depthwise/separable convs and Reshape are exact; a chain neighbour the graph
 * cannot relate exactly is an error naming both layers. Options: `bn` (lap_bn, β = γ/sqrt(var + 1e-10):
 * A *= β_prev², B *= β_own² when a next layer exists), `act` (lap_act, see activation.ts), `graphAware`
 * (every graph neighbour: A = Σ over the kernel layers summed into the input, Add = sum over
 * producers, +1 per model-input term; B = Σ over kernel layers reading the output; our design).
 */
import * as tf from '@tensorflow/tfjs';
import { findBatchNormAfter, scaleOutputs, weightedSquares, inputEnergy, outputEnergy, type PrunableLayer } from '../layers.js';
import { buildChannelGraph, type ChannelGraph } from '../../graph/channel-graph.js';
import { requireHandler, type KernelFacet } from '../../graph/handler.js';
import { incomingEnergy, outgoingEnergy, type NeighbourEnergy } from './lap-neighbours.js';
import { activationFactors } from './activation.js';
import { wanted, type ScoreContext } from './context.js';

function facetOf(ctx: ScoreContext, name: string): KernelFacet {
  const layer = ctx.model.getLayer(name);
  const k = requireHandler(layer, 'LAP').kernel;
  if (!k) throw new Error(`LAP: layer '${name}' (${layer.getClassName()}) has no kernel view in its handler`);
  return k;
}

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

  const graph = (ctx.cache.get('channel-graph') as ChannelGraph | undefined) ?? buildChannelGraph(ctx.model);
  ctx.cache.set('channel-graph', graph);
  const energy: NeighbourEnergy = {
    // Not cached: masked weights change between split / sequential steps that share ctx.cache.
    out(name) {
      const e = byName.has(name) ? outputEnergy(byName.get(name)!.geom, weights.get(name) as Float32Array) : facetOf(ctx, name).outputEnergy(ctx.model.getLayer(name));
      const beta = bnSq(name);
      if (beta) {
        if (beta.length !== e.length) throw new Error(`lap_bn: BN after '${name}' has ${beta.length} channels, layer has ${e.length} outputs`);
        for (let c = 0; c < e.length; c++) e[c] *= beta[c];
      }
      return e;
    },
    in(name) {
      return byName.has(name) ? inputEnergy(byName.get(name)!.geom, weights.get(name) as Float32Array) : facetOf(ctx, name).inputEnergy(ctx.model.getLayer(name));
    },
  };
  const mode = ctx.options.graphAware ? 'graph' : 'chain';
  const unitsOf = (name: string | undefined, which: 'in' | 'out'): number => {
    const pl = name === undefined ? undefined : byName.get(name);
    if (pl) return which === 'in' ? pl.geom.inUnits : pl.geom.outUnits;
    return name === undefined ? 0 : which === 'in' ? energy.in(name).length : energy.out(name).length;
  };
  const ownBn = (l: PrunableLayer, b: Float64Array): void => {
    const beta = bnSq(l.name);
    if (!beta) return;
    if (beta.length !== b.length) throw new Error(`lap_bn: BN after '${l.name}' has ${beta.length} channels, layer has ${b.length} outputs`);
    for (let j = 0; j < b.length; j++) b[j] *= beta[j];
  };
  const out = new Map<string, Float32Array>();
  for (const l of ctx.layers) {
    if (!wanted(ctx, l.name)) continue;
    const a = incomingEnergy(graph, l.name, l.geom.inUnits, l.prev, mode, energy, unitsOf(l.prev, 'out'));
    const b = outgoingEnergy(graph, l.name, l.geom.outUnits, l.next, mode, energy, unitsOf(l.next, 'in'));
    if (b) ownBn(l, b);
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
