/**
 * The split conv filter gradient (src/backend/kernels/conv/filter-grad-split.ts: blocked split-K GEMM over the
 * pixels, shared with the GEMM helper thread) under two wasm threads, against the cpu backend: strides 1/2,
 * same/valid/explicit pads, 1/3/5 kernels, first layers (gemmSmallK), default blocks and one image per block;
 * the result has the same bits run to run and with the helper switched off (fixed block summation order); no
 * tensor or heap buffer is left behind. The thread count is fixed once per process: this file re-runs itself
 * as a child process (PRUNEKIT_FG_SPLIT_CHILD=1), which prints one JSON line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isChildRun, printReport, runChild, runSelfAsChild } from '../helpers/self-child.js';

const CHILD_FLAG = 'PRUNEKIT_FG_SPLIT_CHILD';

type Pad = 'same' | 'valid' | number[][];
const CASES: Array<{ x: [number, number, number, number]; co: number; k: number; s: number; pad: Pad }> = [
  { x: [3, 9, 9, 5], co: 8, k: 3, s: 1, pad: 'same' },
  { x: [3, 9, 8, 5], co: 4, k: 3, s: 2, pad: 'same' },
  { x: [2, 10, 10, 4], co: 8, k: 3, s: 2, pad: 'valid' },
  { x: [2, 7, 9, 1], co: 12, k: 5, s: 1, pad: 'same' },
  { x: [4, 6, 6, 16], co: 12, k: 1, s: 1, pad: 'valid' },
  { x: [2, 8, 7, 3], co: 20, k: 3, s: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  // first layers: gemmSmallK per block
  { x: [5, 7, 9, 1], co: 16, k: 3, s: 1, pad: 'same' },
  { x: [3, 9, 8, 3], co: 32, k: 3, s: 2, pad: 'same' },
  // the bench CNN's second conv, big enough for the helper to take blocks
  { x: [16, 28, 28, 32], co: 32, k: 3, s: 1, pad: 'same' },
];

interface ChildReport {
  threads: number;
  errors: Record<string, number>;
  splitCalls: number;
  helperBlocks: number;
  sameRunToRun: boolean;
  sameWithoutHelper: boolean;
  leakedTensors: number;
  leakedBuffers: number;
}

async function child(): Promise<void> {
  const { initBackend } = await import('../../src/backend/index.js');
  const info = await initBackend({ backend: 'wasm', threads: 2, log: false });
  const { relError, runOn, seededValues } = await import('../helpers/backends.js');
  const split = await import('../../src/backend/kernels/conv/filter-grad-split.js');
  const sg = await import('../../src/backend/kernels/simd/small-gemm.js');
  const filterGrad = (c: (typeof CASES)[number], seed: number) => (): tf.Tensor => {
    const x = tf.tensor4d(seededValues(c.x.reduce((p, q) => p * q, 1), seed), c.x);
    const filter: [number, number, number, number] = [c.k, c.k, c.x[3], c.co];
    const y = tf.conv2d(x, tf.zeros(filter) as tf.Tensor4D, c.s, c.pad as 'same');
    const dy = tf.tensor(seededValues(y.size, seed + 1), y.shape);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
  await runOn('wasm', () => tf.scalar(0));
  const backend = tf.findBackend('wasm') as unknown as { numDataIds(): number };
  const helper = sg.gemmKernelOf(tf.findBackend('wasm') as never)?.helper;
  if (helper) await helper.ready;
  const buffersBefore = backend.numDataIds();
  const tensorsBefore = tf.memory().numTensors;
  const errors: Record<string, number> = {};
  let helperBlocks = 0;
  const calls0 = split.splitCalls;
  for (const blocks of ['default', 'one image'] as const) {
    split.setFilterGradSplit(true, blocks === 'default' ? split.BLOCK_FLOATS : 1);
    let seed = 500;
    for (const c of CASES) {
      const ref = await runOn('cpu', filterGrad(c, seed));
      const got = await runOn('wasm', filterGrad(c, seed));
      helperBlocks += split.lastHelperBlocks;
      errors[`${blocks} ${JSON.stringify(c)}`] = relError(got.values[0], ref.values[0]);
      seed += 10;
    }
  }
  const calls = split.splitCalls - calls0;
  // determinism: same bits run to run, and with the helper's share turned off
  split.setFilterGradSplit(true, 1);
  const big = CASES[CASES.length - 1];
  const r1 = await runOn('wasm', filterGrad(big, 7));
  const r2 = await runOn('wasm', filterGrad(big, 7));
  sg.setGemmHelperEnabled(false);
  const r3 = await runOn('wasm', filterGrad(big, 7));
  sg.setGemmHelperEnabled(true);
  split.setFilterGradSplit(true);
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
  await tf.setBackend('wasm');
  const report: ChildReport = {
    threads: info.threads,
    errors,
    splitCalls: calls,
    helperBlocks,
    sameRunToRun: same(r1.values[0], r2.values[0]),
    sameWithoutHelper: same(r1.values[0], r3.values[0]),
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    leakedBuffers: backend.numDataIds() - buffersBefore,
  };
  printReport(report);
}

if (isChildRun(CHILD_FLAG)) {
  runChild(child);
} else {
  test('split conv filter gradient with two wasm threads: matches cpu, deterministic, no leaks', (ctx) => {
    const { report } = runSelfAsChild<ChildReport>(import.meta.url, CHILD_FLAG);
    for (const [name, e] of Object.entries(report.errors)) assert.ok(e < 1e-4, `${name}: relative error ${e}`);
    assert.equal(report.leakedTensors, 0, 'tensors leaked');
    assert.equal(report.leakedBuffers, 0, 'heap buffers leaked');
    assert.ok(report.sameRunToRun, 'the filter gradient differs run to run');
    assert.ok(report.sameWithoutHelper, 'the filter gradient depends on whether the helper took blocks');
    if (report.threads < 2) {
      ctx.diagnostic('ran with 1 thread only: the split route is off there');
      return;
    }
    assert.equal(report.splitCalls, 2 * CASES.length, 'every case went through the split route');
    ctx.diagnostic(`helper thread computed ${report.helperBlocks} blocks`);
  });
}
