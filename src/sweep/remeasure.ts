/**
 * `prunekit sweep --remeasure DIR`: adds to finished structured results a measurement they were written without —
 * accuracy right after pruning with BN statistics re-estimated (train/bn-recalibration.ts) — without repeating
 * their fine-tuning. Pruning is deterministic (the job's seed), so the pruned model is rebuilt from the dense net
 * with the job's own options (`structuredJobOptions`), and its accuracy right after pruning must equal the stored
 * one exactly before anything is written: a mismatch (another backend, changed code) stops with an error naming
 * the job. Each updated result is written atomically and records `remeasured`.
 */
import * as tf from '@tensorflow/tfjs';
import { pruneFilters } from '../structured/prune-filters.js';
import { withRecalibratedBatchNorm } from '../train/bn-recalibration.js';
import { evaluate } from '../train/evaluate.js';
import { jobFingerprint, type Job, type StructuredJob } from './jobs.js';
import { dataFor, modelOf, structuredJobOptions } from './run-job.js';
import { acquireLock, readResult, writeResult, type JobResult } from './store.js';

export interface RemeasureOutcome {
  /** Ids whose result got the measurement. */
  updated: string[];
  /** Finished structured jobs that already had it (or whose recipe turns it off). */
  skipped: number;
}

const accuracyOf = (r: JobResult) => r.metrics.accuracy as Record<string, number | undefined> | undefined;

/** The finished structured jobs of DIR (current fingerprint) that lack the BN re-estimated accuracy. */
export function jobsToRemeasure(dir: string, jobs: Job[]): { job: StructuredJob; result: JobResult }[] {
  return jobs.flatMap((job) => {
    if (job.kind !== 'structured' || (job.spec.bnRecalBatches ?? 20) === 0) return [];
    const result = readResult(dir, job.id);
    if (!result || result.fingerprint !== jobFingerprint(job)) return [];
    const acc = accuracyOf(result);
    return acc && acc.pruned !== undefined && acc.prunedRecalibrated === undefined ? [{ job, result }] : [];
  });
}

export async function remeasureSweep(dir: string, jobs: Job[], log: (line: string) => void = () => {}): Promise<RemeasureOutcome> {
  const release = acquireLock(dir);
  try {
    const todo = jobsToRemeasure(dir, jobs);
    const structured = jobs.filter((j) => j.kind === 'structured' && readResult(dir, j.id)).length;
    const updated: string[] = [];
    for (const [i, { job, result }] of todo.entries()) {
      const t0 = performance.now();
      const { train, test } = await dataFor(job.data);
      const dense = await modelOf(dir, job.deps[0]);
      let pruned: tf.LayersModel | undefined;
      try {
        const opts = structuredJobOptions(job, dense);
        pruned = (await pruneFilters(dense, { ...opts.prune, calib: train, seed: job.seed })).model;
        const stored = accuracyOf(result)!.pruned!;
        const again = (await evaluate(pruned, test)).accuracy;
        if (again !== stored) {
          throw new Error(
            `sweep --remeasure: job '${job.id}' prunes to a model with accuracy ${again} right after pruning, but its result says ${stored}: ` +
              'the pruned model is not the one the job fine-tuned (other backend or changed code); run it with the backend the sweep ran on, or rerun the job',
          );
        }
        const m = pruned;
        const recal = await withRecalibratedBatchNorm(m, train, { ...opts.bnRecalibration!, seed: job.seed }, async () => (await evaluate(m, test)).accuracy);
        if (recal === undefined) continue; // no BN layer: nothing to re-estimate
        const seconds = (performance.now() - t0) / 1000;
        await writeResult(dir, {
          ...result,
          metrics: { ...result.metrics, accuracy: { ...accuracyOf(result), prunedRecalibrated: recal }, remeasured: { what: ['accuracy.prunedRecalibrated'], at: new Date().toISOString(), seconds } },
        });
        updated.push(job.id);
        log(`[${i + 1}/${todo.length}] ${job.id}: right after pruning ${(100 * stored).toFixed(2)}% (matches), BN re-estimated ${(100 * recal).toFixed(2)}% (${seconds.toFixed(1)} s)`);
      } finally {
        pruned?.dispose();
        dense.dispose();
      }
    }
    return { updated, skipped: structured - todo.length };
  } finally {
    release();
  }
}
