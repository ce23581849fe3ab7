import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { computeMasks } from '../../src/prune/compute.js';
import { prunableLayers } from '../../src/prune/layers.js';
import { MaskSet } from '../../src/prune/masks.js';
import { pruneModel } from '../../src/prune/prune.js';
import { crc32 } from '../../src/util/crc32.js';
import { oneShotRemaining, polynomialSparsity } from '../../src/prune/schedules.js';
import {
  perRoundFraction,
  pruneIterative,
  pruneOneShotLevels,
  validateOneShot,
  type FinetuneOptions,
  type LevelResult,
  type PipelineResult,
} from '../../src/prune/pipeline.js';
import { pruneGradual } from '../../src/prune/gradual.js';
import { aggregateResults, buildPruneReport, levelsTable, stat } from '../../src/prune/report.js';
import { evaluate } from '../../src/train/evaluate.js';
import { trainModel } from '../../src/train/loop.js';
import { toyMlp, toySet } from '../train/toy.js';

await tf.setBackend('cpu');

const train = toySet(240, 1);
const testSet = toySet(120, 2, 3, 'toy-test');
const ft: FinetuneOptions = { steps: 40, batchSize: 20, optimizer: { name: 'adam', lr: 0.01 } };

async function pretrained(seed = 1): Promise<tf.LayersModel> {
  const m = toyMlp(seed, 3, 32);
  await trainModel(m, train, { epochs: 4, batchSize: 20, optimizer: { name: 'adam', lr: 0.02 }, seed, progress: false });
  return m;
}

const weightValues = (m: tf.LayersModel) => m.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));

function kernelZeros(m: tf.LayersModel, masks: MaskSet): void {
  for (const name of masks.names()) {
    const w = m.getLayer(name).getWeights()[0].dataSync();
    const mask = masks.get(name);
    for (let i = 0; i < w.length; i++) if (!mask[i]) assert.ok(Object.is(w[i], 0), `${name}[${i}] = ${w[i]} should be +0`);
  }
}

test('one-shot levels: each level restarts from the dense weights, matches a direct prune, keeps masks through fine-tuning', async () => {
  const model = await pretrained();
  const dense = weightValues(model);
  const reference = toyMlp(1, 3, 32); // same architecture, holds the dense weights for the reference prune
  reference.setWeights(model.getWeights());
  const n0 = tf.memory().numTensors;
  const seen: { result: LevelResult; crc: number[] }[] = [];
  const result = await pruneOneShotLevels(model, {
    method: 'lap',
    seed: 3,
    train,
    test: testSet,
    finetune: ft,
    levels: [{ it: 1 }, { it: 3 }, { sparsity: 0.9 }],
    perIteration: [0.5, 0.25],
    onLevel: (r, m, masks) => {
      kernelZeros(m, masks); // after fine-tuning pruned weights are still exactly +0
      seen.push({ result: r, crc: masks.names().map((n) => crc32(masks.get(n))) });
    },
  });
  assert.equal(tf.memory().numTensors, n0, 'no tensor leak');
  // dense weights restored
  weightValues(model).forEach((w, i) => assert.deepEqual(w, dense[i]));
  assert.equal(result.levels.length, 3);
  assert.deepEqual(result.levels.map((l) => l.label), ['it=1', 'it=3', 's=0.9']);
  const expectRatios = [[0.5, 0.25], [1 - 0.5 ** 3, 1 - 0.75 ** 3], [0.9, 0.9]];
  for (let i = 0; i < 3; i++) {
    const lv = result.levels[i];
    // reference: prune the dense weights directly with the same ratios
    const probe = toyMlp(1, 3, 32);
    probe.setWeights(reference.getWeights());
    const masks = computeMasks(probe, { method: 'lap', ratios: expectRatios[i], seed: 3 });
    const names = masks.names();
    assert.deepEqual(seen[i].crc, names.map((n) => crc32(masks.get(n))), `level ${lv.label}: masks as a direct prune of the dense net`);
    names.forEach((n, j) => assert.equal(lv.layers[j].alive, masks.alive(n)));
    assert.ok(Math.abs(lv.totalSparsity - masks.totalSparsity()) < 1e-12);
    // accuracy before fine-tuning = the directly pruned net's accuracy
    pruneModel(probe, { method: 'lap', ratios: expectRatios[i], seed: 3 });
    const ev = await evaluate(probe, testSet);
    assert.ok(Math.abs(lv.before!.accuracy - ev.accuracy) < 1e-9, `${lv.label}: ${lv.before!.accuracy} vs ${ev.accuracy}`);
    assert.ok(lv.after !== undefined);
    assert.equal(lv.params.total, model.countParams());
    assert.equal(lv.params.total - lv.params.left, lv.layers.reduce((a, l) => a + l.size - l.alive, 0));
    probe.dispose();
  }
  // fine-tuning recovers at the harshest level (deterministic on cpu)
  const last = result.levels[2];
  assert.ok(last.after!.accuracy > last.before!.accuracy, `${last.before!.accuracy} → ${last.after!.accuracy}`);
  assert.ok(Math.abs(result.dense.accuracy - (await evaluate(model, testSet)).accuracy) < 1e-12);
  // a global method at an `it` level prunes the same total fraction
  const g = await pruneOneShotLevels(model, {
    method: 'mp_global_normalize', seed: 3, train, test: testSet, finetune: { ...ft, steps: 0 }, levels: [{ it: 3 }], perIteration: [0.5, 0.25],
  });
  const want = 1 - oneShotRemaining([0.5, 0.25], [16 * 32, 32 * 3], 3);
  assert.ok(Math.abs(g.levels[0].totalSparsity - want) < 2 / (16 * 32 + 32 * 3), `${g.levels[0].totalSparsity} vs ${want}`);
  assert.equal(g.levels[0].after, undefined, 'no fine-tuning → no after');
  model.dispose();
  reference.dispose();
});

test('bad plans throw before the model is touched', async () => {
  const model = toyMlp(2, 3, 32);
  const w0 = weightValues(model);
  const base = { seed: 0, train, test: testSet, finetune: ft };
  await assert.rejects(pruneOneShotLevels(model, { ...base, method: 'magnitude', levels: [{ sparsity: 0.5 }] }), /unknown pruning method 'magnitude'/);
  await assert.rejects(pruneOneShotLevels(model, { ...base, method: 'mp', levels: [{ sparsity: 0.5 }, { sparsity: 1 }] }), /sparsity must be in \[0, 1\)/);
  await assert.rejects(pruneOneShotLevels(model, { ...base, method: 'mp', levels: [{ ratios: [0.5, 0.5, 0.5] }] }), /3 pruning ratios but the model has 2 prunable layers \(fc1, fc2\)/);
  await assert.rejects(pruneOneShotLevels(model, { ...base, method: 'lap', levels: [{ it: 2 }] }), /needs per-iteration ratios/);
  await assert.rejects(pruneOneShotLevels(model, { ...base, method: 'mp', levels: [{ sparsity: 0.5 }], exclude: ['fc1', 'fc2'] }), /prunable/);
  await assert.rejects(pruneGradual(model, { ...base, method: 'mp', schedule: { initialSparsity: 0, finalSparsity: 0.5, beginStep: 0, endStep: 100 } }), /ends at step 100 but training has only 40 steps/);
  assert.throws(() => validateOneShot(model, { ...base, method: 'mp', levels: [] }), /no pruning levels/);
  weightValues(model).forEach((w, i) => assert.deepEqual(w, w0[i]));
  model.dispose();
});

test('iterative: rounds prune the survivors, masks are nested and reach 1 − (1 − q)^n', async () => {
  const model = await pretrained(4);
  const q = perRoundFraction(0.875, 3);
  assert.ok(Math.abs(q - 0.5) < 1e-12);
  const masksSeen: MaskSet[] = [];
  const n0 = tf.memory().numTensors;
  const r = await pruneIterative(model, {
    method: 'mp', seed: 1, train, test: testSet, finetune: { ...ft, steps: 20 }, rounds: 3, perRound: { sparsity: q },
    onLevel: (_r, m, masks) => {
      kernelZeros(m, masks);
      masksSeen.push(masks.clone());
    },
  });
  assert.equal(tf.memory().numTensors, n0);
  const sizes = { fc1: 512, fc2: 96 };
  r.levels.forEach((lv, k) => {
    lv.layers.forEach((l) => {
      // each round keeps round(0.5 · alive)
      let alive = sizes[l.name as 'fc1' | 'fc2'];
      for (let j = 0; j <= k; j++) alive = Math.round(0.5 * alive);
      assert.equal(l.alive, alive, `${lv.label} ${l.name}`);
    });
    assert.equal(lv.record.fromMasks, k > 0);
  });
  for (let k = 1; k < masksSeen.length; k++) {
    for (const n of masksSeen[k].names()) {
      const prev = masksSeen[k - 1].get(n);
      const cur = masksSeen[k].get(n);
      for (let i = 0; i < cur.length; i++) assert.ok(cur[i] <= prev[i], 'a pruned weight came back');
    }
  }
  // the model ends pruned with the last masks
  assert.ok(MaskSet.fromModel(prunableLayers(model)).equals(masksSeen[2]));
  model.dispose();
});

test('gradual: masks follow the polynomial schedule during training and end at the final sparsity', async () => {
  const model = await pretrained(5);
  const schedule = { initialSparsity: 0.1, finalSparsity: 0.8, beginStep: 0, endStep: 25, frequency: 10, power: 3 };
  const n0 = tf.memory().numTensors;
  let final: MaskSet | undefined;
  const r = await pruneGradual(model, {
    method: 'lap', seed: 2, train, test: testSet, finetune: { ...ft, steps: 40 }, schedule,
    onLevel: (_r, m, masks) => {
      kernelZeros(m, masks);
      final = masks.clone();
    },
  });
  assert.equal(tf.memory().numTensors, n0);
  const ev = r.gradual!.events;
  assert.deepEqual(ev.map((e) => e.step), [0, 10, 20, 25], 'pruned at 0, every 10 steps, and at endStep');
  for (const e of ev) {
    assert.ok(Math.abs(e.target - polynomialSparsity(schedule, e.step)) < 1e-12);
    assert.ok(Math.abs(e.sparsity - e.target) < 0.01, `step ${e.step}: ${e.sparsity} vs ${e.target}`);
  }
  for (let i = 1; i < ev.length; i++) assert.ok(ev[i].sparsity > ev[i - 1].sparsity);
  const lv = r.levels[0];
  assert.ok(Math.abs(lv.totalSparsity - 0.8) < 0.01);
  assert.equal(lv.before, undefined);
  assert.ok(lv.after!.accuracy > 0.5, `accuracy after gradual pruning ${lv.after!.accuracy}`);
  // pruned weights stayed zero through the 15 steps after the last update
  assert.ok(MaskSet.fromModel(prunableLayers(model)).equals(final!));
  model.dispose();
});

function fakeRun(method: string, seed: number, accs: [number, number][]): PipelineResult {
  const mk = (i: number): LevelResult => ({
    method, schedule: 'oneshot', index: i, label: `it=${i + 1}`, remaining: 0.5 ** (i + 1), totalSparsity: 1 - 0.5 ** (i + 1),
    layers: [{ name: 'a', size: 10, alive: 5, sparsity: 0.5 }], params: { total: 20, left: 15 },
    before: { accuracy: accs[i][0], loss: 1 }, after: { accuracy: accs[i][1], loss: 1 },
    seconds: { prune: 0, finetune: 0, eval: 0 }, record: {} as LevelResult['record'],
  });
  return {
    method, schedule: 'oneshot', seed, dense: { accuracy: 0.9 + seed / 100, loss: 0 }, levels: accs.map((_, i) => mk(i)),
    finetune: ft, data: { train: 't', trainCount: 1, test: 'u', testCount: 1 }, seconds: 0,
  };
}

test('report: aggregation over seeds (mean ± sample std) and the report document', () => {
  const runs = [
    fakeRun('mp', 1, [[0.8, 0.9], [0.5, 0.7]]),
    fakeRun('mp', 2, [[0.6, 0.9], [0.3, 0.5]]),
    fakeRun('lap', 1, [[0.8, 0.95], [0.7, 0.8]]),
  ];
  const rows = aggregateResults(runs);
  assert.deepEqual(rows.map((r) => `${r.method} ${r.label}`), ['mp it=1', 'mp it=2', 'lap it=1', 'lap it=2']);
  assert.ok(Math.abs(rows[0].before!.mean - 0.7) < 1e-12);
  assert.ok(Math.abs(rows[0].before!.std - Math.SQRT2 * 0.1) < 1e-12); // sample std of 0.8, 0.6
  assert.equal(rows[2].after!.std, 0);
  assert.deepEqual(stat([1, 2, 3]), { mean: 2, std: 1, n: 3 });
  const t = levelsTable(rows, 'error');
  assert.equal(t.rows[0][4], '30.00 ± 14.14');
  assert.equal(t.rows[1][5], '40.00 ± 14.14');
  assert.equal(t.rows[2][5], '5.00');
  const doc = buildPruneReport({ title: 'x', results: runs, metric: 'error' });
  const charts = doc.sections.flatMap((s) => s.charts ?? []);
  const after = charts.find((c) => c.id === 'error-after');
  assert.ok(after && after.kind === 'line');
  assert.deepEqual(after.series.map((s) => s.label), ['mp', 'lap']);
  const pts = after.series[0].points;
  assert.deepEqual(pts.map(([x]) => x), [50, 25]);
  [10, 40].forEach((y, i) => assert.ok(Math.abs((pts[i][1] as number) - y) < 1e-9, `${pts[i][1]} vs ${y}`));
  assert.ok(Math.abs((after.series[0].yErr![1] as number) - 100 * Math.SQRT2 * 0.1) < 1e-9);
  const bars = charts.filter((c) => c.kind === 'bar');
  assert.equal(bars.length, 1, 'mp and lap share per-layer sparsity → one chart');
  assert.match(bars[0].title, /mp, lap/);
});
