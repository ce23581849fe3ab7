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
 */
import { runWasmKernel, withShape, type TensorInfo, type WasmBackend } from '../wasm-heap.js';

export type GemmRoute = 'conv' | 'stock';

let route: GemmRoute = process.env.PRUNEKIT_WASM_GEMM === 'stock' ? 'stock' : 'conv';

/** Chooses how plain GEMMs run on wasm: 'conv' (threaded, default) or 'stock' (tfjs' single-threaded matmul). */
export function setWasmGemmRoute(r: GemmRoute): void {
  route = r;
}

export function wasmGemmRoute(): GemmRoute {
  return route;
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
  const x = withShape(a3, [1, 1, batch * m, k]);
  const filter = withShape(b3, [1, 1, k, n]);
  const common = { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined };
  let out: TensorInfo;
  const activation = fusion?.activation ?? 'linear';
  if (fusion !== undefined && (fusion.bias !== undefined || activation !== 'linear')) {
    if (!CLAMP_ACTIVATIONS.has(activation) || fusion.preluActivationWeights !== undefined) return undefined;
    const bias = fusion.bias;
    if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n || bias.dtype !== 'float32')) return undefined;
    out = runWasmKernel(backend, 'FusedConv2D', bias ? { x, filter, bias } : { x, filter }, { ...common, activation, leakyreluAlpha: 0 });
  } else {
    out = runWasmKernel(backend, 'Conv2D', { x, filter }, common);
  }
  return withShape(out, [batch, m, n]);
}
