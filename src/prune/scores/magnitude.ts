/** MP: score = |w| of the masked kernel. */
import { wanted, type ScoreContext } from './context.js';

export function magnitudeScores(ctx: ScoreContext): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of ctx.layers) {
    if (!wanted(ctx, l.name)) continue;
    const w = ctx.weights.get(l.name) as Float32Array;
    const s = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) s[i] = Math.abs(w[i]);
    out.set(l.name, s);
  }
  return out;
}
