import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { keepCount, roundKeep, selectTopCount } from '../../src/structured/rates.js';
import { buildChannelGraph, prunableGroups, type ChannelGraph } from '../../src/structured/graph.js';
import { structureCost } from '../../src/structured/cost.js';
import { normalizeScores } from '../../src/structured/budget.js';
import { scoreChannels } from '../../src/structured/criteria/index.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { smallResNet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

test('roundKeep / keepCount round kept channels up to a multiple of N, never above C', () => {
  assert.equal(roundKeep(64, 29, 8), 32);
  assert.equal(roundKeep(64, 32, 8), 32);
  assert.equal(roundKeep(12, 11, 8), 12); // next multiple (16) is above C: the group stays whole
  assert.equal(roundKeep(6, 1, 4), 4);
  assert.equal(keepCount(64, 0.55, 8), 32); // floor(28.8) = 28 → 32
  assert.equal(keepCount(64, 0.55), 28);
  assert.throws(() => roundKeep(8, 4, 0), /positive integer/);
});

const producer = (g: ChannelGraph, id: number) => g.groups[id].producers[0];

test('ignore: the named layers keep every channel, in rate, budget and global modes; bad names are clear errors', async () => {
  const m = vggLike();
  const g = buildChannelGraph(m);
  const first = producer(g, 0);
  for (const opts of [{ rates: 0.5 }, { flopsReduction: 0.4 }, { flopsReduction: 0.4, ranking: 'global' as const }]) {
    const { model: p, report } = await pruneFilters(m, { criterion: 'l1', ignore: [first], ...opts });
    const r0 = report.groups.find((x) => x.id === 0)!;
    assert.equal(r0.kept, r0.channels, JSON.stringify(opts));
    assert.equal(r0.ignored, true);
    assert.ok(report.groups.some((x) => x.kept < x.channels), 'something else was pruned');
    assert.equal((p.getLayer(first).getWeights()[0].shape as number[])[3], g.groups[0].channels);
    p.dispose();
  }
  await assert.rejects(pruneFilters(m, { criterion: 'l1', rates: 0.5, ignore: ['nope'] }), /ignore: the model has no layer 'nope'/);
  const bnName = m.layers.find((l) => l.getClassName() === 'BatchNormalization')!.name;
  await assert.rejects(pruneFilters(m, { criterion: 'l1', rates: 0.5, ignore: [bnName] }), /does not produce channels of its own/);
  m.dispose();
});

test('maxRate and roundTo are honoured by rates, uniform budget and global ranking', async () => {
  const m = smallResNet();
  const g = buildChannelGraph(m);
  for (const opts of [{ rates: 0.9 }, { flopsReduction: 0.5 }, { flopsReduction: 0.5, ranking: 'global' as const }, { rates: 0.6, ranking: 'global' as const }]) {
    const { model: p, report } = await pruneFilters(m, { criterion: 'l1', maxRate: 0.6, roundTo: 4, ...opts });
    for (const r of report.groups) {
      assert.ok(r.kept >= keepCount(r.channels, 0.6), `${JSON.stringify(opts)}: group ${r.id} keeps ${r.kept} of ${r.channels}`);
      assert.ok(r.kept % 4 === 0 || r.kept === r.channels, `${JSON.stringify(opts)}: group ${r.id} keeps ${r.kept}`);
    }
    if ('flopsReduction' in opts) assert.ok(report.reduction.macs >= 0.5);
    assert.equal(structureCost(p, buildChannelGraph(p)).macs, report.after.macs);
    p.dispose();
  }
  // at rate 0.9 every group is held by the maximum rate (then rounded up)
  const { model: p, report } = await pruneFilters(m, { criterion: 'l1', rates: 0.9, maxRate: 0.6, roundTo: 4 });
  assert.deepEqual(report.groups.map((r) => r.kept), prunableGroups(g).map((x) => Math.min(x.channels, Math.ceil(keepCount(x.channels, 0.6) / 4) * 4)));
  p.dispose();
  await assert.rejects(pruneFilters(m, { criterion: 'l1', flopsReduction: 0.9, maxRate: 0.3 }), /cannot cut macs by 90\.0%/);
  await assert.rejects(pruneFilters(m, { criterion: 'l1', rates: [0.5], ranking: 'global' }), /global ranking needs a budget/);
  m.dispose();
});

/**
 * Naive global ranking: repeatedly remove the one remaining channel with the lowest normalised
 * score anywhere (groups at their bound excluded), recomputing the cost after each removal, until
 * the target is met. Returns the kept channel indices per group.
 */
function naiveGlobal(model: tf.LayersModel, graph: ChannelGraph, scores: Map<number, Float64Array>, target: number, maxRate?: number): Map<number, number[]> {
  const groups = prunableGroups(graph);
  const alive = new Map(groups.map((g) => [g.id, new Set(Array.from({ length: g.channels }, (_, i) => i))]));
  const norm = new Map(groups.map((g) => {
    const s = scores.get(g.id)!;
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    return [g.id, Array.from(s, (v) => v / mean)];
  }));
  const floor = (c: number) => (maxRate === undefined ? 1 : Math.max(1, Math.floor(c * (1 - maxRate))));
  const base = structureCost(model, graph).macs;
  const cost = () => structureCost(model, graph, new Map([...alive].map(([id, s]) => [id, s.size]))).macs;
  while (1 - cost() / base < target) {
    let best: [number, number, number] | undefined; // score, group, index
    for (const g of groups) {
      const a = alive.get(g.id)!;
      if (a.size <= floor(g.channels)) continue;
      for (const i of a) {
        const s = norm.get(g.id)![i];
        if (!best || s < best[0] || (s === best[0] && (g.id < best[1] || (g.id === best[1] && i > best[2])))) best = [s, g.id, i];
      }
    }
    if (!best) throw new Error('naive: target unreachable');
    alive.get(best[1])!.delete(best[2]);
  }
  return new Map([...alive].map(([id, s]) => [id, [...s].sort((a, b) => a - b)]));
}

test('global ranking matches a naive one-channel-at-a-time computation, and its rates are non-uniform', async () => {
  for (const [make, maxRate] of [[vggLike, undefined], [smallResNet, undefined], [smallResNet, 0.7]] as const) {
    const m = make();
    const g = buildChannelGraph(m);
    const scores = scoreChannels(m, g, 'l1', undefined);
    const want = naiveGlobal(m, g, scores, 0.45, maxRate);
    const { model: p, keep, report } = await pruneFilters(m, { criterion: 'l1', flopsReduction: 0.45, ranking: 'global', maxRate });
    for (const grp of prunableGroups(g)) {
      const got = keep.get(grp.id) ? Array.from(keep.get(grp.id)!) : Array.from({ length: grp.channels }, (_, i) => i);
      assert.deepEqual(got, want.get(grp.id), `${m.name} group ${grp.id}`);
    }
    assert.ok(report.reduction.macs >= 0.45);
    assert.ok(new Set(report.groups.map((r) => r.rate.toFixed(4))).size > 1, 'per-group rates are not all equal');
    // the kept set within a group is its top scores
    for (const [id, k] of keep) assert.deepEqual(Array.from(k), Array.from(selectTopCount(scores.get(id)!, k.length)));
    m.dispose();
    p.dispose();
  }
});

test('normalizeScores: mean, max, l2, none; zero denominators leave the scores', () => {
  assert.deepEqual(Array.from(normalizeScores([1, 3], 'mean')), [0.5, 1.5]);
  assert.deepEqual(Array.from(normalizeScores([1, 4], 'max')), [0.25, 1]);
  assert.deepEqual(Array.from(normalizeScores([3, 4], 'l2')), [0.6, 0.8]);
  assert.deepEqual(Array.from(normalizeScores([3, 4], 'none')), [3, 4]);
  assert.deepEqual(Array.from(normalizeScores([0, 0], 'mean')), [0, 0]);
});
