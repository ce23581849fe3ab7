/**
 * BatchNormalization folding for inference: a BN whose only input is a Conv2D/Dense with a
 * linear activation, which feeds nothing else, is merged into that layer's kernel and bias:
 * s = γ / √(σ² + ε), W' = W·s (per output channel), b' = (b − μ)·s + β. The result is a new
 * model of stock layers (the folded layers get use_bias = true; the BN layers are gone).
 */
import * as tf from '@tensorflow/tfjs';

interface Entry {
  name?: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

type Ref = [string, number, number, ...unknown[]];

function inboundOf(layer: tf.layers.Layer): tf.layers.Layer[] {
  return layer.inboundNodes.length === 0 ? [] : (layer.inboundNodes[0].inboundLayers as tf.layers.Layer[]);
}

/** BN layer name → the Conv2D/Dense it folds into. */
export function foldablePairs(model: tf.LayersModel): Map<string, string> {
  const readers = new Map<string, number>();
  for (const l of model.layers) for (const p of inboundOf(l)) readers.set(p.name, (readers.get(p.name) ?? 0) + 1);
  const outputs = new Set(model.outputs.map((t) => t.sourceLayer.name));
  const pairs = new Map<string, string>();
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization' || l.inboundNodes.length !== 1) continue;
    const ins = inboundOf(l);
    if (ins.length !== 1) continue;
    const p = ins[0];
    const cls = p.getClassName();
    const cfg = p.getConfig() as Record<string, unknown>;
    const axis = (l.getConfig() as Record<string, unknown>).axis;
    const rank = (l.outputShape as number[]).length;
    if ((cls !== 'Conv2D' && cls !== 'Dense') || cfg.activation !== 'linear') continue;
    if (readers.get(p.name) !== 1 || outputs.has(p.name) || p.inboundNodes.length !== 1) continue;
    if (!(axis === -1 || axis === rank - 1)) continue;
    if (cls === 'Conv2D' && cfg.dataFormat === 'channelsFirst') continue;
    pairs.set(l.name, p.name);
  }
  return pairs;
}

function role(w: tf.LayerVariable): string {
  return w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
}

/** Folded kernel and bias of `producer` with the BN `bn` after it. */
function foldedWeights(producer: tf.layers.Layer, bn: tf.layers.Layer): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const get = (layer: tf.layers.Layer, r: string) => layer.weights.find((w) => role(w) === r)?.read();
    const kernel = get(producer, 'kernel');
    if (!kernel) throw new Error(`foldBatchNorm: '${producer.name}' has no kernel`);
    const c = kernel.shape[kernel.shape.length - 1];
    const eps = (bn.getConfig() as Record<string, unknown>).epsilon as number;
    const gamma = get(bn, 'gamma') ?? tf.ones([c]);
    const beta = get(bn, 'beta') ?? tf.zeros([c]);
    const mean = get(bn, 'moving_mean')!;
    const variance = get(bn, 'moving_variance')!;
    const bias = get(producer, 'bias') ?? tf.zeros([c]);
    const s = tf.div(gamma, tf.sqrt(tf.add(variance, eps)));
    return [tf.mul(kernel, s), tf.add(tf.mul(tf.sub(bias, mean), s), beta)];
  });
}

/** Returns a new model with every foldable BN merged into the layer before it. */
export async function foldBatchNorm(model: tf.LayersModel): Promise<tf.LayersModel> {
  const pairs = foldablePairs(model);
  const folded = new Map([...pairs].map(([bn, p]) => [p, bn]));
  const topology = model.toJSON(undefined, false) as unknown as { class_name: string; config: Record<string, unknown> & { layers: Entry[] } };
  const layers = topology.config.layers;
  const rename = (ref: unknown): unknown => {
    if (Array.isArray(ref) && typeof ref[0] === 'string' && pairs.has(ref[0])) {
      const r = ref as Ref;
      return [pairs.get(r[0])!, 0, 0, ...r.slice(3)];
    }
    return ref;
  };
  topology.config.layers = layers
    .filter((e) => !pairs.has(e.config.name as string))
    .map((e) => {
      if (folded.has(e.config.name as string)) e.config.use_bias = true;
      if (e.inbound_nodes) e.inbound_nodes = e.inbound_nodes.map((node) => (node as unknown[]).map(rename));
      return e;
    });
  if (Array.isArray(topology.config.output_layers)) topology.config.output_layers = (topology.config.output_layers as unknown[]).map(rename);
  const out = await tf.models.modelFromJSON(topology as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  for (const layer of out.layers) {
    if (layer.weights.length === 0) continue;
    const src = model.getLayer(layer.name);
    const bnName = folded.get(layer.name);
    let values: tf.Tensor[];
    if (bnName) {
      const [k, b] = foldedWeights(src, model.getLayer(bnName));
      values = layer.weights.map((w) => (role(w) === 'kernel' ? k : b));
    } else {
      values = src.weights.map((w) => w.read().clone());
    }
    layer.setWeights(values);
    tf.dispose(values);
  }
  return out;
}
