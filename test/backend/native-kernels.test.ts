/**
 * Native (libtorch) kernels on the wasm heap against the `cpu` backend: conv forward / fused / both
 * gradients, depthwise, (batched, fused) matMul with every transpose, pooling with ties and asymmetric
 * pads, fused batch-norm training, the fused Adam / SGD / momentum updates. Each case also checks that the addon was really called.
 * Skips with the reason when the addon is not built (scripts/setup.sh builds it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { expectMatchesCpu, runOn, relError, seededValues } from '../helpers/backends.js';
import { ensureNative, nativeCalls, nativeSkip } from '../helpers/native.js';
import type { NativeAddon } from '../../src/backend/native/index.js';
import { batchNormTraining } from '../../src/backend/kernels/misc/batch-norm-train.js';
import { createOptimizer, type OptimizerSpec } from '../../src/train/optimizers.js';

const TOL = 1e-4;
const skip = nativeSkip;
const t = (shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor =>
  tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed).map((v) => v * scale + offset), shape);

/** Compares with cpu and asserts that each named addon function was called during the wasm run. */
async function compareNative(name: string, fn: () => tf.Tensor | tf.Tensor[], used: Array<keyof NativeAddon>): Promise<void> {
  await ensureNative();
  const before = used.map((u) => nativeCalls(u));
  await expectMatchesCpu(name, fn, TOL);
  used.forEach((u, i) => assert.ok(nativeCalls(u) > before[i], `${name}: native ${u} was not called`));
}

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
const CONV_CASES: Array<{ x: number[]; k: number; co: number; s: number; pad: Pad; d?: number }> = [
  { x: [2, 7, 7, 3], k: 3, co: 4, s: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, co: 5, s: 2, pad: 'same' }, // asymmetric TF 'same' pad (0 before, 1 after)
  { x: [1, 9, 7, 2], k: 5, co: 3, s: 3, pad: 'valid' }, // tail shorter than the stride
  { x: [2, 6, 6, 4], k: 1, co: 6, s: 1, pad: 'valid' },
  { x: [1, 8, 9, 2], k: 3, co: 3, s: 2, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] }, // explicit asymmetric
  { x: [1, 9, 9, 2], k: 3, co: 2, s: 1, pad: 'same', d: 2 }, // dilated
];

for (const c of CONV_CASES) {
  test(`native conv2d x=${c.x} k=${c.k} s=${c.s} pad=${JSON.stringify(c.pad)} d=${c.d ?? 1}: value and both gradients match cpu`, { skip }, async () => {
    const wShape = [c.k, c.k, c.x[3], c.co];
    await compareNative('conv', () => {
      const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor4D => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1);
      const x = t(c.x, 1);
      const w = t(wShape, 2);
      const dyW = t(f(x, w).shape, 3);
      // TF.js has no gradients for dilated convs: forward only there
      if ((c.d ?? 1) > 1) return f(x, w);
      return [f(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dyW)))([x, w])];
    }, (c.d ?? 1) > 1 ? ['conv2d'] : ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter']);
  });
}

for (const activation of ['linear', 'relu', 'elu'] as const) {
  test(`native fused conv2d with bias and ${activation} matches cpu`, { skip }, async () => {
    await compareNative('fused conv', () =>
      tf.fused.conv2d({ x: t([2, 6, 6, 3], 4) as tf.Tensor4D, filter: t([3, 3, 3, 4], 5) as tf.Tensor4D, strides: 1, pad: 'same', bias: t([4], 6), activation }),
    ['conv2d']);
  });
}

for (const [mult, s, pad, d] of [[1, 1, 'same', 1], [2, 2, 'same', 1], [1, 2, 'valid', 1], [2, 1, 'same', 2]] as const) {
  test(`native depthwise conv multiplier=${mult} s=${s} ${pad} d=${d}: value and both gradients match cpu`, { skip }, async () => {
    await compareNative('depthwise', () => {
      const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor4D => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad, 'NHWC', d);
      const x = t([2, 8, 8, 3], 7);
      const w = t([3, 3, 3, mult], 8);
      const dyW = t(f(x, w).shape, 9);
      if (d > 1) return f(x, w); // TF.js has no gradients for dilated convs
      return [f(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dyW)))([x, w])];
    }, d > 1 ? ['conv2d'] : ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter']);
  });
}

for (const [m, k, n, batch] of [[3, 5, 7, 1], [17, 31, 9, 1], [5, 4, 6, 3]] as const) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      test(`native matMul m=${m} k=${k} n=${n} batch=${batch} ta=${ta} tb=${tb}: value and gradients match cpu`, { skip }, async () => {
        const pre = batch > 1 ? [batch] : [];
        const aShape = [...pre, ...(ta ? [k, m] : [m, k])];
        const bShape = [...pre, ...(tb ? [n, k] : [k, n])];
        await compareNative('matMul', () => {
          const a = t(aShape, 11);
          const b = t(bShape, 12);
          const w = t([...pre, m, n], 13);
          return [tf.matMul(a, b, ta, tb), ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b])];
        }, ['matMul']);
      });
    }
  }
}

test('native matMul broadcasts a rank-2 operand against a batch', { skip }, async () => {
  await compareNative('broadcast', () => tf.matMul(t([4, 6, 5], 1), t([7, 5], 2), false, true), ['matMul']);
});

for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'leakyrelu'] as const) {
  test(`native fused matMul with bias and ${activation}: value and gradients match cpu`, { skip }, async () => {
    await compareNative('fused matMul', () => {
      const a = t([9, 13], 3, 2);
      const b = t([11, 13], 4);
      const bias = t([11], 5);
      const w = t([9, 11], 6);
      const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor): tf.Tensor =>
        tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, transposeB: true, bias: r, activation, leakyreluAlpha: 0.1 });
      return [f(a, b, bias), ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(f(p, q, r), w)))([a, b, bias])];
    }, ['matMul']);
  });
}

const POOLS: Array<{ x: number[]; k: number; s: number; pad: 'same' | 'valid' }> = [
  { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
  { x: [2, 7, 7, 3], k: 2, s: 2, pad: 'valid' }, // odd size: the last row/column is dropped
  { x: [1, 7, 9, 2], k: 3, s: 2, pad: 'same' },
  { x: [1, 8, 8, 2], k: 3, s: 2, pad: 'same' }, // asymmetric 'same'
  { x: [1, 6, 6, 2], k: 3, s: 1, pad: 'same' },
];

test('native provider: the 2×2/2 max-pool gradient stays on the wasm SIMD kernel (faster), and matches cpu', { skip }, async () => {
  await ensureNative();
  const before = [nativeCalls('maxPool'), nativeCalls('maxPoolGrad')];
  await expectMatchesCpu('maxPool 2x2 c8', () => {
    const x = tf.round(tf.mul(t([2, 8, 6, 8], 25), 2));
    const f = (v: tf.Tensor): tf.Tensor => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid');
    const w = t(f(x).shape, 26);
    return [f(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), w)))(x)];
  }, TOL);
  assert.ok(nativeCalls('maxPool') > before[0], 'the forward pool is native');
  assert.equal(nativeCalls('maxPoolGrad'), before[1], 'the gradient ran on the wasm SIMD kernel');
});

for (const c of POOLS) {
  test(`native max/avg pool x=${c.x} k=${c.k} s=${c.s} ${c.pad}: values and gradients match cpu`, { skip }, async () => {
    await compareNative('maxPool', () => {
      // values on a coarse grid: many ties inside windows
      const x = tf.round(tf.mul(t(c.x, 21), 2));
      const f = (v: tf.Tensor): tf.Tensor => tf.maxPool(v as tf.Tensor4D, c.k, c.s, c.pad);
      const w = t(f(x).shape, 22);
      return [f(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), w)))(x)];
    }, c.k === 2 && c.s === 2 && c.pad === 'valid' ? ['maxPool'] : ['maxPool', 'maxPoolGrad']); // 2×2/2 gradients: wasm SIMD
    await ensureNative();
    await expectMatchesCpu('avgPool', () => {
      const x = t(c.x, 23);
      const f = (v: tf.Tensor): tf.Tensor => tf.avgPool(v as tf.Tensor4D, c.k, c.s, c.pad);
      const w = t(f(x).shape, 24);
      return [f(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), w)))(x)];
    }, TOL);
  });
}

test('native avg pool runs natively for symmetric pads', { skip }, async () => {
  await compareNative('avgPool', () => {
    const x = t([2, 8, 8, 3], 25);
    return [tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), tf.grad((v: tf.Tensor) => tf.sum(tf.avgPool(v as tf.Tensor4D, 3, 1, 'same')))(x)];
  }, ['avgPool', 'avgPoolGrad']);
});

/** tf.moments-based reference of the fused batch-norm op (any backend). */
function bnReference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor[] {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta), mean, variance];
}

// PRUNEKIT_NATIVE_BN 'auto' keeps prunekit's wasm SIMD batch norm (faster than ATen's, src/backend/native/batch-norm.ts);
// 'aten' calls ATen.
for (const [shape, mode] of [[[4, 5, 3, 6], 'aten'], [[16, 7], 'aten'], [[4, 5, 3, 8], 'auto'], [[4, 5, 3, 8], 'aten'], [[3, 5, 3, 6], 'auto']] as [number[], string][]) {
  test(`native fused batch-norm training on ${shape} (PRUNEKIT_NATIVE_BN=${mode}): outputs and gradients (through y, mean, variance) match the cpu reference`, { skip }, async () => {
    const c = shape[shape.length - 1];
    const run = (fused: boolean) => () => {
      const x = t(shape, 31, 2, 0.5);
      const gamma = t([c], 32, 0.5, 1);
      const beta = t([c], 33);
      const [wy, wm, wv] = [t(shape, 34), t([c], 35), t([c], 36)];
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor[] =>
        fused ? batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3) : bnReference(a, g, b, 1e-3);
      const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
        const [y, m, v] = f(a, g, b);
        return tf.addN([tf.sum(tf.mul(y, wy)), tf.sum(tf.mul(m, wm)), tf.sum(tf.mul(v, wv))]) as tf.Scalar;
      };
      return [...f(x, gamma, beta), ...tf.grads(loss)([x, gamma, beta])];
    };
    await ensureNative();
    const before = [nativeCalls('batchNormTrain'), nativeCalls('batchNormTrainGrad')];
    const ref = await runOn('cpu', run(false));
    const saved = process.env.PRUNEKIT_NATIVE_BN;
    process.env.PRUNEKIT_NATIVE_BN = mode;
    let got: Awaited<ReturnType<typeof runOn>>;
    try {
      got = await runOn('wasm', run(true));
    } finally {
      if (saved === undefined) delete process.env.PRUNEKIT_NATIVE_BN;
      else process.env.PRUNEKIT_NATIVE_BN = saved;
    }
    const aten = mode === 'aten';
    const called = [nativeCalls('batchNormTrain') > before[0], nativeCalls('batchNormTrainGrad') > before[1]];
    assert.deepEqual(called, [aten, aten], aten ? 'ATen batch norm was called' : 'the wasm SIMD batch norm ran, not ATen');
    for (let i = 0; i < ref.values.length; i++) {
      assert.deepEqual(got.shapes[i], ref.shapes[i]);
      const e = relError(got.values[i], ref.values[i]);
      assert.ok(e < TOL, `output ${i}: relative error ${e}`);
    }
  });
}

const OPTIMIZERS: OptimizerSpec[] = [
  { name: 'adam', lr: 0.01, weightDecay: 1e-2 },
  { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
  { name: 'sgd', lr: 0.05 },
];

for (const spec of OPTIMIZERS) {
  test(`native fused update ${JSON.stringify(spec)}: 4 steps give the weights of the same optimiser on cpu`, { skip }, async () => {
    const train = (): tf.Tensor[] => {
      const w = tf.variable(t([40, 30], 41), true);
      const b = tf.variable(t([30], 42), true);
      // positive inputs: no gradient near 0, where Adam's g/√v would amplify rounding differences
      const x = t([8, 40], 43, 0.5, 1);
      const opt = createOptimizer(spec);
      const vars = [{ name: 'fc/kernel', variable: w }, { name: 'fc/bias', variable: b }];
      for (let i = 0; i < 4; i++) opt.step(() => tf.sum(tf.square(tf.add(tf.matMul(x, w), b))) as tf.Scalar, vars).dispose();
      const out = [w.clone(), b.clone()];
      tf.dispose([w, b]);
      opt.dispose();
      return out;
    };
    await ensureNative();
    const name: keyof NativeAddon = spec.name === 'adam' ? 'adam' : 'momentum';
    const before = nativeCalls(name);
    await expectMatchesCpu('optimizer', train, TOL);
    assert.ok(nativeCalls(name) >= before + 8, `native ${name} ran for each variable and step`);
  });
}
