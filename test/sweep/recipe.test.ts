import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadRecipe, mergeOverrides, validateRecipe } from '../../src/sweep/recipe.js';
import { expandRecipe, jobFingerprint } from '../../src/sweep/jobs.js';
import { restrictedRates } from '../../src/sweep/structured-rates.js';
import { createModel } from '../../src/models/index.js';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { structureCost } from '../../src/structured/cost.js';
import { separable, stat } from '../../src/sweep/report.js';
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
  const r3 = tinyRecipe() as { experiments: Record<string, unknown>[] };
  r3.experiments.push({ kind: 'structured', name: 'g', dense: 'mlp', criteria: ['l1'], reductions: [0.5], ranking: 'global', finetune: { epochs: 1 } });
  assert.throws(() => validateRecipe(r3), /\/experiments\/2\/ranking: 'global' needs the cross-layer ranking/);
  (r3.experiments[2] as Record<string, unknown>).enabled = false;
  assert.doesNotThrow(() => validateRecipe(r3));
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

test('restricted rates: protected last group untouched, ResNet inner channels only, MACs target met', () => {
  const vgg = createModel('vgg-small', { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const g = buildChannelGraph(vgg);
  const r = restrictedRates(vgg, { reduction: 0.5, protectLast: 1, innerOnly: false });
  assert.ok(!('conv6' in r.rates) && 'conv5' in r.rates);
  const widths = new Map(prunableGroups(g).filter((x) => x.producers[0] in r.rates).map((x) => [x.id, Math.max(1, Math.floor(x.channels * (1 - r.rate)))]));
  const red = 1 - structureCost(vgg, g, widths).macs / structureCost(vgg, g).macs;
  assert.ok(red >= 0.5 && Math.abs(red - r.reduction) < 1e-12, `${red}`);
  const rn = createModel('resnet20', { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  const rr = restrictedRates(rn, { reduction: 0.5, protectLast: 0, innerOnly: true });
  assert.deepEqual(Object.keys(rr.rates).sort(), Object.keys(rr.rates).filter((n) => /^layer\d_\d_conv1$/.test(n)).sort());
  assert.equal(Object.keys(rr.rates).length, 9);
  assert.throws(() => restrictedRates(vgg, { reduction: 0.5, protectLast: 0, innerOnly: true }), /no ResNet block inner channels/);
  vgg.dispose();
  rn.dispose();
});

test('spread vs gap: two samples are separable only when the gap exceeds two standard errors', () => {
  assert.equal(separable(stat([0.9, 0.91, 0.92]), stat([0.8, 0.81, 0.82])).ok, true);
  assert.equal(separable(stat([0.9, 0.8, 0.85]), stat([0.86, 0.84, 0.9])).ok, false);
  assert.equal(separable(stat([0.9]), stat([0.1])).ok, false); // n = 1: no spread, no verdict
});
