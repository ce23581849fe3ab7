/**
 * 1 vs N wasm threads on a large conv2d forward (batch 64, 32×32, 64→64, 3×3 same) and a matMul
 * (512×1024 · 1024×512). Each thread count runs in a child process (the wasm module initialises once per
 * process) that prints `RESULT {json}`; the parent prints ms (median of the timed runs) and the speedup.
 * cpu/wall (process CPU time over wall time during the conv2d runs) shows whether the cores were free:
 * near N with N threads on an idle machine; much lower means other processes took the cores.
 *
 *   node --import tsx bench/wasm-threads.ts [--threads 2] [--runs 7]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';

interface Result {
  threads: number;
  detail: string;
  initMs: number;
  convMs: number;
  /** process CPU time / wall time over the timed conv2d runs: ≈ threads when the cores were free */
  convCpuPerWall: number;
  matMulMs: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeIt(runs: number, fn: () => tf.Tensor): number {
  const once = (): number => {
    const t0 = performance.now();
    const y = fn();
    y.dataSync();
    const ms = performance.now() - t0;
    y.dispose();
    return ms;
  };
  once(); // warm-up (operator creation, first touch of memory)
  return median(Array.from({ length: runs }, once));
}

async function child(threads: number, runs: number): Promise<void> {
  const t0 = performance.now();
  const info = await initBackend({ backend: 'wasm', threads, log: false });
  const initMs = performance.now() - t0;
  const x = tf.randomNormal([64, 32, 32, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const a = tf.randomNormal([512, 1024], 0, 1, 'float32', 3) as tf.Tensor2D;
  const b = tf.randomNormal([1024, 512], 0, 1, 'float32', 4) as tf.Tensor2D;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const convMs = timeIt(runs, () => tf.conv2d(x, w, 1, 'same'));
  const convCpuPerWall = process.cpuUsage(c0).user / 1e3 / (performance.now() - w0);
  const matMulMs = timeIt(runs, () => tf.matMul(a, b));
  tf.dispose([x, w, a, b]);
  const r: Result = { threads: info.threads, detail: info.detail, initMs, convMs, convCpuPerWall, matMulMs };
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

function spawnChild(threads: number, runs: number): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--threads', String(threads), '--runs', String(runs)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`child with ${threads} thread(s) failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as Result;
}

const threads = arg('threads', 2);
const runs = arg('runs', 7);
if (process.argv.includes('--child')) {
  await child(threads, runs);
} else {
  const one = spawnChild(1, runs);
  const many = spawnChild(threads, runs);
  for (const r of [one, many]) {
    console.log(
      `${r.threads} thread(s): init ${r.initMs.toFixed(0)} ms, conv2d b64 32x32 64->64 ${r.convMs.toFixed(1)} ms ` +
        `(cpu/wall ${r.convCpuPerWall.toFixed(2)}), ` +
        `matMul 512x1024x512 ${r.matMulMs.toFixed(1)} ms  [${r.detail}]`,
    );
  }
  console.log(`speedup ${many.threads} vs 1 thread: conv2d ${(one.convMs / many.convMs).toFixed(2)}x, matMul ${(one.matMulMs / many.matMulMs).toFixed(2)}x`);
}
