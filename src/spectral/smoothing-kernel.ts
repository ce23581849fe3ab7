/**
 * The input-space Gaussian smoothing kernel of the filtering method (F-Principle, Xu et al.) and of
 * Variant A: d_ij = ‖x_i − a_j‖², G^δ_ij = exp(−d_ij / (2δ)) / Σ_j' exp(−d_ij' / (2δ)), computed as a
 * row softmax of −d/(2δ) so small δ cannot underflow. δ = 0 means G = I (no smoothing).
 * y^{low,δ} = G·y, y^{high,δ} = y − y^{low,δ}.
 */
import * as tf from '@tensorflow/tfjs';

/** Flattens [N, …] to [N, D]. */
export function flattenRows(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
}

/** Squared Euclidean distances between the rows of x [n, D] and of a [m, D] (default a = x), clamped at 0; [n, m]. */
export function squaredDistances(x: tf.Tensor2D, a?: tf.Tensor2D): tf.Tensor2D {
  if (x.rank !== 2 || (a && (a.rank !== 2 || a.shape[1] !== x.shape[1]))) {
    throw new Error(`squaredDistances: expected [n, D] and [m, D] rows, got [${x.shape}] and [${a?.shape ?? x.shape}]`);
  }
  return tf.tidy(() => {
    const b = a ?? x;
    const xx = tf.sum(tf.square(x), 1, true); // [n, 1]
    const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]); // [1, m]
    const d = tf.relu(tf.sub(tf.add(xx, bb), tf.mul(2, tf.matMul(x, b, false, true))));
    if (a) return d as tf.Tensor2D;
    // exact zeros on the diagonal (the expansion leaves rounding noise there)
    const n = x.shape[0];
    return tf.mul(d, tf.sub(1, tf.eye(n))) as tf.Tensor2D;
  });
}

/** Median of the off-diagonal entries of a square distance matrix (row-major n×n values), or of all entries when not square. */
export function medianDistance(d: Float32Array, n: number, m = n): number {
  const vals: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) if (n !== m || i !== j) vals.push(d[i * m + j]);
  if (vals.length === 0) throw new Error('medianDistance: need at least two points');
  vals.sort((p, q) => p - q);
  const k = vals.length >> 1;
  return vals.length % 2 ? vals[k] : (vals[k - 1] + vals[k]) / 2;
}

/**
 * Row-normalised Gaussian kernel of width δ from squared distances d [n, m] (rows sum to 1).
 * δ = 0: the identity (square d only). The caller owns the result.
 */
export function smoothingKernel(d: tf.Tensor2D, delta: number): tf.Tensor2D {
  if (!(delta >= 0) || !Number.isFinite(delta)) throw new Error(`smoothingKernel: width δ must be a finite number ≥ 0, got ${delta}`);
  if (delta === 0) {
    if (d.shape[0] !== d.shape[1]) throw new Error(`smoothingKernel: δ = 0 (identity) needs a square distance matrix, got [${d.shape}]`);
    return tf.eye(d.shape[0]) as tf.Tensor2D;
  }
  return tf.tidy(() => tf.softmax(tf.div(d, -2 * delta)) as tf.Tensor2D);
}

/** y^{low,δ} = G^δ·y and y^{high,δ} = y − y^{low,δ} for targets y [m, K] (low/high [n, K]; high only when square). */
export function splitBands(d: tf.Tensor2D, y: tf.Tensor2D, delta: number): { low: tf.Tensor2D; high: tf.Tensor2D } {
  return tf.tidy(() => {
    const g = smoothingKernel(d, delta);
    const low = tf.matMul(g, y) as tf.Tensor2D;
    return { low, high: tf.sub(y, low) as tf.Tensor2D };
  });
}
