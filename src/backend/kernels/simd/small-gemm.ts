/**
 * prunekit's small-GEMM path on wasm: C = A·B (+ bias, relu / relu6 clamp) with gemm.wat's SIMD kernel, the
 * work split dynamically between the calling thread and one persistent helper thread (gemm-helper.ts).
 *
 * Why: tfjs-wasm runs plain GEMMs through XNNPACK (as 1×1 convolutions, gemm-conv.ts) on its pthreadpool, whose
 * caller waits at the end of every call until each pool thread has done its share, however late it woke. The
 * MLP's GEMMs are 0.3–1.5 ms each; on a host whose second core comes and goes within seconds, the MLP step with
 * 2 threads ran at 0.47–1.38× the 1-thread speed (README, wasm training). Here the main thread never waits for a
 * helper that has not started (it then computes every unit itself), and the helper waits on Atomics after ~10 µs
 * of spinning.
 *
 * Modes (PRUNEKIT_WASM_GEMM_SPLIT): 'auto' (default) — used when the GEMM is small (≤ MAX_MACS multiply-adds,
 * K ≤ MAX_K, ≥ MIN_UNITS work units: Dense layers, not the conv filter gradients), split with the helper on the
 * threaded build and alone on the single-threaded one (where it is also faster than XNNPACK: it never packs the
 * new weights of a training step; MLP step 14.5–15.6 vs 17.1–19.8 ms at 1 thread, forward equal); 'on' — every
 * applicable GEMM (tests); 'off' — never (XNNPACK). Float32 operands only (otherwise the caller keeps its route); N % 4 ≠ 0 goes through a
 * zero-padded copy of B. The result does not depend on the number of threads (gemm.wat: one summation order per
 * element).
 */
import v8 from 'node:v8';
import { allocF32, release, viewF32, withShape, type TensorInfo, type WasmBackend } from '../wasm-heap.js';
import { GEMM_MODULE_PLAIN, GEMM_MODULE_SHARED } from './gemm.generated.js';
import { GemmHelper, gemmUnitCount, type GemmExports } from './gemm-helper.js';
import { heapPtr, isSharedMemory, simdKernels, UPDATE_MODULE, wasmMemory, type HeapModuleSource } from './instance.js';

export type GemmSplitMode = 'auto' | 'on' | 'off';

const SOURCE: HeapModuleSource = { plain: GEMM_MODULE_PLAIN, shared: GEMM_MODULE_SHARED };

/** Largest GEMM (multiply-adds) the 'auto' mode takes; bigger ones scale well on XNNPACK's pool. */
export const MAX_MACS = 64e6;
/**
 * Longest inner dimension 'auto' takes: the kernel does not block K, so each 4-row unit streams its 64-column
 * panel of B (K·256 bytes) through the cache (conv filter gradients as GEMMs have K = batch·H·W in the 10⁵).
 */
export const MAX_K = 4096;
/** Fewest work units (4 rows × 64 columns) 'auto' takes: below, the two threads cannot share the work. */
export const MIN_UNITS = 8;

const CLAMP: Record<string, [number, number]> = { linear: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6] };

let modeOverride: GemmSplitMode | undefined;

/** PRUNEKIT_WASM_GEMM_SPLIT: 'auto' (default), 'on' or 'off'; anything else is an error. */
export function gemmSplitMode(): GemmSplitMode {
  if (modeOverride !== undefined) return modeOverride;
  const v = process.env.PRUNEKIT_WASM_GEMM_SPLIT ?? 'auto';
  if (v !== 'auto' && v !== 'on' && v !== 'off') throw new Error(`PRUNEKIT_WASM_GEMM_SPLIT must be auto, on or off, got '${v}'`);
  return v;
}

/** Overrides the environment's mode (undefined: back to PRUNEKIT_WASM_GEMM_SPLIT); for tests and benchmarks. */
export function setGemmSplitMode(mode: GemmSplitMode | undefined): void {
  modeOverride = mode;
}

interface PerBackend {
  kernel: GemmExports;
  /** heap address of the unit counter (one i32, 64-byte slot) */
  ctr: number;
  helper?: GemmHelper;
}

const state = new WeakMap<object, PerBackend | null>();

interface EmscriptenHeap {
  _malloc(bytes: number): number;
}

/**
 * The module compiled by V8's optimising tier right away (--no-liftoff while compiling): with lazy tier-up the
 * main thread's and the helper's instances reached the optimised code at different times (measured: the
 * helper's GEMM ~1.6× slower than the main thread's for the first hundreds of calls).
 */
function compileOptimised(memory: WebAssembly.Memory, source: HeapModuleSource): WebAssembly.Module | undefined {
  const bytes = Uint8Array.from(atob(isSharedMemory(memory) ? source.shared : source.plain), (ch) => ch.charCodeAt(0));
  v8.setFlagsFromString('--no-liftoff');
  try {
    return new WebAssembly.Module(bytes);
  } catch {
    return undefined;
  } finally {
    v8.setFlagsFromString('--liftoff');
  }
}

function setUp(backend: WasmBackend): PerBackend | undefined {
  const key = backend.wasm as unknown as object;
  let s = state.get(key);
  if (s === undefined) {
    const memory = wasmMemory(backend);
    const module = memory && compileOptimised(memory, SOURCE);
    s = null;
    if (memory && module) {
      const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
      const ctr = (backend.wasm as unknown as EmscriptenHeap)._malloc(64);
      // the helper also gets update.wat (patch gathering for the split filter gradient, conv/filter-grad-split.ts)
      const shared = isSharedMemory(memory);
      const simdModule = shared && process.env.PRUNEKIT_WASM_SIMD !== 'off' ? compileOptimised(memory, UPDATE_MODULE) : undefined;
      s = { kernel, ctr, helper: shared ? new GemmHelper(module, memory, simdModule) : undefined };
    }
    state.set(key, s);
  }
  return s ?? undefined;
}

/** This backend's GEMM kernel instance and helper thread (set up on first use); undefined without the module. */
export function gemmKernelOf(backend: WasmBackend): { kernel: GemmExports; helper?: GemmHelper } | undefined {
  return setUp(backend);
}

/** Whether the helper thread takes a share of the work (setGemmHelperEnabled). */
export function gemmHelperEnabled(): boolean {
  return helperEnabled;
}

/** The helper thread of this backend (undefined: single-threaded build or not started yet); for tests. */
export function gemmHelperOf(backend: WasmBackend): GemmHelper | undefined {
  return state.get(backend.wasm as unknown as object)?.helper;
}

/** Whether `mode` takes a GEMM of m×k×n on this backend (before the shape checks); exported for tests. */
export function wanted(backend: WasmBackend, mode: GemmSplitMode, m: number, k: number, n: number): boolean {
  if (mode === 'off') return false;
  if (mode === 'on') return true;
  const memory = wasmMemory(backend);
  const units = gemmUnitCount(m, n);
  return memory !== undefined && m * k * n <= MAX_MACS && k <= MAX_K && units >= MIN_UNITS;
}

let helperEnabled = process.env.PRUNEKIT_GEMM_HELPER !== 'off';

/** Turns the helper thread's share off (the kernel then runs on the calling thread only); for benchmarks. */
export function setGemmHelperEnabled(on: boolean): void {
  helperEnabled = on;
}

/** Copies the first `cols` columns of each of `rows` rows from src (row length ls) to dst (row length ld); zeroes the rest of dst's rows when `pad`. */
function copyColumns(src: Float32Array, ls: number, dst: Float32Array, ld: number, rows: number, cols: number, pad: boolean): void {
  for (let r = 0; r < rows; r++) {
    dst.set(src.subarray(r * ls, r * ls + cols), r * ld);
    if (pad) dst.fill(0, r * ld + cols, (r + 1) * ld);
  }
}

export interface SmallGemmFusion {
  bias?: TensorInfo;
  activation?: string;
  preluActivationWeights?: TensorInfo;
}

/**
 * C = A·B (+ bias, activation) with A stored as [batchA, M, K] and B as [1, K, N] (float32, not transposed).
 * Returns C as [batchA, M, N], or undefined when this path does not apply (the caller keeps its route).
 */
export function smallGemm(backend: WasmBackend, a3: TensorInfo, b3: TensorInfo, fusion?: SmallGemmFusion): TensorInfo | undefined {
  if (a3.shape.length !== 3 || b3.shape.length !== 3 || b3.shape[0] !== 1) return undefined;
  if (a3.dtype !== 'float32' || b3.dtype !== 'float32') return undefined;
  const [batch, m0, k] = a3.shape;
  const [, kb, n] = b3.shape;
  const m = batch * m0;
  if (k !== kb || m === 0 || k === 0 || n === 0) return undefined;
  if (!wanted(backend, gemmSplitMode(), m, k, n)) return undefined;
  const activation = fusion?.activation ?? 'linear';
  const bias = fusion?.bias;
  if (!Object.hasOwn(CLAMP, activation) || fusion?.preluActivationWeights !== undefined) return undefined;
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n || bias.dtype !== 'float32')) return undefined;
  const simd = simdKernels(backend);
  const s = setUp(backend);
  if (s === undefined || simd === undefined) return undefined;
  // the kernel needs N % 4 == 0: otherwise B is copied into N4 = N rounded up columns (zeros after N) and the
  // first N columns of the N4-wide result are copied out (K·N4 + M·N elements moved, against M·K·N multiply-adds)
  const n4 = (n + 3) & ~3;
  const c = allocF32(backend, [m, n]);
  const temps: TensorInfo[] = [];
  try {
    let b = b3;
    let cw = c;
    if (n4 !== n) {
      b = allocF32(backend, [k, n4]);
      cw = allocF32(backend, [m, n4]);
      temps.push(b, cw);
      copyColumns(viewF32(backend, b3), n, viewF32(backend, b), n4, k, n, true);
    }
    const [pa, pb, pc] = [heapPtr(backend, a3), heapPtr(backend, b), heapPtr(backend, cw)];
    new Int32Array(wasmMemory(backend)!.buffer, s.ctr, 1)[0] = 0;
    if (s.helper && helperEnabled) s.helper.run(s.kernel, pa, pb, pc, m, k, n4, s.ctr);
    else s.kernel.gemmUnits(pa, pb, pc, m, k, n4, s.ctr);
    if (cw !== c) copyColumns(viewF32(backend, cw), n4, viewF32(backend, c), n, m, n, false);
    if (bias !== undefined || activation !== 'linear') {
      const [lo, hi] = CLAMP[activation];
      simd.biasClamp(heapPtr(backend, c), bias ? heapPtr(backend, bias) : 0, bias ? 1 : 0, m, n, lo, hi);
    }
  } catch (e) {
    release(backend, c);
    throw e;
  } finally {
    release(backend, ...temps);
  }
  return withShape(c, [batch, m0, n]);
}
