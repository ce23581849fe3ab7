/**
 * Conv2D layer training on wasm (src/backend/kernels/misc/conv-train.ts: threaded FusedConv2D forward, lazy
 * gradients with the one-pass ReLU gradient of relu-grad.ts) against the cpu backend: loss and ∂x, ∂W, ∂b for
 * relu / linear / other activations, with and without bias, strides 1 and 2, same and valid padding; the op
 * actually runs, skips ∂x for a constant input, and leaks nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { seededValues, expectMatchesCpu } from '../helpers/backends.js';
import { CONV_TRAIN, setConvTraining } from '../../src/backend/kernels/misc/conv-train.js';

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);

interface Case {
  activation: 'relu' | 'linear' | 'sigmoid';
  useBias: boolean;
  strides: number;
  padding: 'same' | 'valid';
}

/** A Conv2D layer's training step: loss, ∂x, ∂W (and ∂b). */
function convStep(c: Case): tf.Tensor[] {
  const layer = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: c.strides, padding: c.padding, activation: c.activation, useBias: c.useBias, kernelInitializer: 'zeros' });
  const xShape = [3, 9, 8, 5];
  layer.build(xShape);
  layer.setWeights(c.useBias ? [t([3, 3, 5, 8], 31), t([8], 32)] : [t([3, 3, 5, 8], 31)]);
  const x = tf.variable(t(xShape, 33));
  const outShape = layer.computeOutputShape(xShape) as number[];
  const w = t(outShape, 34);
  const vars = [x, ...layer.trainableWeights.map((v) => v.read() as tf.Variable)];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, vars);
  const out = [value, ...vars.map((v) => grads[v.name])];
  tf.dispose([x, w]);
  for (const v of layer.weights) v.dispose();
  return out;
}

const CASES: Case[] = [
  { activation: 'relu', useBias: true, strides: 1, padding: 'same' },
  { activation: 'relu', useBias: false, strides: 2, padding: 'same' },
  { activation: 'linear', useBias: true, strides: 2, padding: 'valid' },
  { activation: 'relu', useBias: true, strides: 1, padding: 'valid' },
  { activation: 'sigmoid', useBias: true, strides: 1, padding: 'same' },
];

for (const c of CASES) {
  test(`Conv2D layer ${JSON.stringify(c)} training step: loss and gradients of x, W, b match cpu`, async () => {
    await expectMatchesCpu(`conv ${JSON.stringify(c)}`, () => convStep(c), 1e-4);
  });
}

test('Conv2D training on wasm runs PrunekitConv2DTrain (no Add/Relu/Step), skips ∂x of a constant input, leaks nothing; off = the layer\'s own path', async () => {
  await expectMatchesCpu('warm', () => convStep(CASES[0]));
  await tf.setBackend('wasm');
  const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' });
  layer.build([2, 6, 6, 3]);
  const x = t([2, 6, 6, 3], 41);
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const kernelsOfStep = async (): Promise<string[]> => {
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    return info.kernels.map((k) => k.name);
  };
  try {
    const names = await kernelsOfStep();
    assert.ok(names.includes(CONV_TRAIN), `kernels: ${names.join(', ')}`);
    for (const n of ['Relu', 'Step', 'Add', 'Conv2DBackpropInput']) assert.ok(!names.includes(n), `${n} should not run: ${names.join(', ')}`);
    setConvTraining(false);
    const stock = await kernelsOfStep();
    assert.ok(!stock.includes(CONV_TRAIN) && stock.includes('Relu'), `off: ${stock.join(', ')}`);
  } finally {
    setConvTraining(true);
    x.dispose();
    for (const v of layer.weights) v.dispose();
    await tf.setBackend('cpu');
  }
});
