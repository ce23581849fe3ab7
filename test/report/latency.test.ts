import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { compareLatency, latencyStats, measureLatency, modelInputShape, quantile } from '../../src/report/latency.js';

await tf.setBackend('cpu');

function tiny(units: number): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 2] }), tf.layers.dense({ units })] });
  return m;
}

/** Records the batch size of every predict call. */
function spy(m: tf.LayersModel): number[] {
  const seen: number[] = [];
  const orig = m.predict.bind(m);
  m.predict = ((x: tf.Tensor, args?: Parameters<tf.LayersModel['predict']>[1]) => {
    seen.push(x.shape[0]);
    return orig(x, args);
  }) as typeof m.predict;
  return seen;
}

test('quantile interpolates linearly between order statistics (numpy default)', () => {
  const v = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
  assert.equal(quantile(v, 0.5), 5.5);
  assert.ok(Math.abs(quantile(v, 0.1) - 1.9) < 1e-12);
  assert.ok(Math.abs(quantile(v, 0.9) - 9.1) < 1e-12);
  assert.equal(quantile([3], 0.9), 3);
  assert.deepEqual(latencyStats(4, [3, 1, 2]), { batch: 4, runs: 3, medianMs: 2, p10: 1.2, p90: 2.8 });
  assert.throws(() => quantile([], 0.5), /no values/);
  assert.throws(() => quantile([1], 2), /q must be/);
});

test('measureLatency runs warmup + runs predictions at the batch size and leaks nothing', () => {
  const m = tiny(3);
  const seen = spy(m);
  const before = tf.memory().numTensors;
  const s = measureLatency(m, [4, 4, 2], 5, { warmup: 2, runs: 7 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(seen, Array(9).fill(5));
  assert.equal(s.batch, 5);
  assert.equal(s.runs, 7);
  assert.ok(s.p10 <= s.medianMs && s.medianMs <= s.p90 && s.p10 > 0);
  m.dispose();
});

test('compareLatency interleaves models, speedups relative to the first', () => {
  const a = tiny(3);
  const b = tiny(2);
  const order: string[] = [];
  for (const [m, tag] of [[a, 'a'], [b, 'b']] as const) {
    const orig = m.predict.bind(m);
    m.predict = ((x: tf.Tensor, args?: Parameters<tf.LayersModel['predict']>[1]) => {
      order.push(`${tag}${x.shape[0]}`);
      return orig(x, args);
    }) as typeof m.predict;
  }
  const rows = compareLatency([{ label: 'a', model: a }, { label: 'b', model: b }], modelInputShape(a), [1, 3], { warmup: 1, runs: 2 });
  assert.deepEqual(order, ['a1', 'b1', 'a1', 'b1', 'a1', 'b1', 'a3', 'b3', 'a3', 'b3', 'a3', 'b3']);
  assert.deepEqual(rows.map((r) => r.batch), [1, 3]);
  for (const r of rows) {
    assert.equal(r.speedup[0], 1);
    assert.equal(r.speedup[1], r.stats[0].medianMs / r.stats[1].medianMs);
  }
  assert.throws(() => compareLatency([{ label: 'a', model: a }], [4, 4, 3], [1]), /expects inputs \[4, 4, 2\]/);
  assert.throws(() => compareLatency([{ label: 'a', model: a }], [4, 4, 2], [0]), /batch must be an integer ≥ 1/);
  assert.throws(() => measureLatency(a, [4, 4, 2], 1, { runs: 0 }), /runs must be/);
  a.dispose();
  b.dispose();
});

test('compareLatency: the whole batch in one call, a custom run, and rewarm calls before each timed call (interleaved)', () => {
  const a = tiny(3);
  const b = tiny(5);
  const calls: string[] = [];
  const run = (label: string) => (m: tf.LayersModel, x: tf.Tensor) => {
    calls.push(`${label}${x.shape[0]}`);
    return m.predict(x, { batchSize: x.shape[0] }) as tf.Tensor;
  };
  const before = tf.memory().numTensors;
  const [row] = compareLatency([{ label: 'a', model: a, run: run('a') }, { label: 'b', model: b, run: run('b') }], [4, 4, 2], [40], { warmup: 1, runs: 2, rewarm: 1 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(row.stats[0].runs, 2);
  // warm-up a, b; then per round: a (rewarm), a (timed), b (rewarm), b (timed)
  assert.deepEqual(calls, ['a40', 'b40', 'a40', 'a40', 'b40', 'b40', 'a40', 'a40', 'b40', 'b40']);
  const batchSizes: (number | undefined)[] = [];
  const orig = a.predict.bind(a);
  a.predict = ((x: tf.Tensor, args?: Parameters<tf.LayersModel['predict']>[1]) => {
    batchSizes.push(args?.batchSize);
    return orig(x, args);
  }) as typeof a.predict;
  compareLatency([{ label: 'a', model: a }], [4, 4, 2], [40], { warmup: 0, runs: 1 });
  assert.deepEqual(batchSizes, [40], 'predict runs the batch of 40 at once (not split into 32 + 8)');
  a.dispose();
  b.dispose();
});
