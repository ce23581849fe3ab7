/**
 * Low-pass filtering of image batches in the 2-D Fourier domain (Variant B of the Fourier-guided
 * pruning, and the input-spectrum analysis view).
 *
 * X_r = Re( IDFT2( DFT2(X) ⊙ M_r ) ) per image and channel, where M_r is the circular mask of radius r
 * centred on the (fft-shifted) spectrum: a coefficient of signed frequencies (k_u, k_v) survives when
 * k_u² + k_v² ≤ r². The mask is symmetric under (k_u, k_v) → (−k_u, −k_v), so the filtered image of a
 * real image is real. r = 0 keeps only the DC term (every pixel becomes its channel's mean);
 * r ≥ maxRadius(H, W) (or Infinity) keeps everything (the identity).
 */
import * as tf from '@tensorflow/tfjs';
import { dft2d, idft2d, signedFrequency } from './fft.js';

/** The smallest radius whose mask keeps every coefficient of an H×W spectrum. */
export function maxRadius(h: number, w: number): number {
  return Math.hypot(Math.floor(h / 2), Math.floor(w / 2));
}

/** The 0/1 circular mask of radius r as H×W values in the natural (unshifted) spectrum layout. */
export function radiusMaskValues(h: number, w: number, radius: number): Float32Array {
  if (!(radius >= 0)) throw new Error(`low-pass radius must be ≥ 0 (or Infinity), got ${radius}`);
  const m = new Float32Array(h * w);
  const r2 = radius * radius;
  for (let u = 0; u < h; u++) {
    const ku = signedFrequency(u, h);
    for (let v = 0; v < w; v++) {
      const kv = signedFrequency(v, w);
      m[u * w + v] = ku * ku + kv * kv <= r2 + 1e-9 ? 1 : 0;
    }
  }
  return m;
}

/** Number of spectrum coefficients the radius-r mask keeps (of H·W). */
export function keptCoefficients(h: number, w: number, radius: number): number {
  return radiusMaskValues(h, w, radius).reduce((a, b) => a + b, 0);
}

/** Low-pass filters [B, H, W] maps with the radius-r circular mask. The caller owns the result. */
export function lowPassMaps(maps: tf.Tensor3D, radius: number): tf.Tensor3D {
  if (maps.rank !== 3) throw new Error(`lowPassMaps: expected maps of shape [B, H, W], got [${maps.shape.join(', ')}]`);
  const [, h, w] = maps.shape;
  if (radius >= maxRadius(h, w)) return tf.clone(maps);
  return tf.tidy(() => {
    const mask = tf.tensor2d(radiusMaskValues(h, w, radius), [h, w]);
    const spec = dft2d(maps);
    const back = idft2d(tf.mul(spec.re, mask) as tf.Tensor3D, tf.mul(spec.im, mask) as tf.Tensor3D);
    return back.re;
  });
}

/** Low-pass filters an NHWC image batch per channel. The caller owns the result. */
export function lowPassImages(x: tf.Tensor4D, radius: number): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`lowPassImages: expected NHWC images [N, H, W, C], got [${x.shape.join(', ')}]`);
  const [n, h, w, c] = x.shape;
  if (radius >= maxRadius(h, w)) return tf.clone(x);
  return tf.tidy(() => {
    const maps = c === 1 ? tf.reshape(x, [n, h, w]) : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w]);
    const f = lowPassMaps(maps as tf.Tensor3D, radius);
    return (c === 1 ? tf.reshape(f, [n, h, w, 1]) : tf.transpose(tf.reshape(f, [n, c, h, w]), [0, 2, 3, 1])) as tf.Tensor4D;
  });
}
