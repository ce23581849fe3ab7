/**
 * MaxPoolGrad on wasm in plain JS over the wasm heap (stock: scalar loop in C++ over every dx pixel
 * and every window). Tie rule as the cpu backend: the first maximum in row-major window order
 * (strict `>`) receives the gradient; windows whose values are all -Infinity/NaN pass none.
 * Non-overlapping windows without padding (the usual 2×2/2 pool) take a faster path: each input pixel
 * is written once (0 or the gradient), with no per-window scratch arrays; the 2×2/2 pool runs in prunekit's
 * SIMD module (`maxPoolGrad2x2` in simd/update.wat: four channels per vector, the winner chosen by compare
 * masks, the last c mod 4 channels in a scalar loop), unless PRUNEKIT_WASM_SIMD=off.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, viewF32, type TensorInfo } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';
import type { KernelFn } from './replace-kernel.js';

type PoolAttrs = { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };

function geometry(input: TensorInfo, a: PoolAttrs) {
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const tiled = fh === info.strideHeight && fw === info.strideWidth && info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight * fh <= info.inHeight && info.outWidth * fw <= info.inWidth;
  return { info, fh, fw, tiled, simd: tiled && fh === 2 && fw === 2 };
}

/**
 * Whether this kernel takes the SIMD path for these inputs (2×2/2 pool, no padding, SIMD module loaded). The native provider keeps this path where it applies: vgg-small's three pools (batch 128, 28×28)
 * took 4.1–4.2 ms here against 8.3–9.6 ms in ATen (bench/profile-step.ts --backend native, alternated, 2 Dec 2026).
 */
export function maxPoolGradSimdApplies(backend: unknown, input: TensorInfo, attrs: unknown): boolean {
  return input.shape.length === 4 && input.dtype === 'float32' && geometry(input, attrs as PoolAttrs).simd && simdKernels(asWasm(backend)) !== undefined;
}

export const maxPoolGrad: KernelFn = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  if (input.shape.length !== 4) throw new Error(`MaxPoolGrad: expected a rank-4 NHWC input, got shape ${input.shape}`);
  const g0 = geometry(input, attrs as unknown as PoolAttrs);
  const { info, fh, fw, tiled } = g0;
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const out = backend.makeOutput(input.shape.slice(), 'float32');
  const simd = g0.simd ? simdKernels(backend) : undefined;
  if (simd !== undefined) {
    // pixels right of / below the last window get no gradient
    if (OH * 2 < H || OW * 2 < W) viewF32(backend, out).fill(0);
    simd.maxPoolGrad2x2(heapPtr(backend, input), heapPtr(backend, dy), heapPtr(backend, out), batchSize, H, W, C, OH, OW);
    return out;
  }
  const dx = viewF32(backend, out);
  const x = viewF32(backend, input);
  const g = viewF32(backend, dy);
  if (tiled) {
    tiledMaxPoolGrad(dx, x, g, batchSize, H, W, C, OH, OW, fh, fw);
    return out;
  }
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

/** Windows fh×fw at stride (fh, fw), no padding: every input pixel lies in at most one window. */
function tiledMaxPoolGrad(dx: Float32Array, x: Float32Array, g: Float32Array, batch: number, H: number, W: number, C: number, OH: number, OW: number, fh: number, fw: number): void {
  // pixels right of / below the last window get no gradient
  if (OH * fh < H || OW * fw < W) dx.fill(0);
  const rowStride = W * C;
  for (let b = 0; b < batch; b++) {
    for (let yr = 0; yr < OH; yr++) {
      for (let yc = 0; yc < OW; yc++) {
        const p0 = ((b * H + yr * fh) * W + yc * fw) * C;
        const gBase = ((b * OH + yr) * OW + yc) * C;
        if (fh === 2 && fw === 2) {
          const p1 = p0 + C;
          const p2 = p0 + rowStride;
          const p3 = p2 + C;
          for (let ch = 0; ch < C; ch++) {
            const v0 = x[p0 + ch];
            const v1 = x[p1 + ch];
            const v2 = x[p2 + ch];
            const v3 = x[p3 + ch];
            let best = -Infinity;
            let k = -1;
            if (v0 > best) { best = v0; k = 0; }
            if (v1 > best) { best = v1; k = 1; }
            if (v2 > best) { best = v2; k = 2; }
            if (v3 > best) k = 3;
            const gv = g[gBase + ch];
            dx[p0 + ch] = k === 0 ? gv : 0;
            dx[p1 + ch] = k === 1 ? gv : 0;
            dx[p2 + ch] = k === 2 ? gv : 0;
            dx[p3 + ch] = k === 3 ? gv : 0;
          }
          continue;
        }
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity;
          let pos = -1;
          for (let r = 0; r < fh; r++) {
            for (let c = 0; c < fw; c++) {
              const p = p0 + r * rowStride + c * C + ch;
              const v = x[p];
              if (v > best) {
                best = v;
                pos = p;
              }
              dx[p] = 0;
            }
          }
          if (pos >= 0) dx[pos] = g[gBase + ch];
        }
      }
    }
  }
}
