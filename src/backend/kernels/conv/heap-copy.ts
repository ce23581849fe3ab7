/**
 * Plain-JS copies between NHWC buffers on the wasm heap (strided scatter, cropping). Operates on views;
 * the caller takes the views right before calling, with no allocation in between.
 */

export interface ScatterSpec {
  batch: number;
  channels: number;
  /** Source spatial size and the window [cropH, cropH+countH) × [cropW, cropW+countW) to read. */
  srcH: number;
  srcW: number;
  cropH: number;
  cropW: number;
  countH: number;
  countW: number;
  /** Destination spatial size; source (m, mx) goes to (firstH + strideH·m, firstW + strideW·mx). */
  dstH: number;
  dstW: number;
  firstH: number;
  firstW: number;
  strideH: number;
  strideW: number;
}

/** dst[b, firstH + sH·m, firstW + sW·mx, :] = src[b, cropH + m, cropW + mx, :]. */
export function scatterStrided(dst: Float32Array, src: Float32Array, s: ScatterSpec): void {
  const C = s.channels;
  for (let b = 0; b < s.batch; b++) {
    for (let m = 0; m < s.countH; m++) {
      const srcRow = ((b * s.srcH + s.cropH + m) * s.srcW + s.cropW) * C;
      const dstRow = ((b * s.dstH + s.firstH + s.strideH * m) * s.dstW + s.firstW) * C;
      if (s.strideW === 1) {
        dst.set(src.subarray(srcRow, srcRow + s.countW * C), dstRow);
        continue;
      }
      const dstStep = s.strideW * C;
      if (C >= 16) {
        for (let mx = 0; mx < s.countW; mx++) {
          const so = srcRow + mx * C;
          dst.set(src.subarray(so, so + C), dstRow + mx * dstStep);
        }
      } else {
        for (let mx = 0; mx < s.countW; mx++) {
          const so = srcRow + mx * C;
          const d = dstRow + mx * dstStep;
          for (let c = 0; c < C; c++) dst[d + c] = src[so + c];
        }
      }
    }
  }
}
