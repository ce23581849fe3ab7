/**
 * FusedBatchNorm (inference batch norm over the last axis) on wasm as one SIMD pass:
 *   y = (x − mean)·scale/√(variance + ε) + offset  =  x·s + t,   s = scale/√(variance + ε),  t = offset − mean·s,
 * with s and t computed once per channel and the affine map run by prunekit's SIMD module (`bnApply` in
 * simd/update.wat, the same pass as the training op's forward). The stock wasm kernel takes a square root and a
 * division per element: in the DCT sweep's forward passes (evaluation, calibration) it was 29–52% of the time
 * (bench/profile-step.ts --backend native: 47 of 161 ms for vgg-small, 86 of 164 ms for resnet20, batch 128).
 * Channel counts that are not a multiple of 4 (pruned nets) run the same SIMD pass over rows of t·c channels
 * (see below); without the SIMD module a JS loop does the map. Per-channel parameters of another shape and non-float32 inputs keep the stock
 * kernel. Differs from it by float rounding only.
 */
import * as tf from '@tensorflow/tfjs';
import { allocF32, asWasm, release, viewF32, type TensorInfo } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';
import type { KernelFn } from './replace-kernel.js';

/** A per-channel parameter that can be read as c floats (any shape holding exactly c values along the last axis). */
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

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
    if (!x || !mean || !variance || x.dtype !== 'float32' || x.shape.length < 1 || c === 0) return stock(args);
    if (![mean, variance, offset, scale].every((p) => perChannel(p, c))) return stock(args);
    const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? 0.001;
    const rows = tf.util.sizeFromShape(x.shape) / c;
    // The map repeats with period c along the flat data, so for c not a multiple of 4 it is run as rows / t rows of
    // t·c channels with the coefficients tiled t times (t = 4 / gcd(c, 4)): every channel count gets the SIMD pass;
    // the last rows % t rows (and everything without the SIMD module) take a JS loop.
    const t = simd ? 4 / gcd(c, 4) : 1;
    const wide = t * c;
    const coef = allocF32(backend, [2 * wide]);
    try {
      const k = viewF32(backend, coef);
      const [m, v] = [viewF32(backend, mean), viewF32(backend, variance)];
      const g = scale ? viewF32(backend, scale) : undefined;
      const b = offset ? viewF32(backend, offset) : undefined;
      for (let i = 0; i < c; i++) {
        const sc = Math.fround((g ? g[i] : 1) / Math.sqrt(v[i] + eps));
        const sh = (b ? b[i] : 0) - m[i] * sc;
        for (let j = 0; j < t; j++) {
          k[j * c + i] = sc;
          k[wide + j * c + i] = sh;
        }
      }
      const y = allocF32(backend, x.shape.slice());
      const bulk = simd ? Math.floor(rows / t) : 0; // rows of `wide` channels
      if (simd && bulk > 0) {
        const kp = heapPtr(backend, coef);
        simd.bnApply(heapPtr(backend, x), heapPtr(backend, y), bulk, wide, kp, kp + 4 * wide);
      }
      if (bulk * wide < rows * c) {
        const [xv, yv, kv] = [viewF32(backend, x), viewF32(backend, y), viewF32(backend, coef)];
        for (let o = bulk * wide; o < rows * c; o += c) for (let i = 0; i < c; i++) yv[o + i] = xv[o + i] * kv[i] + kv[wide + i];
      }
      return y;
    } finally {
      release(backend, coef);
    }
  };
}
