/**
 * `npm run bench:speedup`: measured inference speedup of physically pruned VGG-style BN nets vs
 * the dense net, next to the analytic conv+dense MACs ratio, on the active backend, in one run.
 *
 * For each net ('vgg11' and 'vgg-small' at 32×32×3): dense, 50% and 75% of the filters of every
 * prunable layer removed (pruneFilters, l1 criterion, uniform rate; the classifier is never
 * pruned), each also with BN folded into the conv before it. Latency at batch 1 and 64 (median of
 * interleaved runs). Speedups compare like with like (pruned vs dense, folded pruned vs folded
 * dense). Target: speedup ≥ 0.8 × MACs ratio at batch 64.
 *
 * Flags: --runs N (timed runs at batch 64, default 7; batch 1 uses 4×), --models a,b, --backend, --threads.
 * Weights are random (seeded): latency does not depend on their values.
 */
import { initBackend, parseBackendChoice, parseThreads } from '../src/backend/index.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { compareLatency } from '../src/report/latency.js';
import { formatTable } from '../src/report/table.js';
import { foldBatchNorm } from '../src/structured/fold-bn.js';
import { pruneFilters } from '../src/structured/prune-filters.js';
import type * as tf from '@tensorflow/tfjs';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const TARGET = 0.8;
const RATES = [0.5, 0.75];
const SHAPE: [number, number, number] = [32, 32, 3];

async function main(): Promise<void> {
  const backend = await initBackend({
    backend: parseBackendChoice(flag('--backend'), '--backend'),
    threads: parseThreads(flag('--threads'), '--threads'),
  });
  const runs = Number(flag('--runs') ?? 7);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${flag('--runs')}`);
  const names = (flag('--models') ?? 'vgg11,vgg-small').split(',') as ZooModelName[];
  const t0 = performance.now();
  const rows: (string | number)[][] = [];
  let allPass = true;
  for (const name of names) {
    const dense = createModel(name, { inputShape: SHAPE, numClasses: 10, seed: 1 });
    const variants: { label: string; model: tf.LayersModel; macsRatio: number }[] = [{ label: 'dense', model: dense, macsRatio: 1 }];
    for (const rate of RATES) {
      const { model, report } = await pruneFilters(dense, { criterion: 'l1', rates: rate });
      variants.push({ label: `${100 * rate}% filters removed`, model, macsRatio: report.before.macs / report.after.macs });
    }
    const folded = await Promise.all(variants.map((v) => foldBatchNorm(v.model)));
    const all = [...variants.map((v) => ({ label: v.label, model: v.model })), ...folded.map((m, i) => ({ label: `${variants[i].label}, folded`, model: m }))];
    const [b1] = compareLatency(all, SHAPE, [1], { warmup: 3, runs: 4 * runs, seed: 1 });
    const [b64] = compareLatency(all, SHAPE, [64], { warmup: 1, runs, seed: 1 });
    const n = variants.length;
    for (const form of ['as built', 'BN folded'] as const) {
      const off = form === 'as built' ? 0 : n;
      for (let i = 0; i < n; i++) {
        const s1 = b1.stats[off].medianMs / b1.stats[off + i].medianMs;
        const s64 = b64.stats[off].medianMs / b64.stats[off + i].medianMs;
        const ratio = s64 / variants[i].macsRatio;
        const pass = i === 0 ? '' : ratio >= TARGET ? 'yes' : 'NO';
        if (i > 0 && form === 'BN folded' && ratio < TARGET) allPass = false;
        rows.push([
          name,
          variants[i].label,
          form,
          `${variants[i].macsRatio.toFixed(2)}×`,
          b1.stats[off + i].medianMs.toFixed(2),
          `${s1.toFixed(2)}×`,
          b64.stats[off + i].medianMs.toFixed(1),
          `${s64.toFixed(2)}×`,
          i === 0 ? '' : ratio.toFixed(2),
          pass,
        ]);
      }
    }
    for (const m of [...variants.map((v) => v.model), ...folded]) m.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    formatTable({
      columns: ['net', 'variant', 'form', 'MACs ratio', 'b1 ms', 'b1 speedup', 'b64 ms', 'b64 speedup', 'b64 speedup / MACs ratio', `≥ ${TARGET}`],
      rows,
      caption:
        `backend ${backend.name} (${backend.threads} threads), input ${SHAPE.join('×')}, median of ${4 * runs} (batch 1) / ${runs} (batch 64) interleaved runs; ` +
        `speedup = dense ms / pruned ms in the same form; ${seconds.toFixed(0)} s`,
    }) + '\n',
  );
  process.stdout.write(`target (BN-folded inference form, batch 64, speedup ≥ ${TARGET} × MACs ratio): ${allPass ? 'met' : 'NOT met'}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:speedup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
