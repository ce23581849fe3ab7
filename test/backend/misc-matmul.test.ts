import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { seededValues, expectMatchesCpu } from '../helpers/backends.js';

const TOL = 1e-4;

const compare = (name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> => expectMatchesCpu(name, fn, TOL);

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);

// [m, k, n, batch]: small, odd, and one shape where B is much larger than A (swapped route).
const SHAPES: [number, number, number, number][] = [
  [3, 5, 7, 1],
  [17, 31, 9, 1],
  [8, 200, 150, 1],
  [5, 4, 6, 3],
];

for (const [m, k, n, batch] of SHAPES) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      test(`BatchMatMul m=${m} k=${k} n=${n} batch=${batch} transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
        const pre = batch > 1 ? [batch] : [];
        const aShape = [...pre, ...(ta ? [k, m] : [m, k])];
        const bShape = [...pre, ...(tb ? [n, k] : [k, n])];
        await compare('matMul', () => tf.matMul(t(aShape, m * 7 + k), t(bShape, n * 13 + k), ta, tb));
        // gradients of matMul (they use BatchMatMul with every transpose combination)
        await compare('matMul grads', () => {
          const a = t(aShape, 11);
          const b = t(bShape, 12);
          const w = t([...pre, m, n], 13);
          return tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b]);
        });
      });
    }
  }
}

test('BatchMatMul broadcasts a rank-2 operand against a batch', async () => {
  await compare('broadcast', () => tf.matMul(t([4, 6, 5], 1), t([7, 5], 2), false, true));
});

for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    for (const activation of ['linear', 'relu'] as const) {
      test(`fused matMul with bias, ${activation}, transposeA=${ta} transposeB=${tb}: value and gradients match cpu`, async () => {
        const [m, k, n] = [9, 13, 11];
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        await compare('fused', () => tf.fused.matMul({ a: t(aShape, 3), b: t(bShape, 4), transposeA: ta, transposeB: tb, bias: t([n], 5), activation }));
        await compare('fused grads', () => {
          const w = t([m, n], 6);
          return tf.grads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
            tf.sum(tf.mul(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation }), w)),
          )([t(aShape, 7), t(bShape, 8), t([n], 9)]);
        });
      });
    }
  }
}

test('Dense layer training gradients match cpu', async () => {
  await compare('dense', () => {
    const x = t([6, 10], 21);
    const w = tf.variable(t([10, 4], 22));
    const b = tf.variable(t([4], 23));
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(tf.relu(tf.add(tf.matMul(x, w), b)))), [w, b]);
    const out = [value, grads[w.name], grads[b.name]];
    w.dispose();
    b.dispose();
    return out;
  });
});

// Plain GEMMs run as 1×1 convolutions (threaded XNNPACK path, gemm-conv.ts); the stock route must agree too.
for (const route of ['conv', 'stock'] as const) {
  test(`GEMM route '${route}': matMul, batched left operand, fused bias+relu6, prelu fallback match cpu`, async () => {
    const { setWasmGemmRoute } = await import('../../src/backend/kernels/misc/gemm-conv.js');
    setWasmGemmRoute(route);
    try {
      await compare(`${route} plain`, () => tf.matMul(t([33, 70], 1), t([70, 45], 2)));
      await compare(`${route} batched A`, () => tf.matMul(t([3, 7, 20], 3), t([20, 9], 4)));
      await compare(`${route} batched B (stock fallback)`, () => tf.matMul(t([3, 7, 20], 5), t([3, 20, 9], 6)));
      for (const activation of ['linear', 'relu', 'relu6', 'prelu', 'elu'] as const) {
        await compare(`${route} fused ${activation}`, () =>
          tf.fused.matMul({
            a: tf.mul(t([12, 30], 7), 4) as tf.Tensor2D,
            b: t([30, 16], 8) as tf.Tensor2D,
            bias: t([16], 9),
            activation,
            preluActivationWeights: activation === 'prelu' ? t([16], 10) : undefined,
          }),
        );
      }
      await compare(`${route} fused, no bias`, () => tf.fused.matMul({ a: t([5, 8], 11) as tf.Tensor2D, b: t([8, 6], 12) as tf.Tensor2D, activation: 'relu' }));
    } finally {
      setWasmGemmRoute('conv');
    }
  });
}

test('the conv GEMM route is taken for plain and fused float32 matmuls, not for a batched right operand', async () => {
  const { gemmViaConv } = await import('../../src/backend/kernels/misc/gemm-conv.js');
  const { asWasm } = await import('../../src/backend/kernels/wasm-heap.js');
  await compare('warm', () => tf.matMul(t([2, 3], 1), t([3, 2], 2)));
  await tf.setBackend('wasm');
  const backend = asWasm(tf.backend());
  const a = t([1, 4, 5], 1);
  const b = t([1, 5, 3], 2);
  const bBatched = t([2, 5, 3], 3);
  const info = (x: tf.Tensor): tf.TensorInfo => ({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  const out = gemmViaConv(backend, info(a), info(b));
  assert.ok(out !== undefined, 'conv route applies to [1,4,5]·[1,5,3]');
  assert.deepEqual(out.shape, [1, 4, 3]);
  backend.disposeData(out.dataId);
  assert.equal(gemmViaConv(backend, info(a), info(bBatched)), undefined, 'batched right operand falls back');
  assert.equal(gemmViaConv(backend, info(a), info(b), { activation: 'sigmoid' }), undefined, 'non-clamp activation falls back');
  tf.dispose([a, b, bBatched]);
});

/** A Dense layer's training step: loss, ∂x, ∂W (and ∂b). */
function denseStep(activation: 'relu' | 'linear' | 'sigmoid', useBias: boolean): tf.Tensor[] {
  const layer = tf.layers.dense({ units: 9, activation, useBias, kernelInitializer: 'zeros' });
  layer.build([11, 13]);
  layer.setWeights(useBias ? [t([13, 9], 31), t([9], 32)] : [t([13, 9], 31)]);
  const x = tf.variable(t([11, 13], 33));
  const w = t([11, 9], 34);
  const vars = [x, ...layer.trainableWeights.map((v) => v.read() as tf.Variable)];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, vars);
  const out = [value, ...vars.map((v) => grads[v.name])];
  x.dispose();
  for (const v of layer.weights) v.dispose();
  return out;
}

for (const activation of ['relu', 'linear', 'sigmoid'] as const) {
  for (const useBias of [true, false]) {
    test(`Dense layer (${activation}, bias ${useBias}) training step: loss and gradients of x, W, b match cpu`, async () => {
      await compare(`dense ${activation} ${useBias}`, () => denseStep(activation, useBias));
    });
  }
}

test('Dense training on wasm runs PrunekitDenseTrain and skips the unused input gradient', async () => {
  await compare('warm', () => denseStep('relu', true));
  await tf.setBackend('wasm');
  const layer = tf.layers.dense({ units: 6, activation: 'relu' });
  layer.build([5, 7]);
  const x = t([5, 7], 41);
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const names = info.kernels.map((k) => k.name);
  assert.ok(names.includes('PrunekitDenseTrain'), `kernels: ${names.join(', ')}`);
  assert.equal(names.filter((n) => n === 'BatchMatMul').length, 1, `only ∂W needs a GEMM (x is a constant): ${names.join(', ')}`);
  x.dispose();
  for (const v of layer.weights) v.dispose();
  await tf.setBackend('cpu');
});

test('GEMM swap: a new wide right operand runs as Cᵀ = Bᵀ·Aᵀ, the same operand again runs direct; both match cpu with bias and clamps', async () => {
  const { swapPays } = await import('../../src/backend/kernels/misc/gemm-conv.js');
  assert.ok(swapPays(60, 500, 500), 'Dense 60×500·500×500: packing the weights costs more than moving both operands');
  assert.ok(!swapPays(288, 100352, 32), 'filter-gradient GEMM: the narrow right operand is packed');
  for (const activation of ['linear', 'relu', 'relu6'] as const) {
    const fn = (): tf.Tensor[] => {
      const a = tf.mul(t([7, 6], 41), 8);
      const b = t([6, 11], 42);
      const bias = t([11], 43);
      const first = tf.fused.matMul({ a, b, bias, activation });
      const second = tf.fused.matMul({ a, b, bias, activation }); // b seen before: direct route
      const plain = tf.matMul(tf.reshape(a, [1, 7, 6]), tf.reshape(b, [1, 6, 11]));
      return [first, second, plain];
    };
    await compare(`swap ${activation}`, fn);
  }
});
