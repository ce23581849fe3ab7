/**
 * Native versions of prunekit's fused batch-norm training op (the kernels BN_TRAIN / BN_TRAIN_GRAD of
 * src/backend/kernels/misc/batch-norm-train.ts, same inputs, outputs and formulas): ATen's channels-last
 * batch norm forward/backward (native/src/batch_norm.cc).
 */
import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { allFloat32, asWasm, offsetOf, withOutputs, type TensorInfo } from './heap.js';

type KernelFn = tf.KernelFunc;
type Args = Parameters<KernelFn>[0];

export function nativeBatchNormTrain(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
    const eps = (args.attrs as { epsilon: number }).epsilon;
    if (!native || x.shape.length < 2 || !allFloat32(x, gamma, beta)) return prev(args);
    const backend = asWasm(args.backend);
    const c = x.shape[x.shape.length - 1];
    return withOutputs(backend, [x.shape.slice(), [c], [c]], (heap, [y, mean, variance]) =>
      native.batchNormTrain(heap, offsetOf(backend, x), x.shape, offsetOf(backend, gamma), offsetOf(backend, beta), y, mean, variance, eps),
    );
  };
}

export function nativeBatchNormTrainGrad(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x, gamma, mean, variance, dy, dmean, dvariance } = args.inputs as Record<string, TensorInfo>;
    const eps = (args.attrs as { epsilon: number }).epsilon;
    if (!native || x.shape.length < 2 || !allFloat32(x, gamma, mean, variance, dy, dmean, dvariance)) return prev(args);
    const backend = asWasm(args.backend);
    const c = x.shape[x.shape.length - 1];
    const off = (t: TensorInfo): number => offsetOf(backend, t);
    return withOutputs(backend, [x.shape.slice(), [c], [c]], (heap, [dx, dgamma, dbeta]) =>
      native.batchNormTrainGrad(heap, off(x), x.shape, off(gamma), off(mean), off(variance), off(dy), off(dmean), off(dvariance),
        dx, dgamma, dbeta, eps),
    );
  };
}
