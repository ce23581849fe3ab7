/**
 * prunekit's wasm-SIMD module (update.wat, bytes in module.generated.ts) instantiated on the tfjs wasm
 * backend's own memory, so that its functions work on tensors in place (pointers = `memoryOffset`).
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

const instances = new WeakMap<object, SimdKernels | null>();

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function instantiate(memory: WebAssembly.Memory): SimdKernels | null {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  try {
    const module = new WebAssembly.Module(decodeBase64(shared ? SIMD_MODULE_SHARED : SIMD_MODULE_PLAIN));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return instance.exports as unknown as SimdKernels;
  } catch {
    return null;
  }
}

/** The SIMD kernels on this backend's heap, or undefined (see the file header). */
export function simdKernels(backend: WasmBackend): SimdKernels | undefined {
  if (process.env.PRUNEKIT_WASM_SIMD === 'off') return undefined;
  const mod = backend.wasm as unknown as EmscriptenModule;
  let k = instances.get(mod);
  if (k === undefined) {
    const memory = mod.wasmMemory ?? mod.asm?.memory;
    k = memory instanceof WebAssembly.Memory ? instantiate(memory) : null;
    instances.set(mod, k);
  }
  return k ?? undefined;
}

/** Byte offset of a tensor's data on the wasm heap. */
export function heapPtr(backend: WasmBackend, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
