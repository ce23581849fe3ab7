/**
 * Native versions of prunekit's fused optimiser-update kernels (ADAM_UPDATE / MOMENTUM_UPDATE of
 * src/backend/kernels/simd/fused-update.ts: same inputs, attributes, outputs and float32 arithmetic), one
 * pass per variable over libtorch's threads (native/src/optimizer.cc). The training loop's optimiser calls
 * those kernels on wasm (src/train/fused-step.ts); with the native provider active they run here.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AdamUpdateAttrs, MomentumUpdateAttrs } from '../kernels/simd/fused-update.js';
import type { NativeAddon } from './addon.js';
import { allFloat32, asWasm, offsetOf, sizeOf, withOutputs, type TensorInfo } from './heap.js';

type KernelFn = tf.KernelFunc;
type Args = Parameters<KernelFn>[0];

const sameShape = (ref: TensorInfo, ...others: TensorInfo[]): boolean => others.every((o) => o.shape.join() === ref.shape.join());

export function nativeAdamUpdate(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x, g, m, v } = args.inputs as Record<string, TensorInfo>;
    if (!native || !allFloat32(x, g, m, v) || !sameShape(x, g, m, v)) return prev(args);
    const a = args.attrs as unknown as AdamUpdateAttrs;
    const backend = asWasm(args.backend);
    const off = (t: TensorInfo): number => offsetOf(backend, t);
    return withOutputs(backend, [x.shape.slice(), x.shape.slice(), x.shape.slice()], (heap, [xo, mo, vo]) =>
      native.adam(heap, off(x), off(g), off(m), off(v), xo, mo, vo, sizeOf(x.shape), a.lr, a.beta1, a.beta2, a.epsilon,
        a.oneMinusAccBeta1, a.oneMinusAccBeta2, a.weightDecay ?? 0),
    );
  };
}

export function nativeMomentumUpdate(addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { x, g, a: acc } = args.inputs as Record<string, TensorInfo | undefined> as { x: TensorInfo; g: TensorInfo; a?: TensorInfo };
    const at = args.attrs as unknown as MomentumUpdateAttrs;
    const withAcc = at.momentum > 0;
    if (!native || (withAcc && !acc) || !allFloat32(x, g, ...(withAcc ? [acc!] : [])) || !sameShape(x, g, ...(withAcc ? [acc!] : []))) return prev(args);
    const backend = asWasm(args.backend);
    const shapes = withAcc ? [x.shape.slice(), x.shape.slice()] : [x.shape.slice()];
    return withOutputs(backend, shapes, (heap, [xo, ao]) =>
      native.momentum(heap, offsetOf(backend, x), offsetOf(backend, g), withAcc ? offsetOf(backend, acc!) : -1, xo, withAcc ? ao : -1,
        sizeOf(x.shape), at.lr, at.momentum, at.nesterov, at.weightDecay ?? 0),
    );
  };
}
