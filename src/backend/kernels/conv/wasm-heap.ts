/**
 * Thin helpers for writing kernels on the wasm backend: run another registered wasm kernel on raw
 * TensorInfos, allocate/view/release heap buffers. Nothing here goes through the engine, so every
 * TensorInfo a helper returns must be released with `release` (or returned as a kernel output).
 *
 * Heap views are only valid until the next allocation (the wasm memory may grow and detach them):
 * take them right before a JS loop and do not allocate while holding them.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBackend = BackendWasm;
export type Info = tf.TensorInfo;

/** Runs the wasm kernel currently registered under `kernelName` (looked up per call). */
export function runWasmKernel(
  backend: WasmBackend,
  kernelName: string,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown>,
): Info {
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config) {
    throw new Error(`prunekit conv kernels: wasm kernel '${kernelName}' is not registered; import '@tensorflow/tfjs-backend-wasm' first`);
  }
  const out = config.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend });
  if (Array.isArray(out)) throw new Error(`prunekit conv kernels: '${kernelName}' returned several outputs, expected one`);
  return out;
}

/** Allocates an uninitialised float32 buffer on the wasm heap. */
export function allocF32(backend: WasmBackend, shape: number[]): Info {
  return backend.makeOutput(shape, 'float32');
}

/** A Float32Array view of a float32 TensorInfo's heap memory (valid until the next allocation). */
export function viewF32(backend: WasmBackend, info: Info): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`prunekit conv kernels: expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Releases a TensorInfo produced by a helper (one reference). */
export function release(backend: WasmBackend, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Same data, different shape (no copy, no new reference: release only one of the two). */
export function withShape(info: Info, shape: number[]): Info {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Transposes through the wasm Transpose kernel. */
export function transpose(backend: WasmBackend, x: Info, perm: number[]): Info {
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

export interface ExplicitConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  /** [top, bottom, left, right], non-negative. */
  pads: [number, number, number, number];
}

/** NHWC (dilated, strided) conv through the wasm (XNNPACK) Conv2D kernel with explicit pads. */
export function conv2dExplicit(backend: WasmBackend, x: Info, filter: Info, opts: ExplicitConvOptions): Info {
  return explicitConv(backend, 'Conv2D', x, filter, opts);
}

/** NHWC depthwise conv through the wasm (XNNPACK) DepthwiseConv2dNative kernel with explicit pads. */
export function depthwiseConv2dExplicit(backend: WasmBackend, x: Info, filter: Info, opts: ExplicitConvOptions): Info {
  return explicitConv(backend, 'DepthwiseConv2dNative', x, filter, opts);
}

function explicitConv(backend: WasmBackend, kernelName: 'Conv2D' | 'DepthwiseConv2dNative', x: Info, filter: Info, opts: ExplicitConvOptions): Info {
  const [top, bottom, left, right] = opts.pads;
  if (Math.min(top, bottom, left, right) < 0) {
    throw new Error(`prunekit conv kernels: internal error, negative pads ${opts.pads.join(',')} passed to ${kernelName}`);
  }
  const pad = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return runWasmKernel(backend, kernelName, { x, filter }, {
    strides: opts.strides ?? [1, 1],
    dilations: opts.dilations ?? [1, 1],
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  });
}
