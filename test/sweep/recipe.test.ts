import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadRecipe, mergeOverrides, validateRecipe } from '../../src/sweep/recipe.js';
import { expandRecipe, jobFingerprint, orderJobs } from '../../src/sweep/jobs.js';
import { protectedProducers } from '../../src/sweep/structured-rates.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { createModel } from '../../src/models/index.js';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { chanceFlag, pairedSeparable, separable, stat, t95 } from '../../src/sweep/report.js';
import { tinyRecipe } from './fixtures.js';

await tf.setBackend('cpu');

test('recipe errors point at the field: bad enum, unknown key, missing field, dangling dense reference', () => {
  const r = tinyRecipe() as { experiments: Record<string, unknown>[]; dense: Record<string, Record<string, unknown>> };
  r.experiments[0].methods = ['mp', 'lapp'];
  r.experiments[1].typo = 1;
  delete r.dense.mlp.steps;
  assert.throws(() => validateRecipe(r, 'x.json'), (e: Error) => {
    assert.match(e.message, /^x\.json: invalid recipe:/);
    assert.match(e.message, /\/experiments\/0\/methods\/1: must be one of "mp"/);
    assert.match(e.message, /\/experiments\/1: unknown field 'typo'/);
    assert.match(e.message, /\/dense\/mlp: must have required property 'steps'/);
    return true;
  });
  const r2 = tinyRecipe() as { experiments: Record<string, unknown>[] };
  r2.experiments[0].dense = 'nope';
  assert.throws(() => validateRecipe(r2), /\/experiments\/0\/dense: 'nope' is not a key of \/dense \(have: mlp\)/);
  const r4 = tinyRecipe() as { dense: Record<string, Record<string, unknown>> };
  r4.dense.mlp.schedule = { kind: 'step', gamma: 0.1 };
  assert.throws(() => validateRecipe(r4), /\/dense\/mlp\/schedule: schedule 'step': needs milestones/);
  r4.dense.mlp.schedule = { kind: 'cosine', unit: 'step', typo: 1 };
  assert.throws(() => validateRecipe(r4), /\/dense\/mlp\/schedule: unknown field 'typo'/);
  const r3 = tinyRecipe() as { experiments: Record<string, unknown>[] };
  r3.experiments.push({ kind: 'structured', name: 'g', dense: 'mlp', criteria: ['l1'], reductions: [0.5], ranking: 'global', finetune: { epochs: 1 } });
  assert.equal(expandRecipe(validateRecipe(r3)).filter((j) => j.id.startsWith('g-')).length, 1);
  (r3.experiments[2] as Record<string, unknown>).enabled = false;
  assert.equal(expandRecipe(validateRecipe(r3)).filter((j) => j.id.startsWith('g-')).length, 0, 'a disabled experiment has no jobs');
});

test('quick overrides merge objects, replace arrays, and address experiments by name; files are read with clear errors', () => {
  const merged = mergeOverrides(tinyRecipe(), tinyRecipe().quick) as { experiments: { methods?: string[] }[] };
  assert.deepEqual(merged.experiments[0].methods, ['mp']);
  const dir = mkdtempSync(join(tmpdir(), 'pk-recipe-'));
  try {
    const p = join(dir, 'r.json');
    writeFileSync(p, JSON.stringify(tinyRecipe()));
    assert.equal(loadRecipe(p, { quick: true }).name, 'tiny-quick');
    writeFileSync(p, '{ nope');
    assert.throws(() => loadRecipe(p), /r\.json' is not valid JSON/);
    assert.throws(() => loadRecipe(join(dir, 'missing.json')), /cannot read recipe/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("job order: 'seed' takes one seed at a time, keeps dependencies first and loses no job; 'listed' is the expansion", () => {
  const jobs = expandRecipe(validateRecipe({ ...tinyRecipe(), seeds: [1, 0] }));
  assert.deepEqual(orderJobs(jobs, 'listed').map((j) => j.id), jobs.map((j) => j.id));
  const bySeed = orderJobs(jobs, 'seed');
  assert.deepEqual(bySeed.map((j) => j.id).sort(), jobs.map((j) => j.id).sort());
  // the recipe's first seed (1) comes first, complete; within a seed the expansion order is kept
  assert.deepEqual(bySeed.map((j) => j.seed), [...Array(6).fill(1), ...Array(6).fill(0)]);
  assert.deepEqual(bySeed.slice(0, 6).map((j) => j.id), jobs.filter((j) => j.seed === 1).map((j) => j.id));
  assert.equal(bySeed[0].id, 'dense-mlp-s1');
  assert.notEqual(jobs[1].seed, 1, 'the listed order interleaves the seeds (dense nets first), so the test can fail');
  const idx = new Map(bySeed.map((j, i) => [j.id, i]));
  for (const j of bySeed) for (const d of j.deps) assert.ok(idx.get(d)! < idx.get(j.id)!, `${d} before ${j.id}`);
});

test('expansion: deterministic ids, one dense job per (dense, seed) shared by its dependants, stable fingerprints', () => {
  const r = validateRecipe({ ...tinyRecipe(), seeds: [0, 1] });
  const a = expandRecipe(r);
  const b = expandRecipe(validateRecipe({ ...tinyRecipe(), seeds: [0, 1] }));
  assert.deepEqual(a.map((j) => j.id), b.map((j) => j.id));
  assert.deepEqual(a.map(jobFingerprint), b.map(jobFingerprint));
  const dense = a.filter((j) => j.kind === 'dense').map((j) => j.id);
  assert.deepEqual(dense, ['dense-mlp-s0', 'dense-mlp-s1']);
  assert.equal(a.length, 2 + 2 * 2 + 2 * (1 + 2));
  const idx = new Map(a.map((j, i) => [j.id, i]));
  for (const j of a) for (const d of j.deps) assert.ok(idx.get(d)! < idx.get(j.id)!, `${d} before ${j.id}`);
  const fa = a.find((j) => j.id === 'f-s1-sp0.5-freq-a')!;
  assert.deepEqual(fa.deps, ['dense-mlp-s1', 'f-s1-sp0.5-masks']);
  // changing a budget changes exactly the affected fingerprints
  const r2 = validateRecipe({ ...tinyRecipe(), seeds: [0, 1] }) as unknown as { experiments: { finetune?: { steps: number } }[] };
  r2.experiments[0].finetune!.steps = 4;
  const c = expandRecipe(r2 as never);
  const changed = a.filter((j, i) => jobFingerprint(j) !== jobFingerprint(c[i])).map((j) => j.id);
  assert.deepEqual(changed, ['u-s0-mp-sp0.9', 'u-s0-lap-sp0.9', 'u-s1-mp-sp0.9', 'u-s1-lap-sp0.9']);
});

test('protected groups: the last group or all but ResNet inner channels are ignored, and both rankings meet the MACs target without touching them', async () => {
  const vgg = createModel('vgg-small', { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const g = buildChannelGraph(vgg);
  const last = prunableGroups(g).at(-1)!;
  const p = protectedProducers(vgg, { protectLast: 1, innerOnly: false });
  assert.deepEqual(p.ignore, last.producers);
  assert.equal(p.prunable, prunableGroups(g).length - 1);
  for (const ranking of ['uniform', 'global'] as const) {
    const r = await pruneFilters(vgg, { criterion: 'l1', flopsReduction: 0.5, ignore: p.ignore, ranking });
    try {
      assert.equal(r.keep.get(last.id)?.length ?? last.channels, last.channels, `${ranking}: protected group pruned`);
      assert.ok(r.report.reduction.macs >= 0.5 && r.report.reduction.macs < 0.56, `${ranking}: ${r.report.reduction.macs}`);
      const rates = r.report.groups.filter((x) => !x.ignored).map((x) => x.kept / x.channels);
      if (ranking === 'uniform') assert.ok(Math.max(...rates) - Math.min(...rates) < 0.1, `uniform: ${rates}`);
    } finally {
      r.model.dispose();
    }
  }
  const rn = createModel('resnet20', { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const rg = buildChannelGraph(rn);
  const inner = protectedProducers(rn, { protectLast: 0, innerOnly: true });
  assert.equal(inner.prunable, 9);
  const allowed = prunableGroups(rg).filter((x) => !x.producers.some((n) => inner.ignore.includes(n)));
  assert.deepEqual(allowed.flatMap((x) => x.producers).sort(), allowed.flatMap((x) => x.producers).filter((n) => /^layer\d_\d_conv1$/.test(n)).sort());
  assert.equal(allowed.length, 9);
  assert.throws(() => protectedProducers(vgg, { protectLast: 0, innerOnly: true }), /no ResNet block inner channels/);
  vgg.dispose();
  rn.dispose();
});

test('spread vs gap: two samples are separable only when the gap exceeds two standard errors', () => {
  assert.equal(separable(stat([0.9, 0.91, 0.92]), stat([0.8, 0.81, 0.82])).ok, true);
  assert.equal(separable(stat([0.9, 0.8, 0.85]), stat([0.86, 0.84, 0.9])).ok, false);
  assert.equal(separable(stat([0.9]), stat([0.1])).ok, false); // n = 1: no spread, no verdict
});

test('paired over seeds: a small gap that every seed shows is separable where the unpaired rule is not; t at 95%', () => {
  const a = new Map([[0, 0.9], [1, 0.8], [2, 0.85]]);
  const b = new Map([[0, 0.8895], [1, 0.7905], [2, 0.8398]]); // ≈ 1 point below in every seed
  assert.equal(separable(stat([...a.values()]), stat([...b.values()])).ok, false);
  const p = pairedSeparable(a, b);
  assert.equal(p.n, 3);
  assert.ok(Math.abs(p.gap - (0.0105 + 0.0095 + 0.0102) / 3) < 1e-12);
  assert.equal(p.ok, true, `t = ${p.t}`);
  // mixed signs: no verdict; seeds present on one side only do not pair; one pair is no spread
  assert.equal(pairedSeparable(a, new Map([[0, 0.91], [1, 0.79], [2, 0.85]])).ok, false);
  assert.equal(pairedSeparable(a, new Map([[0, 0.5], [7, 0.1]])).n, 1);
  assert.equal(pairedSeparable(a, new Map([[0, 0.5], [7, 0.1]])).ok, false);
  // the threshold is Student's t with n − 1 degrees of freedom: t = 4 passes with 4 seeds, not with 3
  assert.equal(t95(2), 4.303);
  assert.equal(t95(3), 3.182);
  assert.equal(t95(40), 2.0);
  const d3 = new Map([[0, 0], [1, 0], [2, 0]]);
  const mk = (ds: number[]) => new Map(ds.map((d, i) => [i, d]));
  // differences 1, 2, 3 → mean 2, sd 1, se 1/√3, t = 3.46: above 3.182? n = 3 → df 2 → 4.303: not separable
  assert.equal(pairedSeparable(mk([1, 2, 3]), d3).ok, false);
  // differences 1, 2, 3, 2 → mean 2, sd 0.816, se 0.408, t = 4.9 > 3.182 (df 3): separable
  assert.equal(pairedSeparable(mk([1, 2, 3, 2]), new Map([...d3, [3, 0]])).ok, true);
});

test('structured preconditions: accuracy right after pruning at chance for every criterion is flagged, not when one is above', () => {
  const rows = (accs: Record<string, number[]>, numClasses: unknown = 10) =>
    Object.entries(accs).flatMap(([criterion, v]) => v.map((accuracy) => ({ criterion, accuracy, numClasses })));
  const flag = chanceFlag('dct-vgg −50% MACs', ['dct', 'l1', 'random'], rows({ dct: [0.1, 0.12], l1: [0.1, 0.14], random: [0.1, 0.1] }));
  assert.equal(flag, 'dct-vgg −50% MACs: accuracy right after pruning is within 5 points of chance (10%) for every criterion (dct 11.0%, l1 12.0%, random 10.0%): the comparison before fine-tuning cannot rank them');
  // one criterion above chance + 5 points: the comparison can rank it, no flag
  assert.equal(chanceFlag('x', ['dct', 'l1'], rows({ dct: [0.3, 0.2], l1: [0.1, 0.1] })), undefined);
  // results without numClasses (written before it was recorded): no verdict
  assert.equal(chanceFlag('x', ['dct'], rows({ dct: [0.1] }, null)), undefined);
});
