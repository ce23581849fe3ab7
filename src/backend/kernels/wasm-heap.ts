/**
 * Thin helpers for writing kernels on the tfjs wasm backend (pinned 4.22.0): run another registered
 * wasm kernel on raw TensorInfos, allocate / view / release heap buffers, reshape without copying.
 * Nothing here goes through the engine, so every TensorInfo a helper returns must be released with
 * `release` (or returned as a kernel output).
 *
 * Heap views are only valid until the next allocation (the wasm memory may grow and detach them):
 * take them right before a JS loop and do not allocate while holding them.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBackend = BackendWasm;
export type TensorInfo = tf.TensorInfo;
export type Info = tf.TensorInfo;

/** The kernel's backend as the wasm backend, or a clear error when a kernel runs elsewhere. */
export function asWasm(backend: unknown): WasmBackend {
  const b = backend as Partial<WasmBackend>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error('prunekit wasm kernels: expected the tfjs wasm backend (BackendWasm 4.22.0 API)');
  }
  return b as WasmBackend;
}

/** Runs the wasm kernel currently registered under `kernelName` (looked up per call). */
export function runWasmKernel(backend: WasmBackend, kernelName: string, inputs: Record<string, Info>, attrs: Record<string, unknown>): Info {
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config) {
    throw new Error(`prunekit wasm kernels: wasm kernel '${kernelName}' is not registered; import '@tensorflow/tfjs-backend-wasm' first`);
  }
  const out = config.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend });
  if (Array.isArray(out)) throw new Error(`prunekit wasm kernels: '${kernelName}' returned several outputs, expected one`);
  return out;
}

/** Allocates an uninitialised float32 buffer on the wasm heap. */
export function allocF32(backend: WasmBackend, shape: number[]): Info {
  return backend.makeOutput(shape, 'float32');
}

/** A Float32Array view of a float32 TensorInfo's heap memory (valid until the next allocation). */
export function viewF32(backend: WasmBackend, info: Info): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`prunekit wasm kernels: expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Releases TensorInfos produced by a helper (one reference each). */
export function release(backend: WasmBackend, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Same data, different shape (no copy, no new reference: release only one of the two). */
export function withShape(info: Info, shape: number[]): Info {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Same data, different shape, with its own reference (like the wasm Reshape kernel): release both. */
export function reshapeInfo(backend: WasmBackend, x: Info, shape: number[]): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** Transposes through the wasm Transpose kernel. */
export function transpose(backend: WasmBackend, x: Info, perm: number[]): Info {
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
