import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, comparable, tinyRecipe } from './fixtures.js';
import { expandRecipe, jobFingerprint } from '../../src/sweep/jobs.js';
import { validateRecipe } from '../../src/sweep/recipe.js';
import { planResume } from '../../src/sweep/resume.js';
import type { JobResult } from '../../src/sweep/store.js';

const jobs = expandRecipe(validateRecipe(tinyRecipe(), 'tiny.json'));
const fake = (id: string, fp?: string): JobResult => ({ id, kind: jobs.find((j) => j.id === id)!.kind, fingerprint: fp ?? jobFingerprint(jobs.find((j) => j.id === id)!), seconds: 1, finishedAt: '', worker: '', metrics: {} });

test('resume plan: leaves are imported; a producer is recomputed only when an unfinished job needs its missing models, transitively', () => {
  const ids = jobs.map((j) => j.id);
  assert.deepEqual(ids, ['dense-mlp-s0', 'u-s0-mp-sp0.9', 'u-s0-lap-sp0.9', 'f-s0-sp0.5-masks', 'f-s0-sp0.5-none', 'f-s0-sp0.5-freq-a']);
  const all = new Map(ids.map((id) => [id, fake(id)]));
  // everything published: everything imported, nothing to recompute
  const full = planResume(jobs, new Set(), all, () => false);
  assert.deepEqual([full.imported, full.recompute, full.stale], [ids, [], []]);
  // one stage-2 job missing: its masks and, through them, the dense net are recomputed
  const partial = new Map(all);
  partial.delete('f-s0-sp0.5-freq-a');
  const p = planResume(jobs, new Set(), partial, () => false);
  assert.deepEqual(p.imported, ['u-s0-mp-sp0.9', 'u-s0-lap-sp0.9', 'f-s0-sp0.5-none']);
  assert.deepEqual(p.recompute.sort(), ['dense-mlp-s0', 'f-s0-sp0.5-masks']);
  // … unless the folder still holds their models: the masks are kept; the dense net (the teacher) is kept too when present
  assert.deepEqual(planResume(jobs, new Set(), partial, (id) => id === 'f-s0-sp0.5-masks').recompute, ['dense-mlp-s0']);
  assert.deepEqual(planResume(jobs, new Set(), partial, () => true).recompute, []);
  // a result of another recipe version is ignored (and counted), one already in the folder untouched
  const staleOne = new Map(all).set('u-s0-mp-sp0.9', fake('u-s0-mp-sp0.9', 'ffffffffffffffff'));
  const s = planResume(jobs, new Set(['u-s0-lap-sp0.9']), staleOne, () => false);
  assert.deepEqual(s.stale, ['u-s0-mp-sp0.9']);
  assert.ok(!s.imported.includes('u-s0-mp-sp0.9') && !s.imported.includes('u-s0-lap-sp0.9'));
});

test('resume from a published sweep on a fresh folder: only unfinished jobs run; recomputed dense net and masks reproduce the published ones', { timeout: 600_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pk-resume-'));
  try {
    const recipe = join(tmp, 'tiny.json');
    writeFileSync(recipe, JSON.stringify(tinyRecipe()));
    const pub = join(tmp, 'published');
    const first = await cli(['sweep', recipe, '--out', join(tmp, 'a'), '--workers', '2', '--publish', pub]).done;
    assert.equal(first.code, 0, first.out);
    const published = JSON.parse(readFileSync(join(pub, 'results.json'), 'utf8')) as { results: JobResult[] };
    const original = new Map(published.results.map((r) => [r.id, r]));
    assert.equal(original.size, 6);
    // the team kept a published folder without the last job; the sweep folder (models) is gone
    published.results = published.results.filter((r) => r.id !== 'f-s0-sp0.5-freq-a');
    writeFileSync(join(pub, 'results.json'), JSON.stringify(published));
    const b = join(tmp, 'b');
    const second = await cli(['sweep', recipe, '--out', b, '--workers', '2', '--resume-from', pub, '--publish', pub]).done;
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /imported 3 finished job\(s\) from .*; recomputing 2 whose models unfinished jobs need \(dense-mlp-s0, f-s0-sp0\.5-masks\)/);
    assert.match(second.out, /ran 3 job\(s\), 3 already done, 0 failed/);
    const after = Object.fromEntries(readdirSync(join(b, 'results')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(b, 'results', f), 'utf8')) as JobResult]));
    assert.equal(Object.keys(after).length, 6);
    for (const [id, r] of original) assert.deepEqual(comparable(after[id] as never), comparable(r as never), `${id} differs after resuming`);
    assert.ok(after['u-s0-mp-sp0.9'].importedFrom && !after['dense-mlp-s0'].importedFrom);
    const md = readFileSync(join(b, 'report.md'), 'utf8');
    assert.match(md, /identical to the published results: dense-mlp-s0, f-s0-sp0\.5-masks/);
    assert.doesNotMatch(md, /did not reproduce/);
    assert.equal((JSON.parse(readFileSync(join(pub, 'results.json'), 'utf8')) as { results: unknown[] }).results.length, 6);
    // a missing or foreign published folder is a clear error before any work
    const bad = await cli(['sweep', recipe, '--out', join(tmp, 'c'), '--resume-from', join(tmp, 'nowhere')]).done;
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--resume-from: '.*nowhere\/results\.json' does not exist/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
