import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { expandRecipe } from '../../src/sweep/jobs.js';
import { validateRecipe } from '../../src/sweep/recipe.js';
import { runJob } from '../../src/sweep/run-job.js';
import { readResult, writeResult, type JobResult } from '../../src/sweep/store.js';
import { jobsToRemeasure, remeasureSweep } from '../../src/sweep/remeasure.js';

await tf.setBackend('cpu');

const recipe = validateRecipe({
  name: 'remeasure', dataset: 'digits', limitTrain: 96, limitTest: 300, seeds: [0],
  dense: { vgg: { model: 'vgg-small', widthMultiplier: 0.125, steps: 8, batchSize: 16, optimizer: { name: 'adam', lr: 0.001 } } },
  experiments: [{
    kind: 'structured', name: 'dv', dense: 'vgg', criteria: ['l1', 'dct'], reductions: [0.5], protectLast: 1,
    calibBatches: 1, calibBatchSize: 16, bnRecalBatches: 2, finetune: { epochs: 1, stepsPerEpoch: 1, batchSize: 16 },
  }],
}, 'remeasure.json');
const jobs = expandRecipe(recipe);

/** The result as written before the BN re-estimate existed. */
function withoutRecal(r: JobResult, patch: Record<string, number> = {}): JobResult {
  const { prunedRecalibrated: _, ...acc } = r.metrics.accuracy as Record<string, number>;
  return { ...r, metrics: { ...r.metrics, accuracy: { ...acc, ...patch } } };
}

test('sweep --remeasure: old structured results get the BN re-estimated accuracy the job itself would have written; fine-tuning is not repeated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-remeasure-'));
  try {
    for (const j of jobs) await runJob(j, { dir });
    const [l1, dct] = ['dv-s0-l1-r0.5', 'dv-s0-dct-r0.5'].map((id) => readResult(dir, id)!);
    const want = (l1.metrics.accuracy as Record<string, number>).prunedRecalibrated;
    assert.equal(typeof want, 'number', 'a structured job measures it');
    assert.deepEqual(jobsToRemeasure(dir, jobs), []);

    await writeResult(dir, withoutRecal(l1));
    assert.deepEqual(jobsToRemeasure(dir, jobs).map((t) => t.job.id), [l1.id]);
    const lines: string[] = [];
    const r = await remeasureSweep(dir, jobs, (l) => lines.push(l));
    assert.deepEqual(r, { updated: [l1.id], skipped: 1 });
    const after = readResult(dir, l1.id)!;
    assert.equal((after.metrics.accuracy as Record<string, number>).prunedRecalibrated, want, 'the value the job itself wrote');
    assert.deepEqual((after.metrics.remeasured as { what: string[] }).what, ['accuracy.prunedRecalibrated']);
    // everything else is the job's own: fingerprint, times, fine-tuned accuracies
    const { remeasured: _, ...rest } = after.metrics;
    assert.deepEqual({ ...after, metrics: rest }, l1);
    assert.match(lines[0], /\[1\/1\] dv-s0-l1-r0\.5: right after pruning \d+\.\d\d% \(matches\), BN re-estimated \d+\.\d\d%/);
    assert.deepEqual((await remeasureSweep(dir, jobs)).updated, [], 'nothing left to do');

    // a stored accuracy that the rebuilt model does not reproduce: refused, nothing written
    const bad = withoutRecal(dct, { pruned: (dct.metrics.accuracy as Record<string, number>).pruned + 1 / 300 });
    await writeResult(dir, bad);
    await assert.rejects(remeasureSweep(dir, jobs), /job 'dv-s0-dct-r0\.5' prunes to a model with accuracy .* but its result says .*: the pruned model is not the one the job fine-tuned/);
    assert.deepEqual(readResult(dir, dct.id), bad);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
