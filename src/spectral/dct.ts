/**
 * Orthonormal 2-D DCT-II by matrix products (TF.js has no DCT op).
 *
 * D_N[u, x] = a(u)·cos(π(2x+1)u / (2N)), a(0) = √(1/N), a(u>0) = √(2/N); D_N·D_Nᵀ = I.
 * dct2d(F) = D_H · F · D_Wᵀ and idct2d(C) = D_Hᵀ · C · D_W, applied to a batch of maps [B, H, W].
 */
import * as tf from '@tensorflow/tfjs';

const cache = new Map<number, Float32Array>();

/** Row-major N×N values of the orthonormal DCT-II matrix D_N (cached per N; do not mutate). */
export function dctMatrixValues(n: number): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new Error(`dct: matrix size must be a positive integer, got ${n}`);
  let m = cache.get(n);
  if (!m) {
    m = new Float32Array(n * n);
    for (let u = 0; u < n; u++) {
      const a = u === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
      for (let x = 0; x < n; x++) m[u * n + x] = a * Math.cos((Math.PI * (2 * x + 1) * u) / (2 * n));
    }
    cache.set(n, m);
  }
  return m;
}

/** D_N as a new tensor (the caller owns it). */
export function dctMatrix(n: number): tf.Tensor2D {
  return tf.tensor2d(dctMatrixValues(n), [n, n]);
}

/** Applies M_H (from the left) and M_W (from the right, transposed when `transposeW`) to each [H, W] map. */
function sandwich(maps: tf.Tensor3D, inverse: boolean): tf.Tensor3D {
  if (maps.rank !== 3) throw new Error(`dct2d: expected maps of shape [B, H, W], got [${maps.shape.join(', ')}]`);
  const [b, h, w] = maps.shape;
  return tf.tidy(() => {
    const dh = dctMatrix(h);
    const dw = dctMatrix(w);
    // Right factor: F · D_Wᵀ (forward) or C · D_W (inverse).
    const right = tf.matMul(tf.reshape(maps, [b * h, w]), dw, false, !inverse);
    // Left factor on the transposed maps: (D_H · X)ᵀ = Xᵀ · D_Hᵀ (forward), (D_Hᵀ · X)ᵀ = Xᵀ · D_H (inverse).
    const xt = tf.reshape(tf.transpose(tf.reshape(right, [b, h, w]), [0, 2, 1]), [b * w, h]);
    const left = tf.matMul(xt, dh, false, !inverse);
    return tf.transpose(tf.reshape(left, [b, w, h]), [0, 2, 1]) as tf.Tensor3D;
  });
}

/** Orthonormal 2-D DCT-II of each map: C = D_H · F · D_Wᵀ. Input and output [B, H, W]. */
export function dct2d(maps: tf.Tensor3D): tf.Tensor3D {
  return sandwich(maps, false);
}

/** Inverse of dct2d: F = D_Hᵀ · C · D_W. */
export function idct2d(coeffs: tf.Tensor3D): tf.Tensor3D {
  return sandwich(coeffs, true);
}
