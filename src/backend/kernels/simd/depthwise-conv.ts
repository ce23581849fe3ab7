/**
 * prunekit's depthwise-convolution inference kernel on wasm (dwconv.wat, hand-written wasm SIMD on tfjs'
 * own heap): y = act(depthwiseConv2d(x, W) + b), NHWC, channel multiplier 1, any kh×kw, strides, 'same' /
 * 'valid' padding, no dilation, act ∈ linear / relu / relu6 — channels innermost in f32x4, no indirection
 * buffer (see the .wat header). Kernel name 'PrunekitDepthwiseConv2D' (wasm only), called by
 * `depthwiseConvInference`, which returns undefined (caller keeps tf.fused.depthwiseConv2d, i.e. XNNPACK)
 * when the backend is not wasm, the case is not covered, the SIMD module does not instantiate, or the mode
 * does not pick it: PRUNEKIT_WASM_DWCONV=auto (default: only when tfjs-wasm is single-threaded), on, off.
 * It runs on the calling thread (XNNPACK uses its thread pool); measured against XNNPACK at the MobileNet
 * shapes by `npm run bench:dwconv`.
 */
import * as tf from '@tensorflow/tfjs';
import { allocF32, asWasm, release, viewF32, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { DWCONV_MODULE_PLAIN, DWCONV_MODULE_SHARED } from './dwconv.generated.js';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { heapModule, heapPtr, isSharedMemory, wasmMemory, type HeapModuleSource } from './instance.js';

export const DEPTHWISE_CONV_INFERENCE = 'PrunekitDepthwiseConv2D';

interface DwconvExports {
  dwconv(x: number, w: number, bias: number, hasBias: number, y: number, h: number, wd: number, c: number,
    kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, oh: number, ow: number, lo: number, hi: number,
    zero: number, r0: number, r1: number): void;
}

const SOURCE: HeapModuleSource = { plain: DWCONV_MODULE_PLAIN, shared: DWCONV_MODULE_SHARED };

/** The activations the kernel fuses, as clamp bounds [lo, hi]. */
const CLAMPS: Record<string, [number, number]> = {
  linear: [-Infinity, Infinity],
  relu: [0, Infinity],
  relu6: [0, 6],
};

export type DwActivation = 'linear' | 'relu' | 'relu6';

export interface DwAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
  activation: DwActivation;
}

export type DwconvMode = 'auto' | 'on' | 'off';

/** PRUNEKIT_WASM_DWCONV: 'auto' (default), 'on' or 'off'; anything else is an error. */
export function dwconvMode(): DwconvMode {
  const v = process.env.PRUNEKIT_WASM_DWCONV ?? 'auto';
  if (v !== 'auto' && v !== 'on' && v !== 'off') throw new Error(`PRUNEKIT_WASM_DWCONV must be auto, on or off, got '${v}'`);
  return v;
}

/**
 * Whether `mode` picks this kernel on `backend`: 'on' always, 'off' never, 'auto' when XNNPACK runs
 * single-threaded (the single-threaded build, or the threaded one with the wasm pool 'helper'): there this kernel
 * beat XNNPACK's; with XNNPACK's thread pool XNNPACK was faster in whole-model runs (README, Deploy).
 */
export function dwconvPicked(backend: WasmBackend, mode: DwconvMode): boolean {
  if (mode !== 'auto') return mode === 'on';
  const memory = wasmMemory(backend);
  return memory !== undefined && (!isSharedMemory(memory) || getThreadsCount() === 1);
}

const kernel: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, filter, bias } = inputs as Record<string, TensorInfo | undefined> as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
  const a = attrs as unknown as DwAttrs;
  const mod = heapModule<DwconvExports>(backend, SOURCE);
  if (!mod) throw new Error(`${DEPTHWISE_CONV_INFERENCE}: the wasm SIMD module is unavailable (use depthwiseConvInference)`);
  const [nb, h, w, c] = x.shape;
  const [kh, kw, fc, mult] = filter.shape;
  if (x.shape.length !== 4 || filter.shape.length !== 4 || fc !== c || mult !== 1) {
    throw new Error(`${DEPTHWISE_CONV_INFERENCE}: expected x [n,h,w,c] and filter [kh,kw,c,1], got [${x.shape}] and [${filter.shape}]`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== c)) throw new Error(`${DEPTHWISE_CONV_INFERENCE}: bias must be [${c}], got [${bias.shape}]`);
  const clamp = Object.hasOwn(CLAMPS, a.activation) ? CLAMPS[a.activation] : undefined;
  if (!clamp) throw new Error(`${DEPTHWISE_CONV_INFERENCE}: unsupported activation '${a.activation}'`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, 1, a.pad, undefined, true);
  const y = backend.makeOutput([nb, info.outHeight, info.outWidth, c], 'float32');
  if (nb * info.outHeight * info.outWidth * c === 0) return y;
  const zero = allocF32(backend, [c]); // stands in for the taps outside the input
  try {
    viewF32(backend, zero).fill(0);
    const bp = bias ? heapPtr(backend, bias) : 0;
    const args = [heapPtr(backend, x), heapPtr(backend, filter), bp, bias ? 1 : 0, heapPtr(backend, y), h, w, c,
      kh, kw, a.strides[0], a.strides[1], info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth, clamp[0], clamp[1],
      heapPtr(backend, zero)] as const;
    mod.dwconv(...args, 0, nb * info.outHeight);
  } finally {
    release(backend, zero);
  }
  return y;
};

let registered = false;

/** Registers 'PrunekitDepthwiseConv2D' on wasm (idempotent). */
export function registerDepthwiseConvInference(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: DEPTHWISE_CONV_INFERENCE, backendName: 'wasm', kernelFunc: kernel });
}

export interface DwConvArgs {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  bias?: tf.Tensor;
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations: [number, number];
  activation: string;
}

/**
 * act(depthwiseConv2d(x, filter) + bias) with prunekit's wasm kernel, or undefined when it does not apply
 * (not wasm, not picked by `mode` — default PRUNEKIT_WASM_DWCONV, see `dwconvPicked` —, channel multiplier
 * ≠ 1, dilation, another activation, non-float32, SIMD unavailable).
 */
export function depthwiseConvInference(args: DwConvArgs, mode: DwconvMode = dwconvMode()): tf.Tensor4D | undefined {
  if (mode === 'off' || tf.getBackend() !== 'wasm') return undefined;
  const { x, filter, bias } = args;
  if (x.rank !== 4 || filter.rank !== 4 || filter.shape[3] !== 1 || filter.shape[2] !== x.shape[3]) return undefined;
  if (args.dilations[0] !== 1 || args.dilations[1] !== 1) return undefined;
  if (!Object.hasOwn(CLAMPS, args.activation) || (args.pad !== 'same' && args.pad !== 'valid')) return undefined;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias && (bias.dtype !== 'float32' || bias.rank !== 1))) return undefined;
  const backend = asWasm(tf.backend());
  if (!dwconvPicked(backend, mode) || !heapModule<DwconvExports>(backend, SOURCE)) return undefined;
  registerDepthwiseConvInference();
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  const attrs: DwAttrs = { strides: args.strides, pad: args.pad, activation: args.activation as DwActivation };
  return tf.engine().runKernel(DEPTHWISE_CONV_INFERENCE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
