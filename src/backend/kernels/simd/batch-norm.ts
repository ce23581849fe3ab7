/**
 * The two passes of each fused batch-norm training kernel (misc/batch-norm-train.ts) in wasm SIMD
 * (update.wat): per-channel statistics accumulated in float64 (f64x2 lanes; 32-row blocks in f32 registers first), then the per-channel affine
 * map in float32. Same formulas as the plain-JS loops there:
 *
 *   forward   mean = Σx/N, var = max(0, Σx²/N − mean²), y = x·scale + shift,
 *             scale = γ/√(var+ε), shift = β − mean·scale
 *   backward  dx = a·dy + bx·(x − mean) + c0 with the coefficients of batch-norm-train.ts, from Σdy and Σdy·(x−mean)
 *
 * Each returns false (nothing written) when SIMD is unavailable or the channel count is not a multiple of 4;
 * the caller then runs its JS loops.
 */
import { allocF32, release, viewF32, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { heapPtr, simdKernels } from './instance.js';

/** Float64 view of a zeroed scratch buffer allocated as float32 (2 floats per double); undefined when misaligned. */
function f64View(backend: WasmBackend, scratch: TensorInfo, offsetDoubles: number, length: number): Float64Array | undefined {
  const base = heapPtr(backend, scratch);
  if (base % 8 !== 0) return undefined;
  return new Float64Array(viewF32(backend, scratch).buffer, base + 8 * offsetDoubles, length);
}

export function bnForwardSimd(
  backend: WasmBackend,
  x: TensorInfo, gamma: TensorInfo, beta: TensorInfo, eps: number,
  rows: number, c: number,
  y: TensorInfo, meanOut: TensorInfo, varOut: TensorInfo,
): boolean {
  const simd = simdKernels(backend);
  if (!simd || c % 4 !== 0 || c === 0) return false;
  const sums = allocF32(backend, [4 * c]); // Σx and Σx² as 2·c doubles
  const coef = allocF32(backend, [2 * c]); // scale, shift
  try {
    viewF32(backend, sums).fill(0);
    if (heapPtr(backend, sums) % 8 !== 0) return false;
    const sp = heapPtr(backend, sums);
    simd.bnSums(heapPtr(backend, x), rows, c, sp, sp + 8 * c);
    const sum = f64View(backend, sums, 0, c)!;
    const sumSq = f64View(backend, sums, c, c)!;
    const g = viewF32(backend, gamma);
    const b = viewF32(backend, beta);
    const k = viewF32(backend, coef);
    const mo = viewF32(backend, meanOut);
    const vo = viewF32(backend, varOut);
    for (let i = 0; i < c; i++) {
      const mean = sum[i] / rows;
      const variance = Math.max(0, sumSq[i] / rows - mean * mean);
      mo[i] = mean;
      vo[i] = variance;
      const scale = Math.fround(g[i] / Math.sqrt(variance + eps));
      k[i] = scale;
      k[c + i] = b[i] - mean * scale;
    }
    const kp = heapPtr(backend, coef);
    simd.bnApply(heapPtr(backend, x), heapPtr(backend, y), rows, c, kp, kp + 4 * c);
    return true;
  } finally {
    release(backend, sums, coef);
  }
}

export function bnBackwardSimd(
  backend: WasmBackend,
  x: TensorInfo, gamma: TensorInfo, mean: TensorInfo, variance: TensorInfo,
  dy: TensorInfo, dmean: TensorInfo, dvariance: TensorInfo, eps: number,
  rows: number, c: number,
  dx: TensorInfo, dgamma: TensorInfo, dbeta: TensorInfo,
): boolean {
  const simd = simdKernels(backend);
  if (!simd || c % 4 !== 0 || c === 0) return false;
  const sums = allocF32(backend, [4 * c]); // Σdy and Σdy·(x−mean) as 2·c doubles
  const coef = allocF32(backend, [3 * c]); // a, bx, c0
  try {
    viewF32(backend, sums).fill(0);
    if (heapPtr(backend, sums) % 8 !== 0) return false;
    const sp = heapPtr(backend, sums);
    simd.bnGradSums(heapPtr(backend, x), heapPtr(backend, dy), heapPtr(backend, mean), rows, c, sp, sp + 8 * c);
    const sumDy = f64View(backend, sums, 0, c)!;
    const sumDyXc = f64View(backend, sums, c, c)!;
    const g = viewF32(backend, gamma);
    const vr = viewF32(backend, variance);
    const gm = viewF32(backend, dmean);
    const gv = viewF32(backend, dvariance);
    const dg = viewF32(backend, dgamma);
    const db = viewF32(backend, dbeta);
    const k = viewF32(backend, coef);
    for (let i = 0; i < c; i++) {
      const inv = 1 / Math.sqrt(vr[i] + eps);
      db[i] = sumDy[i];
      dg[i] = sumDyXc[i] * inv;
      k[i] = g[i] * inv;
      k[c + i] = -g[i] * inv * inv * inv * (sumDyXc[i] / rows) + (2 * gv[i]) / rows;
      k[2 * c + i] = -g[i] * inv * (sumDy[i] / rows) + gm[i] / rows;
    }
    const kp = heapPtr(backend, coef);
    simd.bnGradApply(heapPtr(backend, x), heapPtr(backend, dy), heapPtr(backend, dx), heapPtr(backend, mean), kp, kp + 4 * c, kp + 8 * c, rows, c);
    return true;
  } finally {
    release(backend, sums, coef);
  }
}
