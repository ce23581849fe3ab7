/**
 * MaxPoolGrad on wasm in plain JS over the wasm heap (stock: scalar loop in C++ over every dx pixel
 * and every window). Tie rule as the cpu backend: the first maximum in row-major window order
 * (strict `>`) receives the gradient; windows whose values are all -Infinity/NaN pass none.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, f32, type TensorInfo } from './wasm-heap.js';
import type { KernelFn } from './replace-kernel.js';

export const maxPoolGrad: KernelFn = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  if (input.shape.length !== 4) throw new Error(`MaxPoolGrad: expected a rank-4 NHWC input, got shape ${input.shape}`);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const out = backend.makeOutput(input.shape.slice(), 'float32');
  const dx = f32(backend, out);
  const x = f32(backend, input);
  const g = f32(backend, dy);
  dx.fill(0);
  const maxVal = new Float32Array(C);
  const maxPos = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < OH; yr++) {
      const r0 = yr * info.strideHeight - info.padInfo.top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + fh);
      for (let yc = 0; yc < OW; yc++) {
        const c0 = yc * info.strideWidth - info.padInfo.left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + fw);
        maxVal.fill(-Infinity);
        maxPos.fill(-1);
        for (let r = rMin; r < rMax; r++) {
          for (let c = cMin; c < cMax; c++) {
            const base = ((b * H + r) * W + c) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = x[base + ch];
              if (v > maxVal[ch]) {
                maxVal[ch] = v;
                maxPos[ch] = base;
              }
            }
          }
        }
        const gBase = ((b * OH + yr) * OW + yc) * C;
        for (let ch = 0; ch < C; ch++) {
          const p = maxPos[ch];
          if (p >= 0) dx[p + ch] += g[gBase + ch];
        }
      }
    }
  }
  return out;
};
