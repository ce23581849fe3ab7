/**
 * The two passes of each fused batch-norm training kernel (misc/batch-norm-train.ts) in wasm SIMD
 * (update.wat): per-channel statistics accumulated in float64 (f64x2 lanes; 32-row blocks in f32 registers first), then the per-channel affine
 * map in float32. Same formulas as the plain-JS loops there:
 *
 *   forward   mean = Σx/N, var = max(0, Σx²/N − mean²), y = x·scale + shift,
 *             scale = γ/√(var+ε), shift = β − mean·scale
 *   backward  dx = a·dy + bx·(x − mean) + c0 with the coefficients of batch-norm-train.ts, from Σdy and Σdy·(x−mean)
 *
 * Any channel count: c not a multiple of 4 runs as rows of t·c channels (see `widen`), the last rows % t rows in JS.
 * Each returns false (nothing written) when SIMD is unavailable; the caller then runs its JS loops.
 */
import { allocF32, release, viewF32, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { heapPtr, simdKernels } from './instance.js';

/** Float64 view of a zeroed scratch buffer allocated as float32 (2 floats per double); undefined when misaligned. */
function f64View(backend: WasmBackend, scratch: TensorInfo, offsetDoubles: number, length: number): Float64Array | undefined {
  const base = heapPtr(backend, scratch);
  if (base % 8 !== 0) return undefined;
  return new Float64Array(viewF32(backend, scratch).buffer, base + 8 * offsetDoubles, length);
}

/**
 * Channel counts that are not a multiple of 4 (pruned nets): the data is rows × c floats, so it is also
 * ⌊rows / t⌋ rows of t·c channels with t = 4 / gcd(c, 4) — a multiple of 4 — plus the last rows % t rows. The SIMD
 * passes run on the wide rows with per-channel vectors tiled t times (sums folded back to c channels), the tail
 * rows in JS. t = 1 (c a multiple of 4) is the plain layout.
 */
interface Wide {
  t: number;
  wide: number;
  /** rows of `wide` channels */
  bulk: number;
  /** first float of the tail rows */
  tail: number;
}
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
function widen(rows: number, c: number): Wide {
  const t = 4 / gcd(c, 4);
  const bulk = Math.floor(rows / t);
  return { t, wide: t * c, bulk, tail: bulk * t * c };
}

/** Writes v (c values) t times into dst starting at float offset `at`. */
function tile(dst: Float32Array, at: number, v: ArrayLike<number>, c: number, t: number): void {
  for (let j = 0; j < t; j++) for (let i = 0; i < c; i++) dst[at + j * c + i] = v[i];
}

export function bnForwardSimd(
  backend: WasmBackend,
  x: TensorInfo, gamma: TensorInfo, beta: TensorInfo, eps: number,
  rows: number, c: number,
  y: TensorInfo, meanOut: TensorInfo, varOut: TensorInfo,
): boolean {
  const simd = simdKernels(backend);
  if (!simd || c === 0) return false;
  const w = widen(rows, c);
  const sums = allocF32(backend, [4 * w.wide]); // Σx and Σx² as 2·wide doubles
  const coef = allocF32(backend, [2 * w.wide]); // scale, shift (tiled)
  try {
    viewF32(backend, sums).fill(0);
    if (heapPtr(backend, sums) % 8 !== 0) return false;
    const sp = heapPtr(backend, sums);
    if (w.bulk > 0) simd.bnSums(heapPtr(backend, x), w.bulk, w.wide, sp, sp + 8 * w.wide);
    const wideSum = f64View(backend, sums, 0, w.wide)!;
    const wideSq = f64View(backend, sums, w.wide, w.wide)!;
    const sum = new Float64Array(c);
    const sumSq = new Float64Array(c);
    for (let j = 0; j < w.t; j++) {
      for (let i = 0; i < c; i++) {
        sum[i] += wideSum[j * c + i];
        sumSq[i] += wideSq[j * c + i];
      }
    }
    const xs = viewF32(backend, x);
    for (let o = w.tail; o < rows * c; o += c) {
      for (let i = 0; i < c; i++) {
        const v = xs[o + i];
        sum[i] += v;
        sumSq[i] += v * v;
      }
    }
    const g = viewF32(backend, gamma);
    const b = viewF32(backend, beta);
    const mo = viewF32(backend, meanOut);
    const vo = viewF32(backend, varOut);
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const mean = sum[i] / rows;
      const variance = Math.max(0, sumSq[i] / rows - mean * mean);
      mo[i] = mean;
      vo[i] = variance;
      scale[i] = g[i] / Math.sqrt(variance + eps);
      shift[i] = b[i] - mean * scale[i];
    }
    const k = viewF32(backend, coef);
    tile(k, 0, scale, c, w.t);
    tile(k, w.wide, shift, c, w.t);
    const kp = heapPtr(backend, coef);
    if (w.bulk > 0) simd.bnApply(heapPtr(backend, x), heapPtr(backend, y), w.bulk, w.wide, kp, kp + 4 * w.wide);
    if (w.tail < rows * c) {
      const [xv, yv] = [viewF32(backend, x), viewF32(backend, y)];
      for (let o = w.tail; o < rows * c; o += c) for (let i = 0; i < c; i++) yv[o + i] = xv[o + i] * scale[i] + shift[i];
    }
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
  if (!simd || c === 0) return false;
  const w = widen(rows, c);
  const sums = allocF32(backend, [4 * w.wide]); // Σdy and Σdy·(x−mean) as 2·wide doubles
  const coef = allocF32(backend, [4 * w.wide]); // a, bx, c0, mean (tiled)
  try {
    viewF32(backend, sums).fill(0);
    if (heapPtr(backend, sums) % 8 !== 0) return false;
    const mu = viewF32(backend, mean);
    tile(viewF32(backend, coef), 3 * w.wide, mu, c, w.t);
    const sp = heapPtr(backend, sums);
    const kp = heapPtr(backend, coef);
    const meanWide = w.t === 1 ? heapPtr(backend, mean) : kp + 12 * w.wide;
    if (w.bulk > 0) simd.bnGradSums(heapPtr(backend, x), heapPtr(backend, dy), meanWide, w.bulk, w.wide, sp, sp + 8 * w.wide);
    const wideDy = f64View(backend, sums, 0, w.wide)!;
    const wideDyXc = f64View(backend, sums, w.wide, w.wide)!;
    const sumDy = new Float64Array(c);
    const sumDyXc = new Float64Array(c);
    for (let j = 0; j < w.t; j++) {
      for (let i = 0; i < c; i++) {
        sumDy[i] += wideDy[j * c + i];
        sumDyXc[i] += wideDyXc[j * c + i];
      }
    }
    const xs = viewF32(backend, x);
    const gy = viewF32(backend, dy);
    const mv = viewF32(backend, mean);
    for (let o = w.tail; o < rows * c; o += c) {
      for (let i = 0; i < c; i++) {
        const d = gy[o + i];
        sumDy[i] += d;
        sumDyXc[i] += d * (xs[o + i] - mv[i]);
      }
    }
    const g = viewF32(backend, gamma);
    const vr = viewF32(backend, variance);
    const gm = viewF32(backend, dmean);
    const gv = viewF32(backend, dvariance);
    const dg = viewF32(backend, dgamma);
    const db = viewF32(backend, dbeta);
    const a = new Float32Array(c);
    const bx = new Float32Array(c);
    const c0 = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const inv = 1 / Math.sqrt(vr[i] + eps);
      db[i] = sumDy[i];
      dg[i] = sumDyXc[i] * inv;
      a[i] = g[i] * inv;
      bx[i] = -g[i] * inv * inv * inv * (sumDyXc[i] / rows) + (2 * gv[i]) / rows;
      c0[i] = -g[i] * inv * (sumDy[i] / rows) + gm[i] / rows;
    }
    const k = viewF32(backend, coef);
    tile(k, 0, a, c, w.t);
    tile(k, w.wide, bx, c, w.t);
    tile(k, 2 * w.wide, c0, c, w.t);
    if (w.bulk > 0) {
      simd.bnGradApply(heapPtr(backend, x), heapPtr(backend, dy), heapPtr(backend, dx), meanWide, kp, kp + 4 * w.wide, kp + 8 * w.wide, w.bulk, w.wide);
    }
    if (w.tail < rows * c) {
      const [xv, dyv, dxv, mv2] = [viewF32(backend, x), viewF32(backend, dy), viewF32(backend, dx), viewF32(backend, mean)];
      for (let o = w.tail; o < rows * c; o += c) {
        for (let i = 0; i < c; i++) dxv[o + i] = a[i] * dyv[o + i] + bx[i] * (xv[o + i] - mv2[i]) + c0[i];
      }
    }
    return true;
  } finally {
    release(backend, sums, coef);
  }
}
