/**
 * `npm run bench:deploy-profile`: where the time of one pruned deploy model goes. For one zoo net at a
 * filter-removal rate (optionally with kept channel counts rounded up to a multiple, `--round-to`),
 * BN folded, at one batch size:
 *  - onnxruntime-node per node (session option `enableProfiling`; the node's kernel time summed over
 *    the timed runs, grouped by op type), after ORT's own graph transforms (so NCHWc `ReorderInput` /
 *    `ReorderOutput` nodes show up when the layout transformer blocks the convs);
 *  - tfjs (wasm by default) per kernel with `tf.profile` (kernel name and output shape).
 * Flags: --model NAME (vgg-small), --rate R (0.5; 0 = dense), --round-to K, --batch B (64), --runs N (10),
 * --ort-threads N (1), --threads N (wasm, 2), --top K (rows per table, 15), --skip-tfjs, --fused (tfjs: the
 * inference form — activations fused too — run by fusedPredict instead of predict).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseThreads } from '../src/backend/index.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { loadOnnxRuntime } from '../src/io/onnx/runtime.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { formatTable } from '../src/report/table.js';
import { fusedPredict } from '../src/models/fused-predict.js';
import { foldBatchNorm } from '../src/structured/fold-bn.js';
import { fuseActivations } from '../src/structured/fuse-activations.js';
import { pruneFilters } from '../src/structured/prune-filters.js';
import { parseBenchArgs } from './args.js';

interface OrtEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; output_type_shape?: unknown[]; input_type_shape?: unknown[] };
}

/** Multiply-adds of a Conv node from the shapes onnxruntime reports (after its transforms, so NCHWc padding counts). */
function convMacs(e: OrtEvent): number {
  const dims = (v: unknown) => (v && typeof v === 'object' ? (Object.values(v)[0] as number[]) : []);
  const out = dims(e.args?.output_type_shape?.[0]);
  const w = dims(e.args?.input_type_shape?.[1]);
  if (out.length !== 4 || w.length !== 4) return 0;
  return out.reduce((a, b) => a * b, 1) * w[1] * w[2] * w[3];
}

function topRows(m: Map<string, { us: number; n: number; macs?: number }>, runs: number, top: number): (string | number)[][] {
  const total = [...m.values()].reduce((a, b) => a + b.us, 0);
  return [...m.entries()]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)
    .map(([k, v]) => [k, v.n / runs, (v.us / runs / 1000).toFixed(3), `${((100 * v.us) / total).toFixed(1)}%`, v.macs ? (v.macs / v.us / 1000).toFixed(1) : ''])
    .concat([['total', '', (total / runs / 1000).toFixed(3), '100%', '']]);
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const name = (args.get('model') ?? 'vgg-small') as ZooModelName;
  const rate = Number(args.get('rate') ?? 0.5);
  const roundTo = args.has('round-to') ? Number(args.get('round-to')) : undefined;
  const batch = Number(args.get('batch') ?? 64);
  const runs = Number(args.get('runs') ?? 10);
  const top = Number(args.get('top') ?? 15);
  const ortThreads = parseThreads(args.get('ort-threads') ?? '1', '--ort-threads') ?? 1;
  const backend = await initBackend({ backend: 'wasm', threads: parseThreads(args.get('threads') ?? '2', '--threads') ?? 2 });
  process.stderr.write(`deploy-profile: ${name} rate ${rate}${roundTo ? ` round-to ${roundTo}` : ''} batch ${batch}; load ${loadavg()[0].toFixed(2)}\n`);
  const shape: [number, number, number] = [32, 32, 3];
  const dense = createModel(name, { inputShape: shape, numClasses: 10, seed: 1 });
  const pruned = rate === 0 ? dense : (await pruneFilters(dense, { criterion: 'l1', rates: rate, ...(roundTo ? { roundTo } : {}) })).model;
  const folded = await foldBatchNorm(pruned);
  const bytes = exportOnnx(folded);

  const ort = await loadOnnxRuntime();
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-ortprof-'));
  try {
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: ortThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      enableProfiling: true,
      profileFilePrefix: join(dir, 'p'),
      optimizedModelFilePath: join(dir, 'opt.onnx'),
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    const data = Float32Array.from({ length: batch * 32 * 32 * 3 }, (_, i) => Math.sin(i));
    const feed = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, ...shape]) };
    for (let i = 0; i < 2; i++) await session.run(feed);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await session.run(feed);
    const wall = (performance.now() - t0) / runs;
    session.endProfiling();
    await session.release();
    const file = readdirFirst(dir, 'p');
    const events = JSON.parse(readFileSync(file, 'utf8')) as OrtEvent[];
    const byOp = new Map<string, { us: number; n: number; macs?: number }>();
    const byNode = new Map<string, { us: number; n: number; macs?: number }>();
    // the first 2 runs are warm-up: keep the last `runs` runs' node events
    const nodeEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    const perRun = nodeEvents.length / (runs + 2);
    for (const e of nodeEvents.slice(nodeEvents.length - perRun * runs)) {
      const op = e.args?.op_name ?? '?';
      const shapeText = JSON.stringify(e.args?.output_type_shape ?? []).replace(/"float":|[{}"]/g, '');
      for (const [m, k] of [[byOp, op], [byNode, `${e.name.replace(/_kernel_time$/, '')} ${op} ${shapeText}`]] as const) {
        const cur = m.get(k) ?? { us: 0, n: 0, macs: 0 };
        cur.us += e.dur;
        cur.n += 1;
        if (op === 'Conv') cur.macs = (cur.macs ?? 0) + convMacs(e);
        m.set(k, cur);
      }
    }
    const cols = ['op / node', 'calls per run', 'ms per run', 'share', 'GMAC/s (Conv, shapes as run)'];
    process.stdout.write(formatTable({ columns: cols, rows: topRows(byOp, runs, top), caption: `onnxruntime-node (${ortThreads} thread): ${wall.toFixed(2)} ms per run wall, by op type after ORT's transforms` }) + '\n\n');
    process.stdout.write(formatTable({ columns: cols, rows: topRows(byNode, runs, top), caption: 'onnxruntime-node: slowest nodes' }) + '\n\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (!args.has('skip-tfjs')) {
    const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1);
    const fused = args.has('fused') ? await fuseActivations(folded) : undefined;
    const run = () => (fused ? (fusedPredict(fused, x) as tf.Tensor) : (folded.predict(x, { batchSize: batch }) as tf.Tensor));
    for (let i = 0; i < 2; i++) tf.tidy(() => run().dataSync());
    const byKernel = new Map<string, { us: number; n: number }>();
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) {
      const info = await tf.profile(() => tf.tidy(() => run().dataSync() && undefined));
      // '…__op' entries are op wrappers around the backend kernels listed separately: count kernels once
      for (const k of info.kernels.filter((kk) => !kk.name.endsWith('__op'))) {
        const ms = await k.kernelTimeMs;
        const key = `${k.name} ${JSON.stringify(k.outputShapes?.[0] ?? [])}`;
        const cur = byKernel.get(key) ?? { us: 0, n: 0 };
        cur.us += (typeof ms === 'number' ? ms : 0) * 1000;
        cur.n += 1;
        byKernel.set(key, cur);
      }
    }
    const wall = (performance.now() - t0) / runs;
    const byName = new Map<string, { us: number; n: number }>();
    for (const [k, v] of byKernel) {
      const n = k.split(' ')[0];
      const cur = byName.get(n) ?? { us: 0, n: 0 };
      cur.us += v.us;
      cur.n += v.n;
      byName.set(n, cur);
    }
    const cols = ['kernel', 'calls per run', 'ms per run', 'share', ''];
    process.stdout.write(formatTable({ columns: cols, rows: topRows(byName, runs, top), caption: `tfjs-${backend.name} (${backend.threads} threads, tf.profile, ${fused ? 'fusedPredict' : 'predict'}): ${wall.toFixed(2)} ms per profiled run wall, by kernel` }) + '\n\n');
    process.stdout.write(formatTable({ columns: cols, rows: topRows(byKernel, runs, top), caption: `tfjs-${backend.name}: slowest kernels by output shape` }) + '\n');
    x.dispose();
  }
  process.stderr.write(`deploy-profile: load ${loadavg()[0].toFixed(2)} at end\n`);
}

function readdirFirst(dir: string, prefix: string): string {
  const names = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.json'));
  if (names.length === 0) throw new Error(`deploy-profile: onnxruntime wrote no profile in ${dir}`);
  return join(dir, names[0]);
}

main().catch((err: unknown) => {
  process.stderr.write(`deploy-profile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
