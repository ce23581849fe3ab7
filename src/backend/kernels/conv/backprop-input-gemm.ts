/**
 * Conv2DBackpropInput of a stride-1 conv as one GEMM + col2im, for layers whose dy is much smaller than the filter
 * (late layers: few pixels, many channels):
 *
 *   Cᵀ[t, p] = Σ_o W[t, o] · dy[p, o]   (t = (ky·kw + kx)·ci + c, HWIO rows of W; p = output pixel),
 *   dx[b, oy + ky − pT, ox + kx − pL, c] += C[p, t].
 *
 * The phased formulation (backprop-input.ts) convolves dy with the flipped filter, a new tensor every step that
 * tfjs-wasm re-lays out and XNNPACK packs single-threaded (~10 ns per weight: 2.4M weights for a 3×3 512→512 layer).
 * Here the filter is the GEMM's left operand, read as is (kh·kw·ci "pixels" of co channels), and the packed right
 * operand is dyᵀ (P·co values); the SIMD module transposes dy and the product and scatters C (`col2im`).
 * Used when P·co < W's size / PACK_RATIO, stride 1, dilation 1, ci % 4 == 0, with the SIMD module and the threaded
 * GEMM route; `PRUNEKIT_WASM_INPUT_GRAD=phased` turns it off.
 */
import { heapPtr, simdKernels } from '../simd/instance.js';
import { wasmGemmRoute } from '../misc/gemm-conv.js';
import type { ConvGeometry } from './geometry.js';
import { allocF32, release, runWasmKernel, viewF32, withShape, type Info, type WasmBackend } from './wasm-heap.js';

/** dy must be this many times smaller than the filter for the GEMM route to pay (it moves ~2·9·P·ci floats more). */
export const PACK_RATIO = 2;

let enabled = process.env.PRUNEKIT_WASM_INPUT_GRAD !== 'phased';

/** Allows (default) or forbids the GEMM + col2im route (for comparisons and tests). */
export function setGemmInputGrad(on: boolean): void {
  enabled = on;
}

/** Whether a geometry takes the GEMM + col2im route (exported for tests). */
export function gemmInputGradApplies(g: ConvGeometry): boolean {
  if (g.sH !== 1 || g.sW !== 1 || g.dH !== 1 || g.dW !== 1 || g.inC % 4 !== 0) return false;
  const pixels = g.batch * g.outH * g.outW;
  return pixels * g.outC * PACK_RATIO < g.kH * g.kW * g.inC * g.outC;
}

/** dx [batch, inH, inW, ci], or undefined when the route does not apply. */
export function gemmBackpropInput(backend: WasmBackend, dy: Info, filter: Info, g: ConvGeometry): Info | undefined {
  if (!enabled || wasmGemmRoute() !== 'conv' || !gemmInputGradApplies(g)) return undefined;
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const P = g.batch * g.outH * g.outW;
  const T = g.kH * g.kW * g.inC;
  const temps: Info[] = [];
  try {
    const dyT = allocF32(backend, [1, 1, g.outC, P]);
    temps.push(dyT);
    simd.transpose2d(heapPtr(backend, dy), heapPtr(backend, dyT), P, g.outC);
    const common = { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const cT = runWasmKernel(backend, 'Conv2D', { x: withShape(filter, [1, 1, T, g.outC]), filter: dyT }, common);
    temps.push(cT);
    const c = allocF32(backend, [P, T]);
    temps.push(c);
    simd.transpose2d(heapPtr(backend, cT), heapPtr(backend, c), T, P);
    const dx = allocF32(backend, [g.batch, g.inH, g.inW, g.inC]);
    viewF32(backend, dx).fill(0);
    simd.col2im(heapPtr(backend, c), heapPtr(backend, dx), g.inC, g.batch, g.inH, g.inW, g.kH, g.kW, g.padTop, g.padLeft, g.outH, g.outW);
    return dx;
  } finally {
    release(backend, ...temps);
  }
}
