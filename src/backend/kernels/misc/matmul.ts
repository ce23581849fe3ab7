/**
 * BatchMatMul and _FusedMatMul on wasm: transposed operands, and plain GEMMs on the thread pool.
 *
 * The stock wasm kernels reach XNNPACK only when neither operand is transposed; otherwise they run a
 * scalar loop. Here a transposed operand is materialised with the (fast) Transpose kernel and the
 * stock kernel is called without transposes (transposes by prunekit's SIMD module, else tfjs' Transpose).
 * For plain BatchMatMul we may instead compute
 * Cᵀ = op(B)ᵀ·op(A)ᵀ and transpose the (small) result, whichever moves fewer elements: XNNPACK
 * re-packs its right operand on every call, so A·Bᵀ with a large B is cheaper as (B·Aᵀ)ᵀ.
 * The plain GEMM itself runs on prunekit's small-GEMM kernel split over two threads (simd/small-gemm.ts: small
 * GEMMs on threaded builds), else as a 1×1 convolution (gemm-conv.ts: XNNPACK's pool), or the stock kernel where
 * neither applies.
 */
import type * as tf from '@tensorflow/tfjs';
import { allocF32, asWasm, release, reshapeInfo, runWasmKernel, sizeOf, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';
import { gemmViaConv } from './gemm-conv.js';
import { smallGemm } from '../simd/small-gemm.js';
import type { KernelFn } from './replace-kernel.js';

interface MatMulDims {
  batchA: number;
  batchB: number;
  /** stored (untransposed) 3-D shapes */
  a3: [number, number, number];
  b3: [number, number, number];
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

function broadcastBatch(a: number[], b: number[], what: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${what}: batch dimensions ${a} and ${b} do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

export function matMulDims(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, what: string): MatMulDims {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new Error(`${what}: operands must have rank ≥ 2, got ${a.shape} and ${b.shape}`);
  const [ar, ac] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [br, bc] = [b.shape[rb - 2], b.shape[rb - 1]];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const kb = transposeB ? bc : br;
  const n = transposeB ? br : bc;
  if (k !== kb) {
    throw new Error(`${what}: inner dimensions ${k} and ${kb} of shapes ${a.shape} and ${b.shape} (transposeA=${transposeA}, transposeB=${transposeB}) must match`);
  }
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const outShape = [...broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2), what), m, n];
  return { batchA, batchB, a3: [batchA, ar, ac], b3: [batchB, br, bc], m, k, n, outShape };
}

/** Materialised transpose of the last two axes of a 3-D float32 tensor (SIMD module per matrix, else tfjs' Transpose). */
function transposeLast2(backend: WasmBackend, x3: TensorInfo): TensorInfo {
  const simd = simdKernels(backend);
  if (simd === undefined) return runWasmKernel(backend, 'Transpose', { x: x3 }, { perm: [0, 2, 1] });
  const [batch, rows, cols] = x3.shape;
  const out = allocF32(backend, [batch, cols, rows]);
  const src = heapPtr(backend, x3);
  const dst = heapPtr(backend, out);
  for (let b = 0; b < batch; b++) simd.transpose2d(src + 4 * b * rows * cols, dst + 4 * b * rows * cols, rows, cols);
  return out;
}

/**
 * Elements moved by each route (transposes + XNNPACK packing of the right operand); pick the cheaper.
 * Exported for tests.
 */
export function preferSwapped(d: MatMulDims, transposeA: boolean, transposeB: boolean): boolean {
  const sizeA = sizeOf(d.a3);
  const sizeB = sizeOf(d.b3);
  const sizeC = sizeOf(d.outShape);
  const direct = (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0) + sizeB;
  const swapped = (transposeB ? 0 : sizeB) + (transposeA ? 0 : sizeA) + sizeA + sizeC;
  return swapped < direct;
}

/**
 * The part both kernels share: undefined when the stock kernel should run (not float32); otherwise the wasm
 * backend, the dimensions and 3-D views of the stored operands (release a3 and b3).
 */
function float32Operands(
  inputs: tf.NamedTensorInfoMap,
  anyBackend: unknown,
  attrs: tf.NamedAttrMap | undefined,
  kernelName: string,
): { backend: WasmBackend; d: MatMulDims; a3: TensorInfo; b3: TensorInfo; transposeA: boolean; transposeB: boolean } | undefined {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = Boolean(attrs?.transposeA);
  const transposeB = Boolean(attrs?.transposeB);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const backend = asWasm(anyBackend);
  const d = matMulDims(a, b, transposeA, transposeB, kernelName);
  return { backend, d, a3: reshapeInfo(backend, a, d.a3), b3: reshapeInfo(backend, b, d.b3), transposeA, transposeB };
}

export function makeBatchMatMul(stock: KernelFn | undefined): KernelFn {
  if (stock === undefined) throw new Error('prunekit: stock wasm BatchMatMul kernel missing (tfjs-backend-wasm 4.22.0 expected)');
  return ({ inputs, backend: anyBackend, attrs }) => {
    const ops = float32Operands(inputs, anyBackend, attrs, 'BatchMatMul');
    if (ops === undefined) return stock({ inputs, backend: anyBackend, attrs });
    const { backend, d, a3, b3, transposeA, transposeB } = ops;
    const temps: TensorInfo[] = [a3, b3];
    // threaded 1×1-conv GEMM where it applies, else the stock (single-threaded XNNPACK) matmul
    const plain = (left: TensorInfo, right: TensorInfo): TensorInfo =>
      smallGemm(backend, left, right) ??
      gemmViaConv(backend, left, right) ??
      (stock({ inputs: { a: left, b: right }, backend: anyBackend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo);
    let out: TensorInfo;
    if ((transposeA || transposeB) && preferSwapped(d, transposeA, transposeB)) {
      // Cᵀ = op(B)ᵀ · op(A)ᵀ, where op(B)ᵀ is B as stored when transposeB, and op(A)ᵀ is A as stored when transposeA.
      const left = transposeB ? b3 : transposeLast2(backend, b3);
      const right = transposeA ? a3 : transposeLast2(backend, a3);
      if (left !== b3) temps.push(left);
      if (right !== a3) temps.push(right);
      const ct = plain(left, right);
      temps.push(ct);
      out = transposeLast2(backend, ct); // ct is 3-D: [batch, n, m]
    } else {
      const left = transposeA ? transposeLast2(backend, a3) : a3;
      const right = transposeB ? transposeLast2(backend, b3) : b3;
      if (left !== a3) temps.push(left);
      if (right !== b3) temps.push(right);
      out = plain(left, right);
    }
    release(backend, ...temps);
    return { dataId: out.dataId, shape: d.outShape, dtype: out.dtype };
  };
}

export function makeFusedMatMul(stock: KernelFn | undefined): KernelFn {
  if (stock === undefined) throw new Error('prunekit: stock wasm _FusedMatMul kernel missing (tfjs-backend-wasm 4.22.0 expected)');
  return ({ inputs, backend: anyBackend, attrs }) => {
    // Bias and activation apply to the output, so only the operands are materialised here.
    const ops = float32Operands(inputs, anyBackend, attrs, '_FusedMatMul');
    if (ops === undefined) return stock({ inputs, backend: anyBackend, attrs });
    const { backend, d, a3, b3, transposeA, transposeB } = ops;
    const left = transposeA ? transposeLast2(backend, a3) : a3;
    const right = transposeB ? transposeLast2(backend, b3) : b3;
    const { bias, preluActivationWeights } = inputs as { bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const activation = (attrs as { activation?: string } | undefined)?.activation;
    const fusion = { bias, activation, preluActivationWeights };
    const out =
      smallGemm(backend, left, right, fusion) ??
      gemmViaConv(backend, left, right, fusion) ??
      (stock({
        inputs: { ...inputs, a: left, b: right } as unknown as tf.NamedTensorInfoMap,
        backend: anyBackend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as TensorInfo);
    release(backend, a3, b3, ...(left !== a3 ? [left] : []), ...(right !== b3 ? [right] : []));
    return { dataId: out.dataId, shape: d.outShape, dtype: out.dtype };
  };
}
