/**
 * Inference with fused kernels: runs a layers model call by call (src/models/call-graph.ts) and computes
 * Conv2D, DepthwiseConv2D and rank-2 Dense with TF.js's fused ops, y = act(op(x, W) + b) in ONE kernel
 * (tf.fused.conv2d / depthwiseConv2d / matMul) for act ∈ linear, relu, relu6, elu, sigmoid. tfjs-layers
 * itself fuses only relu/elu into Conv2D, computes relu6 as minimum(relu(x), 6) (two more passes over
 * the activations) and never fuses depthwise convs or Dense. Every other layer is called as TF.js calls
 * it (`layer.apply` on tensors). The whole batch runs at once (no predict() batch split).
 * Meant for the inference form: `fuseActivations(await foldBatchNorm(model))`.
 *
 * On the wasm backend, a DepthwiseConv2D with linear / relu / relu6 can run prunekit's own SIMD kernel
 * (src/backend/kernels/simd/depthwise-conv.ts) instead of tfjs' FusedDepthwiseConv2D (XNNPACK): option
 * `depthwise`, default from PRUNEKIT_WASM_DWCONV ('auto': prunekit's when tfjs-wasm is single-threaded).
 */
import * as tf from '@tensorflow/tfjs';
import { depthwiseConvInference, dwconvMode, type DwconvMode } from '../backend/kernels/simd/depthwise-conv.js';
import { evaluateCallGraph } from './call-graph.js';

export interface FusedPredictOptions {
  /**
   * Depthwise kernel on wasm: 'prunekit', 'xnnpack', or 'auto' (prunekit's when tfjs-wasm is single-threaded,
   * where it was faster; XNNPACK with its thread pool). Default: PRUNEKIT_WASM_DWCONV (on / off / auto).
   */
  depthwise?: 'prunekit' | 'xnnpack' | 'auto';
}

const DW_MODES: Record<NonNullable<FusedPredictOptions['depthwise']>, DwconvMode> = { prunekit: 'on', xnnpack: 'off', auto: 'auto' };

const FUSABLE = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);

type Fused = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';

function role(w: tf.LayerVariable): string {
  return w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
}

function weight(layer: tf.layers.Layer, r: string): tf.Tensor | undefined {
  return layer.weights.find((w) => role(w) === r)?.read();
}

function pair(v: unknown): [number, number] {
  return typeof v === 'number' ? [v, v] : (v as [number, number]);
}

/** The fused computation of one layer call, or undefined when the layer runs as TF.js runs it. */
function fusedCall(layer: tf.layers.Layer, x: tf.Tensor, dw: DwconvMode): tf.Tensor | undefined {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const act = cfg.activation;
  if (typeof act !== 'string' || !FUSABLE.has(act)) return undefined;
  const activation = act as Fused;
  const bias = weight(layer, 'bias');
  const cls = layer.getClassName();
  const channelsLast = cfg.dataFormat === undefined || cfg.dataFormat === 'channelsLast';
  const conv = (kernel: string) => ({
    x: x as tf.Tensor4D,
    filter: weight(layer, kernel) as tf.Tensor4D,
    strides: pair(cfg.strides),
    pad: cfg.padding as 'same' | 'valid',
    dataFormat: 'NHWC' as const,
    dilations: pair(cfg.dilationRate ?? 1),
    bias,
    activation,
  });
  if (cls === 'Conv2D' && channelsLast && x.rank === 4 && (cfg.groups ?? 1) === 1) return tf.fused.conv2d(conv('kernel'));
  if (cls === 'DepthwiseConv2D' && channelsLast && x.rank === 4) {
    const args = conv('depthwise_kernel');
    return depthwiseConvInference(args, dw) ?? tf.fused.depthwiseConv2d(args);
  }
  if (cls === 'Dense' && x.rank === 2) {
    return tf.fused.matMul({ a: x as tf.Tensor2D, b: weight(layer, 'kernel') as tf.Tensor2D, bias, activation });
  }
  return undefined;
}

/** `model`'s output(s) for `x` (one input), computed with fused kernels where they apply. */
export function fusedPredict(model: tf.LayersModel, x: tf.Tensor, opts: FusedPredictOptions = {}): tf.Tensor | tf.Tensor[] {
  if (model.inputs.length !== 1) throw new Error(`fusedPredict: model '${model.name}' has ${model.inputs.length} inputs; expected one`);
  const dw = opts.depthwise === undefined ? dwconvMode() : Object.hasOwn(DW_MODES, opts.depthwise) ? DW_MODES[opts.depthwise] : undefined;
  if (dw === undefined) throw new Error(`fusedPredict: depthwise must be prunekit, xnnpack or auto, got '${String(opts.depthwise)}'`);
  return tf.tidy(() => {
    const outs = evaluateCallGraph<tf.Tensor>(
      model,
      () => x,
      (layer, _node, inputs) => {
        const fused = inputs.length === 1 ? fusedCall(layer, inputs[0], dw) : undefined;
        if (fused) return [fused];
        const y = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor | tf.Tensor[];
        return Array.isArray(y) ? y : [y];
      },
    );
    return outs.length === 1 ? outs[0] : outs;
  });
}
