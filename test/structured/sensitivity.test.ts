import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { keepCount } from '../../src/structured/rates.js';
import { structureCost } from '../../src/structured/cost.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { checkSensitivityBudget, sensitivityAnalysis, sensitivityBudget, type SensitivityResult } from '../../src/structured/sensitivity.js';
import { sensitivityDoc, sensitivityTable } from '../../src/structured/sensitivity-report.js';
import { docText } from '../../src/structured/report.js';
import { formatTable } from '../../src/report/table.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { evaluate } from '../../src/train/evaluate.js';
import { randomImageSet, randomizeBN, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

test('sensitivity: one row per group, one accuracy per rate, each equal to pruning that group alone', async () => {
  const m = vggLike();
  randomizeBN(m, 2);
  const evalSet = randomImageSet(m, 24, 5);
  const graph = buildChannelGraph(m);
  const first = graph.groups[0].producers[0];
  const before = tf.memory().numTensors;
  const res = await sensitivityAnalysis(m, { criterion: 'l1', evalSet, rates: [0.25, 0.5, 0.75], ignore: [first], roundTo: 2 });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  const groups = prunableGroups(graph).filter((g) => g.id !== 0);
  assert.deepEqual(res.groups.map((g) => g.id), groups.map((g) => g.id), 'ignored group not analysed');
  assert.equal(res.dense, (await evaluate(m, evalSet)).accuracy);
  for (const g of res.groups) {
    assert.equal(g.accuracy.length, 3);
    assert.deepEqual(g.kept, [0.25, 0.5, 0.75].map((r) => Math.min(g.channels, Math.ceil(keepCount(g.channels, r) / 2) * 2)));
  }
  // reference: one cell recomputed through pruneFilters (widths mode, l1)
  const g = res.groups[1];
  const { model: p } = await pruneFilters(m, { criterion: 'l1', widths: { [g.producers[0]]: g.kept[2] } });
  assert.equal(g.accuracy[2], (await evaluate(p, evalSet)).accuracy);
  assert.ok(Math.abs(g.macsReduction[2] - (1 - structureCost(p, buildChannelGraph(p)).macs / res.before.macs)) < 1e-12);
  p.dispose();
  // report: a heat-map table (terminal: numbers; HTML: shaded cells) and a chart
  const table = sensitivityTable(res);
  assert.deepEqual(table.columns, ['group', 'layers', 'channels', 'rate 0.25', 'rate 0.5', 'rate 0.75']);
  assert.equal(table.rows.length, groups.length);
  const doc = sensitivityDoc({ result: res });
  assert.match(docText(doc, formatTable), /== Sensitivity ==[\s\S]*rate 0\.75/);
  const html = renderHtmlReport(doc);
  assert.match(html, /<td class="num" style="background:hsl\(0, 85%, [\d.]+%\)">/);
  assert.match(html, /"id":"sensitivity"/);
  m.dispose();
});

test('sensitivity budget: greedy where accuracy drops least, meets the MACs target, and prune-filters reproduces it', async () => {
  const m = vggLike();
  const graph = buildChannelGraph(m);
  const groups = prunableGroups(graph);
  const rates = [0.25, 0.5, 0.75];
  // Hand-made curves: group 2 costs nothing, group 1 little, group 0 a lot, the dense layer (3) a lot at 0.75 only.
  const acc: Record<number, number[]> = { 0: [0.5, 0.3, 0.1], 1: [0.89, 0.88, 0.8], 2: [0.9, 0.9, 0.9], 3: [0.9, 0.9, 0.2] };
  const result: SensitivityResult = {
    criterion: 'l1',
    rates,
    dense: 0.9,
    evalCount: 10,
    before: structureCost(m, graph),
    constraints: {},
    groups: groups.map((g) => ({
      id: g.id,
      producers: g.producers,
      channels: g.channels,
      kept: rates.map((r) => keepCount(g.channels, r)),
      accuracy: acc[g.id],
      macsReduction: rates.map(() => 0),
    })),
  };
  // Expected: moves ordered by drop: g2@.25,.5,.75 (0), g3@.25,.5 (0), g1@.25 (.01), g1@.5 (.02), g1@.75 (.1), g0… until the target.
  const order: [number, number][] = [[2, 0.25], [2, 0.5], [2, 0.75], [3, 0.25], [3, 0.5], [1, 0.25], [1, 0.5], [1, 0.75], [0, 0.25]];
  const cut = (rs: Map<number, number>) =>
    1 - structureCost(m, graph, new Map([...rs].map(([i, r]) => [i, keepCount(graph.groups[i].channels, r)]))).macs / result.before.macs;
  for (const target of [0.2, 0.35, 0.5]) {
    const b = sensitivityBudget(m, result, 'macs', target, graph);
    assert.ok(b.reduction >= target, `target ${target}: ${b.reduction}`);
    assert.ok(Math.abs(cut(b.rates) - b.reduction) < 1e-12);
    // naive greedy: apply the expected moves one by one until the target is met
    const prefix = new Map<number, number>();
    for (const [id, r] of order) {
      prefix.set(id, r);
      if (cut(prefix) >= target) break;
    }
    // the trimmed choice never goes beyond the greedy prefix ...
    for (const [id, r] of b.rates) assert.ok(r <= (prefix.get(id) ?? 0), `target ${target}: group ${id} at ${r} beyond the greedy prefix`);
    // ... and is minimal: one grid level less on any group misses the target
    for (const [id, r] of b.rates) {
      const j = rates.indexOf(r);
      const less = new Map(b.rates);
      if (j === 0) less.delete(id);
      else less.set(id, rates[j - 1]);
      assert.ok(cut(less) < target, `target ${target}: group ${id} could step down from ${r}`);
    }
    // the rates file form, applied by prune-filters, gives the same cut
    const { model: p, report } = await pruneFilters(m, { criterion: 'l1', rates: b.byLayer });
    assert.ok(Math.abs(report.reduction.macs - b.reduction) < 1e-12);
    p.dispose();
  }
  assert.throws(() => sensitivityBudget(m, result, 'macs', 0.99, graph), /cannot cut macs by 99\.0%: every group at the largest analysed rate \(0\.75\)/);
  assert.throws(() => checkSensitivityBudget(m, rates, {}, 'macs', 0.99), /cannot cut macs by 99\.0%/);
  checkSensitivityBudget(m, rates, {}, 'macs', 0.5);
  m.dispose();
});
