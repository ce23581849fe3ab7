/**
 * The call graph of a TF.js layers model (functional or Sequential, branches, a layer called several
 * times): each layer call (layer, inbound node index) is evaluated once, inputs first, from the model
 * outputs back to the InputLayers. The ONNX exporter (emit nodes per call) and `fusedPredict` (run
 * tensors per call) both walk the model with `evaluateCallGraph`.
 */
import type * as tf from '@tensorflow/tfjs';

export interface SymbolicLike {
  sourceLayer: tf.layers.Layer;
  nodeIndex: number;
  tensorIndex: number;
  shape: (number | null)[];
}

interface NodeLike {
  inputTensors: SymbolicLike[];
}

export const INPUT_CLASS = 'InputLayer';

function inboundNode(layer: tf.layers.Layer, index: number): NodeLike {
  const node = (layer.inboundNodes as unknown as NodeLike[])[index];
  if (!node) throw new Error(`layer '${layer.name}' has no call node ${index}`);
  return node;
}

/** The model's outputs as symbolic tensors (layer, call, output index, shape). */
export function modelOutputs(model: tf.LayersModel): SymbolicLike[] {
  return model.outputs as unknown as SymbolicLike[];
}

/** Layers reachable from the model outputs, in discovery order. */
export function reachableLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const seen = new Map<string, tf.layers.Layer>();
  const stack = [...modelOutputs(model)];
  const visitedNodes = new Set<string>();
  while (stack.length) {
    const st = stack.pop()!;
    const key = `${st.sourceLayer.name}#${st.nodeIndex}`;
    if (visitedNodes.has(key)) continue;
    visitedNodes.add(key);
    seen.set(st.sourceLayer.name, st.sourceLayer);
    if (st.sourceLayer.getClassName() !== INPUT_CLASS) stack.push(...inboundNode(st.sourceLayer, st.nodeIndex).inputTensors);
  }
  return [...seen.values()];
}

/**
 * Evaluates every layer call that the model outputs depend on, once each: `input(st)` gives the value of
 * an InputLayer, `call(layer, nodeIndex, inputs)` the outputs of one layer call from its input values.
 * Returns the value of each model output, in order.
 */
export function evaluateCallGraph<T>(
  model: tf.LayersModel,
  input: (st: SymbolicLike) => T,
  call: (layer: tf.layers.Layer, nodeIndex: number, inputs: T[]) => T[],
): T[] {
  const memo = new Map<string, T[]>();
  const resolve = (st: SymbolicLike): T => {
    const layer = st.sourceLayer;
    const key = `${layer.name}#${st.nodeIndex}`;
    let outs = memo.get(key);
    if (!outs) {
      outs = layer.getClassName() === INPUT_CLASS ? [input(st)] : call(layer, st.nodeIndex, inboundNode(layer, st.nodeIndex).inputTensors.map(resolve));
      memo.set(key, outs);
    }
    const v = outs[layer.getClassName() === INPUT_CLASS ? 0 : st.tensorIndex];
    if (v === undefined) throw new Error(`layer '${layer.name}' (${layer.getClassName()}) produced no output ${st.tensorIndex}`);
    return v;
  };
  return modelOutputs(model).map(resolve);
}
