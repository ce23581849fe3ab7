import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { keepCount } from '../../src/structured/rates.js';
import { composeKeep, stepPruneOptions } from '../../src/structured/iterative.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { pruneAndFinetune } from '../../src/structured/pipeline.js';
import { replayStructuredRecord } from '../../src/structured/replay.js';
import { randomImageSet, smallResNet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

test('stepPruneOptions: rates reach i/K of the dense target each step; step K gives the one-shot widths', async () => {
  const dense = vggLike();
  const graph = buildChannelGraph(dense);
  const ref = { model: dense, graph };
  const opts = { criterion: 'l1' as const, rates: 0.5, roundTo: 2 };
  assert.equal(stepPruneOptions(ref, ref, opts, 1, 1), opts);
  const s1 = stepPruneOptions(ref, ref, opts, 1, 2)!;
  assert.deepEqual(Object.values(s1.widths!), prunableGroups(graph).map((g) => Math.ceil(keepCount(g.channels, 0.25) / 2) * 2));
  const { model: m1 } = await pruneFilters(dense, s1);
  const s2 = stepPruneOptions(ref, { model: m1, graph: buildChannelGraph(m1) }, opts, 2, 2)!;
  const { model: m2, report } = await pruneFilters(m1, s2);
  const { model: one, report: oneReport } = await pruneFilters(dense, opts);
  assert.deepEqual(report.groups.map((g) => g.kept), oneReport.groups.map((g) => g.kept));
  // budget: nothing left to do once the target is met
  const b = { criterion: 'l1' as const, flopsReduction: 0.3 };
  const { model: cut } = await pruneFilters(dense, b);
  assert.equal(stepPruneOptions(ref, { model: cut, graph: buildChannelGraph(cut) }, b, 1, 2), undefined);
  [dense, m1, m2, one, cut].forEach((m) => m.dispose());
  assert.deepEqual(
    [...composeKeep(new Map([[0, Int32Array.from([1, 3, 5, 7])]]), new Map([[0, Int32Array.from([0, 2])], [1, Int32Array.from([4])]]))].map(([k, v]) => [k, Array.from(v)]),
    [[0, [1, 5]], [1, [4]]],
  );
});

test('iterative pruning: 3 prune → fine-tune steps reach the MACs target, honour max rate, record composes the kept channels', async () => {
  const m = smallResNet();
  const train = randomImageSet(m, 16, 6);
  const test_ = randomImageSet(m, 8, 7);
  const before = tf.memory().numTensors;
  const lines: string[] = [];
  const res = await pruneAndFinetune(m, train, test_, {
    prune: { criterion: 'l1', flopsReduction: 0.5, ranking: 'global', maxRate: 0.75 },
    finetune: { epochs: 1, batchSize: 8, stepsPerEpoch: 1 },
    seed: 3,
    steps: 3,
    log: (l) => lines.push(l),
  });
  assert.equal(res.steps.length, 3);
  res.steps.forEach((s, i) => assert.ok(s.reduction.macs >= (0.5 * (i + 1)) / 3 - 1e-12, `step ${i + 1}: ${s.reduction.macs}`));
  assert.ok(res.steps[2].reduction.macs < 0.7, 'no large overshoot');
  assert.match(lines.join('\n'), /step 3\/3/);
  assert.equal(res.report.steps, 3);
  assert.ok(res.report.reduction.macs >= 0.5);
  for (const g of res.report.groups) assert.ok(g.kept >= keepCount(g.channels, 0.75), `group ${g.id}`);
  // the pruned model's widths are the record's
  assert.equal(res.record.steps, 3);
  for (const g of res.record.groups) {
    assert.equal((res.model.getLayer(g.producers[0]).getWeights()[0].shape as number[]).at(-1), g.kept.length);
  }
  // replay slices the composed kept channels from the dense model
  const replay = await replayStructuredRecord(m, res.record);
  assert.equal(replay.recomputed, false);
  const g0 = res.record.groups[0];
  const denseK = m.getLayer(g0.producers[0]).getWeights()[0];
  const want = tf.gather(denseK, g0.kept, 3);
  assert.deepEqual(Array.from(replay.model.getLayer(g0.producers[0]).getWeights()[0].dataSync()), Array.from(want.dataSync()));
  want.dispose();
  replay.model.dispose();
  const resWeights = res.model.weights.length;
  res.model.dispose();
  assert.ok(tf.memory().numTensors - before <= 0, `leaked ${tf.memory().numTensors - before} tensors (pruned model had ${resWeights})`);
  m.dispose();
});

test('iterative pruning rejects an unreachable budget and unknown ignore names before any work', async () => {
  const m = smallResNet();
  const data = randomImageSet(m, 8, 1);
  const run = (prune: Parameters<typeof pruneAndFinetune>[3]['prune']) =>
    pruneAndFinetune(m, data, data, { prune, finetune: { epochs: 1 }, seed: 1, steps: 3, log: () => assert.fail('work started') });
  await assert.rejects(run({ criterion: 'l1', flopsReduction: 0.95, maxRate: 0.5 }), /cannot cut macs by 95\.0%/);
  await assert.rejects(run({ criterion: 'l1', rates: 0.5, ignore: ['nope'] }), /no layer 'nope'/);
  m.dispose();
});
