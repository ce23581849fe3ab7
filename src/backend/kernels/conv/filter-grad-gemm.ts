/**
 * Conv2DBackpropFilter on wasm as one threaded GEMM per chunk of images:
 *
 *   dW[t, co] = Σ_p Pᵀ[t, p] · dy[p, co],   t = (ky·kw + kx)·ci + c (HWIO order),  p = (b·oh + oy)·ow + ox,
 *   Pᵀ[t, p] = x[b, oy·sH + ky − pT, ox·sW + kx − pL, c]  (0 in the padding).
 *
 * The transposed patches Pᵀ are gathered by prunekit's SIMD module (simd/update.wat: `transpose2d` turns the
 * chunk of x into planes [ci, nb, H, W], then `im2colT` copies shifted rows), so no tfjs-wasm Transpose
 * runs (its narrow transposes are slow). Each chunk's GEMM is the threaded 1×1-conv GEMM of
 * misc/gemm-conv.ts (A = Pᵀ [K, R], B = the chunk of dy [R, co]; with K < co the transposed product
 * dWᵀ = dyᵀ·P, so that the narrower operand is the one XNNPACK packs); chunk results are summed in place. Chunks
 * hold about CHUNK_FLOATS patch values, so that memory stays bounded and XNNPACK's packed dy panel stays in
 * cache. First layers (K ≤ SMALL_K taps, co % 16 == 0: e.g. 3×3 over 1 or 3 input channels) skip XNNPACK: their
 * GEMM is tall and thin (a K×co result over ~10⁵ pixels), for which XNNPACK would pack a whole operand and
 * run few, long tiles; the SIMD module's `gemmSmallK` accumulates dW[t, :] += Pᵀ[t, p]·dy[p, :] straight
 * from the patches and dy, sixteen output channels in registers over blocks of 256 pixels.
 * Returns undefined (the caller keeps its conv-formulated kernel) without the SIMD module, with the
 * stock GEMM route (PRUNEKIT_WASM_GEMM=stock), with dilations, or with PRUNEKIT_WASM_FILTER_GRAD=conv.
 */
import { gemmViaConv } from '../misc/gemm-conv.js';
import { heapPtr, simdKernels } from '../simd/instance.js';
import type { ConvGeometry } from './geometry.js';
import { allocF32, release, viewF32, withShape, type Info, type WasmBackend } from './wasm-heap.js';

/** Filter taps K = kh·kw·ci up to which the SIMD `gemmSmallK` replaces the XNNPACK GEMM (co % 16 == 0). */
export const SMALL_K = 32;

/** Patch values gathered per chunk (4 MiB); at least one image per chunk. */
export const CHUNK_FLOATS = 1 << 20;

export type FilterGradRoute = 'gemm' | 'conv';

let route: FilterGradRoute = process.env.PRUNEKIT_WASM_FILTER_GRAD === 'conv' ? 'conv' : 'gemm';
let chunkLimit = CHUNK_FLOATS;

/**
 * Chooses the filter-gradient formulation on wasm: 'gemm' (default, this file) or 'conv' (the older one),
 * and optionally the patch values per chunk (tests use tiny chunks to exercise the accumulation).
 */
export function setFilterGradRoute(r: FilterGradRoute, chunkFloats = CHUNK_FLOATS): void {
  route = r;
  chunkLimit = chunkFloats;
}

/** The current filter-gradient formulation (setFilterGradRoute / PRUNEKIT_WASM_FILTER_GRAD). */
export function filterGradRoute(): FilterGradRoute {
  return route;
}

/** Images per chunk for a geometry (exported for tests). */
export function imagesPerChunk(g: ConvGeometry, chunkFloats = CHUNK_FLOATS): number {
  const perImage = g.kH * g.kW * g.inC * g.outH * g.outW;
  return Math.max(1, Math.min(g.batch, Math.floor(chunkFloats / Math.max(1, perImage))));
}

export function gemmFilterGrad(backend: WasmBackend, x: Info, dy: Info, g: ConvGeometry, chunkFloats = chunkLimit): Info | undefined {
  if (route !== 'gemm' || g.dH !== 1 || g.dW !== 1) return undefined;
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const K = g.kH * g.kW * g.inC;
  const co = g.outC;
  const inPix = g.inH * g.inW;
  const outPix = g.outH * g.outW;
  const nb = imagesPerChunk(g, chunkFloats);
  // XNNPACK packs the GEMM's right operand (here a fresh tensor every call, ~R·cols elements): pack the
  // narrower of dy [R, co] and P [R, K], i.e. with K < co (few input channels) compute dWᵀ = dyᵀ·P.
  const smallK = K <= SMALL_K && co % 16 === 0;
  const transposed = !smallK && K < co;
  const acc = allocF32(backend, transposed ? [co, K] : [K, co]);
  viewF32(backend, acc).fill(0);
  for (let b0 = 0; b0 < g.batch; b0 += nb) {
    const cur = Math.min(nb, g.batch - b0);
    const R = cur * outPix;
    const temps: Info[] = [];
    try {
      const planes = allocF32(backend, [g.inC, cur * inPix]);
      temps.push(planes);
      const patchesT = allocF32(backend, [1, K, R]);
      temps.push(patchesT);
      // planes [ci, cur, H, W] of the chunk, then its transposed patches (heap offsets stay valid as it grows)
      simd.transpose2d(heapPtr(backend, x) + 4 * b0 * inPix * g.inC, heapPtr(backend, planes), cur * inPix, g.inC);
      simd.im2colT(heapPtr(backend, planes), heapPtr(backend, patchesT), g.inC, cur, g.inH, g.inW, g.kH, g.kW, g.sH, g.sW, g.padTop, g.padLeft, g.outH, g.outW);
      if (smallK) {
        simd.gemmSmallK(heapPtr(backend, patchesT), heapPtr(backend, dy) + 4 * b0 * outPix * co, heapPtr(backend, acc), K, R, co);
        continue;
      }
      const dyPart = allocF32(backend, transposed ? [1, co, R] : [1, R, co]);
      temps.push(dyPart);
      const patches = transposed ? allocF32(backend, [1, R, K]) : patchesT;
      if (transposed) temps.push(patches);
      const dySrc = heapPtr(backend, dy) + 4 * b0 * outPix * co;
      // a fresh dy tensor per chunk: tfjs-wasm caches XNNPACK operators (with their packed weights) per filter tensor
      if (transposed) {
        simd.transpose2d(heapPtr(backend, patchesT), heapPtr(backend, patches), K, R);
        simd.transpose2d(dySrc, heapPtr(backend, dyPart), R, co);
      } else simd.copyF32(heapPtr(backend, dyPart), dySrc, R * co);
      const prod = transposed ? gemmViaConv(backend, dyPart, patches) : gemmViaConv(backend, patchesT, dyPart);
      if (prod === undefined) throw new Error('prunekit wasm Conv2DBackpropFilter: internal error, the GEMM route is off');
      temps.push(prod);
      simd.addTo(heapPtr(backend, acc), heapPtr(backend, prod), K * co);
    } catch (e) {
      release(backend, acc);
      throw e;
    } finally {
      release(backend, ...temps);
    }
  }
  if (!transposed) return withShape(acc, [g.kH, g.kW, g.inC, co]);
  const dW = allocF32(backend, [g.kH, g.kW, g.inC, co]);
  simd.transpose2d(heapPtr(backend, acc), heapPtr(backend, dW), co, K);
  release(backend, acc);
  return dW;
}
