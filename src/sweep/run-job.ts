/**
 * Runs one sweep job in this process: loads its data and the artifacts of its dependencies from the
 * sweep folder, computes, writes its own artifacts, then its result (atomically, last). Deterministic:
 * every random choice takes the job's seed. Datasets are cached per process (a worker runs many jobs).
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/registry.js';
import { take } from '../data/batches.js';
import type { DatasetSplits } from '../data/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadModel, saveModel } from '../io/model-folder.js';
import { createModel } from '../models/index.js';
import { MaskSet } from '../prune/masks.js';
import { evalSummary, pruneOneShotLevels } from '../prune/pipeline.js';
import { getMethod } from '../prune/methods.js';
import { pruneAndFinetune, type PruneFinetuneOptions } from '../structured/pipeline.js';
import type { CriterionName } from '../structured/criteria/types.js';
import { FrequencyAnalyzer } from '../spectral/analysis.js';
import { findMasks, retrainMasked } from '../distill/fourier-prune.js';
import type { KdMode } from '../distill/curriculum.js';
import { evaluate } from '../train/evaluate.js';
import { trainModel } from '../train/loop.js';
import { scheduleForSteps } from '../train/schedules.js';
import type { OptimizerSpec } from '../train/optimizers.js';
import type { TrainOptions } from '../train/types.js';
import { jobFingerprint, type DataSpec, type DenseJob, type FourierMasksJob, type FourierRetrainJob, type Job, type StructuredJob, type UnstructuredJob } from './jobs.js';
import { artifactDir, denseCheckpointDir, readResult, writeResult, type JobResult } from './store.js';
import { protectedProducers } from './structured-rates.js';
import type { OptimizerRecipe } from './recipe.js';

const dataCache = new Map<string, Promise<DatasetSplits>>();

export function dataFor(d: DataSpec): Promise<DatasetSplits> {
  const key = `${d.dataset}|${d.limitTrain ?? ''}|${d.limitTest ?? ''}`;
  let p = dataCache.get(key);
  if (!p) {
    p = loadDataset(d.dataset, { limitTrain: d.limitTrain, limitTest: d.limitTest, seed: 0 });
    dataCache.set(key, p);
  }
  return p;
}

const optimizerOf = (o: OptimizerRecipe): OptimizerSpec =>
  (o.name === 'sgd' ? { name: 'sgd', lr: o.lr, momentum: o.momentum ?? 0 } : { name: 'adam', lr: o.lr }) as OptimizerSpec;

/** The model folder a dependency left (dense net or stage-1 student). */
export const modelOf = (dir: string, id: string) => loadModel(join(artifactDir(dir, id), 'model'));

function depMetrics(dir: string, id: string): Record<string, unknown> {
  const r = readResult(dir, id);
  if (!r) throw new Error(`sweep: job '${id}' has no result in ${dir}; run the sweep (dependencies first)`);
  return r.metrics;
}

export interface RunContext {
  dir: string;
  worker?: string;
  log?: (line: string) => void;
  /** Asked just before the result is written; false abandons the job (e.g. the coordinator is gone). */
  shouldCommit?: () => boolean;
}

/** Runs `job`, writes its artifacts and result; returns the result. */
export async function runJob(job: Job, ctx: RunContext): Promise<JobResult> {
  const t0 = performance.now();
  const before = tf.memory().numTensors;
  let metrics: Record<string, unknown>;
  switch (job.kind) {
    case 'dense':
      metrics = await runDense(job, ctx);
      break;
    case 'unstructured':
      metrics = await runUnstructured(job, ctx);
      break;
    case 'structured':
      metrics = await runStructured(job, ctx);
      break;
    case 'fourier-masks':
      metrics = await runFourierMasks(job, ctx);
      break;
    case 'fourier-retrain':
      metrics = await runFourierRetrain(job, ctx);
      break;
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked > 0) ctx.log?.(`warning: job ${job.id} left ${leaked} tensors allocated`);
  const result: JobResult = {
    id: job.id,
    kind: job.kind,
    fingerprint: jobFingerprint(job),
    seconds: (performance.now() - t0) / 1000,
    finishedAt: new Date().toISOString(),
    worker: ctx.worker ?? `${hostname()}:${process.pid}`,
    metrics,
  };
  if (ctx.shouldCommit && !ctx.shouldCommit()) throw new Error(`job ${job.id} abandoned: its coordinator went away`);
  await writeResult(ctx.dir, result);
  return result;
}

/** The training options of a dense job (exported for tests that make a checkpoint of it). */
export function denseTrainOptions(job: DenseJob, train: { count: number }): TrainOptions {
  const s = job.spec;
  const spe = Math.ceil(train.count / s.batchSize);
  return {
    epochs: Math.ceil(s.steps / spe), maxSteps: s.steps, batchSize: s.batchSize, optimizer: optimizerOf(s.optimizer), schedule: scheduleForSteps(s.schedule, s.steps, spe), seed: job.seed, progress: false,
  };
}

/**
 * Trains a dense net, with a checkpoint after every epoch in DIR/artifacts/<id>/checkpoint/ (continued from
 * when present: a killed job, or one carried from a published folder, resumes at its last whole epoch and
 * ends bit-identical to an uninterrupted run); the checkpoint is removed once the model is saved.
 */
async function runDense(job: DenseJob, ctx: RunContext): Promise<Record<string, unknown>> {
  const { train, test } = await dataFor(job.data);
  const s = job.spec;
  const model = createModel(s.model, { inputShape: [train.height, train.width, train.channels], numClasses: train.numClasses, seed: job.seed, widthMultiplier: s.widthMultiplier });
  try {
    const opts = denseTrainOptions(job, train);
    const checkpointDir = denseCheckpointDir(ctx.dir, job.id);
    const t = performance.now();
    const h = await trainModel(model, train, {
      ...opts, checkpointDir, resume: true, keepCheckpoints: 1,
      onEpochEnd: (e, logs) => ctx.log?.(`${job.id}: epoch ${e + 1} loss ${logs.loss.toFixed(4)}`),
    });
    if (h.resumedFromEpoch) ctx.log?.(`${job.id}: continued from its checkpoint after epoch ${h.resumedFromEpoch}`);
    const trainSeconds = (performance.now() - t) / 1000;
    const ran = h.steps - (h.resumedFromEpoch ?? 0) * Math.ceil(train.count / s.batchSize); // checkpoints hold whole epochs
    const ev = await evaluate(model, test);
    await saveModel(model, join(artifactDir(ctx.dir, job.id), 'model'));
    rmSync(checkpointDir, { recursive: true, force: true });
    return {
      model: s.model, accuracy: ev.accuracy, loss: ev.loss, steps: h.steps, trainSeconds, msPerStep: (1000 * trainSeconds) / Math.max(1, ran),
      ...(h.resumedFromEpoch ? { resumedFromEpoch: h.resumedFromEpoch } : {}),
    };
  } finally {
    model.dispose();
  }
}

async function runUnstructured(job: UnstructuredJob, ctx: RunContext): Promise<Record<string, unknown>> {
  const { train, test } = await dataFor(job.data);
  const denseId = job.deps[0];
  const model = await modelOf(ctx.dir, denseId);
  try {
    const dense = await evalSummary(model, test);
    const s = job.spec;
    const m = getMethod(job.method);
    const r = await pruneOneShotLevels(
      model,
      {
        method: job.method, seed: job.seed, train, test, levels: [job.level], perIteration: s.perIteration,
        finetune: { steps: s.finetune.steps, batchSize: s.finetune.batchSize, optimizer: optimizerOf(s.finetune.optimizer) },
        score: s.actSamples ? { actSamples: s.actSamples } : undefined,
      },
      dense,
    );
    const lv = r.levels[0];
    return {
      method: job.method, rule: m.rule, level: job.level, label: lv.label, remaining: lv.remaining,
      denseAccuracy: dense.accuracy, before: lv.before?.accuracy ?? null, after: lv.after?.accuracy ?? null,
      finetuneSteps: s.finetune.steps, seconds: lv.seconds,
    };
  } finally {
    model.dispose();
  }
}

/**
 * The pruning options of a structured job (one owner: the job itself and `--remeasure` prune with exactly these),
 * and its BN re-estimate (undefined when the recipe sets bnRecalBatches to 0).
 */
export function structuredJobOptions(job: StructuredJob, model: tf.LayersModel): { prune: PruneFinetuneOptions['prune']; bnRecalibration?: { batches: number; batchSize: number } } {
  const s = job.spec;
  const restricted = s.innerOnly || (s.protectLast ?? 0) > 0;
  const ignore = restricted ? protectedProducers(model, { protectLast: s.protectLast ?? 0, innerOnly: s.innerOnly ?? false }).ignore : [];
  const recal = s.bnRecalBatches ?? 20;
  return {
    prune: {
      criterion: job.criterion as CriterionName,
      flopsReduction: job.reduction,
      ignore,
      ranking: s.ranking === 'global' ? 'global' : 'uniform',
      calibBatches: s.calibBatches ?? 5, calibBatchSize: s.calibBatchSize ?? 128, hook: 'pre-pool',
    },
    ...(recal > 0 ? { bnRecalibration: { batches: recal, batchSize: s.calibBatchSize ?? 128 } } : {}),
  };
}

async function runStructured(job: StructuredJob, ctx: RunContext): Promise<Record<string, unknown>> {
  const { train, test } = await dataFor(job.data);
  const model = await modelOf(ctx.dir, job.deps[0]);
  try {
    const s = job.spec;
    const denseAccuracy = Number(depMetrics(ctx.dir, job.deps[0]).accuracy);
    const res = await pruneAndFinetune(model, train, test, {
      ...structuredJobOptions(job, model),
      finetune: { epochs: s.finetune.epochs, batchSize: s.finetune.batchSize ?? 128, stepsPerEpoch: s.finetune.stepsPerEpoch, lr: s.finetune.lr },
      seed: job.seed,
      denseAccuracy,
    });
    res.model.dispose();
    return {
      criterion: job.criterion, ranking: s.ranking ?? 'per-layer', target: job.reduction, rate: res.report.uniformRate ?? null,
      widths: res.report.groups.map((g) => g.kept), reduction: res.report.reduction, macs: res.report.after.macs, params: res.report.after.params,
      accuracy: res.accuracy, finetuneEpochs: s.finetune.epochs, finetuneStepsPerEpoch: s.finetune.stepsPerEpoch ?? null, seconds: res.seconds,
      numClasses: test.numClasses,
    };
  } finally {
    model.dispose();
  }
}

/** Masks as JSON: layer name → base64 of one byte per weight. */
function masksToJson(m: MaskSet): string {
  return JSON.stringify(Object.fromEntries(m.names().map((n) => [n, Buffer.from(m.get(n)).toString('base64')])));
}
function masksFromJson(text: string): MaskSet {
  const m = new MaskSet();
  for (const [n, b64] of Object.entries(JSON.parse(text) as Record<string, string>)) m.set(n, new Uint8Array(Buffer.from(b64, 'base64')));
  return m;
}

async function runFourierMasks(job: FourierMasksJob, ctx: RunContext): Promise<Record<string, unknown>> {
  const { train, test } = await dataFor(job.data);
  const teacher = await modelOf(ctx.dir, job.deps[0]);
  const s = job.spec;
  try {
    const r = await findMasks(teacher, {
      sparsity: job.sparsity, stage1: 'iterative', method: 'mp', q: s.stage1.q ?? 0.2, data: train, roundEpochs: s.stage1.roundEpochs ?? 1,
      roundStepsPerEpoch: s.stage1.roundStepsPerEpoch, batchSize: s.stage1.batchSize, optimizer: optimizerOf(s.stage1.optimizer), seed: job.seed, progress: false,
    });
    try {
      const accuracyAfterPrune = (await evaluate(r.student, test)).accuracy;
      const n = s.analysisSamples ?? 500;
      let analysis: unknown = null;
      if (n > 1) {
        const analyzer = new FrequencyAnalyzer(take(test, n), { teacher });
        try {
          analysis = { dense: analyzer.analyze(teacher, 'dense'), pruned: { ...analyzer.analyze(r.student, `MBP ${100 * job.sparsity}%`), epoch: 0 } };
        } finally {
          analyzer.dispose();
        }
      }
      const dir = artifactDir(ctx.dir, job.id);
      await saveModel(r.student, join(dir, 'model'));
      await writeFileAtomic(join(dir, 'masks.json'), masksToJson(r.masks));
      return { sparsity: r.sparsity, rounds: r.rounds, accuracyAfterPrune, stage1Seconds: r.seconds, analysis };
    } finally {
      r.student.dispose();
    }
  } finally {
    teacher.dispose();
  }
}

async function runFourierRetrain(job: FourierRetrainJob, ctx: RunContext): Promise<Record<string, unknown>> {
  const { train, test } = await dataFor(job.data);
  const [denseId, masksId] = job.deps;
  const teacher = await modelOf(ctx.dir, denseId);
  const student = await modelOf(ctx.dir, masksId);
  const masks = masksFromJson(await readFile(join(artifactDir(ctx.dir, masksId), 'masks.json'), 'utf8'));
  const s = job.spec;
  const n = s.analysisSamples ?? 500;
  const analyzer = n > 1 ? new FrequencyAnalyzer(take(test, n), { teacher }) : undefined;
  try {
    const st = s.stage2;
    const r = await retrainMasked(student, teacher, masks, {
      kd: job.method as KdMode, train, epochs: st.epochs, stepsPerEpoch: st.stepsPerEpoch, batchSize: st.batchSize, optimizer: optimizerOf(st.optimizer),
      seed: job.seed, alpha: st.alpha, tau: st.tau, kMax: st.kMax, cutoffFraction: st.cutoffFraction, perRow: st.perRow, anchorCount: st.anchors, analyzer,
      onEpochEnd: (e, logs) => ctx.log?.(`${job.id}: epoch ${e + 1} loss ${logs.loss.toFixed(4)}`),
    });
    const accuracy = (await evaluate(student, test)).accuracy;
    const teacherAccuracy = Number(depMetrics(ctx.dir, denseId).accuracy);
    return { method: job.method, sparsity: masks.totalSparsity(), accuracy, teacherAccuracy, steps: r.history.steps, stage2Seconds: r.seconds, analysis: r.analysis };
  } finally {
    analyzer?.dispose();
    teacher.dispose();
    student.dispose();
  }
}
