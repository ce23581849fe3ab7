/**
 * Conv2D layers in training on wasm as one op: the forward is tfjs-wasm's FusedConv2D (XNNPACK on the thread
 * pool, bias and ReLU applied in its output clamp), and the registered gradient computes its parts lazily.
 *
 * In training, tfjs-core's fused conv2d does not fuse a ReLU (`shouldFuse` is false under a gradient tape), so a
 * Conv2D layer with `activation: 'relu'` runs Conv2D + Add + Relu forward and Step + Multiply backward, the
 * elementwise kernels single-threaded. Here the layer's `call` (training mode, wasm, float32 NHWC input,
 * dilation 1, activation relu or linear) runs 'PrunekitConv2DTrain' instead; the gradient, same formulas as
 * tfjs-core's fused conv2d:
 *   dyAct = dy·[y > 0] (relu; one SIMD pass, relu-grad.ts) or dy;
 *   ∂x = Conv2DBackpropInput(dyAct, W);  ∂W = Conv2DBackpropFilter(x, dyAct);  ∂b = Σ_{n,h,w} dyAct,
 * through the registered wasm kernels (prunekit's, conv/). The layer's class, config, weights and serialisation
 * are unchanged; anything else takes the original path. `PRUNEKIT_WASM_CONV_TRAIN=off` turns the patch off.
 */
import * as tf from '@tensorflow/tfjs';
import { runWasmKernel, asWasm, type TensorInfo } from '../wasm-heap.js';
import { patchLayerTraining } from './layer-training-patch.js';
import { reluGrad } from './relu-grad.js';

export const CONV_TRAIN = 'PrunekitConv2DTrain';

type Activation = 'linear' | 'relu';

interface ConvAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
  activation: Activation;
}

interface ConvInternals {
  rank?: number;
  kernel?: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  activation?: { getClassName(): string };
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
}

const PATCHED = Symbol.for('prunekit.conv2dTrainingPatch');

let enabled = process.env.PRUNEKIT_WASM_CONV_TRAIN !== 'off';

/** Turns the Conv2D training op on (default) or off (the layer's own call; for comparisons and tests). */
export function setConvTraining(on: boolean): void {
  enabled = on;
}

function common(a: ConvAttrs): Record<string, unknown> {
  return { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
  const a = attrs as unknown as ConvAttrs;
  return runWasmKernel(asWasm(backend), 'FusedConv2D', bias ? { x, filter, bias } : { x, filter }, { ...common(a), activation: a.activation, leakyreluAlpha: 0 });
};

let registered = false;

export function registerConvTraining(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: CONV_TRAIN, backendName: 'wasm', kernelFunc: forward });
  tf.registerGradient({
    kernelName: CONV_TRAIN,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const a = attrs as unknown as ConvAttrs;
      const dyAct = a.activation === 'relu' ? reluGrad(dy as tf.Tensor, y) : (dy as tf.Tensor);
      const engine = tf.engine();
      return {
        x: () => engine.runKernel('Conv2DBackpropInput', { dy: dyAct, filter }, { ...common(a), inputShape: x.shape }) as tf.Tensor,
        filter: () => engine.runKernel('Conv2DBackpropFilter', { x, dy: dyAct }, { ...common(a), filterShape: filter.shape }) as tf.Tensor,
        bias: () => tf.sum(dyAct, [0, 1, 2]),
      };
    },
  });
}

function applicable(layer: ConvInternals, input: tf.Tensor): ConvAttrs | undefined {
  if (!enabled || !registered || tf.getBackend() !== 'wasm' || input.rank !== 4 || input.dtype !== 'float32') return undefined;
  if (layer.rank !== 2 || layer.dataFormat !== 'channelsLast' || !layer.kernel || layer.kernel.shape.length !== 4) return undefined;
  const d = layer.dilationRate;
  if (!(d === 1 || (Array.isArray(d) && d.every((v) => v === 1)))) return undefined;
  if (layer.padding !== 'same' && layer.padding !== 'valid') return undefined;
  const s = layer.strides;
  if (!Array.isArray(s) || s.length !== 2) return undefined;
  const name = layer.activation?.getClassName() ?? 'linear';
  if (name !== 'relu' && name !== 'linear') return undefined;
  return { strides: [s[0], s[1]], pad: layer.padding, activation: name };
}

/** Installs the patch on tfjs-layers' Conv2D once per process; returns false when the class cannot be found. */
export function patchConv2DLayer(): boolean {
  return patchLayerTraining('Conv2D', PATCHED, (layer, input) => {
    const self = layer as unknown as ConvInternals;
    const attrs = applicable(self, input);
    if (attrs === undefined) return undefined;
    return tf.tidy(() => {
      const filter = self.kernel!.read();
      const bias = self.bias ? self.bias.read() : undefined;
      const ins: tf.NamedTensorMap = bias ? { x: input, filter, bias } : { x: input, filter };
      return tf.engine().runKernel(CONV_TRAIN, ins, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  });
}
