/**
 * Seeded image augmentations on plain NHWC Float32Array batches (CIFAR-style: random crop
 * with zero padding, then random horizontal flip). Plain loops, no tensors.
 *
 * Semantics, per image: conceptually pad the image with `pad` zeros on every side, take the
 * H×W window whose top-left corner is (dy, dx) with dy, dx uniform in [0, 2·pad], then, when
 * `flip` is set, mirror the window left↔right. So output pixel (i, j) is the padded pixel
 * (i + dy, jj + dx) with jj = flip ? W−1−j : j, i.e. source pixel (i + dy − pad, jj + dx − pad)
 * of the original image, or 0 outside it.
 */
import { randInt, type Rng } from '../util/random.js';

export interface CropFlipParams {
  /** Per-image vertical window offset in [0, 2·pad]. */
  dy: Int32Array;
  /** Per-image horizontal window offset in [0, 2·pad]. */
  dx: Int32Array;
  /** Per-image 1 = mirror horizontally, 0 = keep. */
  flip: Uint8Array;
}

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Draws crop offsets and flips for `n` images. Draw order per image: dy, dx, flip (so a given
 * rng state gives the same parameters everywhere).
 */
export function drawCropFlipParams(n: number, pad: number, rng: Rng, flip = true): CropFlipParams {
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`drawCropFlipParams: pad must be an integer >= 0, got ${pad}`);
  const p: CropFlipParams = { dy: new Int32Array(n), dx: new Int32Array(n), flip: new Uint8Array(n) };
  for (let k = 0; k < n; k++) {
    p.dy[k] = randInt(rng, 2 * pad + 1);
    p.dx[k] = randInt(rng, 2 * pad + 1);
    p.flip[k] = flip && rng() < 0.5 ? 1 : 0;
  }
  return p;
}

/**
 * Writes the augmented images of `src` into `dst` (same length, must not alias `src`).
 * `params` must hold one entry per image.
 */
export function applyCropFlip(
  src: Float32Array,
  dst: Float32Array,
  shape: ImageShape,
  pad: number,
  params: CropFlipParams,
): void {
  const { height: H, width: W, channels: C } = shape;
  const img = H * W * C;
  if (src.length % img !== 0) throw new Error(`applyCropFlip: data length ${src.length} is not a multiple of H·W·C = ${img}`);
  if (dst.length !== src.length) throw new Error(`applyCropFlip: dst length ${dst.length} differs from src length ${src.length}`);
  if (dst === src || (dst.buffer === src.buffer && rangesOverlap(src, dst))) {
    throw new Error('applyCropFlip: dst must not alias src; allocate a separate output array');
  }
  const n = src.length / img;
  if (params.dy.length < n || params.dx.length < n || params.flip.length < n) {
    throw new Error(`applyCropFlip: params hold ${params.dy.length} images, data holds ${n}`);
  }
  const rowLen = W * C;
  for (let k = 0; k < n; k++) {
    const base = k * img;
    const oy = params.dy[k] - pad;
    const ox = params.dx[k] - pad;
    const flipped = params.flip[k] === 1;
    for (let i = 0; i < H; i++) {
      const si = i + oy;
      const dRow = base + i * rowLen;
      if (si < 0 || si >= H) {
        dst.fill(0, dRow, dRow + rowLen);
        continue;
      }
      const sRow = base + si * rowLen;
      for (let j = 0; j < W; j++) {
        const sj = (flipped ? W - 1 - j : j) + ox;
        const d = dRow + j * C;
        if (sj < 0 || sj >= W) {
          for (let c = 0; c < C; c++) dst[d + c] = 0;
        } else {
          const s = sRow + sj * C;
          for (let c = 0; c < C; c++) dst[d + c] = src[s + c];
        }
      }
    }
  }
}

/** Random crop (zero padding `pad`, default 4) + random horizontal flip; returns a new array. */
export function randomCropFlip(src: Float32Array, shape: ImageShape, rng: Rng, pad = 4): Float32Array {
  const n = src.length / (shape.height * shape.width * shape.channels);
  const params = drawCropFlipParams(n, pad, rng);
  const dst = new Float32Array(src.length);
  applyCropFlip(src, dst, shape, pad, params);
  return dst;
}

function rangesOverlap(a: Float32Array, b: Float32Array): boolean {
  const a0 = a.byteOffset;
  const a1 = a0 + a.byteLength;
  const b0 = b.byteOffset;
  const b1 = b0 + b.byteLength;
  return a0 < b1 && b0 < a1;
}
