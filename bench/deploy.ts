/**
 * `npm run bench:deploy`: where a pruned model runs. In one run, for VGG-11, vgg-small and the
 * MobileNet-v1-style net (32×32×3, random seeded weights: latency does not depend on their values):
 * dense and 50% / 75% of the filters of every prunable group removed (pruneFilters, l1, uniform rate),
 * each also with the kept channel counts rounded UP to a multiple of `--round-to` (default 16, the
 * AVX-512 NCHWc block of onnxruntime's CPU convs; Torch-Pruning's round_to): a different, larger model
 * with its OWN MACs ratio (the row is left out when rounding changes nothing),
 *  - latency at batch 1 and 64 on tfjs-wasm (as built; BN folded; and the inference form — BN folded
 *    into conv/depthwise/dense, activations fused into them, run by `fusedPredict`) and in
 *    onnxruntime-node (the ONNX export of the BN-folded model); for nets with depthwise convs on wasm the
 *    inference form runs the depthwise kernel fusedPredict picks (PRUNEKIT_WASM_DWCONV, default auto:
 *    prunekit's dwconv.wat when tfjs-wasm is single-threaded, XNNPACK otherwise) and, as an A/B row, the
 *    other one (`fusedPredict(…, { depthwise })`);
 *    runs interleaved across the variants of
 *    one net and engine, speedup = dense ms / pruned ms in the same engine and form, next to the
 *    conv+dense MACs ratio of that pruned model;
 *  - in headless Chromium when one is installed (Debian's chromium; `--no-browser` skips it): the
 *    BN-folded dense / 50% / 75% models as TF.js folders (TF.js wasm) and as ONNX (onnxruntime-web),
 *    batch `--browser-batch` (default 16), latency and speedup;
 *  - file sizes: dense float32, gzip, sparse+gzip, uint8 (+gzip), float16, ONNX, ONNX uint8.
 * `--out FILE` also writes the whole report as markdown (results/deploy/…).
 * Targets: onnxruntime speedup ≥ 0.9 × MACs ratio at batch 64; tfjs-wasm (BN folded) ≥ 0.8 × at 50%,
 * measured and reported at 75%. The machine load (1-minute load average) is printed before and after.
 *
 * Flags: --runs N (timed runs at batch 64, default 7; batch 1 uses 4×), --models a,b, --threads N
 * (wasm threads, default 2), --ort-threads N (onnxruntime intra-op threads, default 1: on a loaded shared
 * machine a second intra-op thread made onnxruntime 1.5–3× slower), --backend, --markdown (also print
 * the README tables), --round-to K (0 = no rounded variants), --rewarm N (untimed calls of a model right
 * before each of its timed calls, default 1: each timed call finds that model warm in the caches, as a
 * model serving requests in a loop does, while rounds stay interleaved across the models; 0 = cold, as
 * the first bench).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendChoice, parseThreads } from '../src/backend/index.js';
import { writeFileAtomicSync } from '../src/io/atomic.js';
import { saveModel } from '../src/io/model-folder.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { verifyOnnx } from '../src/io/onnx/runtime.js';
import { sizeReport } from '../src/io/sparse-size.js';
import { dwconvMode, dwconvPicked } from '../src/backend/kernels/simd/depthwise-conv.js';
import { asWasm } from '../src/backend/kernels/wasm-heap.js';
import { fusedPredict } from '../src/models/fused-predict.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { runInChromium } from '../src/report/browser-latency.js';
import { formatBytes } from '../src/report/bytes.js';
import { findChromium } from '../src/report/chromium.js';
import { compareLatency, type LatencyModel, type LatencyRow } from '../src/report/latency.js';
import { markdownTable } from '../src/report/markdown.js';
import { compareOnnxLatency } from '../src/report/onnx-latency.js';
import { formatTable } from '../src/report/table.js';
import { foldBatchNorm } from '../src/structured/fold-bn.js';
import { fuseActivations } from '../src/structured/fuse-activations.js';
import { pruneFilters } from '../src/structured/prune-filters.js';
import { createRng, randNormal } from '../src/util/random.js';
import { parseBenchArgs } from './args.js';

const RATES = [0.5, 0.75];
const SHAPE: [number, number, number] = [32, 32, 3];
const ORT_TARGET = 0.9;
const WASM_TARGET = 0.8;

interface Variant {
  label: string;
  rate: number;
  /** Kept channel counts rounded up to this multiple (1 = not rounded). */
  roundTo: number;
  model: tf.LayersModel;
  folded: tf.LayersModel;
  /** BN folded + activations fused (run with fusedPredict). */
  form: tf.LayersModel;
  macsRatio: number;
  onnx: Uint8Array;
}

const load = () => loadavg()[0].toFixed(1);
const byFused = (m: tf.LayersModel, x: tf.Tensor) => fusedPredict(m, x);
const byFusedWith = (depthwise: 'prunekit' | 'xnnpack') => (m: tf.LayersModel, x: tf.Tensor) => fusedPredict(m, x, { depthwise });
const hasDepthwise = (m: tf.LayersModel) => m.layers.some((l) => l.getClassName() === 'DepthwiseConv2D');

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const threads = parseThreads(args.get('threads') ?? '2', '--threads') ?? 2;
  const backend = await initBackend({ backend: parseBackendChoice(args.get('backend') ?? 'wasm', '--backend'), threads });
  const ortThreads = parseThreads(args.get('ort-threads') ?? '1', '--ort-threads') ?? 1;
  const runs = Number(args.get('runs') ?? 7);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.get('runs')}`);
  const roundTo = Number(args.get('round-to') ?? 16);
  if (!Number.isInteger(roundTo) || roundTo < 0) throw new Error(`--round-to must be an integer ≥ 0, got ${args.get('round-to')}`);
  const browserBatch = Number(args.get('browser-batch') ?? 16);
  const rewarm = Number(args.get('rewarm') ?? 1);
  if (!Number.isInteger(rewarm) || rewarm < 0) throw new Error(`--rewarm must be an integer ≥ 0, got ${args.get('rewarm')}`);
  const chromium = args.has('no-browser') ? undefined : findChromium();
  const names = (args.get('models') ?? 'vgg11,vgg-small,mobilenet').split(',') as ZooModelName[];
  const loadBefore = load();
  process.stderr.write(`bench:deploy: load average ${loadBefore} on this machine at start\n`);
  const t0 = performance.now();
  const latRows: (string | number)[][] = [];
  const sizeRows: (string | number)[][] = [];
  const browserRows: (string | number)[][] = [];
  let userAgent = '';
  const misses: string[] = [];
  for (const name of names) {
    const dense = createModel(name, { inputShape: SHAPE, numClasses: 10, seed: 1 });
    const variants: Variant[] = [];
    const specs: { rate: number; roundTo: number }[] = [{ rate: 0, roundTo: 1 }];
    for (const rate of RATES) {
      specs.push({ rate, roundTo: 1 });
      if (roundTo > 1) specs.push({ rate, roundTo });
    }
    for (const spec of specs) {
      const { model, macsRatio } =
        spec.rate === 0
          ? { model: dense, macsRatio: 1 }
          : await pruneFilters(dense, { criterion: 'l1', rates: spec.rate, roundTo: spec.roundTo }).then((r) => ({ model: r.model, macsRatio: r.report.before.macs / r.report.after.macs }));
      const same = variants.find((v) => v.rate === spec.rate && Math.abs(v.macsRatio - macsRatio) < 1e-9);
      if (same) {
        // rounding changed no width: the same model, no extra row
        model.dispose();
        continue;
      }
      const folded = await foldBatchNorm(model);
      const form = await fuseActivations(folded);
      const onnx = exportOnnx(folded);
      const err = await verifyOnnx(folded, onnx, { batch: 2, seed: 3 });
      if (!(err <= 1e-4)) throw new Error(`${name} ${spec.rate}: ONNX export differs from TF.js by ${err}`);
      const label = spec.rate === 0 ? 'dense' : `${100 * spec.rate}% filters removed${spec.roundTo > 1 ? `, round-to ${spec.roundTo}` : ''}`;
      variants.push({ label, rate: spec.rate, roundTo: spec.roundTo, model, folded, form, macsRatio, onnx });
    }
    for (const v of variants) {
      const s = sizeReport(v.model);
      const onnxU8 = exportOnnx(v.folded, { quantize: 'uint8' });
      sizeRows.push([name, v.label, formatBytes(s.denseBytes), formatBytes(s.denseGzipBytes), formatBytes(s.sparseGzipBytes), formatBytes(s.quantized.uint8), formatBytes(s.quantized.uint8Gzip), formatBytes(s.quantized.float16), formatBytes(v.onnx.byteLength), formatBytes(gzipSync(v.onnx, { level: 9 }).length), formatBytes(onnxU8.byteLength)]);
    }
    process.stderr.write(`bench:deploy: ${name}: timing tfjs-${backend.name} (load ${load()})\n`);
    // which depthwise kernel fusedPredict's default (PRUNEKIT_WASM_DWCONV, auto) runs here, and the other one
    const dwDefault = backend.name === 'wasm' && dwconvPicked(asWasm(tf.backend()), dwconvMode()) ? 'prunekit' : 'xnnpack';
    const dw = backend.name === 'wasm' && hasDepthwise(dense) ? { main: dwDefault, other: dwDefault === 'prunekit' ? 'xnnpack' as const : 'prunekit' as const } : undefined;
    const tfjsModels: LatencyModel[] = [
      ...variants.map((v) => ({ label: v.label, model: v.model })),
      ...variants.map((v) => ({ label: `${v.label}, folded`, model: v.folded })),
      ...variants.map((v) => ({ label: `${v.label}, fused`, model: v.form, run: byFused })),
      // nets with depthwise convs: the inference form again with the other depthwise kernel (A/B in one run)
      ...(dw ? variants.map((v) => ({ label: `${v.label}, fused, ${dw.other} dw`, model: v.form, run: byFusedWith(dw.other) })) : []),
    ];
    const [w1] = compareLatency(tfjsModels, SHAPE, [1], { warmup: 3, runs: 4 * runs, seed: 1, rewarm });
    const [w64] = compareLatency(tfjsModels, SHAPE, [64], { warmup: 1, runs, seed: 1, rewarm });
    process.stderr.write(`bench:deploy: ${name}: timing onnxruntime-node (load ${load()})\n`);
    const ortModels = variants.map((v) => ({ label: v.label, bytes: v.onnx }));
    const [o1] = await compareOnnxLatency(ortModels, SHAPE, [1], { warmup: 3, runs: 4 * runs, seed: 1, threads: ortThreads, rewarm });
    const [o64] = await compareOnnxLatency(ortModels, SHAPE, [64], { warmup: 1, runs, seed: 1, threads: ortThreads, rewarm });
    const n = variants.length;
    const wasmTarget = (r: number) => (r === 0.5 ? WASM_TARGET : undefined);
    const engines: { engine: string; b1: LatencyRow; b64: LatencyRow; off: number; target: (rate: number) => number | undefined }[] = [
      { engine: `tfjs-${backend.name}, as built`, b1: w1, b64: w64, off: 0, target: () => undefined },
      { engine: `tfjs-${backend.name}, BN folded`, b1: w1, b64: w64, off: n, target: wasmTarget },
      { engine: `tfjs-${backend.name}, BN folded + fused (fusedPredict${dw ? `, ${dw.main} depthwise` : ''})`, b1: w1, b64: w64, off: 2 * n, target: wasmTarget },
      ...(dw ? [{ engine: `tfjs-${backend.name}, BN folded + fused (fusedPredict, ${dw.other} depthwise)`, b1: w1, b64: w64, off: 3 * n, target: () => undefined }] : []),
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
        latRows.push([name, v.label, e.engine, `${v.macsRatio.toFixed(2)}×`, ms1.toFixed(2), `${s1.toFixed(2)}×`, ms64.toFixed(1), `${s64.toFixed(2)}×`, i === 0 ? '' : ratio.toFixed(2), verdict]);
      }
    }
    if (chromium) {
      process.stderr.write(`bench:deploy: ${name}: timing headless Chromium (load ${load()})\n`);
      const raw = variants.filter((v) => v.roundTo === 1);
      const r = await browserLatency(raw, browserBatch, runs, chromium);
      userAgent = r.userAgent;
      for (const engine of ['tfjs', 'onnxruntime-web'] as const) {
        const rows = r.results.filter((x) => x.engine === engine);
        rows.forEach((x, i) => {
          const speedup = rows[0].latency.medianMs / x.latency.medianMs;
          browserRows.push([name, raw[i].label, `${engine} (${x.backend})`, `${raw[i].macsRatio.toFixed(2)}×`, x.latency.medianMs.toFixed(2), `${speedup.toFixed(2)}×`, i === 0 ? '' : (speedup / raw[i].macsRatio).toFixed(2)]);
        });
      }
    }
    for (const v of variants) {
      if (v.model !== dense) v.model.dispose();
      v.folded.dispose();
      v.form.dispose();
    }
    dense.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const loadAfter = load();
  const columns = ['net', 'variant', 'engine', 'MACs ratio', 'b1 ms', 'b1 speedup', 'b64 ms', 'b64 speedup', 'b64 speedup / MACs ratio', 'target'];
  const caption =
    `tfjs ${backend.name} (${backend.threads} threads) and onnxruntime-node (${ortThreads} intra-op thread${ortThreads > 1 ? 's' : ''}), input ${SHAPE.join('×')}, ` +
    `median of ${4 * runs} (batch 1) / ${runs} (batch 64) interleaved runs, each after ${rewarm} untimed call${rewarm === 1 ? '' : 's'} of the same model (steady state); speedup = dense ms / pruned ms in the same engine and form; ` +
    `round-to rows: kept channel counts rounded up to a multiple of ${roundTo} — a larger model, MACs ratio of that model; ` +
    `load average ${loadBefore} → ${loadAfter}; ${seconds.toFixed(0)} s`;
  const sizeCols = ['net', 'variant', 'dense f32', 'gzip', 'sparse+gzip', 'uint8', 'uint8+gzip', 'float16', 'ONNX', 'ONNX+gzip', 'ONNX uint8'];
  const sizeCaption = 'weight / file sizes (filter pruning makes the dense layers smaller; sparse formats pay off for unstructured pruning)';
  const browserCols = ['net', 'variant', 'engine in Chromium', 'MACs ratio', `b${browserBatch} ms`, 'speedup', 'speedup / MACs ratio'];
  const browserCaption = `headless ${userAgent || 'Chromium'}, BN-folded models, batch ${browserBatch}, median of ${runs} interleaved runs after 1 warm-up`;
  process.stdout.write(formatTable({ columns, rows: latRows, caption }) + '\n\n');
  if (browserRows.length) process.stdout.write(formatTable({ columns: browserCols, rows: browserRows, caption: browserCaption }) + '\n\n');
  process.stdout.write(formatTable({ columns: sizeCols, rows: sizeRows, caption: sizeCaption }) + '\n');
  const verdict = misses.length === 0 ? 'targets: all met' : `targets NOT met: ${misses.join('; ')}`;
  process.stdout.write(verdict + '\n');
  const md = [
    markdownTable({ columns, rows: latRows, caption }),
    ...(browserRows.length ? [markdownTable({ columns: browserCols, rows: browserRows, caption: browserCaption })] : [chromium === undefined && !args.has('no-browser') ? 'Browser: no Chromium found (install Debian\'s chromium).' : '']),
    markdownTable({ columns: sizeCols, rows: sizeRows, caption: sizeCaption }),
    verdict,
  ].filter((x) => x !== '');
  if (args.has('markdown')) process.stdout.write('\n' + md.join('\n\n') + '\n');
  const out = args.get('out');
  if (out) {
    const head = `# bench:deploy — ${new Date().toISOString().slice(0, 10)} (load average ${loadBefore} → ${loadAfter})\n\nCommand: \`npm run bench:deploy -- ${process.argv.slice(2).join(' ')}\` (random seeded weights; latency does not depend on their values). ${seconds.toFixed(0)} s.\n\n`;
    writeFileAtomicSync(out, head + md.join('\n\n') + '\n');
    process.stderr.write(`bench:deploy: wrote ${out}\n`);
  }
}

/** The BN-folded variants in headless Chromium: TF.js folders (tfjs wasm) and ONNX files (onnxruntime-web). */
async function browserLatency(variants: Variant[], batch: number, runs: number, chromium: string): Promise<Awaited<ReturnType<typeof runInChromium>>> {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-bench-browser-'));
  try {
    const models = [];
    for (const [i, v] of variants.entries()) {
      await saveModel(v.folded, join(dir, `m${i}`));
      writeFileAtomicSync(join(dir, `m${i}.onnx`), v.onnx);
      models.push({ label: `tfjs ${v.label}`, tfjsDir: join(dir, `m${i}`) });
    }
    for (const [i, v] of variants.entries()) models.push({ label: `onnx ${v.label}`, onnxFile: join(dir, `m${i}.onnx`) });
    const shape = [batch, ...SHAPE];
    const rng = createRng(1);
    const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => randNormal(rng));
    return await runInChromium({ models, input, inputShape: shape, runs, warmup: 1, chromiumPath: chromium, timeoutMs: 600_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:deploy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
