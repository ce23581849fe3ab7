/**
 * Compute-backend choice for prunekit.
 *
 * Order for `auto`: `tensorflow` (tfjs-node, when the user has installed it) → `wasm` with prunekit's
 * training kernels → `cpu`. Overridable with `initBackend({ backend })`, the CLI flag `--backend`, or
 * the environment variable `PRUNEKIT_BACKEND`; thread count with `--threads` / `PRUNEKIT_THREADS`.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './kernels/index.js';
import { prepareWasmThreads } from './threads.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

export interface BackendOptions {
  /** Which backend to use; default: env PRUNEKIT_BACKEND, else 'auto'. */
  backend?: BackendChoice;
  /** wasm threads (1 or 2 on these machines); default: env PRUNEKIT_THREADS, else all usable cores. */
  threads?: number;
  /** Print the chosen backend to stderr (default true). */
  log?: boolean;
}

export interface BackendInfo {
  name: BackendName;
  threads: number;
  /** Why this backend (and thread count) was chosen; printed at start. */
  detail: string;
}

let current: BackendInfo | undefined;

const VALID: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function parseBackendChoice(value: string | undefined, source: string): BackendChoice | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.toLowerCase() === 'node' ? 'tensorflow' : value.toLowerCase();
  if (!(VALID as readonly string[]).includes(v)) {
    throw new Error(`${source}: unknown backend '${value}'; use one of ${VALID.join(', ')} (or 'node' for tensorflow)`);
  }
  return v as BackendChoice;
}

export function parseThreads(value: string | number | undefined, source: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${source}: threads must be a positive integer, got '${value}'`);
  return n;
}

async function tryTfjsNode(): Promise<boolean> {
  try {
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return tf.findBackend('tensorflow') !== null || tf.engine().registryFactory['tensorflow'] !== undefined;
  } catch {
    return false;
  }
}

async function useWasm(threads: number | undefined): Promise<BackendInfo> {
  const t = await prepareWasmThreads(threads);
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('the wasm backend failed to initialise');
  await tf.ready();
  return { name: 'wasm', threads: t.threads, detail: t.detail };
}

/** Chooses and initialises the backend; idempotent for the same choice. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const choice = opts.backend ?? parseBackendChoice(process.env.PRUNEKIT_BACKEND, 'PRUNEKIT_BACKEND') ?? 'auto';
  const threads = opts.threads ?? parseThreads(process.env.PRUNEKIT_THREADS, 'PRUNEKIT_THREADS');
  if (current && (choice === 'auto' || choice === current.name) && (threads === undefined || threads === current.threads)) {
    return current;
  }
  let info: BackendInfo;
  if (choice === 'tensorflow' || choice === 'auto') {
    if (await tryTfjsNode()) {
      await tf.setBackend('tensorflow');
      await tf.ready();
      info = { name: 'tensorflow', threads: 0, detail: '@tensorflow/tfjs-node (native TensorFlow)' };
    } else if (choice === 'tensorflow') {
      throw new Error(
        "backend 'tensorflow' requested but @tensorflow/tfjs-node is not installed; install it (npm i @tensorflow/tfjs-node) or use --backend wasm",
      );
    } else {
      info = await useWasm(threads);
    }
  } else if (choice === 'wasm') {
    info = await useWasm(threads);
  } else {
    await tf.setBackend('cpu');
    await tf.ready();
    info = { name: 'cpu', threads: 1, detail: 'pure-JS cpu backend (slow; for reference)' };
  }
  current = info;
  if (opts.log ?? true) process.stderr.write(`prunekit: backend ${info.name}${info.name === 'wasm' ? ` (${info.threads} thread${info.threads === 1 ? '' : 's'})` : ''} — ${info.detail}\n`);
  return info;
}

export function currentBackend(): BackendInfo | undefined {
  return current;
}
