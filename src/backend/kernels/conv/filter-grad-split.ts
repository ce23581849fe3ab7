/**
 * Conv2DBackpropFilter on the threaded wasm build as a blocked split-K GEMM over the pixels, shared between the
 * calling thread and the GEMM helper thread (simd/gemm-helper.ts):
 *
 *   dW[t, co] = Σ_blk dW_blk[t, co],   dW_blk = Σ_{p ∈ blk} Pᵀ[t, p] · dy[p, co]   (t = (ky·kw + kx)·ci + c, HWIO)
 *
 * A block is `blockImages` images (patches of about BLOCK_FLOATS values, so that a block's Pᵀ and dy stay in
 * cache; fewer, larger blocks where the K×co partials of all blocks would pass PARTIALS_FLOATS). Each thread
 * claims blocks from an atomic counter, gathers the block's transposed patches into its own scratch and
 * computes the block's partial into the block's own slot (simd/filter-grad-blocks.ts); the partials
 * are then summed in block order, so the result is the same whichever thread took which block, and whether the
 * helper ran at all (a helper that has not woken up is never waited for: the calling thread takes every block).
 * Unlike filter-grad-gemm.ts (one XNNPACK GEMM per chunk, patch gathering and dy packing on the calling thread
 * only), the gathering runs on both threads and nothing is packed (gemm.wat reads Pᵀ and dy in place).
 * Per-layer A/B: `npm run bench:filter-grad-split` (numbers in README, "Faster wasm training").
 *
 * Used on the threaded build (shared memory, helper thread with update.wat) with stride-1 dilations and
 * co % 4 == 0 (gemm.wat's N), K·co ≤ PARTIALS_FLOATS / MIN_BLOCKS, on the 'gemm' filter-gradient route; PRUNEKIT_WASM_FILTER_GRAD_SPLIT=off (or setFilterGradSplit(false)) turns it off.
 * PRUNEKIT_WASM_FILTER_GRAD_SPLIT=all also runs the blocks on the single-threaded build (calling thread only; for
 * measurements). Returns undefined when it does not apply (the caller keeps filter-grad-gemm.ts).
 */
import { FG, filterGradBlocks } from '../simd/filter-grad-blocks.js';
import { heapPtr, simdKernels, wasmMemory } from '../simd/instance.js';
import { gemmHelperEnabled, gemmKernelOf } from '../simd/small-gemm.js';
import { filterGradRoute, SMALL_K } from './filter-grad-gemm.js';
import type { ConvGeometry } from './geometry.js';
import { allocF32, release, viewF32, type Info, type WasmBackend } from './wasm-heap.js';

/** Patch values per block (1 MiB of Pᵀ); at least one image per block. */
export const BLOCK_FLOATS = 1 << 18;

/** Most partial-sum values (all blocks' K×co partials together, 16 MiB): wide layers get fewer, larger blocks. */
export const PARTIALS_FLOATS = 1 << 22;

/**
 * Fewest blocks the partials budget must allow: wider layers (K·co > PARTIALS_FLOATS / MIN_BLOCKS, VGG's 4×4 and 2×2
 * 256/512-channel layers) keep XNNPACK, which was as fast or faster there (0.93–1.01×, 2 Dec 2026): their GEMMs
 * are wide outputs over few pixels, where XNNPACK's packed tiles win and there is little gathering to share.
 */
export const MIN_BLOCKS = 4;

let enabled = process.env.PRUNEKIT_WASM_FILTER_GRAD_SPLIT !== 'off';
/** Also on the single-threaded build (blocks on the calling thread only); for measurements: off by default. */
let singleThreaded = process.env.PRUNEKIT_WASM_FILTER_GRAD_SPLIT === 'all';
let blockFloats = BLOCK_FLOATS;
/** Blocks the helper computed in the last call (tests, benchmarks). */
export let lastHelperBlocks = 0;
/** Filter gradients computed by this route so far (tests). */
export let splitCalls = 0;

/** Turns the split route on or off (and sets the patch values per block: tests use tiny blocks). */
export function setFilterGradSplit(on: boolean, floatsPerBlock = BLOCK_FLOATS, alsoSingleThreaded = false): void {
  enabled = on;
  blockFloats = floatsPerBlock;
  singleThreaded = alsoSingleThreaded;
}

/** Images per block for a geometry (exported for tests). */
export function blockImages(g: ConvGeometry, floatsPerBlock = BLOCK_FLOATS): number {
  const perImage = g.kH * g.kW * g.inC * g.outH * g.outW;
  const maxBlocks = Math.max(2, Math.floor(PARTIALS_FLOATS / (g.kH * g.kW * g.inC * g.outC)));
  const nb = Math.max(1, Math.min(g.batch, Math.floor(floatsPerBlock / Math.max(1, perImage))));
  return Math.max(nb, Math.min(g.batch, Math.ceil(g.batch / maxBlocks)));
}

export function splitFilterGrad(backend: WasmBackend, x: Info, dy: Info, g: ConvGeometry): Info | undefined {
  if (!enabled || filterGradRoute() !== 'gemm' || g.dH !== 1 || g.dW !== 1 || g.outC % 4 !== 0) return undefined;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const simd = simdKernels(backend);
  if (simd === undefined) return undefined;
  const gk = gemmKernelOf(backend);
  const memory = wasmMemory(backend);
  if (gk === undefined || memory === undefined) return undefined;
  if ((gk.helper === undefined || !gk.helper.hasSimd) && !singleThreaded) return undefined;
  const K = g.kH * g.kW * g.inC;
  const co = g.outC;
  if (K * co * MIN_BLOCKS > PARTIALS_FLOATS) return undefined;
  const nb = blockImages(g, blockFloats);
  const nBlocks = Math.ceil(g.batch / nb);
  const smallK = K <= SMALL_K && co % 16 === 0;
  const temps: Info[] = [];
  try {
    const scratch = (n: number): number => {
      const t = allocF32(backend, [n]);
      temps.push(t);
      return heapPtr(backend, t);
    };
    // every allocation before the job starts (the heap does not grow while the helper runs)
    const partials = scratch(nBlocks * K * co);
    const counters = scratch(48); // block counter, then one gemm unit counter per thread, 64 bytes apart
    const perThread = [0, 1].map((who) => [scratch(g.inC * nb * g.inH * g.inW), scratch(K * nb * g.outH * g.outW), counters + 64 * (who + 1)]);
    const dW = allocF32(backend, [g.kH, g.kW, g.inC, co]);
    const args = new Int32Array(FG.COUNT);
    args.set([heapPtr(backend, x), heapPtr(backend, dy), partials, counters, g.inC, g.inH, g.inW, g.kH, g.kW, g.sH, g.sW,
      g.padTop, g.padLeft, g.outH, g.outW, co, nb, g.batch, smallK ? 1 : 0, ...perThread.flat()]);
    new Int32Array(viewF32(backend, temps[1]).buffer, counters, 48).fill(0);
    if (gk.helper?.hasSimd && gemmHelperEnabled()) lastHelperBlocks = gk.helper.runFilterGrad(gk.kernel, simd, args);
    else lastHelperBlocks = (filterGradBlocks(gk.kernel, simd, memory, args, 0), 0);
    // fixed summation order: block 0, then 1, 2, …
    const out = heapPtr(backend, dW);
    simd.copyF32(out, partials, K * co);
    for (let b = 1; b < nBlocks; b++) simd.addTo(out, partials + 4 * b * K * co, K * co);
    splitCalls++;
    return dW;
  } finally {
    release(backend, ...temps);
  }
}
