/**
 * Native MaxPool / AvgPool and their gradients (ATen channels-last pooling, native/src/pool.cc). Max
 * pooling ties go to the first maximum in window order, as in the cpu backend. Average pooling runs
 * natively only where ATen's symmetric padding expresses TF's pads exactly (the wasm kernels keep the rest).
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { allFloat32, asWasm, offsetOf, withOutputs, type TensorInfo } from './heap.js';
import { maxPoolGradSimdApplies } from '../kernels/misc/max-pool-grad.js';

type KernelFn = tf.KernelFunc;
type Args = Parameters<KernelFn>[0];

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** [kH, kW, sH, sW, top, bottom, left, right] for an NHWC input; bottom/right as the output size implies. */
export function poolGeometryArray(xShape: number[], a: PoolAttrs): { geometry: number[]; outShape: number[] } {
  if (xShape.length !== 4) throw new Error(`prunekit native pooling: expected a rank-4 NHWC input, got [${xShape}]`);
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.inHeight - top;
  const right = (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.inWidth - left;
  return {
    geometry: [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, top, bottom, left, right],
    outShape: [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
  };
}

/**
 * Whether ATen's symmetric padding gives TF's pads along one axis: equal pads (or a tail shorter than the
 * stride, which floor division drops), at most half the window. Mirrors `axisPads` in native/src/pool.cc.
 */
function symmetricAxis(before: number, after: number, k: number, s: number): boolean {
  const floorCase = after < before && before - after < s;
  const sym = floorCase || before === after ? before : -1;
  return sym >= 0 && sym <= Math.floor(k / 2);
}

export function avgPoolNative(geometry: number[]): boolean {
  const [kH, kW, sH, sW, top, bottom, left, right] = geometry;
  return symmetricAxis(top, bottom, kH, sH) && symmetricAxis(left, right, kW, sW);
}

export function nativeMaxPool(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!native || !allFloat32(x) || x.shape.length !== 4) return prev(args);
    const { geometry, outShape } = poolGeometryArray(x.shape, args.attrs as unknown as PoolAttrs);
    const backend = asWasm(args.backend);
    const [y] = withOutputs(backend, [outShape], (heap, [yOff]) => native.maxPool(heap, offsetOf(backend, x), x.shape, yOff, outShape, geometry));
    return y;
  };
}

export function nativeMaxPoolGrad(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { dy, input } = args.inputs as Record<string, TensorInfo>;
    if (!native || !allFloat32(dy, input) || input.shape.length !== 4) return prev(args);
    // the wasm kernel's one-pass SIMD route is faster than ATen's where it applies (max-pool-grad.ts)
    if (maxPoolGradSimdApplies(args.backend, input, args.attrs)) return prev(args);
    const { geometry, outShape } = poolGeometryArray(input.shape, args.attrs as unknown as PoolAttrs);
    if (outShape.join() !== dy.shape.join()) throw new Error(`prunekit native MaxPoolGrad: dy has shape [${dy.shape}], the pooling gives [${outShape}]`);
    const backend = asWasm(args.backend);
    const [dx] = withOutputs(backend, [input.shape.slice()], (heap, [dxOff]) =>
      native.maxPoolGrad(heap, offsetOf(backend, dy), dy.shape, offsetOf(backend, input), input.shape, dxOff, geometry),
    );
    return dx;
  };
}

export function nativeAvgPool(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!native || !allFloat32(x) || x.shape.length !== 4) return prev(args);
    const { geometry, outShape } = poolGeometryArray(x.shape, args.attrs as unknown as PoolAttrs);
    if (!avgPoolNative(geometry)) return prev(args);
    const backend = asWasm(args.backend);
    const [y] = withOutputs(backend, [outShape], (heap, [yOff]) => native.avgPool(heap, offsetOf(backend, x), x.shape, yOff, outShape, geometry));
    return y;
  };
}

export function nativeAvgPoolGrad(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { dy, input } = args.inputs as Record<string, TensorInfo>;
    if (!native || !allFloat32(dy, input) || input.shape.length !== 4) return prev(args);
    const { geometry, outShape } = poolGeometryArray(input.shape, args.attrs as unknown as PoolAttrs);
    if (!avgPoolNative(geometry)) return prev(args);
    if (outShape.join() !== dy.shape.join()) throw new Error(`prunekit native AvgPoolGrad: dy has shape [${dy.shape}], the pooling gives [${outShape}]`);
    const backend = asWasm(args.backend);
    const [dx] = withOutputs(backend, [input.shape.slice()], (heap, [dxOff]) =>
      native.avgPoolGrad(heap, offsetOf(backend, dy), dy.shape, dxOff, input.shape, geometry),
    );
    return dx;
  };
}
