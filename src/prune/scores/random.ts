/** RP: uniform random scores, seeded per layer by deriveSeed(ctx.seed, layer name). */
import { createRng, deriveSeed } from '../../util/random.js';
import { wanted, type ScoreContext } from './context.js';

export function randomScores(ctx: ScoreContext): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of ctx.layers) {
    if (!wanted(ctx, l.name)) continue;
    const rng = createRng(deriveSeed(ctx.seed, `rp:${l.name}`));
    const s = new Float32Array(l.geom.size);
    for (let i = 0; i < s.length; i++) s[i] = rng();
    out.set(l.name, s);
  }
  return out;
}
