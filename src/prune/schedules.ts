/**
 * Pruning schedules as pure functions of the step / iteration.
 *
 * - one-shot levels (LAP `oneshot`): at iteration `it`, restart from the same dense model and prune
 *   layer l to 1 − (1 − p_l)^it (remaining (1 − p_l)^it).
 * - iterative: each round prunes a fraction q of the *survivors*; sparsity after n rounds 1 − (1 − q)^n.
 * - gradual polynomial (Zhu & Gupta; tfmot PolynomialDecay):
 *   s_t = s_f + (s_i − s_f)·(1 − (t − t0)/(t1 − t0))^power, pruning every `frequency` steps in [t0, t1].
 */

function checkFraction(p: number, what: string): void {
  if (!(typeof p === 'number' && p >= 0 && p < 1)) throw new Error(`${what} must be in [0, 1), got ${p}`);
}

/** Per-layer ratios (from dense) at one-shot level `it`: 1 − (1 − p_l)^it. */
export function oneShotRatios(perIteration: number[], it: number): number[] {
  if (!Number.isInteger(it) || it < 0) throw new Error(`one-shot level must be a non-negative integer, got ${it}`);
  return perIteration.map((p, i) => {
    checkFraction(p, `per-iteration ratio ${i}`);
    return 1 - Math.pow(1 - p, it);
  });
}

/** Fraction of all weights remaining at one-shot level `it` given each layer's size. */
export function oneShotRemaining(perIteration: number[], sizes: number[], it: number): number {
  if (sizes.length !== perIteration.length) throw new Error(`got ${perIteration.length} ratios for ${sizes.length} layers`);
  const total = sizes.reduce((a, b) => a + b, 0);
  let kept = 0;
  perIteration.forEach((p, i) => (kept += sizes[i] * Math.pow(1 - p, it)));
  return kept / total;
}

/** Sparsity after `rounds` iterative rounds pruning fraction q of survivors each. */
export function iterativeSparsity(q: number, rounds: number): number {
  checkFraction(q, 'iterative pruning fraction');
  return 1 - Math.pow(1 - q, rounds);
}

/** Rounds of fraction q needed to reach at least `target` sparsity. */
export function iterativeRounds(q: number, target: number): number {
  checkFraction(q, 'iterative pruning fraction');
  checkFraction(target, 'target sparsity');
  if (target === 0) return 0;
  if (q === 0) throw new Error('iterative pruning fraction 0 never reaches a positive target');
  return Math.ceil(Math.log(1 - target) / Math.log(1 - q) - 1e-9);
}

/** Fraction of the survivors to prune to go from sparsity `from` to `to`. */
export function survivorFraction(from: number, to: number): number {
  checkFraction(from, 'current sparsity');
  checkFraction(to, 'target sparsity');
  return to <= from ? 0 : (to - from) / (1 - from);
}

export interface PolynomialSchedule {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  /** Prune every `frequency` steps (default 100, as tfmot). */
  frequency?: number;
  /** Default 3, as tfmot. */
  power?: number;
}

function checkPoly(s: PolynomialSchedule): void {
  checkFraction(s.initialSparsity, 'initialSparsity');
  checkFraction(s.finalSparsity, 'finalSparsity');
  if (!(s.endStep > s.beginStep) || s.beginStep < 0) throw new Error(`polynomial schedule needs 0 ≤ beginStep < endStep, got ${s.beginStep}, ${s.endStep}`);
  if (s.frequency !== undefined && !(Number.isInteger(s.frequency) && s.frequency >= 1)) throw new Error(`frequency must be a positive integer, got ${s.frequency}`);
}

/** Target sparsity at `step` (clamped to [beginStep, endStep]). */
export function polynomialSparsity(s: PolynomialSchedule, step: number): number {
  checkPoly(s);
  if (step <= s.beginStep) return s.initialSparsity;
  if (step >= s.endStep) return s.finalSparsity;
  const t = step;
  const frac = (t - s.beginStep) / (s.endStep - s.beginStep);
  return s.finalSparsity + (s.initialSparsity - s.finalSparsity) * Math.pow(1 - frac, s.power ?? 3);
}

/** Whether masks are updated at `step` (tfmot's rule): beginStep ≤ step ≤ endStep and (step − beginStep) % frequency == 0. */
export function isPruningStep(s: PolynomialSchedule, step: number): boolean {
  checkPoly(s);
  if (step < s.beginStep || step > s.endStep) return false;
  return (step - s.beginStep) % (s.frequency ?? 100) === 0;
}
