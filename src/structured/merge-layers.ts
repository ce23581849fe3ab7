/**
 * The one topology rewrite of the inference transforms (BN folding, activation fusing): each
 * follower layer F of `pairs` (F → its producer P, where F's only input is P and P feeds only F) is
 * removed, every reference to F's output is redirected to P's, P's config is edited, and the new
 * model (stock layers, loads in stock TF.js) gets the old weights, or for a producer the values the
 * caller computes from P and F.
 */
import * as tf from '@tensorflow/tfjs';

interface Entry {
  name?: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

type Ref = [string, number, number, ...unknown[]];

export interface MergeEdits {
  /** Edits the producer's serialized config (snake_case keys) given the follower layer. */
  config: (producerConfig: Record<string, unknown>, follower: tf.layers.Layer) => void;
  /** New weight values of the merged layer, in `merged.weights` order (default: copies of the producer's). */
  weights?: (producer: tf.layers.Layer, follower: tf.layers.Layer, merged: tf.layers.Layer) => tf.Tensor[];
}

/** A new model with every follower of `pairs` (follower name → producer name) merged into its producer. */
export async function mergeIntoProducers(model: tf.LayersModel, pairs: ReadonlyMap<string, string>, edits: MergeEdits): Promise<tf.LayersModel> {
  const followerOf = new Map([...pairs].map(([f, p]) => [p, f]));
  const topology = model.toJSON(undefined, false) as unknown as { class_name: string; config: Record<string, unknown> & { layers: Entry[] } };
  const rename = (ref: unknown): unknown => {
    if (Array.isArray(ref) && typeof ref[0] === 'string' && pairs.has(ref[0])) {
      const r = ref as Ref;
      return [pairs.get(r[0])!, 0, 0, ...r.slice(3)];
    }
    return ref;
  };
  topology.config.layers = topology.config.layers
    .filter((e) => !pairs.has(e.config.name as string))
    .map((e) => {
      const f = followerOf.get(e.config.name as string);
      if (f) edits.config(e.config, model.getLayer(f));
      if (e.inbound_nodes) e.inbound_nodes = e.inbound_nodes.map((node) => (node as unknown[]).map(rename));
      return e;
    });
  if (Array.isArray(topology.config.output_layers)) topology.config.output_layers = (topology.config.output_layers as unknown[]).map(rename);
  const out = await tf.models.modelFromJSON(topology as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  for (const layer of out.layers) {
    if (layer.weights.length === 0) continue;
    const src = model.getLayer(layer.name);
    const f = followerOf.get(layer.name);
    const values = f && edits.weights ? edits.weights(src, model.getLayer(f), layer) : src.weights.map((w) => w.read().clone());
    layer.setWeights(values);
    tf.dispose(values);
  }
  return out;
}
