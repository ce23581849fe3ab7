import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRecipe } from '../../src/sweep/recipe.js';
import { expandRecipe, jobFingerprint, type Job } from '../../src/sweep/jobs.js';
import { writeResult } from '../../src/sweep/store.js';
import { buildSweepReport } from '../../src/sweep/report.js';

/** A structured recipe (never run: the results are written by hand) with dct, l1 and random at one MACs cut. */
function recipe(seeds: number[]) {
  return validateRecipe({
    name: 'structured-report', dataset: 'digits', seeds,
    dense: { vgg: { model: 'vgg-small', steps: 10, batchSize: 16, optimizer: { name: 'adam', lr: 0.001 }, minAccuracy: 0.5 } },
    experiments: [{
      kind: 'structured', name: 'dv', dense: 'vgg', criteria: ['dct', 'l1', 'random'], reductions: [0.5], protectLast: 1,
      finetune: { epochs: 1, batchSize: 16 },
    }],
  });
}

async function write(dir: string, job: Job, metrics: Record<string, unknown>): Promise<void> {
  await writeResult(dir, { id: job.id, kind: job.kind, fingerprint: jobFingerprint(job), seconds: 1, finishedAt: '2026-12-02T00:00:00Z', worker: 't', metrics });
}

/** Results: accuracy right after pruning / best after fine-tuning per (criterion, seed). */
async function sweepWith(seeds: number[], acc: (crit: string, seed: number) => [number, number] | [number, number, number]) {
  const dir = mkdtempSync(join(tmpdir(), 'pk-report-'));
  const r = recipe(seeds);
  const jobs = expandRecipe(r);
  for (const j of jobs) {
    if (j.kind === 'dense') await write(dir, j, { model: 'vgg-small', accuracy: 0.9 });
    if (j.kind === 'structured') {
      const [pruned, best, prunedRecalibrated] = acc(j.criterion, j.seed);
      await write(dir, j, { criterion: j.criterion, reduction: { macs: 0.5, params: 0.4 }, accuracy: { dense: 0.9, pruned, ...(prunedRecalibrated !== undefined ? { prunedRecalibrated } : {}), final: best, best }, numClasses: 10 });
    }
  }
  try {
    return buildSweepReport(dir, r, jobs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('structured report: paired dct differences with verdicts over seeds; one seed gives differences without a verdict', async () => {
  const base: Record<string, number> = { dct: 0.4, l1: 0.3, random: 0.12 };
  const three = await sweepWith([1, 2, 3], (crit, seed) => [base[crit] + 0.01 * seed + (crit === 'l1' ? 0.002 * seed : 0), 0.9 + 0.001 * seed]);
  const text = three.markdown;
  // dct − l1 right after pruning: +0.098, +0.096, +0.094 → +9.60 ± 0.12 pts, separable; after fine-tuning: all equal
  assert.match(text, /−50% MACs, right after pruning: dct − l1: \+9\.60 ± 0\.12 pts \(paired over 3 seeds, t = 83\.14\): dct higher; dct − random: \+28\.00 ± 0\.00 pts/);
  assert.match(text, /after fine-tuning \(best epoch\): dct − l1: \+0\.00 ± 0\.00 pts \(paired over 3 seeds, t = 0\.00\): cannot be told apart/);
  // one precondition line per comparison, naming each pair that is within the noise
  const apart = three.flags.filter((f) => f.includes('cannot be told apart'));
  assert.deepEqual(apart.map((f) => f.split(': cannot')[0]), ['dv −50% MACs (after fine-tuning (best epoch))'], three.flags.join('\n'));
  assert.match(apart[0], /dct vs l1 \(paired over 3 seeds: gap 0\.00 pts, \|t\| = 0\.00 ≤ 4\.30, 95%\); dct vs random \(paired over 3 seeds: gap 0\.00 pts/);
  assert.ok(!three.flags.some((f) => f.includes('chance')), 'dct is far above chance: no chance flag');
  const one = await sweepWith([1], (crit) => [base[crit], 0.9]);
  assert.match(one.markdown, /−50% MACs, right after pruning, one seed \(no verdict\): dct − l1: \+10\.00 pts; dct − random: \+28\.00 pts/);
  // one precondition line per comparison with a single seed, not one per pair
  const single = one.flags.filter((f) => f.includes('no verdict yet'));
  assert.deepEqual(single.map((f) => f.split(':')[0]), ['dv −50% MACs (right after pruning)', 'dv −50% MACs (after fine-tuning (best epoch))']);
  assert.match(single[0], /dct vs l1 \(gap 10\.00 pts, n = 1, 1\); dct vs random \(gap 28\.00 pts, n = 1, 1\)/);
  assert.ok(!one.markdown.includes('BN re-estimated'), 'no re-estimated column without the measurement');
});

test('structured report: the BN re-estimated column and its comparison use the jobs that measured it (older results lack it)', async () => {
  const base: Record<string, number> = { dct: 0.1, l1: 0.1, random: 0.1 };
  const recal: Record<string, number> = { dct: 0.7, l1: 0.6, random: 0.3 };
  // seed 1 was run before the measurement existed; seeds 2 and 3 have it
  const rep = await sweepWith([1, 2, 3], (crit, seed) => (seed === 1 ? [base[crit], 0.9] : [base[crit], 0.9, recal[crit] + 0.01 * seed + (crit === 'l1' ? 0.002 * seed : 0)]));
  assert.match(rep.markdown, /\| criterion \| MACs −% \| params −% \| right after pruning % \| right after pruning, BN re-estimated % \| fine-tuned final %/);
  assert.match(rep.markdown, /\| dct \| 50\.0 \| 40\.0 \| 10\.00 ± 0\.00 \| 72\.50 ± 0\.71 \|/);
  assert.match(rep.markdown, /right after pruning, BN re-estimated: dct − l1: \+9\.50 ± 0\.10 pts \(paired over 2 seeds, t = 95\.00\): dct higher/);
  // copied statistics at chance for all: flagged; re-estimated ones are not
  assert.ok(rep.flags.some((f) => f.startsWith('dv −50% MACs: accuracy right after pruning is within 5 points of chance')), rep.flags.join('\n'));
  assert.ok(!rep.flags.some((f) => f.startsWith('dv −50% MACs, BN re-estimated:')), rep.flags.join('\n'));
});

test('structured report: every criterion at chance right after pruning is flagged as a precondition', async () => {
  const rep = await sweepWith([1, 2], (crit, seed) => [0.1 + 0.01 * seed, 0.9]);
  assert.ok(rep.flags.some((f) => f.startsWith('dv −50% MACs: accuracy right after pruning is within 5 points of chance (10%) for every criterion')), rep.flags.join('\n'));
  assert.match(rep.markdown, /⚠ dv −50% MACs: accuracy right after pruning is within 5 points of chance/);
});
