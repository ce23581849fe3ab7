/**
 * prunekit's small-GEMM path (src/backend/kernels/simd/small-gemm.ts, gemm.wat, gemm-helper.ts) against a naive
 * float64 loop: single-threaded here (mode 'on'), and with two wasm threads (helper thread, mode 'auto') in a
 * child process — which also checks that a seeded MLP training run gives bit-identical weights twice, and the
 * same bits with the helper switched off, and that the helper thread does not keep the process alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChildRun, printReport, runChild, runSelfAsChild } from '../helpers/self-child.js';
import * as tf from '@tensorflow/tfjs';

const CHILD_FLAG = 'PRUNEKIT_SMALL_GEMM_CHILD';

// [m, k, n, batch]: 4×8 and 4×4 micro-kernels, M % 4 row tails, N % 4 ≠ 0 (padded B), several 64-column panels
const SHAPES: [number, number, number, number][] = [
  [1, 1, 4, 1],
  [3, 5, 7, 1],
  [4, 8, 8, 1],
  [6, 9, 8, 1],
  [13, 7, 20, 1],
  [9, 17, 12, 1],
  [60, 50, 130, 1],
  [5, 33, 1, 1],
  [5, 4, 68, 3],
  [130, 60, 70, 1],
];

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** C = A·B (+ bias, clamp) in float64, A [m, k], B [k, n] row-major. */
function naive(a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias?: Float32Array, lo = -Infinity, hi = Infinity): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = Math.min(Math.max(s, lo), hi);
    }
  }
  return c;
}

function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(got[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / Math.max(den, 1e-30);
}

/** Worst relative errors of plain, fused (bias + relu / relu6) and batched GEMMs against the naive loop. */
function errorsAgainstNaive(): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const [m, k, n, batch] of SHAPES) {
    const a = seeded(batch * m * k, m * 7 + k);
    const b = seeded(k * n, n * 13 + k);
    const bias = seeded(n, 5);
    const ref = naive(a, b, batch * m, k, n);
    const at = tf.tensor(a, batch > 1 ? [batch, m, k] : [m, k]);
    const bt = tf.tensor2d(b, [k, n]);
    const got = tf.matMul(at, bt);
    errors[`matMul ${m}x${k}x${n} batch ${batch}`] = relErr(got.dataSync(), ref);
    got.dispose();
    if (batch === 1) {
      for (const [activation, lo, hi] of [['relu', 0, Infinity], ['relu6', 0, 6]] as const) {
        const bt1 = tf.tensor1d(bias);
        const fused = tf.fused.matMul({ a: at as tf.Tensor2D, b: bt as tf.Tensor2D, bias: bt1, activation });
        errors[`fused ${activation} ${m}x${k}x${n}`] = relErr(fused.dataSync(), naive(a, b, m, k, n, bias, lo, hi));
        tf.dispose([fused, bt1]);
      }
    }
    tf.dispose([at, bt]);
  }
  return errors;
}

interface ChildReport {
  threads: number;
  errors: Record<string, number>;
  leakedTensors: number;
  helperUnits: number;
  sameRunToRun: boolean;
  sameWithoutHelper: boolean;
}

async function trainWeights(): Promise<Float32Array[]> {
  const { createModel } = await import('../../src/models/zoo.js');
  const { createOptimizer } = await import('../../src/train/optimizers.js');
  const model = createModel('fcn', { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  const x = tf.tensor4d(seeded(24 * 784, 9), [24, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 24 }, (_, i) => i % 10), 'int32'), 10).toFloat();
  const opt = createOptimizer({ name: 'adam', lr: 1e-3 });
  const vars = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  for (let i = 0; i < 3; i++) {
    opt.step(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars).dispose();
  }
  const out = vars.map((v) => Float32Array.from(v.variable.dataSync() as Float32Array));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return out;
}

const sameBits = (p: Float32Array[], q: Float32Array[]): boolean =>
  p.length === q.length && p.every((v, i) => v.length === q[i].length && v.every((e, j) => Object.is(e, q[i][j])));

async function child(): Promise<void> {
  const { initBackend } = await import('../../src/backend/index.js');
  const info = await initBackend({ backend: 'wasm', threads: 2, log: false });
  const sg = await import('../../src/backend/kernels/simd/small-gemm.js');
  const { asWasm } = await import('../../src/backend/kernels/wasm-heap.js');
  const before = tf.memory().numTensors;
  const errors = errorsAgainstNaive();
  // GEMMs big enough for the helper to join once it is up (it may still lose unit races on a busy machine)
  let helperUnits = 0;
  const a = tf.tensor2d(seeded(64 * 256, 1), [64, 256]);
  const b = tf.tensor2d(seeded(256 * 512, 2), [256, 512]);
  const helper = sg.gemmHelperOf(asWasm(tf.backend()));
  if (helper && !(await helper.ready)) errors['helper thread failed to start'] = 1;
  for (let i = 0; i < 30; i++) {
    tf.matMul(a, b).dispose();
    helperUnits += helper?.lastHelperUnits ?? 0;
  }
  tf.dispose([a, b]);
  const leakedTensors = tf.memory().numTensors - before;
  const w1 = await trainWeights();
  const w2 = await trainWeights();
  sg.setGemmHelperEnabled(false);
  const w3 = await trainWeights();
  sg.setGemmHelperEnabled(true);
  const report: ChildReport = { threads: info.threads, errors, leakedTensors, helperUnits, sameRunToRun: sameBits(w1, w2), sameWithoutHelper: sameBits(w1, w3) };
  printReport(report);
}

if (isChildRun(CHILD_FLAG)) {
  runChild(child, { exit: false }); // no process.exit: the parent checks that the helper thread (unref'd) lets the process end by itself
} else {
  test('small GEMM (one thread, mode on) matches a naive loop and leaks nothing', async () => {
    const { ensureWasm } = await import('../helpers/backends.js');
    const sg = await import('../../src/backend/kernels/simd/small-gemm.js');
    await ensureWasm();
    await tf.setBackend('wasm');
    sg.setGemmSplitMode('on');
    try {
      const before = tf.memory().numTensors;
      for (const [name, e] of Object.entries(errorsAgainstNaive())) assert.ok(e < 1e-4, `${name}: relative error ${e}`);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    } finally {
      sg.setGemmSplitMode(undefined);
    }
  });

  test('PRUNEKIT_WASM_GEMM_SPLIT: a bad value is a clear error', async () => {
    const sg = await import('../../src/backend/kernels/simd/small-gemm.js');
    const old = process.env.PRUNEKIT_WASM_GEMM_SPLIT;
    process.env.PRUNEKIT_WASM_GEMM_SPLIT = 'fast';
    try {
      assert.throws(() => sg.gemmSplitMode(), /PRUNEKIT_WASM_GEMM_SPLIT must be auto, on or off, got 'fast'/);
    } finally {
      if (old === undefined) delete process.env.PRUNEKIT_WASM_GEMM_SPLIT;
      else process.env.PRUNEKIT_WASM_GEMM_SPLIT = old;
    }
  });

  test('small GEMM split over two wasm threads: matches a naive loop, deterministic, exits cleanly', (ctx) => {
    const { report, result: r } = runSelfAsChild<ChildReport>(import.meta.url, CHILD_FLAG, { PRUNEKIT_WASM_GEMM_SPLIT: 'auto' });
    assert.notEqual(r.signal, 'SIGTERM', 'the child did not exit by itself (a thread kept it alive?)');
    assert.equal(r.status, 0);
    for (const [name, e] of Object.entries(report.errors)) assert.ok(e < 1e-4, `${name}: relative error ${e} with ${report.threads} thread(s)`);
    assert.equal(report.leakedTensors, 0, 'tensors leaked in the child');
    assert.ok(report.sameRunToRun, 'two seeded training runs gave different weights');
    assert.ok(report.sameWithoutHelper, 'the weights depend on whether the helper thread took part');
    if (report.threads < 2) ctx.diagnostic('ran with 1 thread only');
    else ctx.diagnostic(`helper thread computed ${report.helperUnits} of ${30 * 16 * 8} units`);
  });
}
