/**
 * A/B of prunekit's small-GEMM split (src/backend/kernels/simd/small-gemm.ts) against XNNPACK's pool, for the
 * MLP training step (bench net 'mlp', Adam): inside one process per thread count the routes alternate in
 * blocks of `--block` steps for `--rounds` rounds, so that all see the same machine — split (mode 'auto': the
 * kernel on the calling thread and the helper thread; with 1 thread mode 'on', the kernel alone), kernel-1t (mode
 * 'on', the kernel on the calling thread only: with 2 threads, the in-process measure of what the helper adds)
 * and xnnpack (PRUNEKIT_WASM_GEMM_SPLIT=off) — and prints the median
 * ms per step of each route and the median of the per-round ratios. Before and after, the parallel capacity the
 * host gives right now (bench/capacity.ts).
 *
 *   node --import tsx bench/gemm-split.ts [--threads 1,2] [--rounds 12] [--block 6] [--models mlp]
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { gemmHelperOf, setGemmHelperEnabled, setGemmSplitMode } from '../src/backend/kernels/simd/small-gemm.js';
import { asWasm } from '../src/backend/kernels/wasm-heap.js';
import { runParentOrChild } from './args.js';
import { parallelCapacity } from './capacity.js';
import { benchNet, syntheticTraining } from './nets.js';

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function child(args: Map<string, string>): Promise<void> {
  const threads = Number(args.get('threads') ?? '2');
  const rounds = Number(args.get('rounds') ?? '12');
  const block = Number(args.get('block') ?? '6');
  const info = await initBackend({ backend: 'wasm', threads, log: false });
  for (const key of (args.get('models') ?? 'mlp').split(',')) {
    const { optimizer, vars, loss, dispose } = syntheticTraining(benchNet(key), { name: 'adam', lr: 1e-3 });
    const step = (): void => {
      const v = optimizer.step(loss, vars);
      v.dataSync();
      v.dispose();
    };
    // split: prunekit's kernel on both threads; mine1: the same kernel on the calling thread only; off: XNNPACK
    // --spins a,b: extra split variants with the helper spinning that many iterations before it sleeps
    const spins = (args.get('spins') ?? '').split(',').filter(Boolean).map(Number);
    const modes = threads > 1 ? ['split', 'mine1', 'off', ...spins.map((s) => `spin${s}`)] : ['split', 'off'];
    const ms: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
    const use = (m: string): void => {
      setGemmSplitMode(m === 'off' ? 'off' : m === 'mine1' || threads === 1 ? 'on' : 'auto');
      setGemmHelperEnabled(m !== 'mine1');
      gemmHelperOf(asWasm(tf.backend()))?.setSpin(m.startsWith('spin') ? Number(m.slice(4)) : 2000);
    };
    for (const m of modes) {
      use(m);
      for (let i = 0; i < 15; i++) step();
    }
    for (let r = 0; r < rounds; r++) {
      for (const m of r % 2 ? [...modes].reverse() : modes) {
        use(m);
        step();
        const t0 = performance.now();
        for (let i = 0; i < block; i++) step();
        ms[m].push((performance.now() - t0) / block);
      }
    }
    setGemmSplitMode(undefined);
    setGemmHelperEnabled(true);
    dispose();
    process.stdout.write(`RESULT ${JSON.stringify({ net: key, threads: info.threads, ...ms })}\n`);
  }
}

async function parent(args: Map<string, string>): Promise<void> {
  const pass = ['--rounds', args.get('rounds') ?? '12', '--block', args.get('block') ?? '6', '--models', args.get('models') ?? 'mlp', '--spins', args.get('spins') ?? ''];
  console.log(`parallel capacity before: ${await parallelCapacity()}`);
  const rows: ({ net: string; threads: number; split: number[]; mine1: number[]; off: number[] } & Record<string, number[]>)[] = [];
  for (const t of (args.get('threads') ?? '1,2').split(',')) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/gemm-split.ts', '--child', '--threads', t, ...pass], { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (r.status !== 0) console.log(`threads ${t}: child failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('RESULT '))) rows.push(JSON.parse(line.slice(7)));
  }
  console.log(`parallel capacity after: ${await parallelCapacity()}`);
  console.log('ms per training step (median of rounds); ratios: median of the per-round ratios');
  console.log('net  thr  split  kernel-1t  xnnpack  split/xnnpack  kernel-1t/split');
  for (const r of rows) {
    const ratio = median(r.split.map((v, i) => v / r.off[i]));
    const own = r.mine1?.length ? median(r.mine1.map((v, i) => v / r.split[i])).toFixed(2) : '-';
    const mine1 = r.mine1?.length ? median(r.mine1).toFixed(2) : '-';
    console.log(`${r.net.padEnd(4)} ${String(r.threads).padStart(3)}  ${median(r.split).toFixed(2).padStart(5)}  ${mine1.padStart(9)}  ${median(r.off).toFixed(2).padStart(7)}  ${ratio.toFixed(2).padStart(13)}  ${own.padStart(15)}`);
    for (const key of Object.keys(r).filter((q) => q.startsWith('spin'))) {
      console.log(`     helper ${key}: ${median(r[key]).toFixed(2)} ms/step, ÷ split (2000): ${median(r[key].map((v, i) => v / r.split[i])).toFixed(2)}`);
    }
  }
  const one = rows.find((r) => r.threads === 1);
  for (const r of rows.filter((q) => q.threads > 1)) {
    if (!one || one.net !== r.net) continue;
    console.log(`${r.net} ${r.threads}-thread speedup over 1 thread (XNNPACK 1t): split ${(median(one.off) / median(r.split)).toFixed(2)}×, xnnpack ${(median(one.off) / median(r.off)).toFixed(2)}×`);
  }
}

runParentOrChild('gemm-split', child, (a) => parent(a));
