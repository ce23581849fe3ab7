/**
 * `npm run bench:deploy-ort`: A/B of onnxruntime-node session options and export choices on the pruned
 * deploy models, in one run. For one zoo net, the dense model and the given filter-removal rates (each
 * raw and, with `--round-to K`, with kept channel counts rounded up to a multiple of K: a separate model
 * with its own MACs), BN folded and exported; every (model × option set) session is timed at one batch
 * size with the runs interleaved (all sessions, round after round), and each option set's speedup is
 * dense ms / pruned ms under the SAME option set, next to that model's own MACs ratio.
 * Option sets: level all (NCHWc layout transformer) vs extended (no NCHWc), 1 vs 2 intra-op threads,
 * parallel execution mode, CPU memory arena off, NCHW model input (no input Transpose).
 * Flags: --model NAME (vgg-small), --rates 0.5,0.75, --round-to K (16), --batch B (64), --runs N (15),
 * --sets a,b (labels to keep).
 */
import { loadavg } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { initBackend } from '../src/backend/index.js';
import { exportOnnx, type OnnxInputLayout } from '../src/io/onnx/export.js';
import { loadOnnxRuntime } from '../src/io/onnx/runtime.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { quantile } from '../src/report/latency.js';
import { formatTable } from '../src/report/table.js';
import { foldBatchNorm } from '../src/structured/fold-bn.js';
import { pruneFilters } from '../src/structured/prune-filters.js';
import { parseBenchArgs } from './args.js';

interface OptionSet {
  label: string;
  layout: OnnxInputLayout;
  options: InferenceSession.SessionOptions;
}

const NO_SPIN = { session: { intra_op: { allow_spinning: '0' } } };
const SETS: OptionSet[] = [
  { label: 'all, 1t', layout: 'nhwc', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 1, extra: NO_SPIN } },
  { label: 'extended (no NCHWc), 1t', layout: 'nhwc', options: { graphOptimizationLevel: 'extended', intraOpNumThreads: 1, extra: NO_SPIN } },
  { label: 'all, 2t', layout: 'nhwc', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 2, extra: NO_SPIN } },
  { label: 'all, 1t, parallel', layout: 'nhwc', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 1, executionMode: 'parallel', extra: NO_SPIN } },
  { label: 'all, 1t, no arena', layout: 'nhwc', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 1, enableCpuMemArena: false, extra: NO_SPIN } },
  { label: 'all, 1t, NCHW input', layout: 'nchw', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 1, extra: NO_SPIN } },
];

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const name = (args.get('model') ?? 'vgg-small') as ZooModelName;
  const rates = (args.get('rates') ?? '0.5,0.75').split(',').map(Number);
  const roundTo = Number(args.get('round-to') ?? 16);
  const batch = Number(args.get('batch') ?? 64);
  const runs = Number(args.get('runs') ?? 15);
  const keep = args.get('sets')?.split(',');
  const sets = keep ? SETS.filter((s) => keep.some((k) => s.label.startsWith(k))) : SETS;
  await initBackend({ backend: 'cpu' });
  const ort = await loadOnnxRuntime();
  const load0 = loadavg()[0].toFixed(2);
  const shape: [number, number, number] = [32, 32, 3];
  const dense = createModel(name, { inputShape: shape, numClasses: 10, seed: 1 });
  const variants: { label: string; macsRatio: number; model: Awaited<ReturnType<typeof foldBatchNorm>> }[] = [{ label: 'dense', macsRatio: 1, model: await foldBatchNorm(dense) }];
  for (const rate of rates) {
    for (const r of roundTo > 1 ? [1, roundTo] : [1]) {
      const res = await pruneFilters(dense, { criterion: 'l1', rates: rate, roundTo: r });
      variants.push({ label: `${100 * rate}%${r > 1 ? ` round-to ${r}` : ''}`, macsRatio: res.report.before.macs / res.report.after.macs, model: await foldBatchNorm(res.model) });
    }
  }
  const sessions: { v: number; s: number; session: InferenceSession; feed: Record<string, unknown>; times: number[] }[] = [];
  const data = Float32Array.from({ length: batch * 32 * 32 * 3 }, (_, i) => Math.sin(i));
  for (const [si, set] of sets.entries()) {
    for (const [vi, v] of variants.entries()) {
      const session = await ort.InferenceSession.create(exportOnnx(v.model, { inputLayout: set.layout }), { interOpNumThreads: 1, ...set.options });
      const dims = set.layout === 'nchw' ? [batch, 3, 32, 32] : [batch, ...shape];
      sessions.push({ v: vi, s: si, session, feed: { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) }, times: [] });
    }
  }
  for (const x of sessions) for (let i = 0; i < 2; i++) await x.session.run(x.feed as never);
  for (let r = 0; r < runs; r++) {
    for (const x of sessions) {
      const t0 = performance.now();
      await x.session.run(x.feed as never);
      x.times.push(performance.now() - t0);
    }
  }
  const rows: (string | number)[][] = [];
  for (const [si, set] of sets.entries()) {
    const denseMs = quantile(sessions.find((x) => x.s === si && x.v === 0)!.times, 0.5);
    for (const [vi, v] of variants.entries()) {
      const ms = quantile(sessions.find((x) => x.s === si && x.v === vi)!.times, 0.5);
      rows.push([set.label, v.label, `${v.macsRatio.toFixed(2)}×`, ms.toFixed(2), `${(denseMs / ms).toFixed(2)}×`, vi === 0 ? '' : (denseMs / ms / v.macsRatio).toFixed(2)]);
    }
  }
  await Promise.all(sessions.map((x) => x.session.release()));
  const caption = `${name}, onnxruntime-node, batch ${batch}, median of ${runs} interleaved runs; load ${load0} → ${loadavg()[0].toFixed(2)}`;
  process.stdout.write(formatTable({ columns: ['options', 'model', 'MACs ratio', 'ms', 'speedup', 'speedup / MACs ratio'], rows, caption }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`deploy-ort-options: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
