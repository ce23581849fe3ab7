/**
 * Rules: scores → masks. Already-pruned weights are never revived (their score counts as −∞).
 * Tie-breaking is deterministic: among equal scores the lower flat index (and, globally, the
 * earlier layer) survives. Selection is a radix-select threshold plus one index-ordered pass, so no
 * full sort is needed (see selectTop).
 */
import { MaskSet } from './masks.js';

/**
 * New mask keeping the `keep` highest-scoring alive entries across `parts` (concatenated in order).
 * Each part: scores, the current mask (same length), and an optional scale (score·scale, in float32).
 * Selection is a two-pass 16-bit radix select on order-preserving uint32 keys of the float32
 * scores (larger float ⇔ larger key), so it is linear time.
 */
export function selectTop(parts: { scores: Float32Array; alive: Uint8Array; scale?: number }[], keep: number): Uint8Array[] {
  let total = 0;
  for (const p of parts) {
    if (p.scores.length !== p.alive.length) throw new Error(`selectTop: scores (${p.scores.length}) and mask (${p.alive.length}) differ in length`);
    total += p.alive.length;
  }
  const cand = new Float32Array(total);
  let n = 0;
  for (const p of parts) {
    const { scores, alive } = p;
    const s = p.scale ?? 1;
    if (s === 1) {
      for (let i = 0; i < alive.length; i++) if (alive[i] !== 0) cand[n++] = scores[i];
    } else {
      for (let i = 0; i < alive.length; i++) if (alive[i] !== 0) cand[n++] = scores[i] * s;
    }
  }
  if (!Number.isInteger(keep) || keep < 0 || keep > n) throw new Error(`selectTop: cannot keep ${keep} of ${n} alive weights`);
  const out = parts.map((p) => new Uint8Array(p.alive.length));
  if (keep === 0) return out;
  const keys = new Uint32Array(cand.buffer, 0, n);
  const hist = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = keys[i];
    if ((b & 0x7fffffff) > 0x7f800000) throw new Error('selectTop: a score is NaN (check the model weights and data)');
    const k = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
    keys[i] = k;
    hist[k >>> 16]++; // pass 1: high 16 bits
  }
  let above = 0;
  let hi = 65535;
  while (above + hist[hi] < keep) above += hist[hi--];
  // pass 2: low 16 bits within bucket `hi`
  hist.fill(0);
  for (let i = 0; i < n; i++) if (keys[i] >>> 16 === hi) hist[keys[i] & 0xffff]++;
  let lo = 65535;
  while (above + hist[lo] < keep) above += hist[lo--];
  const t = ((hi << 16) | lo) >>> 0;
  let ties = keep - above; // entries equal to t that survive: the first ones in index order
  n = 0;
  parts.forEach((p, pi) => {
    const m = out[pi];
    const alive = p.alive;
    for (let i = 0; i < alive.length; i++) {
      if (alive[i] === 0) continue;
      const k = keys[n++];
      if (k > t) m[i] = 1;
      else if (k === t && ties > 0) {
        m[i] = 1;
        ties--;
      }
    }
  });
  return out;
}

function checkRatio(r: number, what: string): void {
  if (!(typeof r === 'number' && r >= 0 && r < 1)) throw new Error(`${what} must be in [0, 1), got ${r}`);
}

/** Layer-wise rule: each layer keeps round((1 − r)·alive) of its alive weights. Layers without a ratio are copied. */
export function layerwiseRule(scores: Map<string, Float32Array>, masks: MaskSet, ratios: Map<string, number>): MaskSet {
  const next = masks.clone();
  for (const [name, r] of ratios) {
    checkRatio(r, `pruning ratio of layer '${name}'`);
    const s = scores.get(name);
    if (!s) throw new Error(`layerwiseRule: no scores for layer '${name}'`);
    const alive = masks.get(name);
    const keep = Math.round((1 - r) * masks.alive(name));
    next.set(name, selectTop([{ scores: s, alive }], keep)[0]);
  }
  return next;
}

/** L2 norm of a layer's scores over its alive weights (1 when zero). */
export function aliveNorm(scores: Float32Array, alive: Uint8Array): number {
  let acc = 0;
  for (let i = 0; i < scores.length; i++) if (alive[i]) acc += scores[i] * scores[i];
  return acc > 0 ? Math.sqrt(acc) : 1;
}

/**
 * Global rule over `names`: optionally normalise each layer's scores by their L2 norm (over alive
 * weights), concatenate, and keep the top round((1 − r)·N_alive_total).
 */
export function globalRule(scores: Map<string, Float32Array>, masks: MaskSet, names: string[], ratio: number, normalize: boolean): MaskSet {
  checkRatio(ratio, 'global pruning ratio');
  const parts = names.map((name) => {
    const s = scores.get(name);
    if (!s) throw new Error(`globalRule: no scores for layer '${name}'`);
    const alive = masks.get(name);
    return { scores: s, alive, scale: normalize ? 1 / aliveNorm(s, alive) : 1 };
  });
  let total = 0;
  for (const n of names) total += masks.alive(n);
  const chosen = selectTop(parts, Math.round((1 - ratio) * total));
  const next = masks.clone();
  names.forEach((n, i) => next.set(n, chosen[i]));
  return next;
}

/** Rate of sub-step t (0-based) when one step of ratio r is split into s sub-steps: (r/s)/(1 − r·t/s). */
export function splitRate(r: number, s: number, t: number): number {
  return r / s / (1 - (r * t) / s);
}
