/**
 * Plain (non-transposed) GEMM on wasm as a 1×1 convolution, so that it runs on XNNPACK's thread pool.
 *
 * tfjs-backend-wasm 4.22.0 runs BatchMatMul / _FusedMatMul through `xnn_run_operator(…, nullptr /* thread
 * pool *\/)`, i.e. always on one thread, while its Conv2D / FusedConv2D pass the pool. C[M,N] = A[M,K]·B[K,N]
 * is exactly the NHWC convolution of x = A viewed as [1, 1, M, K] (M pixels of K channels) with the HWIO
 * filter B viewed as [1, 1, K, N] — no copy of either operand; XNNPACK takes its GEMM micro-kernels for 1×1,
 * stride 1, unpadded convolutions. Bias (rank 1, length N) and the clamp activations (relu, relu6) fuse
 * into FusedConv2D the way they fuse into _FusedMatMul.
 *
 * A batch of left operands against one right operand (batch of B = 1) is one GEMM over batch·M rows.
 * Everything else (a batched right operand, other activations, PReLU weights) returns undefined: the
 * caller falls back to the stock kernel. `PRUNEKIT_WASM_GEMM=stock` turns the route off (for benchmarks).
 *
 * The right operand is the convolution's filter, and tfjs-wasm re-lays it out (HWIO → OHWI) and XNNPACK packs
 * it whenever a filter tensor is new — ~20 ns per element, single-threaded, against ~1 ns per element for a
 * plain transpose. It caches the packed operator per filter tensor, so a constant right operand (inference)
 * pays once, but in training every weight tensor is new every step. So the first time a right operand B is
 * seen, and when packing B costs more than packing A, we compute Cᵀ = Bᵀ·Aᵀ instead (A becomes the packed
 * side; the three transposes and the bias + clamp run in prunekit's SIMD module); a right operand seen
 * again takes the direct route, whose packed operator tfjs then keeps (PRUNEKIT_WASM_GEMM_SWAP=off: never swap).
 */
import { allocF32, release, runWasmKernel, withShape, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';

export type GemmRoute = 'conv' | 'stock';

let route: GemmRoute = process.env.PRUNEKIT_WASM_GEMM === 'stock' ? 'stock' : 'conv';

/** Chooses how plain GEMMs run on wasm: 'conv' (threaded, default) or 'stock' (tfjs' single-threaded matmul). */
export function setWasmGemmRoute(r: GemmRoute): void {
  route = r;
}

export function wasmGemmRoute(): GemmRoute {
  return route;
}

let swapAllowed = process.env.PRUNEKIT_WASM_GEMM_SWAP !== 'off';

/** Allows (default) or forbids the swapped Cᵀ = Bᵀ·Aᵀ form for right operands seen for the first time. */
export function setWasmGemmSwap(on: boolean): void {
  swapAllowed = on;
}

/** Relative costs per element: filter re-layout + packing, and a SIMD-module transpose. */
const PACK_COST = 16;
const MOVE_COST = 1.5;

/** Whether Cᵀ = Bᵀ·Aᵀ (pack A, move A, B and C) is cheaper than packing B (exported for tests). */
export function swapPays(m: number, k: number, n: number): boolean {
  return PACK_COST * k * n > PACK_COST * m * k + MOVE_COST * (k * n + m * k + m * n);
}

/** Right operands (tensor data ids) already used as a filter: tfjs-wasm holds their packed operator. */
const seenRight = new WeakSet<object>();

const CLAMP: Record<string, [number, number]> = { linear: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6] };

function swappedGemm(backend: WasmBackend, a3: TensorInfo, b3: TensorInfo, rows: number, k: number, n: number, bias: TensorInfo | undefined, activation: string): TensorInfo | undefined {
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const bT = allocF32(backend, [1, 1, n, k]);
  const aT = allocF32(backend, [1, 1, k, rows]);
  const temps: TensorInfo[] = [bT, aT];
  try {
    simd.transpose2d(heapPtr(backend, b3), heapPtr(backend, bT), k, n);
    simd.transpose2d(heapPtr(backend, a3), heapPtr(backend, aT), rows, k);
    const cT = runWasmKernel(backend, 'Conv2D', { x: bT, filter: aT }, { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined });
    temps.push(cT);
    const c = allocF32(backend, [rows, n]);
    simd.transpose2d(heapPtr(backend, cT), heapPtr(backend, c), n, rows);
    if (bias !== undefined || activation !== 'linear') {
      const [lo, hi] = CLAMP[activation];
      simd.biasClamp(heapPtr(backend, c), bias ? heapPtr(backend, bias) : 0, bias ? 1 : 0, rows, n, lo, hi);
    }
    return c;
  } finally {
    release(backend, ...temps);
  }
}

/** Activations XNNPACK applies as an output clamp in both FusedConv2D and _FusedMatMul. */
const CLAMP_ACTIVATIONS = new Set(['linear', 'relu', 'relu6']);

export interface GemmFusion {
  bias?: TensorInfo;
  activation?: string;
  preluActivationWeights?: TensorInfo;
}

/**
 * C = A·B (+ bias, activation) with A stored as [batchA, M, K] and B as [1, K, N] (float32, not transposed).
 * Returns C as [batchA, M, N], or undefined when the conv route does not apply.
 */
export function gemmViaConv(backend: WasmBackend, a3: TensorInfo, b3: TensorInfo, fusion?: GemmFusion): TensorInfo | undefined {
  if (route !== 'conv') return undefined;
  if (a3.shape.length !== 3 || b3.shape.length !== 3 || b3.shape[0] !== 1) return undefined;
  const [batch, m, k] = a3.shape;
  const [, kb, n] = b3.shape;
  if (k !== kb || batch * m === 0 || k === 0 || n === 0) return undefined;
  const activation = fusion?.activation ?? 'linear';
  const fusable = fusion === undefined || (CLAMP_ACTIVATIONS.has(activation) && fusion.preluActivationWeights === undefined);
  const bias = fusion?.bias;
  if (!fusable || (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n || bias.dtype !== 'float32'))) return undefined;
  if (swapAllowed && !seenRight.has(b3.dataId) && swapPays(batch * m, k, n)) {
    // first sight of this right operand: swapped, so that it is not packed; the next use goes direct
    seenRight.add(b3.dataId);
    const c = swappedGemm(backend, a3, b3, batch * m, k, n, bias, activation);
    if (c !== undefined) return withShape(c, [batch, m, n]);
  }
  seenRight.add(b3.dataId);
  const x = withShape(a3, [1, 1, batch * m, k]);
  const filter = withShape(b3, [1, 1, k, n]);
  const common = { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined };
  let out: TensorInfo;
  if (bias !== undefined || activation !== 'linear') {
    out = runWasmKernel(backend, 'FusedConv2D', bias ? { x, filter, bias } : { x, filter }, { ...common, activation, leakyreluAlpha: 0 });
  } else {
    out = runWasmKernel(backend, 'Conv2D', { x, filter }, common);
  }
  return withShape(out, [batch, m, n]);
}
