import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, relError, runOn, seededValues } from '../helpers/backends.js';

test('Identity and same-dtype Cast on wasm share the buffer instead of copying', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const x = tf.tensor(seededValues(12, 1), [3, 4]);
  const before = tf.backend().numDataIds();
  const c = tf.clone(x);
  const k = tf.cast(x, 'float32');
  assert.equal(tf.backend().numDataIds(), before, 'no new buffers');
  assert.deepEqual(Array.from(c.dataSync()), Array.from(x.dataSync()));
  assert.deepEqual(Array.from(k.dataSync()), Array.from(x.dataSync()));
  // the shared buffer lives until the last user is disposed
  x.dispose();
  assert.deepEqual(Array.from(c.dataSync()), Array.from(k.dataSync()));
  c.dispose();
  k.dispose();
  assert.equal(tf.backend().numDataIds(), before - 1, 'buffer freed with its last user');
});

test('real casts, int32/bool identities and variables behave as on cpu', async () => {
  const fn = (): tf.Tensor[] => {
    const x = tf.tensor(seededValues(10, 2).map((v) => v * 5), [2, 5]);
    const i = tf.cast(x, 'int32');
    const b = tf.cast(x, 'bool');
    const v = tf.variable(tf.clone(x));
    const snapshot = tf.clone(v);
    v.assign(tf.mul(v, 2)); // must not change the clone taken before
    const out = [tf.cast(i, 'float32'), tf.cast(tf.clone(b), 'float32'), tf.cast(tf.clone(i), 'float32'), snapshot, tf.clone(v)];
    v.dispose();
    return out;
  };
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  got.values.forEach((g, n) => assert.ok(relError(g, ref.values[n]) === 0, `output ${n} differs`));
});

test('copy-free Identity leaks no buffers through gradients', async () => {
  await ensureWasm();
  await tf.setBackend('wasm');
  const x = tf.variable(tf.tensor(seededValues(24, 3), [4, 6]));
  const step = (): void => {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.cast(tf.clone(x), 'float32'))) as tf.Scalar, [x]);
      tf.dispose([value, ...Object.values(grads)]);
    });
  };
  step();
  const tensors = tf.memory().numTensors;
  const ids = tf.backend().numDataIds();
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.backend().numDataIds(), ids);
  x.dispose();
});
