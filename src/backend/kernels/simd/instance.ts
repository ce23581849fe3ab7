/**
 * prunekit's hand-written wasm-SIMD modules instantiated on the tfjs wasm backend's own memory
 * (`heapModule`), so that their functions work on tensors in place (pointers = `memoryOffset`). Here also
 * the optimiser / batch-norm / GEMM-helper module (update.wat, bytes in module.generated.ts): `simdKernels`.
 * One instance per backend module; undefined when the engine lacks wasm SIMD, when the memory cannot be
 * found, or with `PRUNEKIT_WASM_SIMD=off` — callers then keep their plain-JS / op-by-op path.
 */
import { SIMD_MODULE_PLAIN, SIMD_MODULE_SHARED } from './module.generated.js';
import type { TensorInfo, WasmBackend } from '../wasm-heap.js';

export interface SimdKernels {
  adam(x: number, g: number, m: number, v: number, xo: number, mo: number, vo: number, n4: number,
    neglr: number, b1: number, omb1: number, b2: number, omb2: number, eps: number, r1: number, r2: number, wd: number): void;
  momentum(x: number, g: number, a: number, xo: number, ao: number, n4: number,
    neglr: number, mom: number, wd: number, k1: number, k2: number, storeA: number): void;
  bnSums(x: number, rows: number, c: number, sum: number, sumSq: number): void;
  bnApply(x: number, y: number, rows: number, c: number, scale: number, shift: number): void;
  bnGradSums(x: number, dy: number, mean: number, rows: number, c: number, sumDy: number, sumDyXc: number): void;
  bnGradApply(x: number, dy: number, dx: number, mean: number, a: number, bx: number, c0: number, rows: number, c: number): void;
  transpose2d(src: number, dst: number, rows: number, cols: number): void;
  im2colT(src: number, dst: number, c: number, nb: number, h: number, w: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, oh: number, ow: number): void;
  addTo(dst: number, src: number, n: number): void;
  copyF32(dst: number, src: number, n: number): void;
  colSums(x: number, rows: number, c: number, sum: number): void;
  biasClamp(c: number, bias: number, hasBias: number, rows: number, cols: number, lo: number, hi: number): void;
  col2im(src: number, dst: number, c: number, nb: number, h: number, w: number, kh: number, kw: number, pt: number, pl: number, oh: number, ow: number): void;
  reluGrad(dy: number, y: number, out: number, n: number): void;
  maxPoolGrad2x2(x: number, dy: number, dx: number, nb: number, h: number, w: number, c: number, oh: number, ow: number): void;
  gemmSmallK(a: number, b: number, out: number, k: number, r: number, n: number): void;
}

interface EmscriptenModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** A hand-written module's two assembled variants (scripts/build-simd.mjs). */
export interface HeapModuleSource {
  plain: string;
  shared: string;
}

const instances = new WeakMap<HeapModuleSource, WeakMap<object, object | null>>();

/** Whether `memory` is shared, i.e. tfjs-wasm runs its threaded build. */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The variant of `source` that imports `memory` as it is (shared or not), as bytes. */
function moduleBytes(source: HeapModuleSource, memory: WebAssembly.Memory): Uint8Array<ArrayBuffer> {
  return decodeBase64(isSharedMemory(memory) ? source.shared : source.plain);
}

/** The backend module's WebAssembly.Memory, or undefined when it cannot be found. */
export function wasmMemory(backend: WasmBackend): WebAssembly.Memory | undefined {
  const mod = backend.wasm as unknown as EmscriptenModule;
  const memory = mod.wasmMemory ?? mod.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

function instantiate(source: HeapModuleSource, memory: WebAssembly.Memory): object | null {
  try {
    const module = new WebAssembly.Module(moduleBytes(source, memory));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return instance.exports;
  } catch {
    return null;
  }
}

/**
 * The exports of `source` instantiated on this backend's heap (once per backend module and source), or
 * undefined when the engine lacks wasm SIMD or the memory cannot be found.
 */
export function heapModule<T>(backend: WasmBackend, source: HeapModuleSource): T | undefined {
  const mod = backend.wasm as unknown as EmscriptenModule;
  let perModule = instances.get(source);
  if (!perModule) instances.set(source, (perModule = new WeakMap()));
  let k = perModule.get(mod);
  if (k === undefined) {
    const memory = wasmMemory(backend);
    k = memory ? instantiate(source, memory) : null;
    perModule.set(mod, k);
  }
  return (k ?? undefined) as T | undefined;
}

/** update.wat's two variants (also compiled for the GEMM helper thread, small-gemm.ts). */
export const UPDATE_MODULE: HeapModuleSource = { plain: SIMD_MODULE_PLAIN, shared: SIMD_MODULE_SHARED };

/** The SIMD kernels on this backend's heap, or undefined (see the file header). */
export function simdKernels(backend: WasmBackend): SimdKernels | undefined {
  if (process.env.PRUNEKIT_WASM_SIMD === 'off') return undefined;
  return heapModule<SimdKernels>(backend, UPDATE_MODULE);
}

/** Byte offset of a tensor's data on the wasm heap. */
export function heapPtr(backend: WasmBackend, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
