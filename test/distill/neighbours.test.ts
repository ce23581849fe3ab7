import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { calibrateDelta, neighbourTarget, rowPerplexity } from '../../src/distill/neighbours.js';
import { createDistillLoss } from '../../src/distill/curriculum.js';
import { lowPassImages } from '../../src/spectral/lowpass.js';
import { createModel } from '../../src/models/index.js';
import { seededValues } from '../helpers/backends.js';

await tf.setBackend('cpu');

/** Naive reference: the kernel row exp(−d/(2δ)) / Σ, and its perplexity exp(−Σ g log g), in float64. */
function kernelRow(d: number[], delta: number): number[] {
  const w = d.map((v) => Math.exp(-v / (2 * delta)));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / z);
}
const perplexity = (g: number[]) => Math.exp(-g.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0));
const median = (v: number[]) => {
  const a = [...v].sort((p, q) => p - q);
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
function softmax(z: number[], t: number): number[] {
  const m = Math.max(...z.map((v) => v / t));
  const e = z.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
/** Squared distances of points (rows of D values) to columns [self?, …others]. */
function sq(a: Float32Array, i: number, b: Float32Array, j: number, D: number): number {
  let s = 0;
  for (let k = 0; k < D; k++) s += (a[i * D + k] - b[j * D + k]) ** 2;
  return s;
}

test('neighbour-count schedule: k decays geometrically 16 → 1 over the first 70% of steps, then exactly 1', () => {
  const s = { totalSteps: 100 };
  assert.equal(neighbourTarget(0, s), 16);
  assert.ok(Math.abs(neighbourTarget(35, s) - 4) < 1e-12); // half-way to T_c = 70: 16^(1/2)
  assert.ok(Math.abs(neighbourTarget(52.5, s) - 2) < 1e-12);
  assert.ok(neighbourTarget(69, s) > 1);
  assert.equal(neighbourTarget(70, s), 1);
  assert.equal(neighbourTarget(99, s), 1);
  assert.equal(neighbourTarget(0, { totalSteps: 10, kMax: 1 }), 1);
  assert.throws(() => neighbourTarget(0, { totalSteps: 10, kMax: 0.5 }), /k_max must be a number ≥ 1/);
});

test('calibration hits the target median perplexity within ±5% (batch δ and per-row δ), checked against a naive kernel', () => {
  const n = 24;
  const m = 40;
  const D = 12;
  const x = seededValues(n * D, 3);
  const a = seededValues((m - 1) * D, 4);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push([0, ...Array.from({ length: m - 1 }, (_, j) => sq(x, i, a, j, D))]);
  const flat = Float64Array.from(rows.flat());
  for (const k of [16, 8, 4, 2, 1.3]) {
    const c = calibrateDelta(flat, n, m, k);
    assert.ok(c.converged, `k=${k}`);
    const med = median(rows.map((r) => perplexity(kernelRow(r, c.deltas[0]))));
    assert.ok(Math.abs(med / k - 1) <= 0.05, `batch k=${k}: median perplexity ${med}`);
    assert.ok(Math.abs(c.medianPerplexity - med) < 1e-9 * k);
    const pr = calibrateDelta(flat, n, m, k, { perRow: true });
    rows.forEach((r, i) => {
      const p = perplexity(kernelRow(r, pr.deltas[i]));
      assert.ok(Math.abs(p / k - 1) <= 0.05, `per-row k=${k} row ${i}: ${p}`);
    });
    assert.ok(Math.abs(rowPerplexity(flat, 0, m, pr.deltas[0]) - perplexity(kernelRow(rows[0], pr.deltas[0]))) < 1e-9);
  }
  assert.throws(() => calibrateDelta(flat, n, m, m + 1), /must be in \[1, 40\]/);
});

function toyNets(h: number, classes: number) {
  const teacher = createModel('lenet300', { inputShape: [h, h, 1], numClasses: classes, seed: 1 });
  const student = createModel('lenet300', { inputShape: [h, h, 1], numClasses: classes, seed: 2 });
  return { teacher, student };
}
const toyData = (count: number, h: number, classes: number, seed: number) => ({
  name: 'toy', images: seededValues(count * h * h, seed), labels: Int32Array.from({ length: count }, (_, i) => i % classes),
  count, height: h, width: h, channels: 1, numClasses: classes,
});

test('Variant A loss = (1−α)·CE + α·τ²·KL(G·P_T ‖ P_S), G over {x_i} ∪ anchors, on a hand-computed batch', () => {
  const [h, K, n, A] = [4, 3, 6, 10];
  const D = h * h;
  const { teacher, student } = toyNets(h, K);
  const anchors = toyData(A, h, K, 11);
  const batch = toyData(n, h, K, 12);
  const alpha = 0.7;
  const tau = 4;
  const loss = createDistillLoss({ mode: 'freq-a', teacher, totalSteps: 10, kMax: 4, anchors, alpha, tau });
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(batch.images, [n, h, h, 1]);
  const y = tf.tensor1d(batch.labels, 'int32');
  const got = tf.tidy(() => {
    const out = loss.lossFn({ model: student, x, y, step: 2, epoch: 0 });
    return (out instanceof tf.Tensor ? out : out.loss).dataSync()[0];
  });
  const cal = loss.lastCalibration!;
  assert.ok(cal && cal.target === Math.pow(4, 1 - 2 / 7));
  const zt = tf.tidy(() => (teacher.apply(tf.concat([x, tf.tensor4d(anchors.images, [A, h, h, 1])])) as tf.Tensor).arraySync()) as number[][];
  const zs = tf.tidy(() => (student.apply(x) as tf.Tensor).arraySync()) as number[][];
  tf.dispose([x, y]);
  const pt = zt.map((z) => softmax(z, tau));
  let ce = 0;
  let kl = 0;
  const perps: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = [0, ...Array.from({ length: A }, (_, j) => sq(batch.images, i, anchors.images, j, D))];
    const g = kernelRow(d, cal.deltas[i]);
    perps.push(perplexity(g));
    const low = Array.from({ length: K }, (_, c) => g[0] * pt[i][c] + g.slice(1).reduce((s, w, j) => s + w * pt[n + j][c], 0));
    assert.ok(Math.abs(low.reduce((s, v) => s + v, 0) - 1) < 1e-9);
    const q = softmax(zs[i], tau);
    ce += -Math.log(softmax(zs[i], 1)[batch.labels[i]]);
    kl += low.reduce((s, p, c) => s + p * Math.log(p / q[c]), 0);
  }
  const want = (1 - alpha) * (ce / n) + alpha * tau * tau * (kl / n);
  assert.ok(Math.abs(got - want) < 1e-4 * Math.abs(want), `${got} vs ${want}`);
  assert.ok(Math.abs(median(perps) / cal.target - 1) <= 0.05, `median perplexity ${median(perps)} vs target ${cal.target}`);
  assert.equal(tf.memory().numTensors, before);
  loss.dispose();
  teacher.dispose();
  student.dispose();
});

test('Variant A is exactly plain KD at k = 1 (from T_c on, and with k_max = 1), anchors or in-batch', () => {
  const [h, K, n] = [4, 3, 8];
  const { teacher, student } = toyNets(h, K);
  const data = toyData(32, h, K, 21);
  const batch = toyData(n, h, K, 22);
  const plain = createDistillLoss({ mode: 'plain', teacher, totalSteps: 10 });
  const variants = [
    createDistillLoss({ mode: 'freq-a', teacher, totalSteps: 10, data, anchorCount: 16 }),
    createDistillLoss({ mode: 'freq-a', teacher, totalSteps: 10, data, anchorCount: 0 }),
    createDistillLoss({ mode: 'freq-a', teacher, totalSteps: 10, data, kMax: 1 }),
  ];
  tf.tidy(() => {
    const x = tf.tensor4d(batch.images, [n, h, h, 1]);
    const y = tf.tensor1d(batch.labels, 'int32');
    const val = (l: typeof plain, step: number) => {
      const out = l.lossFn({ model: student, x, y, step, epoch: 0 });
      return (out instanceof tf.Tensor ? out : out.loss).dataSync()[0];
    };
    const ref = val(plain, 0);
    assert.equal(val(variants[0], 7), ref); // T_c = 7 of 10 steps
    assert.equal(val(variants[1], 9), ref);
    assert.equal(val(variants[2], 0), ref);
    assert.notEqual(val(variants[0], 0), ref); // k = 16 smooths
    assert.equal(variants[1].anchorCount, 0);
  });
  [plain, ...variants].forEach((l) => l.dispose());
  teacher.dispose();
  student.dispose();
});

test('Variant B feeds the same low-passed images to teacher and student; loss matches the formula', () => {
  const [h, K, n] = [8, 3, 4];
  const { teacher, student } = toyNets(h, K);
  const data = toyData(n, h, K, 31);
  const alpha = 0.7;
  const tau = 4;
  const loss = createDistillLoss({ mode: 'freq-b', teacher, totalSteps: 10, data, alpha, tau, cacheTeacher: false });
  const seen: { who: string; v: Float32Array }[] = [];
  const spy = (m: tf.LayersModel, who: string) => {
    const orig = m.apply.bind(m);
    m.apply = ((inp: tf.Tensor, kw?: Record<string, unknown>) => {
      seen.push({ who, v: (inp as tf.Tensor).dataSync() as Float32Array });
      return orig(inp, kw);
    }) as typeof m.apply;
    return orig;
  };
  const tOrig = spy(teacher, 'teacher');
  const sOrig = spy(student, 'student');
  const x = tf.tensor4d(data.images, [n, h, h, 1]);
  const y = tf.tensor1d(data.labels, 'int32');
  const got = tf.tidy(() => {
    const out = loss.lossFn({ model: student, x, y, step: 0, epoch: 0 });
    return (out instanceof tf.Tensor ? out : out.loss).dataSync()[0];
  });
  teacher.apply = tOrig;
  student.apply = sOrig;
  assert.equal(loss.scheduleAt(0), 4);
  const xr = lowPassImages(x, 4);
  const xrv = xr.dataSync();
  const t = seen.filter((s) => s.who === 'teacher');
  const st = seen.filter((s) => s.who === 'student');
  assert.equal(t.length, 1);
  assert.deepEqual(Array.from(t[0].v), Array.from(xrv));
  assert.ok(st.some((s) => s.v.every((v, i) => v === xrv[i])), 'student sees the low-passed batch');
  assert.ok(st.some((s) => s.v.every((v, i) => v === data.images[i])), 'student sees the original batch (CE term)');
  assert.ok(xrv.some((v, i) => Math.abs(v - data.images[i]) > 1e-3), 'the filter changes the images');
  const zt = tf.tidy(() => (teacher.apply(xr) as tf.Tensor).arraySync()) as number[][];
  const zsr = tf.tidy(() => (student.apply(xr) as tf.Tensor).arraySync()) as number[][];
  const zs = tf.tidy(() => (student.apply(x) as tf.Tensor).arraySync()) as number[][];
  let ce = 0;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    ce += -Math.log(softmax(zs[i], 1)[data.labels[i]]);
    const p = softmax(zt[i], tau);
    const q = softmax(zsr[i], tau);
    kl += p.reduce((s, pk, k) => s + pk * Math.log(pk / q[k]), 0);
  }
  const want = (1 - alpha) * (ce / n) + alpha * tau * tau * (kl / n);
  assert.ok(Math.abs(got - want) < 1e-4 * Math.abs(want), `${got} vs ${want}`);
  tf.dispose([x, y, xr]);
  loss.dispose();
  teacher.dispose();
  student.dispose();
});
