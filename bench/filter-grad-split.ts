/**
 * Conv2DBackpropFilter per layer of the bench CNN / VGG on wasm with 2 threads, three routes alternated in one
 * process: 'split' (conv/filter-grad-split.ts, the blocked split-K GEMM shared with the helper thread), 'alone'
 * (the same blocks on the calling thread only: what the helper adds) and 'xnnpack' (conv/filter-grad-gemm.ts:
 * one XNNPACK GEMM per chunk, gathering on the calling thread). Prints median ms per call and the blocks the
 * helper took; checks that every route gives the same gradient (relative RMS < 1e-5).
 *
 * With --threads 1 (single-threaded build, no helper) 'split' and 'alone' are the same blocks on the one thread.
 *
 *   node --import tsx bench/filter-grad-split.ts [--models cnn,vgg] [--rounds 5] [--threads 2]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import * as split from '../src/backend/kernels/conv/filter-grad-split.js';
import { gemmKernelOf, setGemmHelperEnabled } from '../src/backend/kernels/simd/small-gemm.js';
import type { WasmBackend } from '../src/backend/kernels/wasm-heap.js';
import { parseBenchArgs } from './args.js';

const LAYERS: Record<string, { batch: number; convs: Array<[h: number, ci: number, co: number]> }> = {
  cnn: { batch: 128, convs: [[28, 1, 32], [28, 32, 32], [14, 32, 64]] },
  vgg: { batch: 64, convs: [[32, 3, 64], [16, 64, 128], [8, 128, 256], [8, 256, 256], [4, 256, 512], [4, 512, 512], [2, 512, 512]] },
};
const ROUTES: Record<string, () => void> = {
  split: () => (split.setFilterGradSplit(true, split.BLOCK_FLOATS, true), setGemmHelperEnabled(true)),
  alone: () => (split.setFilterGradSplit(true, split.BLOCK_FLOATS, true), setGemmHelperEnabled(false)),
  xnnpack: () => (split.setFilterGradSplit(false), setGemmHelperEnabled(true)),
};

const args = parseBenchArgs(process.argv.slice(2));
const rounds = Number(args.get('rounds') ?? '5');
const info = await initBackend({ backend: 'wasm', threads: Number(args.get('threads') ?? '2'), log: false });
await gemmKernelOf(tf.backend() as unknown as WasmBackend)?.helper?.ready;
console.log(`wasm ${info.threads} threads; ${rounds} rounds, median ms per call`);
console.log('net  layer (h, ci → co)      split   alone  xnnpack  xnnpack/split  helper blocks');
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const net of (args.get('models') ?? 'cnn,vgg').split(',')) {
  const spec = LAYERS[net];
  if (!spec) throw new Error(`--models: unknown net '${net}'; use ${Object.keys(LAYERS).join(', ')}`);
  for (const [h, ci, co] of spec.convs) {
    const x = tf.randomNormal([spec.batch, h, h, ci], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([spec.batch, h, h, co], 0, 1, 'float32', 2);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, ci, co] };
    const run = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    ROUTES.xnnpack();
    const ref = run();
    const refv = ref.dataSync();
    const ms: Record<string, number[]> = { split: [], alone: [], xnnpack: [] };
    const helperBlocks: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [name, set] of Object.entries(ROUTES)) {
        set();
        const t0 = performance.now();
        const out = run();
        ms[name].push(performance.now() - t0);
        if (name === 'split') helperBlocks.push(split.lastHelperBlocks);
        const v = out.dataSync();
        let e = 0;
        let n = 0;
        for (let i = 0; i < v.length; i++) (e += (v[i] - refv[i]) ** 2), (n += refv[i] ** 2);
        if (Math.sqrt(e / n) > 1e-5) throw new Error(`${net} ${h},${ci}→${co} ${name}: relative RMS ${Math.sqrt(e / n)} vs xnnpack`);
        out.dispose();
      }
    }
    const [s, a, xn] = [median(ms.split), median(ms.alone), median(ms.xnnpack)];
    console.log(`${net.padEnd(4)} ${`${h}×${h}, ${ci} → ${co}`.padEnd(20)} ${s.toFixed(1).padStart(7)} ${a.toFixed(1).padStart(7)} ${xn.toFixed(1).padStart(8)} ${(xn / s).toFixed(2).padStart(13)}  ${helperBlocks.join(',')}`);
    ref.dispose();
    x.dispose();
    dy.dispose();
  }
}
split.setFilterGradSplit(true);
process.exit(0);
