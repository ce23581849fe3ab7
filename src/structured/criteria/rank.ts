/**
 * Matrix rank on the host by Gaussian elimination with complete pivoting (HRank's criterion).
 * A pivot counts when |pivot| > tol; default tol = max(m, n) · ε_f32 · max|a|, the float32
 * analogue of the usual SVD threshold σ_max · max(m, n) · ε.
 */

const EPS_F32 = 1.1920928955078125e-7;

/** Rank of the row-major m×n matrix `a` (not modified). */
export function matrixRank(a: ArrayLike<number>, m: number, n: number, tol?: number): number {
  if (a.length < m * n) throw new Error(`matrixRank: expected ${m}×${n} values, got ${a.length}`);
  const w = Float64Array.from({ length: m * n }, (_, i) => a[i]);
  let maxAbs = 0;
  for (let i = 0; i < m * n; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]));
  if (maxAbs === 0) return 0;
  const t = tol ?? Math.max(m, n) * EPS_F32 * maxAbs;
  const colOf = Int32Array.from({ length: n }, (_, i) => i);
  let rank = 0;
  for (let k = 0; k < Math.min(m, n); k++) {
    // Complete pivoting over the remaining submatrix.
    let pr = -1;
    let pc = -1;
    let best = 0;
    for (let i = k; i < m; i++)
      for (let j = k; j < n; j++) {
        const v = Math.abs(w[i * n + colOf[j]]);
        if (v > best) {
          best = v;
          pr = i;
          pc = j;
        }
      }
    if (best <= t) break;
    rank++;
    if (pr !== k) for (let j = 0; j < n; j++) [w[k * n + j], w[pr * n + j]] = [w[pr * n + j], w[k * n + j]];
    [colOf[k], colOf[pc]] = [colOf[pc], colOf[k]];
    const pcol = colOf[k];
    const piv = w[k * n + pcol];
    for (let i = k + 1; i < m; i++) {
      const f = w[i * n + pcol] / piv;
      if (f === 0) continue;
      for (let j = k; j < n; j++) w[i * n + colOf[j]] -= f * w[k * n + colOf[j]];
    }
  }
  return rank;
}
