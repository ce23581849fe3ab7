/**
 * Variant A's schedule by the effective number of neighbours (methods.md §3.4).
 *
 * A kernel row G_i· = softmax(−d_i· / (2δ)) has perplexity k_i = exp(H(G_i·)) (H the Shannon entropy,
 * natural log): the number of points its smoothed target effectively averages. The schedule sets a
 * target k_t that decays geometrically from k_max to 1 over the first T_c steps,
 *   k_t = k_max^(1 − t/T_c)  for t < T_c,   then G = I (plain KD),
 * and each batch's δ_t is found by bisection on log δ so that the median row perplexity equals k_t
 * within a relative tolerance (default ±5%); or, per row, each row gets its own δ_i (t-SNE's
 * calibration). Perplexity grows monotonically with δ (1 as δ → 0 when the row's own distance 0 is
 * its unique minimum; the row length m as δ → ∞), so bisection brackets the target.
 * Everything here works on plain arrays (the distance matrix is read back once per batch).
 */

export interface NeighbourScheduleSpec {
  totalSteps: number;
  /** k_max (default 16). */
  kMax?: number;
  /** T_c as a fraction of totalSteps (default 0.7). */
  cutoffFraction?: number;
}

export const NEIGHBOUR_DEFAULTS = { kMax: 16, cutoffFraction: 0.7, tolerance: 0.05, anchors: 2048 } as const;

/** T_c in steps. */
export function cutoffStep(s: NeighbourScheduleSpec): number {
  return Math.round((s.cutoffFraction ?? NEIGHBOUR_DEFAULTS.cutoffFraction) * s.totalSteps);
}

/** Target effective-neighbour count k_t at `step` (exactly 1 from T_c on: plain KD). */
export function neighbourTarget(step: number, s: NeighbourScheduleSpec): number {
  const kMax = s.kMax ?? NEIGHBOUR_DEFAULTS.kMax;
  if (!(kMax >= 1) || !Number.isFinite(kMax)) throw new Error(`Variant A: k_max must be a number ≥ 1, got ${kMax}`);
  const f = s.cutoffFraction ?? NEIGHBOUR_DEFAULTS.cutoffFraction;
  if (!(f >= 0 && f <= 1)) throw new Error(`Variant A: the cut-off fraction T_c must be in [0, 1], got ${f}`);
  const tc = cutoffStep(s);
  if (step >= tc || kMax === 1) return 1;
  return Math.pow(kMax, 1 - step / tc);
}

/** Perplexity exp(H) of the row softmax(−d[off..off+m) / (2δ)). */
export function rowPerplexity(d: ArrayLike<number>, off: number, m: number, delta: number): number {
  let dmin = Infinity;
  for (let j = 0; j < m; j++) dmin = Math.min(dmin, d[off + j]);
  const inv = 1 / (2 * delta);
  let z = 0;
  let s = 0;
  for (let j = 0; j < m; j++) {
    const a = (d[off + j] - dmin) * inv;
    const w = Math.exp(-a);
    z += w;
    s += w * a;
  }
  // H = log Z + Σ w·a / Z (with the shift dmin, which leaves the distribution unchanged)
  return Math.exp(Math.log(z) + s / z);
}

function median(v: ArrayLike<number>): number {
  const a = Array.from(v).sort((p, q) => p - q);
  const k = a.length >> 1;
  return a.length % 2 ? a[k] : (a[k - 1] + a[k]) / 2;
}

export interface Calibration {
  /** δ per row (all equal unless perRow). */
  deltas: Float64Array;
  /** Median row perplexity at the chosen δ. */
  medianPerplexity: number;
  /** Bisection iterations used (max over rows when perRow). */
  iterations: number;
  /** Whether the median (or every row, perRow) is within the tolerance of the target. */
  converged: boolean;
}

export interface CalibrateOptions {
  /** One δ per row (t-SNE style) instead of one per batch. */
  perRow?: boolean;
  /** Relative tolerance on the perplexity (default 0.05). */
  tolerance?: number;
  /** Iteration cap (default 100). */
  maxIterations?: number;
}

/** Bracket [lo, hi] for log δ from the positive distances of the rows. */
function bracket(d: ArrayLike<number>, off: number, len: number): [number, number] {
  let minPos = Infinity;
  let max = 0;
  for (let j = off; j < off + len; j++) {
    const v = d[j];
    if (v > 0 && v < minPos) minPos = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(minPos)) return [Math.log(1e-12), Math.log(1)]; // all distances 0: any δ
  // δ = minPos/200: the nearest other point weighs exp(−100) relative; δ = 1e3·max: all rows ≈ uniform
  return [Math.log(minPos / 200), Math.log(1e3 * max)];
}

/**
 * δ (per batch, or per row) so that the median row perplexity of softmax(−d/(2δ)) equals `k`
 * within ±tolerance. d is row-major n×m. k must be in [1, m].
 */
export function calibrateDelta(d: ArrayLike<number>, n: number, m: number, k: number, opts: CalibrateOptions = {}): Calibration {
  if (!(k >= 1 && k <= m)) throw new Error(`Variant A: target neighbour count ${k} must be in [1, ${m}] (the kernel row length)`);
  if (d.length !== n * m) throw new Error(`calibrateDelta: ${d.length} distances for a ${n}×${m} matrix`);
  const tol = opts.tolerance ?? NEIGHBOUR_DEFAULTS.tolerance;
  const maxIt = opts.maxIterations ?? 100;
  const ok = (p: number) => Math.abs(p / k - 1) <= tol;
  const solve = (off: number, len: number, value: (delta: number) => number) => {
    let [lo, hi] = bracket(d, off, len);
    let it = 0;
    let mid = (lo + hi) / 2;
    let p = value(Math.exp(mid));
    while (!ok(p) && it < maxIt) {
      if (p > k) hi = mid;
      else lo = mid;
      mid = (lo + hi) / 2;
      p = value(Math.exp(mid));
      it++;
    }
    return { delta: Math.exp(mid), p, it };
  };
  const deltas = new Float64Array(n);
  if (opts.perRow) {
    const ps = new Float64Array(n);
    let iterations = 0;
    let converged = true;
    for (let i = 0; i < n; i++) {
      const r = solve(i * m, m, (delta) => rowPerplexity(d, i * m, m, delta));
      deltas[i] = r.delta;
      ps[i] = r.p;
      iterations = Math.max(iterations, r.it);
      converged &&= ok(r.p);
    }
    return { deltas, medianPerplexity: median(ps), iterations, converged };
  }
  const medianAt = (delta: number) => {
    const ps = new Float64Array(n);
    for (let i = 0; i < n; i++) ps[i] = rowPerplexity(d, i * m, m, delta);
    return median(ps);
  };
  const r = solve(0, n * m, medianAt);
  deltas.fill(r.delta);
  return { deltas, medianPerplexity: r.p, iterations: r.it, converged: ok(r.p) };
}
