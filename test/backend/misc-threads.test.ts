/**
 * The misc kernels under two wasm threads (the heap is then a SharedArrayBuffer and XNNPACK runs in
 * pthreads). The thread count is fixed once per process, so this file re-runs itself as a child
 * process with PRUNEKIT_MISC_THREADS_CHILD=1, which prints one JSON line with the worst errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isChildRun, printReport, runChild, runSelfAsChild } from '../helpers/self-child.js';

const CHILD_FLAG = 'PRUNEKIT_MISC_THREADS_CHILD';

interface ChildReport {
  threads: number;
  detail: string;
  errors: Record<string, number>;
  leakedTensors: number;
}

async function child(): Promise<void> {
  const { initBackend } = await import('../../src/backend/index.js');
  const info = await initBackend({ backend: 'wasm', threads: 2, log: false });
  const { relError, runOn, seededValues } = await import('../helpers/backends.js');
  const { createOptimizer } = await import('../../src/train/optimizers.js');
  const { fusedUpdatesAvailable } = await import('../../src/backend/kernels/simd/fused-update.js');
  let fusedSeen = false;
  const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);
  const cases: Record<string, () => tf.Tensor[]> = {};
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      cases[`matMul ta=${ta} tb=${tb}`] = () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, ta, tb))))([t(ta ? [40, 9] : [9, 40], 1), t(tb ? [70, 40] : [40, 70], 2)]);
    }
  }
  // Dense-sized GEMMs, plain and fused, on the threaded 1×1-conv route
  cases['dense 60x300x200 fused relu + grads'] = () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation: 'relu' }))),
    )([t([60, 300], 7), t([300, 200], 8), t([200], 9)]);
  // fused SIMD Adam on the threaded build's shared memory (the module's `shared` variant)
  cases['fused adam, 3 steps'] = () => {
    const v = tf.variable(t([37, 5], 10));
    const target = t([37, 5], 11);
    const opt = createOptimizer({ name: 'adam', lr: 0.01, weightDecay: 0.01 });
    for (let i = 0; i < 3; i++) opt.step(() => tf.sum(tf.square(tf.sub(tf.mul(v, v), target))) as tf.Scalar, [{ name: 'w/kernel', variable: v }]).dispose();
    const out = [tf.clone(v)];
    fusedSeen ||= fusedUpdatesAvailable();
    opt.dispose();
    v.dispose();
    return out;
  };
  cases['maxPoolGrad ties'] = () => [
    tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.maxPool(v as tf.Tensor4D, 3, 2, 'same'))))(tf.round(tf.mul(t([2, 9, 9, 3], 3), 2))),
  ];
  // conv gradients (filter gradient as patches + threaded GEMM), stride 2 and same padding
  cases['conv2d grads s2 same'] = () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([t([3, 9, 8, 6], 12), t([3, 3, 6, 10], 13)]);
  cases['tile + sum'] = () => [tf.sum(tf.tile(t([1, 1, 1, 5], 4), [3, 4, 4, 1]), [0, 1, 2])];
  cases['bn layer'] = () => {
    const layer = tf.layers.batchNormalization({});
    layer.build([6, 4, 4, 5]);
    const x = tf.variable(t([6, 4, 4, 5], 5));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, t([6, 4, 4, 5], 6))) as tf.Scalar, [x]);
    const out = [value, grads[x.name]];
    x.dispose();
    for (const w of layer.weights) w.dispose();
    return out;
  };
  const errors: Record<string, number> = {};
  const before = tf.memory().numTensors;
  for (const [name, fn] of Object.entries(cases)) {
    const ref = await runOn('cpu', fn);
    const got = await runOn('wasm', fn);
    errors[name] = Math.max(...ref.values.map((r, i) => relError(got.values[i], r)));
  }
  if (!fusedSeen) errors['fused SIMD path unavailable on the threaded build'] = 1;
  const report: ChildReport = { threads: info.threads, detail: info.detail, errors, leakedTensors: tf.memory().numTensors - before };
  printReport(report);
}

if (isChildRun(CHILD_FLAG)) {
  runChild(child);
} else {
  test('misc kernels match cpu with two wasm threads', (ctx) => {
    const { report } = runSelfAsChild<ChildReport>(import.meta.url, CHILD_FLAG);
    for (const [name, e] of Object.entries(report.errors)) assert.ok(e < 1e-4, `${name}: relative error ${e} with ${report.threads} thread(s)`);
    assert.equal(report.leakedTensors, 0, 'tensors leaked in the child');
    if (report.threads < 2) ctx.diagnostic(`ran with 1 thread only: ${report.detail}`);
  });
}
