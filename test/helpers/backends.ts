/**
 * Test helpers: run the same computation on the `cpu` reference backend and on `wasm`
 * (with prunekit's kernels registered) and compare.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { maxRelError } from '../../src/util/rel-error.js';
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

/** Relative error of `a` against the reference `b` (see src/util/rel-error.ts). */
export const relError = maxRelError;

/** Asserts that `fn` gives the same outputs (count, shapes, relative error < tol) on wasm as on cpu. */
export async function expectMatchesCpu(name: string, fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  assert.equal(got.values.length, ref.values.length, `${name}: number of outputs`);
  for (let i = 0; i < ref.values.length; i++) {
    assert.deepEqual(got.shapes[i], ref.shapes[i], `${name}: output ${i} shape`);
    const e = relError(got.values[i], ref.values[i]);
    assert.ok(e < tol, `${name}: output ${i} relative error ${e}`);
  }
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
