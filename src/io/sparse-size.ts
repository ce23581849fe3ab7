/**
 * Storage sizes of a model: dense float32, dense gzip, sparse (bitmask + non-zeros), sparse gzip, and the
 * weight bytes of quantized model folders (uint8 and its gzip, uint16, float16; see quantize.ts).
 */
import { gzipSync } from 'node:zlib';
import type * as tf from '@tensorflow/tfjs';
import { encodeSparsePayload } from './sparse.js';
import { quantizeWeightData } from './quantize.js';

export interface SizeReport {
  /** Σ weights × 4 bytes. */
  denseBytes: number;
  /** gzip (level 9) of the dense float32 weights. */
  denseGzipBytes: number;
  /** Sparse payload (header + bitmasks + non-zeros), uncompressed. */
  sparseBytes: number;
  /** gzip (level 9) of the sparse payload. */
  sparseGzipBytes: number;
  /** Weight bytes of the quantized folder formats (`--quantize`), and gzip of the uint8 weights. */
  quantized: { uint8: number; uint8Gzip: number; uint16: number; float16: number };
}

export function denseBytes(model: tf.LayersModel): number {
  return model.weights.reduce((a, v) => a + v.read().shape.reduce((x, y) => x * y, 1) * 4, 0);
}

export function sizeReport(model: tf.LayersModel): SizeReport {
  const dense = new Uint8Array(denseBytes(model));
  let off = 0;
  for (const v of model.weights) {
    const b = new Uint8Array((v.read().dataSync() as Float32Array).slice().buffer);
    dense.set(b, off);
    off += b.length;
  }
  const sparse = encodeSparsePayload(model);
  const specs = model.weights.map((v) => ({ name: v.originalName, shape: v.shape as number[], dtype: 'float32' as const }));
  const q8 = quantizeWeightData(specs, dense, 'uint8').data;
  return {
    denseBytes: dense.length,
    denseGzipBytes: gzipSync(dense, { level: 9 }).length,
    sparseBytes: sparse.length,
    sparseGzipBytes: gzipSync(sparse, { level: 9 }).length,
    quantized: { uint8: q8.length, uint8Gzip: gzipSync(q8, { level: 9 }).length, uint16: dense.length / 2, float16: dense.length / 2 },
  };
}
