/**
 * AvgPoolGrad on wasm in plain JS over the wasm heap. Same semantics as the cpu backend: every window
 * spreads dy / (filterHeight·filterWidth) over its in-bounds pixels (padding counts in the divisor).
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, viewF32, type TensorInfo } from '../wasm-heap.js';
import type { KernelFn } from './replace-kernel.js';

export const avgPoolGrad: KernelFn = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  if (input.shape.length !== 4) throw new Error(`AvgPoolGrad: expected a rank-4 NHWC input, got shape ${input.shape}`);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  const out = backend.makeOutput(input.shape.slice(), 'float32');
  const dx = viewF32(backend, out);
  const g = viewF32(backend, dy);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < OH; yr++) {
      const r0 = yr * info.strideHeight - info.padInfo.top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + info.effectiveFilterHeight);
      for (let yc = 0; yc < OW; yc++) {
        const c0 = yc * info.strideWidth - info.padInfo.left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + info.effectiveFilterWidth);
        const gBase = ((b * OH + yr) * OW + yc) * C;
        for (let r = rMin; r < rMax; r++) {
          for (let c = cMin; c < cMax; c++) {
            const base = ((b * H + r) * W + c) * C;
            for (let ch = 0; ch < C; ch++) dx[base + ch] += g[gBase + ch] * scale;
          }
        }
      }
    }
  }
  return out;
};
