/**
 * Native versions of prunekit's fused batch-norm training op (the kernels BN_TRAIN / BN_TRAIN_GRAD of
 * src/backend/kernels/misc/batch-norm-train.ts, same inputs, outputs and formulas): ATen's channels-last
 * batch norm forward/backward (native/src/batch_norm.cc).
 *
 * Which one runs (PRUNEKIT_NATIVE_BN): 'auto' (default) keeps prunekit's wasm SIMD kernels (simd/batch-norm.ts:
 * two passes each, float64 sums, any channel count) whenever the SIMD module is loaded, and ATen otherwise
 * (the wasm fallback is plain JS loops); 'aten' always ATen; 'wasm' never ATen.
 * Why: measured on the DCT sweep's nets (bench/profile-step.ts --backend native, batch 128, 28×28, alternated
 * runs, 2 Dec 2026, a sweep running beside it), the SIMD kernels took 7–8 / 11–12 ms (forward / backward, 6 layers
 * of vgg-small) against ATen's 13–37 / 24–86 ms at 1 and 2 threads, and 10–14 / 17–31 ms against 21–48 / 20–33 ms
 * for resnet20's 21 layers: ATen's version copies its freshly allocated outputs into the heap, and its
 * channels-last backward was the slowest of all.
 */
import type * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../kernels/simd/instance.js';
import type { NativeAddon } from './addon.js';
import { allFloat32, asWasm, offsetOf, withOutputs, type TensorInfo } from './heap.js';

export type NativeBnMode = 'auto' | 'aten' | 'wasm';

/** PRUNEKIT_NATIVE_BN: 'auto' (default), 'aten' or 'wasm'; anything else is an error. */
export function nativeBnMode(): NativeBnMode {
  const v = process.env.PRUNEKIT_NATIVE_BN ?? 'auto';
  if (v !== 'auto' && v !== 'aten' && v !== 'wasm') throw new Error(`PRUNEKIT_NATIVE_BN must be auto, aten or wasm, got '${v}'`);
  return v;
}

/** Whether the replaced wasm kernel (prunekit's SIMD batch norm) should run instead of ATen for `c` channels. */
function keepWasm(backend: ReturnType<typeof asWasm>, c: number): boolean {
  const mode = nativeBnMode();
  if (mode !== 'auto') return mode === 'wasm';
  return c > 0 && simdKernels(backend) !== undefined;
}

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
    if (keepWasm(backend, c)) return prev(args);
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
    if (keepWasm(backend, c)) return prev(args);
    const off = (t: TensorInfo): number => offsetOf(backend, t);
    return withOutputs(backend, [x.shape.slice(), [c], [c]], (heap, [dx, dgamma, dbeta]) =>
      native.batchNormTrainGrad(heap, off(x), x.shape, off(gamma), off(mean), off(variance), off(dy), off(dmean), off(dvariance),
        dx, dgamma, dbeta, eps),
    );
  };
}
