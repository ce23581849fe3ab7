/**
 * prunekit's depthwise-conv inference kernel on wasm (src/backend/kernels/simd/dwconv.wat via
 * depthwise-conv.ts) against the cpu backend's tf.fused.depthwiseConv2d (rel err < 1e-4): kernel sizes
 * 3×3 (unrolled single pixels and pixel pairs, borders through the zero buffer) and others (tap-by-tap path),
 * strides 1 / 2 / mixed, 'same' / 'valid', channel counts with and without a scalar tail (c mod 4), with
 * and without bias, linear / relu / relu6, inputs smaller than the kernel; no tensor or heap buffer left
 * behind; the cases it does not cover fall back (undefined); fusedPredict gives the same outputs with
 * either depthwise kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { depthwiseConvInference, dwconvMode, type DwConvArgs } from '../../src/backend/kernels/simd/depthwise-conv.js';
import { fusedPredict } from '../../src/models/fused-predict.js';
import { createModel } from '../../src/models/zoo.js';
import { foldBatchNorm } from '../../src/structured/fold-bn.js';
import { fuseActivations } from '../../src/structured/fuse-activations.js';
import { ensureWasm, relError, seededValues } from '../helpers/backends.js';

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  s: [number, number];
  pad: 'same' | 'valid';
  act: 'linear' | 'relu' | 'relu6';
  bias: boolean;
}

const CASES: Case[] = [
  { x: [2, 7, 6, 5], k: [3, 3], s: [1, 1], pad: 'same', act: 'relu6', bias: true },
  { x: [2, 8, 8, 16], k: [3, 3], s: [2, 2], pad: 'same', act: 'linear', bias: false },
  { x: [3, 4, 4, 8], k: [3, 3], s: [1, 1], pad: 'same', act: 'relu6', bias: true },
  { x: [1, 9, 10, 12], k: [3, 3], s: [1, 1], pad: 'valid', act: 'relu', bias: true },
  { x: [1, 9, 9, 4], k: [3, 3], s: [2, 2], pad: 'valid', act: 'linear', bias: true },
  { x: [2, 6, 7, 20], k: [3, 3], s: [2, 1], pad: 'same', act: 'relu6', bias: true },
  { x: [1, 2, 2, 12], k: [3, 3], s: [1, 1], pad: 'same', act: 'relu', bias: true },
  { x: [1, 1, 1, 3], k: [3, 3], s: [1, 1], pad: 'same', act: 'linear', bias: true },
  { x: [1, 5, 9, 7], k: [5, 3], s: [2, 2], pad: 'valid', act: 'relu', bias: true },
  { x: [2, 6, 5, 9], k: [5, 5], s: [1, 1], pad: 'same', act: 'relu6', bias: false },
  { x: [1, 4, 4, 8], k: [1, 1], s: [1, 1], pad: 'same', act: 'linear', bias: true },
  { x: [1, 3, 5, 1], k: [2, 2], s: [1, 2], pad: 'same', act: 'relu', bias: true },
];

function tensors(c: Case): { x: tf.Tensor4D; filter: tf.Tensor4D; bias?: tf.Tensor1D } {
  const ch = c.x[3];
  const n = c.x.reduce((a, b) => a * b, 1);
  // scale 4 so that relu6 clamps some values
  const x = tf.tensor4d(seededValues(n, 1).map((v) => 4 * v), c.x);
  const filter = tf.tensor4d(seededValues(c.k[0] * c.k[1] * ch, 2), [c.k[0], c.k[1], ch, 1]);
  return { x, filter, bias: c.bias ? tf.tensor1d(seededValues(ch, 3)) : undefined };
}

function args(c: Case, t: ReturnType<typeof tensors>): DwConvArgs & { activation: Case['act'] } {
  return { ...t, strides: c.s, pad: c.pad, dilations: [1, 1], activation: c.act };
}

const name = (c: Case) => `x [${c.x}] k ${c.k.join('×')} s ${c.s.join(',')} ${c.pad} ${c.act}${c.bias ? ' +bias' : ''}`;

for (const c of CASES) {
  test(`dwconv.wat ${name(c)}: matches cpu, no tensor or heap buffer left`, async () => {
    await tf.setBackend('cpu');
    const ref = tf.tidy(() => tf.fused.depthwiseConv2d(args(c, tensors(c))));
    const want = Float32Array.from(ref.dataSync() as Float32Array);
    const shape = ref.shape.slice();
    ref.dispose();
    await ensureWasm();
    await tf.setBackend('wasm');
    const t = tensors(c);
    const y0 = depthwiseConvInference(args(c, t), 'on'); // first call registers the kernel
    assert.ok(y0, 'the prunekit kernel applies');
    y0.dispose();
    const before = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    const y = depthwiseConvInference(args(c, t), 'on')!;
    assert.deepEqual(y.shape, shape);
    const err = relError(y.dataSync() as Float32Array, want);
    y.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.equal(tf.backend().numDataIds(), ids, 'wasm heap buffers leaked');
    tf.dispose([t.x, t.filter, ...(t.bias ? [t.bias] : [])]);
    assert.ok(err < 1e-4, `relative error ${err}`);
  });
}

test('dwconv: cases it does not cover fall back (undefined): off, cpu backend, dilation, multiplier 2, elu', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const c = CASES[0];
  const t = tensors(c);
  const a = args(c, t);
  assert.equal(depthwiseConvInference(a, 'off'), undefined);
  assert.equal(depthwiseConvInference({ ...a, dilations: [2, 2] }, 'on'), undefined);
  assert.equal(depthwiseConvInference({ ...a, activation: 'elu' }, 'on'), undefined);
  const f2 = tf.zeros([3, 3, c.x[3], 2]) as tf.Tensor4D;
  assert.equal(depthwiseConvInference({ ...a, filter: f2 }, 'on'), undefined);
  tf.dispose([t.x, t.filter, t.bias!, f2]);
  await tf.setBackend('cpu');
  const u = tensors(c);
  assert.equal(depthwiseConvInference(args(c, u), 'on'), undefined);
  tf.dispose([u.x, u.filter, u.bias!]);
});

test('PRUNEKIT_WASM_DWCONV: auto / on / off, anything else is a clear error', () => {
  const saved = process.env.PRUNEKIT_WASM_DWCONV;
  try {
    delete process.env.PRUNEKIT_WASM_DWCONV;
    assert.equal(dwconvMode(), 'auto');
    process.env.PRUNEKIT_WASM_DWCONV = 'off';
    assert.equal(dwconvMode(), 'off');
    process.env.PRUNEKIT_WASM_DWCONV = 'fast';
    assert.throws(() => dwconvMode(), /PRUNEKIT_WASM_DWCONV must be auto, on or off, got 'fast'/);
  } finally {
    if (saved === undefined) delete process.env.PRUNEKIT_WASM_DWCONV;
    else process.env.PRUNEKIT_WASM_DWCONV = saved;
  }
});

test('fusedPredict on wasm: MobileNet inference form gives the cpu outputs with the prunekit and the XNNPACK depthwise kernel', async () => {
  await tf.setBackend('cpu');
  const m = createModel('mobilenet', { seed: 3, widthMultiplier: 0.25, inputShape: [16, 16, 3] });
  const form = await fuseActivations(await foldBatchNorm(m));
  const x = tf.tensor4d(seededValues(2 * 16 * 16 * 3, 9), [2, 16, 16, 3]);
  const want = Float32Array.from((fusedPredict(form, x) as tf.Tensor).dataSync() as Float32Array);
  await ensureWasm();
  await tf.setBackend('wasm');
  for (const depthwise of ['prunekit', 'xnnpack'] as const) {
    const before = tf.memory().numTensors;
    let err = Infinity;
    const info = await tf.profile(() => {
      const y = fusedPredict(form, x, { depthwise }) as tf.Tensor;
      err = relError(y.dataSync() as Float32Array, want);
      y.dispose();
    });
    const kernels = new Set(info.kernels.map((k) => k.name));
    assert.equal(kernels.has('PrunekitDepthwiseConv2D'), depthwise === 'prunekit', `${depthwise}: kernels run ${[...kernels]}`);
    assert.equal(kernels.has('FusedDepthwiseConv2D'), depthwise === 'xnnpack', `${depthwise}: kernels run ${[...kernels]}`);
    assert.equal(tf.memory().numTensors, before, `${depthwise}: tensors leaked`);
    assert.ok(err < 1e-4, `${depthwise}: relative error ${err}`);
  }
  assert.throws(() => fusedPredict(form, x, { depthwise: 'fast' as 'auto' }), /depthwise must be prunekit, xnnpack or auto/);
  await tf.setBackend('cpu');
  x.dispose();
  m.dispose();
  form.dispose();
});
