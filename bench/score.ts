/**
 * Scoring speed on the LAP FCN 784-500-500-500-500-10 (1.15M masked weights):
 * MP and LAP scores + the layer-wise mask rule, median of 5 runs. Target < 50 ms.
 * Run: node --import tsx bench/score.ts
 */
import { initBackend } from '../src/backend/index.js';
import { createModel } from '../src/models/zoo.js';
import { computeMasks, computeScores } from '../src/prune/compute.js';

await initBackend(); // the user's default backend (wasm here); scores are computed on host copies of the kernels
const model = createModel('fcn', { seed: 0 });
const ratios = [0.5, 0.5, 0.5, 0.5, 0.25];

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn: () => void, runs = 5): number {
  fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const rows: [string, number][] = [
  ['mp scores', time(() => computeScores(model, { method: 'mp' }))],
  ['lap scores', time(() => computeScores(model, { method: 'lap' }))],
  ['mp scores + rule', time(() => computeMasks(model, { method: 'mp', ratios }))],
  ['lap scores + rule', time(() => computeMasks(model, { method: 'lap', ratios }))],
  ['lap_global_normalize + rule', time(() => computeMasks(model, { method: 'lap_global_normalize', sparsity: 0.5 }))],
];
for (const [name, ms] of rows) console.log(`${name.padEnd(30)} ${ms.toFixed(1)} ms  (${(ms / 50).toFixed(2)}× the 50 ms target)`);
model.dispose();
