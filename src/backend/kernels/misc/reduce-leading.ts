/**
 * Sum and Mean over leading axes (e.g. axes [0,1,2] of NHWC, the bias and batch-norm gradients) as
 * plain column sums over the wasm heap, accumulated in float64 (in prunekit's SIMD module, `colSums`: 32-row blocks in float32 first, any
 * column count; without the module a JS loop). The stock kernels transpose the
 * reduced axes innermost first. Other axis sets, and non-float32 dtypes, go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { allocF32, asWasm, release, viewF32, sizeOf, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Column sums of x viewed as [rows, cols] in float64 by the SIMD module, or undefined where it does not apply (no
 * module). Columns not a multiple of 4: the same data is ⌊rows / t⌋ rows of t·cols columns (t = 4 / gcd(cols, 4)),
 * summed by the module and folded back; the last rows % t rows are added in JS.
 */
function simdColumnSums(backend: WasmBackend, x: TensorInfo, rows: number, cols: number): Float64Array | undefined {
  const simd = simdKernels(backend);
  if (simd === undefined || cols === 0) return undefined;
  const t = 4 / gcd(cols, 4);
  const wide = t * cols;
  const bulk = Math.floor(rows / t);
  const scratch = allocF32(backend, [2 * wide]); // wide doubles
  try {
    const base = heapPtr(backend, scratch);
    if (base % 8 !== 0) return undefined;
    viewF32(backend, scratch).fill(0);
    if (bulk > 0) simd.colSums(heapPtr(backend, x), bulk, wide, base);
    const sums = new Float64Array(viewF32(backend, scratch).buffer, base, wide);
    const out = sums.slice(0, cols);
    for (let j = 1; j < t; j++) for (let c = 0; c < cols; c++) out[c] += sums[j * cols + c];
    const src = viewF32(backend, x);
    for (let o = bulk * wide; o < rows * cols; o += cols) for (let c = 0; c < cols; c++) out[c] += src[o + c];
    return out;
  } finally {
    release(backend, scratch);
  }
}
import type { KernelFn } from './replace-kernel.js';

/** Number of leading axes reduced when `axes` is exactly {0..k-1} (k ≥ 1), else 0. Exported for tests. */
export function leadingAxisCount(axis: number | number[] | undefined, rank: number): number {
  if (rank === 0) return 0;
  const axes = tf.util.parseAxisParam(axis ?? Array.from({ length: rank }, (_, i) => i), new Array<number>(rank).fill(1));
  const sorted = [...new Set(axes)].sort((p, q) => p - q);
  for (let i = 0; i < sorted.length; i++) if (sorted[i] !== i) return 0;
  return sorted.length;
}

function makeReduce(kind: 'Sum' | 'Mean', stock: KernelFn | undefined): KernelFn {
  if (stock === undefined) throw new Error(`prunekit: stock wasm ${kind} kernel missing (tfjs-backend-wasm 4.22.0 expected)`);
  return (args) => {
    const { inputs, backend: anyBackend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === 'float32' ? leadingAxisCount(axis, x.shape.length) : 0;
    if (k === 0) return stock(args);
    const backend = asWasm(anyBackend);
    const rows = sizeOf(x.shape.slice(0, k));
    const cols = sizeOf(x.shape.slice(k));
    const outShape = keepDims ? x.shape.map((s, i) => (i < k ? 1 : s)) : x.shape.slice(k);
    const out = backend.makeOutput(outShape, 'float32');
    let acc = simdColumnSums(backend, x, rows, cols);
    if (acc === undefined) {
      acc = new Float64Array(cols);
      const src = viewF32(backend, x);
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) acc[c] += src[base + c];
      }
    }
    const dst = viewF32(backend, out);
    const scale = kind === 'Mean' ? 1 / rows : 1;
    for (let c = 0; c < cols; c++) dst[c] = acc[c] * scale;
    return out;
  };
}

export const makeSum = (stock: KernelFn | undefined): KernelFn => makeReduce('Sum', stock);
export const makeMean = (stock: KernelFn | undefined): KernelFn => makeReduce('Mean', stock);
