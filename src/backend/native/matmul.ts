/**
 * Native BatchMatMul and _FusedMatMul: ATen mm / addmm / matmul with transposed operands as strided views
 * (BLAS takes them as flags), written straight into the output's wasm-heap memory (native/src/matmul.cc).
 */
import type * as tf from '@tensorflow/tfjs';
import { matMulDims } from '../kernels/misc/matmul.js';
import type { NativeAddon } from './addon.js';
import { activationCode, allFloat32, asWasm, offsetOf, withOutputs, type TensorInfo } from './heap.js';

type KernelFn = tf.KernelFunc;
type Args = Parameters<KernelFn>[0];

export function nativeMatMul(kernelName: string, addon: () => NativeAddon | undefined, prev: KernelFn): KernelFn {
  return (args: Args) => {
    const native = addon();
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const act = activationCode(attrs.activation);
    if (!native || !a || !b || !allFloat32(a, b) || act === undefined || preluActivationWeights) return prev(args);
    if (bias && !allFloat32(bias)) return prev(args);
    const ta = Boolean(attrs.transposeA);
    const tb = Boolean(attrs.transposeB);
    const d = matMulDims(a, b, ta, tb, kernelName);
    const backend = asWasm(args.backend);
    const [out] = withOutputs(backend, [d.outShape], (heap, [outOff]) =>
      native.matMul(heap, offsetOf(backend, a), a.shape, offsetOf(backend, b), b.shape, outOff, d.outShape, ta, tb,
        bias ? offsetOf(backend, bias) : -1, bias ? bias.shape : [], act, attrs.leakyreluAlpha ?? 0.2),
    );
    return out;
  };
}
