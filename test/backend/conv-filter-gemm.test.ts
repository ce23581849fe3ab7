/**
 * Conv2DBackpropFilter as transposed patches + threaded GEMM (src/backend/kernels/conv/filter-grad-gemm.ts)
 * against the cpu backend (both orientations of the product, and the SIMD small-K product of first layers): strides 1/2, same/valid/explicit pads, 1/3/5 kernels, one and several chunks
 * of images (accumulated), the split route's blocks (conv/filter-grad-split.ts, on the calling thread when single-
 * threaded), and the conv-formulated fallback; no tensor or heap buffer is left behind.
 * Two threads: test/backend/misc-threads.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { relError, runOn, seededValues } from '../helpers/backends.js';
import { simdKernels } from '../../src/backend/kernels/simd/instance.js';
import type { WasmBackend } from '../../src/backend/kernels/wasm-heap.js';
import { imagesPerChunk, setFilterGradRoute, CHUNK_FLOATS } from '../../src/backend/kernels/conv/filter-grad-gemm.js';
import { BLOCK_FLOATS, setFilterGradSplit, splitCalls } from '../../src/backend/kernels/conv/filter-grad-split.js';

type Pad = 'same' | 'valid' | number[][];
const CASES: Array<{ x: [number, number, number, number]; co: number; k: number; s: number; pad: Pad }> = [
  { x: [3, 9, 9, 5], co: 6, k: 3, s: 1, pad: 'same' },
  { x: [3, 9, 8, 5], co: 6, k: 3, s: 2, pad: 'same' },
  { x: [2, 10, 10, 4], co: 8, k: 3, s: 2, pad: 'valid' },
  { x: [2, 7, 9, 1], co: 3, k: 5, s: 1, pad: 'same' },
  { x: [4, 6, 6, 16], co: 12, k: 1, s: 1, pad: 'valid' },
  { x: [2, 8, 7, 3], co: 5, k: 3, s: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  // K = kh·kw·ci < co: the transposed product dWᵀ = dyᵀ·P
  { x: [2, 7, 9, 1], co: 12, k: 3, s: 1, pad: 'same' },
  { x: [3, 6, 6, 4], co: 12, k: 1, s: 2, pad: 'valid' },
  // K ≤ SMALL_K and co % 16 == 0: the SIMD module's gemmSmallK (first layers)
  { x: [2, 7, 9, 1], co: 16, k: 3, s: 1, pad: 'same' },
  { x: [3, 9, 8, 3], co: 32, k: 3, s: 2, pad: 'same' },
  { x: [2, 5, 6, 2], co: 16, k: 3, s: 1, pad: 'valid' },
];

function filterGrad(c: (typeof CASES)[number], seed: number): () => tf.Tensor {
  return () => {
    const x = tf.tensor4d(seededValues(c.x.reduce((p, q) => p * q, 1), seed), c.x);
    const filter: [number, number, number, number] = [c.k, c.k, c.x[3], c.co];
    const y = tf.conv2d(x, tf.zeros(filter) as tf.Tensor4D, c.s, c.pad as 'same');
    const dy = tf.tensor(seededValues(y.size, seed + 1), y.shape);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
}

async function checkAll(label: string): Promise<void> {
  let seed = 300;
  for (const c of CASES) {
    const ref = await runOn('cpu', filterGrad(c, seed));
    const got = await runOn('wasm', filterGrad(c, seed));
    assert.deepEqual(got.shapes[0], ref.shapes[0]);
    const e = relError(got.values[0], ref.values[0]);
    assert.ok(e < 1e-4, `${label} ${JSON.stringify(c)}: relative error ${e}`);
    seed += 10;
  }
}

function dataIds(): number {
  return tf.engine().backend.numDataIds();
}

test('filter gradient as GEMM matches cpu, one chunk and one image per chunk; no buffers left', async () => {
  try {
    await runOn('wasm', () => tf.scalar(0));
    assert.ok(simdKernels(tf.findBackend('wasm') as unknown as WasmBackend), 'the SIMD module (and so the GEMM route) is available');
    const before = dataIds();
    setFilterGradRoute('gemm');
    setFilterGradSplit(false);
    await checkAll('gemm, one chunk');
    setFilterGradRoute('gemm', 1); // every chunk holds one image: the per-chunk sums are accumulated
    await checkAll('gemm, chunk per image');
    // the split route's blocks on whatever build this process runs (calling thread only when single-threaded)
    setFilterGradRoute('gemm');
    const calls = splitCalls;
    setFilterGradSplit(true, BLOCK_FLOATS, true);
    await checkAll('split blocks');
    setFilterGradSplit(true, 1, true);
    await checkAll('split, one image per block');
    assert.ok(splitCalls > calls, 'the split route ran');
    setFilterGradSplit(false);
    setFilterGradRoute('conv');
    await checkAll('conv fallback');
    await tf.setBackend('wasm');
    assert.equal(dataIds(), before, 'heap buffers left on the wasm backend');
  } finally {
    setFilterGradRoute('gemm');
    setFilterGradSplit(true);
  }
});

test('images per chunk: bounded by the patch budget, at least one, at most the batch', () => {
  const g = { batch: 128, inH: 28, inW: 28, inC: 32, outH: 28, outW: 28, outC: 32, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, padTop: 1, padLeft: 1 };
  const nb = imagesPerChunk(g);
  assert.equal(nb, Math.floor(CHUNK_FLOATS / (9 * 32 * 28 * 28)));
  assert.ok(nb * 9 * 32 * 28 * 28 <= CHUNK_FLOATS);
  assert.equal(imagesPerChunk(g, 10), 1);
  assert.equal(imagesPerChunk({ ...g, batch: 2 }, 1 << 30), 2);
});
