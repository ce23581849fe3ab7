/**
 * The per-thread loop of the split conv filter gradient (conv/filter-grad-split.ts), run by the calling thread
 * and by the GEMM helper thread (gemm-helper.ts, which embeds this function's source: keep it self-contained —
 * no imports, closures or nested functions used inside).
 *
 *   dW = Σ_blocks dW_blk,   dW_blk[t, co] = Σ_{p ∈ blk} Pᵀ[t, p] · dy[p, co]   (blocked split-K over the pixels)
 *
 * Blocks are runs of `blockImages` images, claimed one at a time from an atomic counter on the heap; the thread
 * that claims a block gathers its transposed patches into its own scratch (update.wat: `transpose2d` then
 * `im2colT`) and writes the block's partial dW_blk to the block's own slot (gemm.wat `gemmUnits` on a private
 * unit counter; `gemmSmallK` for first layers). The caller sums the slots in block order afterwards, so the
 * result does not depend on which thread took which block.
 */

/** The exports of gemm.wat and update.wat this loop calls. */
export interface BlockKernels {
  gemmUnits(a: number, b: number, c: number, m: number, k: number, n: number, ctr: number): number;
}
export interface BlockSimd {
  transpose2d(src: number, dst: number, rows: number, cols: number): void;
  im2colT(src: number, dst: number, c: number, nb: number, h: number, w: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, oh: number, ow: number): void;
  gemmSmallK(a: number, b: number, out: number, k: number, r: number, n: number): void;
}

/** Slots of the argument block (Int32 values). */
export const FG = {
  X: 0, DY: 1, PARTIALS: 2, CLAIM: 3, CI: 4, H: 5, W: 6, KH: 7, KW: 8, SH: 9, SW: 10, PT: 11, PL: 12,
  OH: 13, OW: 14, CO: 15, BLOCK_IMAGES: 16, BATCH: 17, SMALL_K: 18,
  /** per thread `who`: planes, patches, gemm unit counter at THREAD + 3·who + 0, 1, 2 */
  THREAD: 19,
  COUNT: 25,
} as const;

/** Runs blocks until none is left; returns how many this thread computed. `a` holds the FG slots. */
export function filterGradBlocks(gemm: BlockKernels, simd: BlockSimd, memory: WebAssembly.Memory, a: Int32Array, who: number): number {
  const x = a[0], dy = a[1], partials = a[2], ci = a[4], h = a[5], w = a[6], kh = a[7], kw = a[8];
  const sh = a[9], sw = a[10], pt = a[11], pl = a[12], oh = a[13], ow = a[14], co = a[15], nb = a[16], batch = a[17];
  const smallK = a[18] !== 0;
  const planes = a[19 + 3 * who], patches = a[20 + 3 * who], gctr = a[21 + 3 * who];
  const K = kh * kw * ci;
  const claim = new Int32Array(memory.buffer, a[3], 1);
  const units = new Int32Array(memory.buffer, gctr, 1);
  let done = 0;
  for (;;) {
    const blk = Atomics.add(claim, 0, 1);
    const b0 = blk * nb;
    if (b0 >= batch) break;
    const cur = Math.min(nb, batch - b0);
    const R = cur * oh * ow;
    const out = partials + 4 * blk * K * co;
    const dyBlk = dy + 4 * b0 * oh * ow * co;
    simd.transpose2d(x + 4 * b0 * h * w * ci, planes, cur * h * w, ci);
    simd.im2colT(planes, patches, ci, cur, h, w, kh, kw, sh, sw, pt, pl, oh, ow);
    if (smallK) {
      new Float32Array(memory.buffer, out, K * co).fill(0);
      simd.gemmSmallK(patches, dyBlk, out, K, R, co);
    } else {
      units[0] = 0;
      gemm.gemmUnits(patches, dyBlk, out, K, R, co, gctr);
    }
    done++;
  }
  return done;
}
