/**
 * prunekit's SIMD module (src/backend/kernels/simd/update.wat) function by function against naive loops, on
 * its own (non-shared) memory: the 4×4-block transpose with every rows/cols remainder, bias + clamp with a
 * ragged last vector and NaN, the 2×2 max-pool gradient (ties to the first maximum, −∞ and NaN windows), and
 * the small-K Aᵀ·B product used for first-layer filter gradients, and the blocked column / batch-norm sums.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIMD_MODULE_PLAIN } from '../../src/backend/kernels/simd/module.generated.js';
import type { SimdKernels } from '../../src/backend/kernels/simd/instance.js';
import { seededValues } from '../helpers/backends.js';

const memory = new WebAssembly.Memory({ initial: 256 });
const simd = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(SIMD_MODULE_PLAIN, 'base64')), { env: { memory } }).exports as unknown as SimdKernels;

/** Bump allocator over the test memory: byte offsets of float arrays (16-byte aligned). */
function place(arrays: Float32Array[]): number[] {
  let at = 64;
  const heap = new Float32Array(memory.buffer);
  return arrays.map((a) => {
    const p = at;
    heap.set(a, p / 4);
    at += Math.ceil((a.length * 4) / 16) * 16 + 16;
    return p;
  });
}
const read = (p: number, n: number): Float32Array => new Float32Array(memory.buffer, p, n).slice();

test('transpose2d: 4×4 blocks plus every row/column remainder', () => {
  for (const [rows, cols] of [[1, 1], [4, 4], [5, 7], [16, 33], [37, 20], [60, 500], [3, 64], [64, 3]]) {
    const src = seededValues(rows * cols, rows + 100 * cols);
    const [ps, pd] = place([src, new Float32Array(rows * cols).fill(NaN)]);
    simd.transpose2d(ps, pd, rows, cols);
    const got = read(pd, rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(got[c * rows + r], src[r * cols + c], `[${rows}, ${cols}] at (${r}, ${c})`);
  }
});

test('biasClamp: vector body and scalar tail, with and without bias, NaN stays NaN', () => {
  for (const [rows, cols] of [[3, 8], [2, 7], [5, 1]]) {
    const c = seededValues(rows * cols, cols);
    c[0] = NaN;
    const bias = seededValues(cols, 99);
    for (const hasBias of [0, 1]) {
      const [pc, pb] = place([c, bias]);
      simd.biasClamp(pc, pb, hasBias, rows, cols, 0, 0.5);
      const got = read(pc, rows * cols);
      for (let i = 0; i < rows * cols; i++) {
        const want = Math.min(Math.max(c[i] + (hasBias ? bias[i % cols] : 0), 0), 0.5);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(got[i]), `NaN at ${i}`);
        else assert.ok(Math.abs(got[i] - Math.fround(want)) <= 1e-7, `[${rows}, ${cols}] bias ${hasBias} at ${i}: ${got[i]} vs ${want}`);
      }
    }
  }
});

test('maxPoolGrad2x2: first maximum wins ties, −∞ / NaN windows pass nothing, odd edges untouched', () => {
  const [nb, h, w, c] = [2, 5, 7, 8];
  const [oh, ow] = [2, 3];
  const x = seededValues(nb * h * w * c, 5).map((v) => Math.round(v * 3) / 3); // many ties
  x.fill(-Infinity, 0, c); // pixel (0,0,0) all −∞
  x[c + 1] = -Infinity; // window (0,0,0) channel 1: −∞ except others
  for (const k of [2, 3]) for (const p of [0, 1, w, w + 1]) x[p * c + k] = k === 2 ? 7 : NaN; // channel 2: 4-way tie; 3: all NaN
  const dy = seededValues(nb * oh * ow * c, 6);
  const [px, pg, pd] = place([x, dy, new Float32Array(x.length).fill(123)]);
  simd.maxPoolGrad2x2(px, pg, pd, nb, h, w, c, oh, ow);
  const got = read(pd, x.length);
  const want = new Float32Array(x.length).fill(123);
  for (let b = 0; b < nb; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let k = 0; k < c; k++) {
    const pix = [0, 1, w, w + 1].map((d) => ((b * h + 2 * oy) * w + 2 * ox + d) * c + k);
    let best = -Infinity;
    let win = -1;
    for (const p of pix) if (x[p] > best) [best, win] = [x[p], p];
    for (const p of pix) want[p] = p === win ? dy[((b * oh + oy) * ow + ox) * c + k] : 0;
  }
  assert.deepEqual(Array.from(got), Array.from(want));
});

test('gemmSmallK: out += Aᵀ-style product over pixel blocks (ragged last block, several column groups)', () => {
  for (const [K, R, N] of [[9, 700, 32], [27, 300, 64], [1, 1, 16]]) {
    const a = seededValues(K * R, K);
    const b = seededValues(R * N, N);
    const init = seededValues(K * N, 3);
    const [pa, pb, po] = place([a, b, init]);
    simd.gemmSmallK(pa, pb, po, K, R, N);
    const got = read(po, K * N);
    for (let t = 0; t < K; t++) for (let j = 0; j < N; j++) {
      let s = init[t * N + j];
      for (let p = 0; p < R; p++) s += a[t * R + p] * b[p * N + j];
      assert.ok(Math.abs(got[t * N + j] - s) <= 1e-4 * (1 + Math.abs(s)), `[${K}, ${R}, ${N}] at (${t}, ${j}): ${got[t * N + j]} vs ${s}`);
    }
  }
});

test('colSums / bnSums / bnGradSums: 32-row f32 blocks (ragged last block) added to f64 sums match naive float64 sums', () => {
  for (const [rows, c] of [[70, 12], [5, 4], [64, 8]]) {
    const x = seededValues(rows * c, rows);
    const dy = seededValues(rows * c, rows + 1);
    const mean = seededValues(c, 7);
    const init = Float64Array.from({ length: c }, (_, k) => k / 3);
    const f64 = (a: Float64Array): Float32Array => new Float32Array(a.buffer);
    const [px, pdy, pm, s1, s2] = place([x, dy, mean, f64(init), f64(init)]);
    const sums = (p: number): Float64Array => new Float64Array(memory.buffer, p, c).slice();
    const want = (f: (r: number, k: number) => number): number[] => init.map((v, k) => { let s = v; for (let r = 0; r < rows; r++) s += f(r, k); return s; }) as unknown as number[];
    const close = (got: Float64Array, exp: number[], what: string): void => exp.forEach((e, k) => assert.ok(Math.abs(got[k] - e) <= 1e-5 * (1 + Math.abs(e)), `${what} [${rows}, ${c}] channel ${k}: ${got[k]} vs ${e}`));
    simd.colSums(px, rows, c, s1);
    close(sums(s1), want((r, k) => x[r * c + k]), 'colSums');
    new Float64Array(memory.buffer, s1, c).set(init);
    simd.bnSums(px, rows, c, s1, s2);
    close(sums(s1), want((r, k) => x[r * c + k]), 'bnSums Σx');
    close(sums(s2), want((r, k) => x[r * c + k] ** 2), 'bnSums Σx²');
    new Float64Array(memory.buffer, s1, c).set(init);
    new Float64Array(memory.buffer, s2, c).set(init);
    simd.bnGradSums(px, pdy, pm, rows, c, s1, s2);
    close(sums(s1), want((r, k) => dy[r * c + k]), 'bnGradSums Σdy');
    close(sums(s2), want((r, k) => dy[r * c + k] * (x[r * c + k] - mean[k])), 'bnGradSums Σdy·(x − mean)');
  }
});
