/**
 * Per-channel scores of one batch of feature maps [B, H, W, C] (or [B, C], read as 1×1 maps),
 * summed over the batch. The caller divides by the number of images.
 */
import * as tf from '@tensorflow/tfjs';
import { dct2d } from '../../spectral/dct.js';
import { matrixRank } from './rank.js';

export type EnergyBand = 'full' | 'low' | 'dc';

function as4d(maps: tf.Tensor): tf.Tensor4D {
  if (maps.rank === 4) return maps as tf.Tensor4D;
  if (maps.rank === 2) return tf.reshape(maps, [maps.shape[0] as number, 1, 1, maps.shape[1] as number]);
  throw new Error(`criteria: feature maps must be [B, H, W, C] or [B, C], got [${maps.shape.join(', ')}]`);
}

/**
 * Σ_batch Σ_{u,v ∈ band} C[u,v]², C = orthonormal DCT-II of each channel's map. 'full' equals the
 * spatial energy Σ F² (Parseval); 'low' keeps the k×k top-left block (k = ceil(H/4), ceil(W/4)
 * unless given); 'dc' the C[0,0] term.
 */
export function dctEnergySums(maps: tf.Tensor, band: EnergyBand, k?: number): Float64Array {
  const sums = tf.tidy(() => {
    const m = as4d(maps);
    const [b, h, w, c] = m.shape;
    const coeffs = dct2d(tf.reshape(tf.transpose(m, [0, 3, 1, 2]), [b * c, h, w]));
    const kh = band === 'full' ? h : band === 'dc' ? 1 : Math.min(h, k ?? Math.ceil(h / 4));
    const kw = band === 'full' ? w : band === 'dc' ? 1 : Math.min(w, k ?? Math.ceil(w / 4));
    const block = kh === h && kw === w ? coeffs : tf.slice(coeffs, [0, 0, 0], [b * c, kh, kw]);
    return tf.sum(tf.reshape(tf.sum(tf.square(block), [1, 2]), [b, c]), 0);
  });
  const out = Float64Array.from(sums.dataSync());
  sums.dispose();
  return out;
}

/** Σ_batch rank(F_{n,c}) per channel, on the host. */
export function rankSums(maps: tf.Tensor, tol?: number): Float64Array {
  const m = as4d(maps);
  const [b, h, w, c] = m.shape;
  const v = m.dataSync();
  if (m !== maps) m.dispose();
  const out = new Float64Array(c);
  const mat = new Float32Array(h * w);
  for (let n = 0; n < b; n++)
    for (let ch = 0; ch < c; ch++) {
      const base = n * h * w * c + ch;
      for (let i = 0; i < h * w; i++) mat[i] = v[base + i * c];
      out[ch] += matrixRank(mat, h, w, tol);
    }
  return out;
}
