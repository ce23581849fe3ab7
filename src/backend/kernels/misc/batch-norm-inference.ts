/**
 * FusedBatchNorm (inference batch norm over the last axis) on wasm as one SIMD pass:
 *   y = (x − mean)·scale/√(variance + ε) + offset  =  x·s + t,   s = scale/√(variance + ε),  t = offset − mean·s,
 * with s and t computed once per channel and the affine map run by prunekit's SIMD module (`bnApply` in
 * simd/update.wat, the same pass as the training op's forward). The stock wasm kernel takes a square root and a
 * division per element: in the DCT sweep's forward passes (evaluation, calibration) it was 29–52% of the time
 * (bench/profile-step.ts --backend native: 47 of 161 ms for vgg-small, 86 of 164 ms for resnet20, batch 128).
 * Other cases (channels not a multiple of 4, per-channel parameters of another shape, no SIMD module, not
 * float32) keep the stock kernel. Differs from it by float rounding only.
 */
import * as tf from '@tensorflow/tfjs';
import { allocF32, asWasm, release, viewF32, type TensorInfo } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';
import type { KernelFn } from './replace-kernel.js';

/** A per-channel parameter that can be read as c floats (any shape holding exactly c values along the last axis). */
function perChannel(p: TensorInfo | undefined, c: number): boolean {
  return p === undefined || (p.dtype === 'float32' && tf.util.sizeFromShape(p.shape) === c && p.shape[p.shape.length - 1] === c);
}

export function makeFusedBatchNorm(stock: KernelFn | undefined): KernelFn {
  if (stock === undefined) throw new Error('prunekit: stock wasm FusedBatchNorm kernel missing (tfjs-backend-wasm 4.22.0 expected)');
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
    const backend = asWasm(args.backend);
    const simd = simdKernels(backend);
    const c = x?.shape[x.shape.length - 1] ?? 0;
    if (!x || !mean || !variance || !simd || x.dtype !== 'float32' || x.shape.length < 1 || c === 0 || c % 4 !== 0) return stock(args);
    if (![mean, variance, offset, scale].every((p) => perChannel(p, c))) return stock(args);
    const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? 0.001;
    const rows = tf.util.sizeFromShape(x.shape) / c;
    const coef = allocF32(backend, [2 * c]);
    try {
      const k = viewF32(backend, coef);
      const [m, v] = [viewF32(backend, mean), viewF32(backend, variance)];
      const g = scale ? viewF32(backend, scale) : undefined;
      const b = offset ? viewF32(backend, offset) : undefined;
      for (let i = 0; i < c; i++) {
        const s = (g ? g[i] : 1) / Math.sqrt(v[i] + eps);
        k[i] = s;
        k[c + i] = (b ? b[i] : 0) - m[i] * Math.fround(s);
      }
      const y = allocF32(backend, x.shape.slice());
      const kp = heapPtr(backend, coef);
      simd.bnApply(heapPtr(backend, x), heapPtr(backend, y), rows, c, kp, kp + 4 * c);
      return y;
    } finally {
      release(backend, coef);
    }
  };
}
