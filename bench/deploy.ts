/**
 * `npm run bench:deploy`: where a pruned model runs. In one run, for VGG-11, vgg-small and the
 * MobileNet-v1-style net (32×32×3, random seeded weights: latency does not depend on their values):
 * dense and 50% / 75% of the filters of every prunable group removed (pruneFilters, l1, uniform rate),
 *  - latency at batch 1 and 64 on tfjs-wasm (as built, and BN folded) and in onnxruntime-node (the
 *    ONNX export of the BN-folded model), runs interleaved across the variants of one net and engine,
 *    speedup = dense ms / pruned ms in the same engine and form, next to the conv+dense MACs ratio;
 *  - file sizes: dense float32, gzip, sparse+gzip, uint8 (+gzip), float16, ONNX.
 * Targets: onnxruntime speedup ≥ 0.9 × MACs ratio at batch 64; tfjs-wasm (BN folded) ≥ 0.8 × at 50%,
 * measured and reported at 75%. The machine load (1-minute load average) is printed before and after.
 *
 * Flags: --runs N (timed runs at batch 64, default 7; batch 1 uses 4×), --models a,b, --threads N
 * (wasm threads, default 2), --ort-threads N (onnxruntime intra-op threads, default 1: on a loaded shared
 * machine a second intra-op thread made onnxruntime 1.5–3× slower), --backend, --markdown (also print
 * the README tables).
 */
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendChoice, parseThreads } from '../src/backend/index.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { verifyOnnx } from '../src/io/onnx/runtime.js';
import { sizeReport } from '../src/io/sparse-size.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { formatBytes } from '../src/report/bytes.js';
import { compareLatency, type LatencyRow } from '../src/report/latency.js';
import { markdownTable } from '../src/report/markdown.js';
import { compareOnnxLatency } from '../src/report/onnx-latency.js';
import { formatTable } from '../src/report/table.js';
import { foldBatchNorm } from '../src/structured/fold-bn.js';
import { pruneFilters } from '../src/structured/prune-filters.js';
import { parseBenchArgs } from './args.js';

const RATES = [0.5, 0.75];
const SHAPE: [number, number, number] = [32, 32, 3];
const ORT_TARGET = 0.9;
const WASM_TARGET = 0.8;

interface Variant {
  label: string;
  rate: number;
  model: tf.LayersModel;
  folded: tf.LayersModel;
  macsRatio: number;
  onnx: Uint8Array;
}

const load = () => loadavg()[0].toFixed(1);

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const threads = parseThreads(args.get('threads') ?? '2', '--threads') ?? 2;
  const backend = await initBackend({ backend: parseBackendChoice(args.get('backend') ?? 'wasm', '--backend'), threads });
  const ortThreads = parseThreads(args.get('ort-threads') ?? '1', '--ort-threads') ?? 1;
  const runs = Number(args.get('runs') ?? 7);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.get('runs')}`);
  const names = (args.get('models') ?? 'vgg11,vgg-small,mobilenet').split(',') as ZooModelName[];
  const loadBefore = load();
  process.stderr.write(`bench:deploy: load average ${loadBefore} on this machine at start\n`);
  const t0 = performance.now();
  const latRows: (string | number)[][] = [];
  const mdRows: (string | number)[][] = [];
  const sizeRows: (string | number)[][] = [];
  const misses: string[] = [];
  for (const name of names) {
    const dense = createModel(name, { inputShape: SHAPE, numClasses: 10, seed: 1 });
    const variants: Variant[] = [];
    for (const rate of [0, ...RATES]) {
      const { model, macsRatio } =
        rate === 0
          ? { model: dense, macsRatio: 1 }
          : await pruneFilters(dense, { criterion: 'l1', rates: rate }).then((r) => ({ model: r.model, macsRatio: r.report.before.macs / r.report.after.macs }));
      const folded = await foldBatchNorm(model);
      const onnx = exportOnnx(folded);
      const err = await verifyOnnx(folded, onnx, { batch: 2, seed: 3 });
      if (!(err <= 1e-4)) throw new Error(`${name} ${rate}: ONNX export differs from TF.js by ${err}`);
      variants.push({ label: rate === 0 ? 'dense' : `${100 * rate}% filters removed`, rate, model, folded, macsRatio, onnx });
    }
    for (const v of variants) {
      const s = sizeReport(v.model);
      sizeRows.push([name, v.label, formatBytes(s.denseBytes), formatBytes(s.denseGzipBytes), formatBytes(s.sparseGzipBytes), formatBytes(s.quantized.uint8), formatBytes(s.quantized.uint8Gzip), formatBytes(s.quantized.float16), formatBytes(v.onnx.byteLength), formatBytes(gzipSync(v.onnx, { level: 9 }).length)]);
    }
    process.stderr.write(`bench:deploy: ${name}: timing tfjs-${backend.name} (load ${load()})\n`);
    const tfjsModels = [...variants.map((v) => ({ label: v.label, model: v.model })), ...variants.map((v) => ({ label: `${v.label}, folded`, model: v.folded }))];
    const [w1] = compareLatency(tfjsModels, SHAPE, [1], { warmup: 3, runs: 4 * runs, seed: 1 });
    const [w64] = compareLatency(tfjsModels, SHAPE, [64], { warmup: 1, runs, seed: 1 });
    process.stderr.write(`bench:deploy: ${name}: timing onnxruntime-node (load ${load()})\n`);
    const ortModels = variants.map((v) => ({ label: v.label, bytes: v.onnx }));
    const [o1] = await compareOnnxLatency(ortModels, SHAPE, [1], { warmup: 3, runs: 4 * runs, seed: 1, threads: ortThreads });
    const [o64] = await compareOnnxLatency(ortModels, SHAPE, [64], { warmup: 1, runs, seed: 1, threads: ortThreads });
    const n = variants.length;
    const engines: { engine: string; b1: LatencyRow; b64: LatencyRow; off: number; target: (rate: number) => number | undefined }[] = [
      { engine: `tfjs-${backend.name}, as built`, b1: w1, b64: w64, off: 0, target: () => undefined },
      { engine: `tfjs-${backend.name}, BN folded`, b1: w1, b64: w64, off: n, target: (r) => (r === 0.5 ? WASM_TARGET : undefined) },
      { engine: 'onnxruntime-node', b1: o1, b64: o64, off: 0, target: () => ORT_TARGET },
    ];
    for (const e of engines) {
      for (let i = 0; i < n; i++) {
        const v = variants[i];
        const ms1 = e.b1.stats[e.off + i].medianMs;
        const ms64 = e.b64.stats[e.off + i].medianMs;
        const s1 = e.b1.stats[e.off].medianMs / ms1;
        const s64 = e.b64.stats[e.off].medianMs / ms64;
        const ratio = s64 / v.macsRatio;
        const t = i === 0 ? undefined : e.target(v.rate);
        const verdict = i === 0 ? '' : t === undefined ? '(measured)' : ratio >= t ? `yes (≥ ${t})` : `NO (< ${t})`;
        if (t !== undefined && ratio < t) misses.push(`${name} ${v.label} on ${e.engine}: ${ratio.toFixed(2)} < ${t}`);
        const row = [name, v.label, e.engine, `${v.macsRatio.toFixed(2)}×`, ms1.toFixed(2), `${s1.toFixed(2)}×`, ms64.toFixed(1), `${s64.toFixed(2)}×`, i === 0 ? '' : ratio.toFixed(2), verdict];
        latRows.push(row);
        mdRows.push(row);
      }
    }
    for (const v of variants) {
      if (v.model !== dense) v.model.dispose();
      v.folded.dispose();
    }
    dense.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const loadAfter = load();
  const columns = ['net', 'variant', 'engine', 'MACs ratio', 'b1 ms', 'b1 speedup', 'b64 ms', 'b64 speedup', 'b64 speedup / MACs ratio', 'target'];
  const caption =
    `tfjs ${backend.name} (${backend.threads} threads) and onnxruntime-node (${ortThreads} intra-op thread${ortThreads > 1 ? 's' : ''}), input ${SHAPE.join('×')}, ` +
    `median of ${4 * runs} (batch 1) / ${runs} (batch 64) interleaved runs; speedup = dense ms / pruned ms in the same engine and form; ` +
    `load average ${loadBefore} → ${loadAfter}; ${seconds.toFixed(0)} s`;
  process.stdout.write(formatTable({ columns, rows: latRows, caption }) + '\n\n');
  const sizeCols = ['net', 'variant', 'dense f32', 'gzip', 'sparse+gzip', 'uint8', 'uint8+gzip', 'float16', 'ONNX', 'ONNX+gzip'];
  process.stdout.write(formatTable({ columns: sizeCols, rows: sizeRows, caption: 'weight / file sizes (filter pruning makes the dense layers smaller; sparse formats pay off for unstructured pruning)' }) + '\n');
  if (args.has('markdown')) {
    process.stdout.write('\n' + markdownTable({ columns, rows: mdRows, caption }) + '\n\n' + markdownTable({ columns: sizeCols, rows: sizeRows }) + '\n');
  }
  process.stdout.write(misses.length === 0 ? 'targets: all met\n' : `targets NOT met: ${misses.join('; ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:deploy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
