/**
 * `npm run bench:dwconv`: prunekit's depthwise-conv inference kernel (src/backend/kernels/simd/dwconv.wat,
 * one thread) against tfjs-wasm's FusedDepthwiseConv2D (XNNPACK, its thread pool) at the depthwise layers of
 * the MobileNet-v1-style zoo net at 32×32 (src/models/mobilenet.ts: 3×3, 'same', bias + relu6), with the
 * dense channel counts and those left by 50% / 75% filter pruning (c·(1 − rate)), batch 1 and 64. The two
 * kernels run interleaved (A, B, A, B …) on the same input; median ms of each, their ratio, and per width
 * the sum over the 13 layers (what one MobileNet forward spends in depthwise convs) with the shrink factor
 * dense → pruned of each kernel (the MACs shrink by 1/(1 − rate)). Load average before and after.
 *
 * Flags: --runs N (timed calls per kernel and shape, default 15 at batch 64, 4× at batch 1), --threads N
 * (wasm threads, default 2), --batches 1,64.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseThreads } from '../src/backend/index.js';
import { depthwiseConvInference } from '../src/backend/kernels/simd/depthwise-conv.js';
import { quantile } from '../src/report/latency.js';
import { formatTable } from '../src/report/table.js';
import { MOBILENET_V1_BLOCKS } from '../src/models/mobilenet.js';
import { maxRelError } from '../src/util/rel-error.js';
import { createRng, randNormal } from '../src/util/random.js';
import { parseBenchArgs } from './args.js';

const RATES = [0, 0.5, 0.75];
const load = () => loadavg()[0].toFixed(1);

/** (input size, channels, stride) of the 13 depthwise layers at 32×32 input. */
function layers(): { h: number; c: number; s: number }[] {
  const out: { h: number; c: number; s: number }[] = [];
  let h = 32;
  let c = 32;
  for (const [filters, s] of MOBILENET_V1_BLOCKS) {
    out.push({ h, c, s });
    h = Math.ceil(h / s);
    c = filters;
  }
  return out;
}

function randTensor(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => randNormal(rng)), shape);
}

/** Wall time of one kernel call (wasm kernels run synchronously; the output is not read back: copying
 * megabytes out of the heap costs more than the convolution and happens only at a model's output). */
function timeOnce(fn: () => tf.Tensor): number {
  const t0 = performance.now();
  const y = fn();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const threads = parseThreads(args.get('threads') ?? '2', '--threads') ?? 2;
  const backend = await initBackend({ backend: 'wasm', threads });
  const runs = Number(args.get('runs') ?? 15);
  const batches = (args.get('batches') ?? '1,64').split(',').map(Number);
  const loadBefore = load();
  process.stderr.write(`bench:dwconv: load average ${loadBefore} at start; tfjs ${backend.name} ${backend.threads} threads\n`);
  const t0 = performance.now();
  const rows: (string | number)[][] = [];
  const sums: (string | number)[][] = [];
  for (const batch of batches) {
    const n = batch === 1 ? 4 * runs : runs;
    const total: Record<number, [number, number]> = {};
    for (const rate of RATES) {
      total[rate] = [0, 0];
      for (const [i, l] of layers().entries()) {
        const c = Math.max(1, Math.round(l.c * (1 - rate)));
        const x = randTensor([batch, l.h, l.h, c], 1 + i) as tf.Tensor4D;
        const filter = randTensor([3, 3, c, 1], 100 + i) as tf.Tensor4D;
        const bias = randTensor([c], 200 + i);
        const conv = { x, filter, bias, strides: [l.s, l.s] as [number, number], pad: 'same' as const, dilations: [1, 1] as [number, number], activation: 'relu6' as const };
        const xnn = () => tf.fused.depthwiseConv2d(conv);
        const ours = () => {
          const y = depthwiseConvInference(conv, 'on');
          if (!y) throw new Error('bench:dwconv: prunekit kernel unavailable (no wasm SIMD)');
          return y;
        };
        const a = xnn();
        const b = ours();
        const err = maxRelError(b.dataSync() as Float32Array, a.dataSync() as Float32Array);
        tf.dispose([a, b]);
        if (!(err < 1e-4)) throw new Error(`bench:dwconv: layer ${i + 1} c=${c}: prunekit differs from XNNPACK by ${err}`);
        for (let w = 0; w < 2; w++) {
          timeOnce(xnn);
          timeOnce(ours);
        }
        const tx: number[] = [];
        const to: number[] = [];
        for (let r = 0; r < n; r++) {
          tx.push(timeOnce(xnn));
          to.push(timeOnce(ours));
        }
        tf.dispose([x, filter, bias]);
        const mx = quantile(tx, 0.5);
        const mo = quantile(to, 0.5);
        total[rate][0] += mx;
        total[rate][1] += mo;
        rows.push([batch, `${100 * rate}%`, i + 1, `${l.h}×${l.h}×${c} s${l.s}`, mx.toFixed(3), mo.toFixed(3), `${(mx / mo).toFixed(2)}×`]);
      }
      const [sx, so] = total[rate];
      const shrink = (k: 0 | 1) => (rate === 0 ? '' : `${(total[0][k] / total[rate][k]).toFixed(2)}×`);
      sums.push([batch, `${100 * rate}%`, `${(1 / (1 - rate)).toFixed(2)}×`, sx.toFixed(2), so.toFixed(2), `${(sx / so).toFixed(2)}×`, shrink(0), shrink(1)]);
    }
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  const caption = `tfjs-wasm FusedDepthwiseConv2D (XNNPACK, ${backend.threads} threads) vs prunekit dwconv.wat (1 thread), 3×3 same + bias + relu6, median of ${runs} (b64) / ${4 * runs} (b1) interleaved calls; load average ${loadBefore} → ${load()}; ${seconds} s`;
  process.stdout.write(formatTable({ columns: ['batch', 'pruned', 'layer', 'input', 'XNNPACK ms', 'prunekit ms', 'prunekit speedup'], rows, caption }) + '\n\n');
  process.stdout.write(formatTable({ columns: ['batch', 'pruned', 'MACs shrink', 'XNNPACK Σ ms', 'prunekit Σ ms', 'prunekit speedup', 'XNNPACK shrink', 'prunekit shrink'], rows: sums, caption: 'sum over the 13 depthwise layers; shrink = dense Σ / pruned Σ of the same kernel' }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dwconv: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
