/**
 * Training-speed benchmark: ms per training step (forward + backward + Adam update through prunekit's
 * optimiser, as trainModel runs it), ms per forward pass,
 * train/forward ratio and GFLOP/s, for three nets, on wasm with prunekit's kernels with 1 and 2 threads,
 * on the pure-JS `cpu` backend for the MLP, on the native provider (libtorch kernels, when built) with 1 and
 * 2 threads, and PyTorch (when installed; bench/peer.ts), interleaved with the native runs.
 *
 *   npm run bench:train [-- --models mlp,cnn,vgg] [--backends wasm,native,pytorch] [--profile] [--repeat N]
 *                       [--wasm-pools xnnpack,helper]
 *
 * wasm at 2 threads runs once per wasm pool (src/backend/threads.ts): 'xnnpack' (the default pool: XNNPACK's
 * threads + prunekit's helper) and 'helper' (XNNPACK single-threaded, prunekit's helper thread the only second
 * thread), shown as backend `wasm/helper`; each is compared with the same 1-thread row.
 *
 * The wasm module picks its thread count once per process, so every (backend, threads) configuration runs
 * in a child process (`--child --backend B --threads N`) that prints one `RESULT {json}` line per net.
 * FLOPs = 2 × multiply-adds of the forward pass; a training step counts as 3 × forward.
 * The `cpu …` columns are process CPU ms (all threads): with 1 thread, cpu ≈ wall on idle cores, and
 * cpu t/f is the train/forward ratio that other processes on the machine disturb least.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { parseWasmPool, type WasmPool } from '../src/backend/threads.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import { createOptimizer, type TrainableVar } from '../src/train/optimizers.js';
import { createRng, randNormal } from '../src/util/random.js';
import { runParentOrChild } from './args.js';
import { parallelCapacity } from './capacity.js';
import { peerEnv, ratioLines, runTorch, torchMissing, type StepResult } from './peer.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';

interface NetSpec {
  key: string;
  label: string;
  zoo: ZooModelName;
  input: [number, number, number];
  batch: number;
  /**
   * [warm-up, timed] training steps and forward passes on wasm. The MLP's steps are short (~10 ms): with 3
   * warm-up steps its 2-thread child was still warming up (V8 tiering, heap growth) and read ~1.5× slow; with
   * 25 + 30 steps (0.3 s timed) it still read 1.15–1.24× against 1.35–1.46× with 100 + 200 (3 Dec 2026, same
   * window), so the MLP now runs 100 warm-up and 200 timed steps (~3 s per child).
   */
  steps: [number, number];
  forwards: [number, number];
}

const NETS: NetSpec[] = [
  { key: 'mlp', label: '(a) MLP 784-500x4-10, b60', zoo: 'fcn', input: [28, 28, 1], batch: 60, steps: [100, 200], forwards: [50, 200] },
  { key: 'cnn', label: '(b) small CNN 28x28x1, b128', zoo: 'small-cnn', input: [28, 28, 1], batch: 128, steps: [2, 4], forwards: [2, 5] },
  { key: 'vgg', label: '(c) VGG-11-BN 32x32x3, b64', zoo: 'vgg11', input: [32, 32, 3], batch: 64, steps: [1, 2], forwards: [1, 3] },
];
const CPU_STEPS: [number, number] = [1, 2];
const CPU_FORWARDS: [number, number] = [1, 2];
const TARGET_RATIO = 4.0;
const TARGET_SPEEDUP = 1.4;

/** One net × backend × threads measurement (bench/peer.ts owns the shape: PyTorch rows are the same). */
type Result = StepResult;

// ---------------------------------------------------------------------------------------------- child

/** Forward multiply-adds of one sample, from the layer configs (Dense and Conv2D/Depthwise only). */
function forwardMacsPerSample(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape as number[];
    if (cls === 'Dense') {
      const [rows, cols] = layer.getWeights()[0]!.shape as number[];
      macs += rows * cols;
    } else if (cls === 'Conv2D') {
      const [kh, kw, ci, co] = layer.getWeights()[0]!.shape as number[];
      macs += out[1] * out[2] * kh * kw * ci * co;
    } else if (cls === 'DepthwiseConv2D') {
      const [kh, kw, ci, m] = layer.getWeights()[0]!.shape as number[];
      macs += out[1] * out[2] * kh * kw * ci * m;
    }
  }
  return macs;
}

/** [wall ms, process CPU ms] per call. CPU time (all threads) tells whether other processes took the cores. */
function timeIt(fn: () => void, [warm, timed]: [number, number]): [number, number] {
  for (let i = 0; i < warm; i++) fn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < timed; i++) fn();
  const wall = (performance.now() - t0) / timed;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1e3 / timed];
}

function profileSummary(top: number, fn: () => void): Promise<string> {
  return tf.profile(fn).then((info) => {
    const byName = new Map<string, { ms: number; n: number }>();
    // `*__op` entries are op scopes wrapping kernels that are listed too; skip them to avoid double counting
    for (const k of info.kernels.filter((q) => !q.name.endsWith('__op'))) {
      const e = byName.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.n += 1;
      byName.set(k.name, e);
    }
    return [...byName.entries()]
      .sort((p, q) => q[1].ms - p[1].ms)
      .slice(0, top)
      .map(([name, e]) => `${name} ${e.ms.toFixed(1)}ms/${e.n}`)
      .join(', ');
  });
}

async function benchNet(spec: NetSpec, backend: string, threads: number, detail: string, profile: boolean): Promise<Result> {
  const cpu = backend === 'cpu';
  const model = createModel(spec.zoo, { inputShape: spec.input, numClasses: 10, seed: 1 });
  const rng = createRng(7);
  const n = spec.batch * spec.input[0] * spec.input[1] * spec.input[2];
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = randNormal(rng);
  const labels = Int32Array.from({ length: spec.batch }, (_, i) => i % 10);
  const x = tf.tensor4d(xs, [spec.batch, ...spec.input]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat());
  // the training loop's optimiser (fused update kernels on wasm)
  const optimizer = createOptimizer({ name: 'adam', lr: 1e-3 });
  const vars: TrainableVar[] = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));

  const trainStep = (): void => {
    const value = optimizer.step(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, vars);
    value.dataSync();
    value.dispose();
  };
  const forward = (): void => {
    tf.tidy(() => (model.apply(x, { training: false }) as tf.Tensor).dataSync());
  };

  const before = tf.memory().numTensors;
  const [trainMs, trainCpuMs] = timeIt(trainStep, cpu ? CPU_STEPS : spec.steps);
  const [forwardMs, forwardCpuMs] = timeIt(forward, cpu ? CPU_FORWARDS : spec.forwards);
  const profileText = profile ? await profileSummary(12, trainStep) : undefined;
  const leaked = tf.memory().numTensors - before;
  const flops = 2 * forwardMacsPerSample(model) * spec.batch;
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  // Adam's slot variables stay with the optimizer; anything else is a leak worth reporting.
  return {
    net: spec.key,
    backend,
    threads,
    trainMs,
    forwardMs,
    trainCpuMs,
    forwardCpuMs,
    flops,
    detail: leaked > 4 * vars.length + 2 ? `${detail}; WARNING ${leaked} tensors not freed` : detail,
    profile: profileText,
  };
}

async function child(args: Map<string, string>): Promise<void> {
  const backend = args.get('backend') ?? 'wasm';
  const threads = Number(args.get('threads') ?? '1');
  const pool = parseWasmPool(args.get('wasm-pool'), '--wasm-pool');
  const info = await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native', threads, wasmPool: pool, log: false });
  const label = pool === 'helper' && info.name === 'wasm' && info.threads >= 2 ? 'wasm/helper' : info.name;
  const keys = (args.get('models') ?? 'mlp,cnn,vgg').split(',');
  for (const spec of NETS.filter((s) => keys.includes(s.key))) {
    const r = await benchNet(spec, label, info.threads, info.detail, args.has('profile'));
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  }
}

// --------------------------------------------------------------------------------------------- parent

function runChild(extra: string[], env?: NodeJS.ProcessEnv): { results: Result[]; error?: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/train.ts', '--child', ...extra], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    env: env ?? process.env,
  });
  const results = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => JSON.parse(l.slice(7)) as Result);
  const error = r.status === 0 ? undefined : `exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return { results, error };
}

const fmt = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '-');

function printTable(rows: Result[]): void {
  const head = ['net', 'backend', 'thr', 'train ms', 'fwd ms', 'train/fwd', 'train GFLOP/s', 'fwd GFLOP/s', 'cpu train', 'cpu fwd', 'cpu t/f'];
  const lines = rows.map((r) => {
    const net = NETS.find((s) => s.key === r.net)?.label ?? r.net;
    return [
      net,
      r.backend,
      String(r.threads),
      fmt(r.trainMs),
      fmt(r.forwardMs),
      fmt(r.trainMs / r.forwardMs, 2),
      fmt((3 * r.flops) / r.trainMs / 1e6),
      fmt(r.flops / r.forwardMs / 1e6),
      fmt(r.trainCpuMs),
      fmt(r.forwardCpuMs),
      fmt(r.trainCpuMs / r.forwardCpuMs, 2),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(row(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
}

/** Per (net, backend, threads): the smallest train and forward times (and the CPU times of those runs). */
function bestOf(results: Result[]): Result[] {
  const best = new Map<string, Result>();
  for (const r of results) {
    const key = `${r.net}/${r.backend}/${r.threads}`;
    const b = best.get(key);
    if (!b) best.set(key, { ...r });
    else {
      if (r.trainMs < b.trainMs) Object.assign(b, { trainMs: r.trainMs, trainCpuMs: r.trainCpuMs });
      if (r.forwardMs < b.forwardMs) Object.assign(b, { forwardMs: r.forwardMs, forwardCpuMs: r.forwardCpuMs });
    }
  }
  return [...best.values()];
}

/**
 * Native and PyTorch children, interleaved within each of `repeat` rounds: native 1t, PyTorch 1t (channels-
 * last, NCHW), native 2t, PyTorch 2t. Both sides run in bench/peer.ts's environment.
 */
function nativeAndPeer(models: string, pass: string[], backends: string[], repeat: number, notes: string[]): Result[] {
  const native = backends.includes('native') ? loadNativeAddon() : undefined;
  if (native && !native.addon) notes.push(`native skipped: ${native.reason}`);
  const missing = backends.includes('pytorch') ? torchMissing() : 'not requested';
  if (missing && backends.includes('pytorch')) notes.push(`PyTorch column skipped: ${missing}`);
  const found: Result[] = [];
  for (let round = 0; round < repeat; round++) {
    for (const threads of [1, 2]) {
      if (native?.addon) {
        const r = runChild(['--backend', 'native', '--threads', String(threads), ...pass], peerEnv(threads));
        found.push(...r.results);
        if (r.error) notes.push(`native ${threads}t: ${r.error}`);
      }
      if (!missing) {
        for (const format of ['channels_last', 'nchw'] as const) {
          const r = runTorch(threads, format, models);
          found.push(...r.results);
          if (r.error) notes.push(r.error);
        }
      }
    }
  }
  return found;
}

async function parent(args: Map<string, string>): Promise<void> {
  const models = args.get('models') ?? 'mlp,cnn,vgg';
  const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();
  const capacityBefore = await parallelCapacity();
  const pass = ['--models', models, ...(args.has('profile') ? ['--profile'] : [])];
  const rows: Result[] = [];
  const notes: string[] = [];
  // --repeat N: the 1- and 2-thread children alternate N times; each (net, threads) keeps its best train and
  // forward times (the machine is shared: interleaving exposes both sides to the same load)
  const repeat = Math.max(1, Number(args.get('repeat') ?? '1') || 1);
  const backends = (args.get('backends') ?? 'wasm,native,pytorch').split(',');
  const wasmRows: Result[] = [];
  const pools = (args.get('wasm-pools') ?? 'xnnpack,helper').split(',').map((p) => parseWasmPool(p, '--wasm-pools')).filter((p): p is WasmPool => p !== undefined);
  for (let r = 0; r < (backends.includes('wasm') ? repeat : 0); r++) {
    const one = runChild(['--backend', 'wasm', '--threads', '1', ...pass]);
    wasmRows.push(...one.results);
    if (one.error) notes.push(`wasm 1 thread: ${one.error}`);
    for (const pool of pools) {
      const two = runChild(['--backend', 'wasm', '--threads', '2', '--wasm-pool', pool, ...pass]);
      const twoThreaded = two.results.filter((q) => q.threads >= 2);
      wasmRows.push(...twoThreaded);
      if (twoThreaded.length === 0) notes.push(`1 thread only (${pool}): ${two.results[0]?.detail ?? two.error ?? 'no result from the 2-thread child'}`);
      else if (two.error) notes.push(`wasm 2 threads (${pool}): ${two.error}`);
    }
  }
  rows.push(...bestOf(wasmRows));
  const peerRows = bestOf(nativeAndPeer(models, pass, backends, repeat, notes));
  // PyTorch rows: the same nets, so the same FLOP counts as ours
  const flops = new Map([...rows, ...peerRows].filter((r) => r.flops > 0).map((r) => [r.net, r.flops]));
  for (const r of peerRows) if (!r.flops) r.flops = flops.get(r.net) ?? 0;
  rows.push(...peerRows);
  if (backends.includes('wasm') && models.split(',').includes('mlp')) {
    const cpu = runChild(['--backend', 'cpu', '--threads', '1', '--models', 'mlp']);
    rows.push(...cpu.results);
    if (cpu.error) notes.push(`cpu: ${cpu.error}`);
  }

  printTable(rows);
  console.log('');
  console.log(`machine: ${os.availableParallelism()} cores; load average (1/5/15 min) ${loadBefore} at start, ${load()} at end`);
  console.log(`parallel capacity (bench/capacity.ts): ${capacityBefore} at start, ${await parallelCapacity()} at end`);
  console.log(`targets: train/forward ≤ ${TARGET_RATIO} (wasm); 2-thread speedup ≥ ${TARGET_SPEEDUP}× on every net`);
  for (const r of rows.filter((q) => q.backend.startsWith('wasm'))) {
    const ratio = r.trainMs / r.forwardMs;
    console.log(`  ${r.net} ${r.backend} ${r.threads}t train/forward ${fmt(ratio, 2)} ${ratio <= TARGET_RATIO ? 'OK' : 'MISSED'}`);
  }
  for (const key of ['mlp', 'cnn', 'vgg']) {
    const a = rows.find((r) => r.net === key && r.backend === 'wasm' && r.threads === 1);
    if (!a) continue;
    for (const b of rows.filter((r) => r.net === key && r.backend.startsWith('wasm') && r.threads >= 2)) {
      const s = a.trainMs / b.trainMs;
      const goal = s >= TARGET_SPEEDUP ? ' OK' : ' MISSED';
      console.log(`  ${key} ${b.backend} 2-thread training speedup ${fmt(s, 2)}×${goal}`);
    }
  }
  const cpu = rows.find((r) => r.backend === 'cpu');
  const w1 = rows.find((r) => r.net === 'mlp' && r.backend === 'wasm' && r.threads === 1);
  if (cpu && w1) console.log(`  mlp wasm(1t) vs cpu backend training: ${fmt(cpu.trainMs / w1.trainMs, 1)}× faster`);
  const peer = ratioLines(rows);
  if (peer.length > 0) {
    console.log(`vs PyTorch (step time PyTorch ÷ prunekit, each side at its best threads and format${repeat > 1 ? `, best of ${repeat} interleaved rounds` : ''}):`);
    for (const l of peer) console.log(l);
  }
  for (const r of rows.filter((q) => q.profile)) console.log(`profile ${r.net} ${r.backend} ${r.threads}t: ${r.profile}`);
  const details = [...new Set(rows.map((r) => `${r.backend} ${r.threads}t: ${r.detail}`))];
  for (const d of details) console.log(`backend ${d}`);
  for (const n of notes) console.log(n);
}

runParentOrChild('bench', child, (a) => parent(a));
