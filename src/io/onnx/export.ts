/**
 * TF.js layers model → ONNX (opset 17). Walks the model's graph from its outputs (functional and
 * Sequential models, branches, shared layers), emitting each layer call with the emitter registered
 * for its Keras class (`ONNX_EMITTERS`, or a caller-supplied table). Inside the graph rank-4 values are
 * NCHW; the model input is NHWC like TF.js (one Transpose after it) or NCHW (`inputLayout: 'nchw'`),
 * and rank-4 outputs come back in the same layout as the input. The batch dimension is symbolic ('N').
 *
 * Layer weights are emitted once per layer (a layer shared by several calls reuses its initializers) and,
 * with `quantize`, stored quantized and dequantized in the graph.
 *
 * Every layer class is checked before anything is emitted, and the whole file is built in memory
 * before `writeOnnx` writes it atomically, so an unsupported layer leaves nothing behind.
 */
import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../atomic.js';
import { WEIGHT_QUANTIZATIONS, type WeightQuantization } from '../quantize.js';
import { evaluateCallGraph, INPUT_CLASS, modelOutputs, reachableLayers, type SymbolicLike } from '../../models/call-graph.js';
import type { OnnxEmitContext, OnnxEmitterTable } from './emitter.js';
import { ONNX_EMITTERS } from './emitters.js';
import { OnnxGraphBuilder, type OnnxValue } from './graph.js';

export type OnnxInputLayout = 'nhwc' | 'nchw';

export interface OnnxExportOptions {
  /** Layout of rank-4 model inputs and outputs (default 'nhwc', as TF.js). */
  inputLayout?: OnnxInputLayout;
  /**
   * Store layer weights quantized as TF.js's quantized folders do (uint8 | uint16 | float16, per tensor,
   * pruned zeros exactly 0) and dequantize them in the graph (see OnnxGraphBuilder.weight).
   */
  quantize?: WeightQuantization;
  /** Emitters by Keras class name (default ONNX_EMITTERS). */
  emitters?: OnnxEmitterTable;
}

/** Layers of `model` whose class has no ONNX emitter. */
export function unsupportedOnnxLayers(model: tf.LayersModel, emitters: OnnxEmitterTable = ONNX_EMITTERS): { layer: string; className: string }[] {
  return reachableLayers(model)
    .filter((l) => l.getClassName() !== INPUT_CLASS && !Object.prototype.hasOwnProperty.call(emitters, l.getClassName()))
    .map((l) => ({ layer: l.name, className: l.getClassName() }));
}

/** Throws one line naming every unsupported layer and its class (nothing is emitted or written). */
export function checkOnnxExportable(model: tf.LayersModel, emitters: OnnxEmitterTable = ONNX_EMITTERS): void {
  const bad = unsupportedOnnxLayers(model, emitters);
  if (bad.length > 0) {
    throw new Error(
      `export: no ONNX exporter for ${bad.map((b) => `layer '${b.layer}' (${b.className})`).join(', ')}; ` +
        `supported classes: ${Object.keys(emitters).sort().join(', ')}`,
    );
  }
}

function role(w: tf.LayerVariable): string {
  return w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
}

function contextFor(layer: tf.layers.Layer, graph: OnnxGraphBuilder): OnnxEmitContext {
  const fail = (why: string): never => {
    throw new Error(`export: layer '${layer.name}' (${layer.getClassName()}): ${why}`);
  };
  const weight = (r: string) => {
    const w = layer.weights.find((v) => role(v) === r);
    if (!w) return undefined;
    const t = w.read();
    return { data: Float32Array.from(t.dataSync() as Float32Array), shape: t.shape.slice() };
  };
  return {
    graph,
    layer,
    config: layer.getConfig() as Record<string, unknown>,
    weight,
    requireWeight: (r) => weight(r) ?? fail(`has no '${r}' weight`),
    initializer: (r, data, dims, o) => graph.weight(`${layer.name}/${r}`, data, dims, o?.quantize ?? true),
    fail,
  };
}

/** Serialized ONNX model (bytes of a ModelProto) equivalent to `model`'s inference. */
export function exportOnnx(model: tf.LayersModel, opts: OnnxExportOptions = {}): Uint8Array {
  const emitters = opts.emitters ?? ONNX_EMITTERS;
  const layout = opts.inputLayout ?? 'nhwc';
  if (layout !== 'nhwc' && layout !== 'nchw') throw new Error(`export: input layout must be nhwc or nchw, got '${String(layout)}'`);
  if (opts.quantize !== undefined && !(WEIGHT_QUANTIZATIONS as readonly string[]).includes(opts.quantize)) {
    throw new Error(`export: quantize must be one of ${WEIGHT_QUANTIZATIONS.join(', ')}, got '${String(opts.quantize)}'`);
  }
  checkOnnxExportable(model, emitters);
  const graph = new OnnxGraphBuilder({ quantize: opts.quantize });
  const graphInputs: { name: string; dims: (number | string)[] }[] = [];
  const keras4ToLayout = (shape: (number | null)[]): (number | string)[] => {
    const d = shape.map((v, i) => (i === 0 ? 'N' : (v ?? `d${i}`)));
    return shape.length === 4 && layout === 'nchw' ? [d[0], d[3], d[1], d[2]] : d;
  };
  const inputValue = (st: SymbolicLike): OnnxValue => {
    const name = graph.unique(st.sourceLayer.name);
    graphInputs.push({ name, dims: keras4ToLayout(st.shape) });
    const inner = st.shape.length === 4 && layout === 'nhwc' ? graph.node('Transpose', [name], { perm: [0, 3, 1, 2] }, `${st.sourceLayer.name}/nchw`) : name;
    return { name: inner, shape: st.shape };
  };
  const values = evaluateCallGraph<OnnxValue>(model, inputValue, (layer, _node, inputs) => emitters[layer.getClassName()](inputs, contextFor(layer, graph)));
  const graphOutputs = modelOutputs(model).map((st, i) => {
    const v = values[i];
    const hint = `${st.sourceLayer.name}_output`;
    const name =
      v.shape.length === 4 && layout === 'nhwc'
        ? graph.node('Transpose', [v.name], { perm: [0, 2, 3, 1] }, hint)
        : graph.node('Identity', [v.name], {}, hint);
    return { name, dims: keras4ToLayout(v.shape) };
  });
  return graph.encode(model.name, graphInputs, graphOutputs);
}

/** Exports `model` to `file` (written atomically: temp file, fsync, rename); returns the byte count. */
export async function writeOnnx(model: tf.LayersModel, file: string, opts: OnnxExportOptions = {}): Promise<number> {
  const bytes = exportOnnx(model, opts);
  await writeFileAtomic(file, bytes);
  return bytes.byteLength;
}
