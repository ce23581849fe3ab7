/**
 * The bridge between TF.js wasm tensors and the native addon: the heap (a Uint8Array over the wasm
 * module's memory, shared when threaded) and byte offsets of tensors in it. Take the heap AFTER the
 * outputs are allocated (an allocation may grow the memory and replace the buffer); the addon does not
 * allocate on the wasm heap, so the pointers stay valid during the call.
 */
import { asWasm, sizeOf, type TensorInfo, type WasmBackend } from '../kernels/wasm-heap.js';

export { asWasm, sizeOf, type TensorInfo, type WasmBackend };

export function heapOf(backend: WasmBackend): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

export function offsetOf(backend: WasmBackend, info: TensorInfo): number {
  return backend.getMemoryOffset(info.dataId);
}

/** True when every tensor is float32 and non-empty (the native kernels' domain). */
export function allFloat32(...infos: TensorInfo[]): boolean {
  return infos.every((t) => t.dtype === 'float32' && sizeOf(t.shape) > 0);
}

/**
 * Allocates the outputs, runs `fill(heap, offsets)`, and releases the outputs again if it throws
 * (so a failing native call leaks nothing).
 */
export function withOutputs(backend: WasmBackend, shapes: number[][], fill: (heap: Uint8Array, offsets: number[]) => void): TensorInfo[] {
  const outs = shapes.map((s) => backend.makeOutput(s, 'float32'));
  try {
    fill(heapOf(backend), outs.map((o) => offsetOf(backend, o)));
  } catch (e) {
    for (const o of outs) backend.disposeData(o.dataId);
    throw e;
  }
  return outs;
}

/** Activation codes of the addon (native/src/heap.cc); undefined = not supported natively (prelu). */
export function activationCode(name: unknown): number | undefined {
  switch (name ?? 'linear') {
    case 'linear':
      return 0;
    case 'relu':
      return 1;
    case 'relu6':
      return 2;
    case 'elu':
      return 3;
    case 'sigmoid':
      return 4;
    case 'leakyrelu':
      return 5;
    default:
      return undefined;
  }
}
