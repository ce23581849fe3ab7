/**
 * Native Conv2D / depthwise kernels (forward incl. fused bias + activation, input and filter gradients):
 * ATen convolution on the NHWC wasm-heap memory viewed as channels-last NCHW (native/src/conv.cc).
 * Geometry (pads, output size) comes from the same `convGeometry` the wasm gradient kernels use.
 */
import type * as tf from '@tensorflow/tfjs';
import { assertDyShape, convGeometry, type ConvGeometry, type ConvGradAttrs } from '../kernels/conv/geometry.js';
import type { NativeAddon } from './addon.js';
import { activationCode, allFloat32, asWasm, offsetOf, withOutputs, type TensorInfo } from './heap.js';

type KernelFn = tf.KernelFunc;
type Args = Parameters<KernelFn>[0];

/** [sH, sW, dH, dW, top, bottom, left, right]; bottom/right are what the output size implies (may be < 0). */
export function convGeometryArray(g: ConvGeometry): number[] {
  const bottom = (g.outH - 1) * g.sH + (g.kH - 1) * g.dH + 1 - g.inH - g.padTop;
  const right = (g.outW - 1) * g.sW + (g.kW - 1) * g.dW + 1 - g.inW - g.padLeft;
  return [g.sH, g.sW, g.dH, g.dW, g.padTop, bottom, g.padLeft, right];
}

interface FusedAttrs extends ConvGradAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

/** Conv2D, DepthwiseConv2dNative and their fused variants. */
export function nativeConvForward(kernelName: string, depthwise: boolean, addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as unknown as FusedAttrs;
    const act = activationCode(a.activation);
    const biasOk = bias === undefined || (bias.dtype === 'float32' && bias.shape.length <= 1);
    if (!native || !x || !filter || !allFloat32(x, filter) || act === undefined || preluActivationWeights || !biasOk) return prev(args);
    const g = convGeometry(kernelName, x.shape, filter.shape, a, depthwise);
    const biasLen = bias ? bias.shape.reduce((p, q) => p * q, 1) : 0;
    if (bias && biasLen !== g.outC && biasLen !== 1) return prev(args);
    const backend = asWasm(args.backend);
    const yShape = [g.batch, g.outH, g.outW, g.outC];
    const [y] = withOutputs(backend, [yShape], (heap, [yOff]) =>
      native.conv2d(heap, offsetOf(backend, x), x.shape, offsetOf(backend, filter), filter.shape, yOff, yShape,
        convGeometryArray(g), depthwise, bias ? offsetOf(backend, bias) : -1, biasLen, act, a.leakyreluAlpha ?? 0.2),
    );
    return y;
  };
}

/** Conv2DBackpropInput and DepthwiseConv2dNativeBackpropInput. */
export function nativeConvBackpropInput(kernelName: string, depthwise: boolean, addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as ConvGradAttrs & { inputShape: number[] };
    if (!native || !allFloat32(dy, filter)) return prev(args);
    const g = convGeometry(kernelName, a.inputShape, filter.shape, a, depthwise);
    assertDyShape(kernelName, dy.shape, g, depthwise ? 'depthwise conv' : 'conv');
    const backend = asWasm(args.backend);
    const dxShape = a.inputShape.slice();
    const [dx] = withOutputs(backend, [dxShape], (heap, [dxOff]) =>
      native.conv2dBackpropInput(heap, offsetOf(backend, dy), dy.shape, offsetOf(backend, filter), filter.shape, dxOff, dxShape,
        convGeometryArray(g), depthwise),
    );
    return dx;
  };
}

/** Conv2DBackpropFilter and DepthwiseConv2dNativeBackpropFilter. */
export function nativeConvBackpropFilter(kernelName: string, depthwise: boolean, addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as ConvGradAttrs & { filterShape: number[] };
    if (!native || !allFloat32(x, dy)) return prev(args);
    const g = convGeometry(kernelName, x.shape, a.filterShape, a, depthwise);
    assertDyShape(kernelName, dy.shape, g, depthwise ? 'depthwise conv' : 'conv');
    const backend = asWasm(args.backend);
    const dwShape = a.filterShape.slice();
    const [dw] = withOutputs(backend, [dwShape], (heap, [dwOff]) =>
      native.conv2dBackpropFilter(heap, offsetOf(backend, x), x.shape, offsetOf(backend, dy), dy.shape, dwOff, dwShape,
        convGeometryArray(g), depthwise),
    );
    return dw;
  };
}
