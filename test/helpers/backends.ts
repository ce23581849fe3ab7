/**
 * Test helpers: run the same computation on the `cpu` reference backend and on `wasm`
 * (with prunekit's kernels registered) and compare.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/backend/kernels/index.js';

let wasmReady = false;

export async function ensureWasm(): Promise<void> {
  if (!wasmReady) {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    await tf.ready();
    wasmReady = true;
  }
}

/** Runs `fn` on the named backend and returns every output as a Float32Array copy. */
export async function runOn(
  backend: 'cpu' | 'wasm',
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<{ values: Float32Array[]; shapes: number[][] }> {
  if (backend === 'wasm') await ensureWasm();
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  const shapes = list.map((t) => t.shape.slice());
  tf.dispose(list);
  return { values, shapes };
}

/** max |a−b| / max(1, max|b|)-style relative error: max_i |a_i − b_i| / (max_i |b_i| + 1e-12). */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (den + 1e-12);
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
export function seededValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
