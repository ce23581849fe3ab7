/**
 * Physical channel removal: builds a new, thinner tf.LayersModel from stock TF.js layers.
 *
 * The model's JSON config is rebuilt with fewer filters/units (same layer names), then every
 * layer's weights are copied with the kept slices: producer outputs (kernel last axis, bias),
 * consumer inputs (Conv2D kernel axis 2, Dense kernel rows, including Flatten positions
 * f = s·C + c with c kept), BatchNormalization γ/β/moving statistics and depthwise channels.
 */
import * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, keptLastDim, keptPositions, type ChannelGraph, type LayerInfo } from './graph.js';
import { requireHandler } from '../graph/handler.js';

export interface RemoveChannelsOptions {
  /**
   * Copy the kept BatchNormalization parameters (default true). false = the reference code's
   * CIFAR behaviour: every BN restarts at γ = 1, β = 0, μ = 0, σ² = 1 (accuracy before
   * fine-tuning is then meaningless).
   */
  copyBN?: boolean;
  /** A graph already built for `model` (saves rebuilding it). */
  graph?: ChannelGraph;
}

interface LayerConfigEntry {
  class_name: string;
  config: Record<string, unknown>;
}

/** Checks that `keep` names prunable groups with sorted, unique, in-range, non-empty index sets. */
export function validateKeep(graph: ChannelGraph, keep: ReadonlyMap<number, Int32Array>): void {
  for (const [id, idx] of keep) {
    const g = graph.groups[id];
    if (!g) throw new Error(`removeChannels: no channel group ${id} (the model has ${graph.groups.length})`);
    if (!g.prunable && idx.length !== g.channels) {
      throw new Error(`removeChannels: group ${id} (${g.producers.join(', ')}) cannot be pruned: ${g.fixedReason}`);
    }
    if (idx.length < 1) throw new Error(`removeChannels: group ${id} (${g.producers.join(', ')}) would keep no channel; keep at least 1`);
    for (let i = 0; i < idx.length; i++) {
      if (!Number.isInteger(idx[i]) || idx[i] < 0 || idx[i] >= g.channels || (i > 0 && idx[i] <= idx[i - 1])) {
        throw new Error(`removeChannels: kept indices of group ${id} (${g.producers.join(', ')}) must be sorted, unique and in [0, ${g.channels}); got ${idx[i]} at position ${i}`);
      }
    }
  }
}

function roleOf(weight: tf.LayerVariable): string {
  const n = weight.originalName;
  return n.slice(n.lastIndexOf('/') + 1);
}

/** Sliced weights for one layer, in the order of `target.weights`, by the layer's handler. */
function slicedWeights(
  info: LayerInfo,
  source: tf.layers.Layer,
  target: tf.layers.Layer,
  keep: ReadonlyMap<number, Int32Array>,
  copyBN: boolean,
): tf.Tensor[] {
  const old = new Map<string, tf.Tensor>();
  for (const w of source.weights) old.set(roleOf(w), w.read());
  const inPos = info.inSpace ? keptPositions(info.inSpace, keep) : undefined;
  const inChanged = inPos !== undefined && inPos.length !== Math.round(info.inSpace!.channels * info.inSpace!.repeat);
  const outKeep = info.outGroup !== undefined ? keep.get(info.outGroup) : undefined;
  const h = requireHandler(source, 'removeChannels');
  return target.weights.map((w) => {
    const role = roleOf(w);
    const t = old.get(role);
    if (!t) throw new Error(`removeChannels: layer '${info.name}' has no weight '${role}' in the source model`);
    if (h.slice) return h.slice(role, t, { layer: source, inKeep: inChanged ? inPos : undefined, outKeep, copyBN });
    if (inChanged || outKeep) throw new Error(`removeChannels: layer '${info.name}' (${info.className}) has weights but its handler cannot slice them`);
    return t.clone();
  });
}

/**
 * Returns a new model with only the kept output channels of each listed group (ids from
 * buildChannelGraph; sorted kept indices). Groups not listed are unchanged. The source model is
 * not modified. The result uses only stock layers and saves/loads as a standard model.
 */
export async function removeChannels(
  model: tf.LayersModel,
  keep: ReadonlyMap<number, Int32Array>,
  opts: RemoveChannelsOptions = {},
): Promise<tf.LayersModel> {
  const graph = opts.graph ?? buildChannelGraph(model);
  validateKeep(graph, keep);
  const copyBN = opts.copyBN ?? true;
  const topology = model.toJSON(undefined, false) as unknown as { class_name: string; config: { layers: LayerConfigEntry[] } };
  for (const entry of topology.config.layers) {
    const name = entry.config.name as string;
    const info = graph.byName.get(name);
    if (!info || info.outGroup === undefined || info.role !== 'producer') continue;
    const k = keep.get(info.outGroup);
    if (!k) continue;
    const key = requireHandler(model.getLayer(name), 'removeChannels').widthKey;
    if (!key) throw new Error(`removeChannels: producer '${name}' (${info.className}) has no width field in its handler`);
    entry.config[key] = k.length;
  }
  for (const entry of topology.config.layers) {
    const info = graph.byName.get(entry.config.name as string);
    const h = info ? requireHandler(model.getLayer(info.name), 'removeChannels') : undefined;
    if (!info || !h?.resize) continue;
    const last = keptLastDim(info.outSpace, (g) => keep.get(g)?.length);
    if (last !== keptLastDim(info.outSpace, () => undefined)) h.resize(entry.config, last, info.name);
  }
  const pruned = await tf.models.modelFromJSON(topology as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  for (const layer of pruned.layers) {
    if (layer.weights.length === 0) continue;
    const info = graph.byName.get(layer.name);
    if (!info) throw new Error(`removeChannels: rebuilt layer '${layer.name}' is not in the source model`);
    const sliced = tf.tidy(() => slicedWeights(info, model.getLayer(layer.name), layer, keep, copyBN));
    // Fresh host copies: the stock wasm GatherV2 leaves its 4-D working shape in the backend's data
    // record, and wasm FusedConv2D reads the bias rank from there ("only supports rank-1 bias").
    const values = sliced.map((t) => tf.tensor(t.dataSync(), t.shape, t.dtype));
    tf.dispose(sliced);
    layer.setWeights(values);
    tf.dispose(values);
  }
  return pruned;
}
