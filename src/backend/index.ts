/**
 * Compute-backend choice for prunekit.
 *
 * Order for `auto`: `tensorflow` (tfjs-node, when the user has installed it; never required) → `native`
 * (libtorch kernels on the wasm heap, when the optional addon is built: ./native/) → `wasm` with prunekit's
 * training kernels (threaded, see ./threads.ts) → `cpu`. Precedence: `initBackend({ backend,
 * threads })` (the CLI passes its `--backend` / `--threads` flags here) → the environment variables
 * `PRUNEKIT_BACKEND` / `PRUNEKIT_THREADS` → `auto` and all usable cores. The choice is printed to stderr.
 * `webgpu` (./webgpu.ts: tfjs-backend-webgpu on Dawn, optional packages) is used only when asked for;
 * when no adapter can be created it falls back to `auto` and prints why.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './kernels/index.js';
import { MAX_WASM_THREADS, defaultThreadCount, parseWasmPool, prepareWasmThreads, type WasmPool } from './threads.js';
import { enableNativeKernels } from './native/index.js';
import { prepareWebGpu } from './webgpu.js';

export type BackendName = 'tensorflow' | 'native' | 'wasm' | 'cpu' | 'webgpu';
export type BackendChoice = BackendName | 'auto';

export interface BackendOptions {
  /** Which backend to use; default: env PRUNEKIT_BACKEND, else 'auto'. */
  backend?: BackendChoice;
  /** wasm threads; default: env PRUNEKIT_THREADS, else all usable cores (2 on these machines). */
  threads?: number;
  /**
   * wasm only: who gets the threads beyond the caller — 'xnnpack' (default: XNNPACK's pool) or 'helper'
   * (XNNPACK single-threaded, prunekit's helper thread the only second thread; for Dense-only models; see
   * ./threads.ts). Default: env PRUNEKIT_WASM_POOL, else 'xnnpack'.
   */
  wasmPool?: WasmPool;
  /** Print the chosen backend to stderr (default true). */
  log?: boolean;
}

export interface BackendInfo {
  name: BackendName;
  /** Compute threads: XNNPACK pool size for wasm, 1 for cpu, 0 (= TensorFlow's own choice) for tensorflow. */
  threads: number;
  /** Why this backend (and thread count) was chosen; printed at start. */
  detail: string;
}

let current: BackendInfo | undefined;

const VALID: readonly BackendChoice[] = ['auto', 'tensorflow', 'native', 'wasm', 'cpu', 'webgpu'];

/** Parses a backend name ('node' is accepted for 'tensorflow'); `source` names the flag/variable in errors. */
export function parseBackendChoice(value: string | undefined, source: string): BackendChoice | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const lower = value.trim().toLowerCase();
  const v = lower === 'node' ? 'tensorflow' : lower;
  if (!(VALID as readonly string[]).includes(v)) {
    throw new Error(`${source}: unknown backend '${value}'; use one of ${VALID.join(', ')} (or 'node' for tensorflow)`);
  }
  return v as BackendChoice;
}

/** Parses a thread count (a positive integer up to MAX_WASM_THREADS); `source` names the flag/variable in errors. */
export function parseThreads(value: string | number | undefined, source: string): number | undefined {
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`${source}: threads must be an integer from 1 to ${MAX_WASM_THREADS}, got '${value}'`);
  }
  return n;
}

async function tryTfjsNode(): Promise<boolean> {
  try {
    const name = '@tensorflow/tfjs-node'; // a variable, so that bundlers and tsc do not require it
    await import(name);
    return tf.engine().registryFactory['tensorflow'] !== undefined;
  } catch {
    return false;
  }
}

async function useWasm(threads: number | undefined, pool: WasmPool): Promise<BackendInfo> {
  const plan = await prepareWasmThreads(threads, pool);
  registerWasmTrainingKernels();
  let ok = await tf.setBackend('wasm');
  let setup = plan.finish(ok);
  if (!ok && plan.threaded) {
    // the factory stays registered: a second attempt re-initialises with the single-threaded build
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    ok = await tf.setBackend('wasm');
    setup = { threads: 1, detail: 'XNNPACK SIMD, single thread (the threaded build failed to initialise)' };
  }
  if (!ok) throw new Error('the wasm backend failed to initialise (see the warnings above); try --backend cpu');
  await tf.ready();
  return { name: 'wasm', threads: setup.threads, detail: setup.detail };
}

/**
 * libtorch kernels on the wasm heap: `threads` sizes libtorch/OpenMP/OpenBLAS; the wasm backend itself
 * runs single-threaded (no pthread pool spinning next to OpenMP). `{ reason }` when the addon is absent.
 */
async function useNative(threads: number | undefined): Promise<BackendInfo | { reason: string }> {
  const n = threads ?? defaultThreadCount();
  await import('@tensorflow/tfjs-backend-wasm'); // its kernels are the fallbacks the native ones wrap
  registerWasmTrainingKernels();
  const setup = enableNativeKernels(n);
  if (!setup.ok) return { reason: setup.reason };
  const plan = await prepareWasmThreads(1);
  const ok = await tf.setBackend('wasm');
  plan.finish(ok);
  if (!ok) throw new Error('the wasm backend (which hosts the native kernels) failed to initialise; try --backend cpu');
  await tf.ready();
  return { name: 'native', threads: setup.threads, detail: setup.detail };
}

async function useCpu(detail: string): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  await tf.ready();
  return { name: 'cpu', threads: 1, detail };
}

function describe(info: BackendInfo): string {
  const threads = info.name === 'wasm' || info.name === 'native' ? ` (${info.threads} thread${info.threads === 1 ? '' : 's'})` : '';
  return `prunekit: backend ${info.name}${threads} — ${info.detail}\n`;
}

/**
 * Chooses and initialises the backend. Calling it again with the same (or no) choice returns the
 * current backend; the wasm thread count is fixed by the first wasm initialisation in a process.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const choice =
    parseBackendChoice(opts.backend, 'backend option') ??
    parseBackendChoice(process.env.PRUNEKIT_BACKEND, 'PRUNEKIT_BACKEND') ??
    'auto';
  const threads =
    parseThreads(opts.threads, 'threads option') ?? parseThreads(process.env.PRUNEKIT_THREADS, 'PRUNEKIT_THREADS');
  const pool = opts.wasmPool ?? parseWasmPool(process.env.PRUNEKIT_WASM_POOL, 'PRUNEKIT_WASM_POOL') ?? 'xnnpack';
  if (current && tf.getBackend() === current.name && (choice === 'auto' || choice === current.name)) {
    if (threads === undefined || threads === current.threads || current.name !== 'wasm') return current;
  }
  let info: BackendInfo;
  let fallbackNote = '';
  if (choice === 'webgpu') {
    const gpu = await prepareWebGpu();
    if (gpu.ok && (await tf.setBackend('webgpu'))) {
      await tf.ready();
      current = { name: 'webgpu', threads: 0, detail: `${gpu.detail}; only asynchronous reads` };
      if (opts.log ?? true) process.stderr.write(describe(current));
      return current;
    }
    fallbackNote = `webgpu unavailable: ${gpu.ok ? 'the backend failed to initialise' : gpu.reason}; `;
  }
  if (choice === 'tensorflow' || (choice === 'auto' && (await tryTfjsNode()))) {
    if (choice === 'tensorflow' && !(await tryTfjsNode())) {
      throw new Error(
        "backend 'tensorflow' requested but @tensorflow/tfjs-node is not installed; install it (npm i @tensorflow/tfjs-node) or use --backend wasm",
      );
    }
    if (!(await tf.setBackend('tensorflow'))) throw new Error('@tensorflow/tfjs-node is installed but failed to initialise');
    await tf.ready();
    info = { name: 'tensorflow', threads: 0, detail: '@tensorflow/tfjs-node (native TensorFlow)' };
  } else if (choice === 'native') {
    const native = await useNative(threads);
    if ('reason' in native) throw new Error(`backend 'native' requested but ${native.reason}; or use --backend wasm`);
    info = native;
  } else if (choice === 'wasm') {
    info = await useWasm(threads, pool);
  } else if (choice === 'auto' || choice === 'webgpu') {
    const native = await useNative(threads);
    if (!('reason' in native)) {
      info = native;
    } else {
      try {
        info = await useWasm(threads, pool);
        info = { ...info, detail: `${info.detail}; not native: ${native.reason}` };
      } catch (e) {
        info = await useCpu(`pure-JS cpu backend, because wasm failed: ${(e as Error).message}`);
      }
    }
  } else {
    info = await useCpu('pure-JS cpu backend (slow; for reference)');
  }
  if (fallbackNote) info = { ...info, detail: fallbackNote + info.detail };
  current = info;
  if (opts.log ?? true) process.stderr.write(describe(info));
  return info;
}

/** The backend chosen by the last `initBackend`, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}
