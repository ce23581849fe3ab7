import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandErrorSummary, type BandRun } from '../../src/sweep/band-errors.js';
import type { FrequencyAnalysis } from '../../src/spectral/analysis.js';

/** An analysis with (e_low, e_high) at δ×0.1 and δ×1, and one at δ×0.01 the summary must leave out. */
function fa(eLow: number, eHigh: number, epoch?: number): FrequencyAnalysis {
  const filtering = [0.01, 0.1, 1].map((deltaFactor) => ({ deltaFactor, delta: deltaFactor * 100, eLow, eHigh }));
  return { label: 'x', target: 'teacher', accuracy: 0.5, filtering, spectrum: [], ...(epoch ? { epoch } : {}) };
}

test('band-error summary: means over seeds and the three hypothesis counts, by hand', () => {
  const runs: BandRun[] = [
    // seed 0: high-band error after pruning; epoch 1 leaves 0.2 of the low error and 0.5 of the high one
    { seed: 0, method: 'plain', pruned: fa(0.5, 0.8), records: [fa(0.1, 0.4, 1), fa(0.05, 0.3, 2)] },
    { seed: 0, method: 'none', pruned: fa(0.5, 0.8), records: [fa(0.3, 0.4, 1), fa(0.2, 0.1, 2)] },
    // seed 1: low-band error after pruning; epoch 1 leaves 0.9 of the low error and 0.5 of the high one
    { seed: 1, method: 'plain', pruned: fa(1.0, 0.6), records: [fa(0.9, 0.3, 1), fa(0.1, 0.2, 2)] },
    // a run without records (no analysis set) is skipped
    { seed: 1, method: 'none', pruned: fa(1.0, 0.6), records: [] },
  ];
  const s = bandErrorSummary(runs, ['none', 'plain', 'freq-a'], 'cap');
  assert.ok(s);
  assert.deepEqual(s.table.columns, ['state', 'method', 'n', 'e_low δ×0.1', 'e_high δ×0.1', 'e_low δ×1', 'e_high δ×1']);
  assert.deepEqual(s.table.rows, [
    ['right after MBP', 'all', 2, '0.750 ± 0.354', '0.700 ± 0.141', '0.750 ± 0.354', '0.700 ± 0.141'],
    ['epoch 1', 'none', 1, '0.300 (n = 1)', '0.400 (n = 1)', '0.300 (n = 1)', '0.400 (n = 1)'],
    ['epoch 2 (end)', 'none', 1, '0.200 (n = 1)', '0.100 (n = 1)', '0.200 (n = 1)', '0.100 (n = 1)'],
    ['epoch 1', 'plain', 2, '0.500 ± 0.566', '0.350 ± 0.071', '0.500 ± 0.566', '0.350 ± 0.071'],
    ['epoch 2 (end)', 'plain', 2, '0.075 ± 0.035', '0.250 ± 0.071', '0.075 ± 0.035', '0.250 ± 0.071'],
  ]);
  assert.equal(s.findings.length, 2);
  // H1: seed 0 only; H2: left after epoch 1 low 0.2 / 0.6 / 0.9 vs high 0.5 / 0.5 / 0.5 → 1 of 3;
  // H3: at the end e_high > e_low for plain s0 (0.3 > 0.05) and plain s1 (0.2 > 0.1), not none s0 (0.1 < 0.2)
  assert.equal(
    s.findings[0],
    'δ×0.1: error mainly high-band right after MBP (e_high > e_low) in 1 of 2 seeds; low band recovered first ' +
      "(share of each band's error left after epoch 1: low 0.567 ± 0.351, high 0.500 ± 0.000; low < high) in 1 of 3 runs; " +
      'high band larger at the end in 2 of 3 runs',
  );
  assert.ok(s.findings[1].startsWith('δ×1: '));
});

test('band-error summary: nothing recorded gives no table', () => {
  assert.equal(bandErrorSummary([{ seed: 0, method: 'plain', pruned: fa(0.5, 0.8), records: [] }], ['plain'], 'cap'), undefined);
  assert.equal(bandErrorSummary([], ['plain'], 'cap'), undefined);
});
