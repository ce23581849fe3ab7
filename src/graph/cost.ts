/**
 * Per-layer params and MACs from the layer handlers: at the layer's own shapes (`layerCost`, used
 * by the report's count) or with its input/output last axes at other widths (`layerCostAt`, used
 * by the analytic cost of a pruned structure). Frozen layers (trainable: false) have 0 trainable params.
 */
import type * as tf from '@tensorflow/tfjs';
import { requireHandler, type LayerCost, type Shape } from './handler.js';

function firstShape(s: Shape | Shape[]): Shape {
  return s.length > 0 && Array.isArray(s[0]) ? (s as Shape[])[0] : (s as Shape);
}

/** Shapes of a layer's (first) call: input and output, batch dim included. */
export function layerShapes(layer: tf.layers.Layer): { inShape: Shape; outShape: Shape } {
  const outShape = firstShape(layer.outputShape as Shape | Shape[]);
  const node = layer.inboundNodes[0];
  const inShape = node && node.inboundLayers.length > 0 ? firstShape(node.inputShapes as Shape | Shape[]) : outShape;
  return { inShape, outShape };
}

const withLast = (s: Shape, last: number | undefined): Shape => (last === undefined ? s : [...s.slice(0, -1), last]);

/** Cost with the input's and output's last axes at `inLast` / `outLast` (undefined: unchanged). */
export function layerCostAt(layer: tf.layers.Layer, inLast?: number, outLast?: number, trainable = layer.trainable): LayerCost {
  const h = requireHandler(layer, 'cost');
  const { inShape, outShape } = layerShapes(layer);
  const c = h.cost({ layer, config: layer.getConfig() as Record<string, unknown>, inShape: withLast(inShape, inLast), outShape: withLast(outShape, outLast) });
  return trainable ? c : { ...c, trainableParams: 0 };
}

export function layerCost(layer: tf.layers.Layer, trainable = layer.trainable): LayerCost {
  return layerCostAt(layer, undefined, undefined, trainable);
}
