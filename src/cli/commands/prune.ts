import type * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { batchCount } from '../../data/batches.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { saveModel } from '../../io/model-folder.js';
import { WEIGHT_QUANTIZATIONS, type WeightQuantization } from '../../io/quantize.js';
import { quantizationEffect, type QuantizationEffect } from '../../io/quantize-model.js';
import { checkOutputFile, datasetInput } from '../../io/output-paths.js';
import { saveSparse } from '../../io/sparse.js';
import { prepareModel } from '../../graph/prepare.js';
import type { FolderTransaction } from '../../io/atomic.js';
import { pruneIterativeDataFree, pruneOneShotDataFree } from '../../prune/data-free.js';
import { pruneGradual } from '../../prune/gradual.js';
import { getMethod, METHOD_NAMES } from '../../prune/methods.js';
import {
  perRoundFraction,
  pruneIterative,
  pruneOneShotLevels,
  type LevelResult,
  type PipelineOptions,
  type PipelineResult,
  type PruneLevel,
  type ScheduleName,
} from '../../prune/pipeline.js';
import { writeRecord } from '../../prune/record.js';
import { aggregateResults, buildPruneReport, layersTable, levelsTable } from '../../prune/report.js';
import { writeHtmlReport } from '../../report/html.js';
import { sparseCost, sparseCostTable, type SparseCost } from '../../report/sparse-cost.js';
import { formatTable } from '../../report/table.js';
import { backendFromFlags } from '../context.js';
import { addDatasetOptions, resolveModelAndData, type DatasetFlags } from '../dataset.js';
import { ALLOW_NONFINITE_HELP, FORCE_HELP, loadOptions, openOutput } from '../outputs.js';
import { parseChoice, parseFloatOption, parseFractionList, parseIntList, parseIntOption, parseNameList, parseShape } from '../options.js';

interface PruneFlags extends DatasetFlags {
  model: string;
  quantize?: WeightQuantization;
  method: string;
  sparsity?: number;
  ratios?: number[];
  levels?: number[];
  its?: number[];
  schedule: ScheduleName;
  rounds: number;
  initialSparsity: number;
  beginStep: number;
  endStep?: number;
  frequency?: number;
  power: number;
  finetuneEpochs: number;
  finetuneSteps?: number;
  batchSize: number;
  lr: number;
  seed: number;
  exclude?: string[];
  out?: string;
  report?: string;
  sparse?: boolean;
  output?: string;
  lapGraph?: boolean;
  force?: boolean;
  allowNonfinite?: boolean;
}

const inputsOf = (f: PruneFlags) => ({ 'model folder': f.model, 'dataset folder': datasetInput(f.dataset) });

/** Every check that needs no model or data, before anything is loaded or written. */
function checkFlags(f: PruneFlags): void {
  const given = [f.sparsity !== undefined && '--sparsity', f.levels !== undefined && '--levels', f.ratios !== undefined && f.its === undefined && '--ratios'].filter(Boolean);
  if (f.its !== undefined && f.ratios === undefined) throw new Error('--its needs --ratios (the per-layer ratios pruned per iteration)');
  if (f.its !== undefined && (f.sparsity !== undefined || f.levels !== undefined)) throw new Error('--its cannot be combined with --sparsity or --levels');
  if (f.its === undefined && given.length !== 1) {
    throw new Error(`give exactly one of --sparsity, --ratios, --levels (or --its with --ratios)${given.length > 1 ? `; got ${given.join(', ')}` : ''}`);
  }
  if (f.schedule !== 'oneshot' && (f.levels !== undefined || f.its !== undefined)) throw new Error(`--levels and --its are for --schedule oneshot, not ${f.schedule}`);
  if (f.schedule === 'gradual' && f.sparsity === undefined) throw new Error('--schedule gradual needs --sparsity (the final sparsity)');
  if (f.report !== undefined) checkOutputFile(f.report, { flag: '--report', inputs: inputsOf(f), force: f.force });
  if (f.sparse && f.out === undefined) throw new Error('--sparse writes model.sparse into --out: give --out DIR');
  if (f.quantize && f.out === undefined) throw new Error('--quantize sets how --out stores its weights: give --out DIR');
}

function oneShotLevels(f: PruneFlags): { levels: PruneLevel[]; perIteration?: number[] } {
  if (f.its) return { levels: f.its.map((it) => ({ it })), perIteration: f.ratios };
  if (f.levels) return { levels: f.levels.map((sparsity) => ({ sparsity })) };
  if (f.ratios) return { levels: [{ ratios: f.ratios }] };
  return { levels: [{ sparsity: f.sparsity as number }] };
}

/** Saves one level; `quantize` is the dtype and, with data, its measured accuracy effect. */
async function saveLevel(
  out: string,
  r: LevelResult,
  model: tf.LayersModel,
  sparse: boolean,
  quantize?: { dtype: WeightQuantization; effect?: QuantizationEffect },
): Promise<void> {
  await saveModel(model, out, {
    quantize: quantize?.dtype,
    metadata: {
      pruning: { method: r.method, schedule: r.schedule, level: r.label, totalSparsity: r.totalSparsity, testAccuracy: (r.after ?? r.before)?.accuracy },
      ...(quantize?.effect ? { quantization: quantize.effect } : {}),
    },
  });
  writeRecord(join(out, 'pruning-record.json'), r.record);
  if (sparse) saveSparse(model, join(out, 'model.sparse'));
}

/** Why this prune run cannot go without data, or undefined when it can. */
function needsData(f: PruneFlags): string | undefined {
  if (f.schedule === 'gradual') return '--schedule gradual prunes while training';
  if (getMethod(f.method).needsData) return `method '${f.method}' scores weights with training data`;
  return undefined;
}

/** Prune with no data: sparsity, params, MACs and sizes per level; saves the last level into --out. */
async function pruneDataFree(flags: PruneFlags, model: tf.LayersModel, outTx?: FolderTransaction): Promise<void> {
  const costs: { label: string; sparsity: number; cost: SparseCost }[] = [];
  let last = 0;
  let saved: LevelResult | undefined;
  const base = {
    method: flags.method,
    seed: flags.seed,
    exclude: flags.exclude,
    log: (line: string) => process.stderr.write(line + '\n'),
    onLevel: async (r: LevelResult, m: tf.LayersModel) => {
      costs.push({ label: r.label, sparsity: r.totalSparsity, cost: sparseCost(m, r.record) });
      if (r.index !== last) return;
      saved = r;
      if (outTx) await saveLevel(outTx.dir, r, m, flags.sparse ?? false, flags.quantize ? { dtype: flags.quantize } : undefined);
    },
  };
  const t0 = Date.now();
  let result;
  try {
    if (flags.schedule === 'oneshot') {
      const plan = oneShotLevels(flags);
      last = plan.levels.length - 1;
      result = await pruneOneShotDataFree(model, { ...base, ...plan });
    } else {
      last = flags.rounds - 1;
      const perRound = flags.ratios ? { ratios: flags.ratios } : { sparsity: perRoundFraction(flags.sparsity as number, flags.rounds) };
      result = await pruneIterativeDataFree(model, { ...base, rounds: flags.rounds, perRound });
    }
  } finally {
    model.dispose();
  }
  const seconds = (Date.now() - t0) / 1000;
  const out = [`data-free ${flags.method}, ${flags.schedule}: no dataset, so no fine-tuning and no accuracy; ${seconds.toFixed(1)} s`, '', formatTable(sparseCostTable(costs))];
  if (saved) out.push('', formatTable(layersTable(saved)));
  if (outTx) {
    await writeFileAtomic(join(outTx.dir, 'results.json'), JSON.stringify({ ...result, dataFree: true, costs }, null, 2) + '\n');
    await outTx.commit();
    out.push('', `saved ${flags.out} (model.json + shards, pruning-record.json, results.json${flags.sparse ? ', model.sparse' : ''})`);
  } else {
    out.push('', 'not saved: give --out DIR to write the pruned model');
  }
  if (flags.report) out.push(`(--report skipped: the HTML report charts accuracy, which needs --dataset)`);
  process.stdout.write(out.join('\n') + '\n');
}

export function registerPrune(program: Command): void {
  const cmd = program
    .command('prune')
    .description('unstructured pruning (mp, rp, lap, …): prune, fine-tune with masks, report; saves a standard model folder with zeros baked in')
    .requiredOption('-m, --model <spec>', 'model folder (or a zoo model name: prunes its untrained weights)')
    .requiredOption('--method <name>', `pruning method: ${METHOD_NAMES.join(' | ')}`)
    .option('-s, --sparsity <x>', 'fraction of weights to prune (uniform per layer, or global for *_global_normalize); gradual: final sparsity; iterative: reached after --rounds', parseFloatOption('--sparsity', 0, 0.999999))
    .option('--ratios <r1,r2,…>', 'per-layer ratios (one per prunable layer); with --its the ratios pruned per iteration; iterative: per round', parseFractionList('--ratios'))
    .option('--levels <s1,s2,…>', 'one-shot at several sparsities, each from the same dense model (--out gets the last)', parseFractionList('--levels'))
    .option('--its <list>', 'one-shot levels it (4,5,6 or 4-10): layer l pruned to 1 − (1 − ratio_l)^it', parseIntList('--its', 0, { ranges: true }))
    .option('--schedule <kind>', 'oneshot | iterative | gradual', parseChoice('--schedule', ['oneshot', 'iterative', 'gradual'] as const), 'oneshot')
    .option('--rounds <n>', 'iterative: prune-and-fine-tune rounds', parseIntOption('--rounds', 1), 3)
    .option('--initial-sparsity <x>', 'gradual: sparsity at --begin-step', parseFloatOption('--initial-sparsity', 0, 0.999999), 0)
    .option('--begin-step <n>', 'gradual: first pruning step', parseIntOption('--begin-step', 0), 0)
    .option('--end-step <n>', 'gradual: last pruning step (default: 3/4 of the training steps)', parseIntOption('--end-step', 1))
    .option('--frequency <n>', 'gradual: prune every n steps (default: min(100, a tenth of the pruning span))', parseIntOption('--frequency', 1))
    .option('--power <x>', 'gradual: exponent of the polynomial schedule', parseFloatOption('--power', 0), 3)
    .option('--finetune-epochs <n>', 'fine-tuning epochs per level (gradual: training epochs)', parseIntOption('--finetune-epochs', 0), 1)
    .option('--finetune-steps <n>', 'fine-tuning steps per level (overrides --finetune-epochs)', parseIntOption('--finetune-steps', 0))
    .option('-b, --batch-size <n>', 'fine-tuning batch size', parseIntOption('--batch-size', 1), 60)
    .option('--lr <x>', 'Adam learning rate for fine-tuning', parseFloatOption('--lr', 0), 1.2e-3)
    .option('--seed <n>', 'seed for pruning (rp), data subsets and fine-tuning batches', parseIntOption('--seed'), 0)
    .option('--exclude <layers>', 'comma-separated layer names never pruned', parseNameList('--exclude'))
    .option('--limit-train <n>', 'use a seeded subset of this many training examples', parseIntOption('--limit-train', 1))
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--input-shape <h,w,c>', 'input shape for zoo models (default: the dataset\'s)', parseShape)
    .option('-o, --out <dir>', 'write the pruned model folder + pruning-record.json + results.json here')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--output <name>', 'multi-output models: the output layer to prune and evaluate for')
    .option('--lap-graph', 'LAP: neighbours from the whole channel graph (branched models: DenseNet, Inception, SE) instead of the module-order chain')
    .option('--sparse', 'also write the compact sparse encoding (model.sparse) into --out')
    .option('--quantize <dtype>', `store the --out weights as ${WEIGHT_QUANTIZATIONS.join(' | ')} (pruned zeros stay exactly 0); the test-accuracy change is reported`, parseChoice('--quantize', WEIGHT_QUANTIZATIONS))
    .option('--force', FORCE_HELP)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP);
  addDatasetOptions(cmd).action(async (flags: PruneFlags, cmd: Command) => {
      checkFlags(flags);
      getMethod(flags.method); // unknown method: clear error before loading anything
      const outTx = flags.out ? await openOutput(flags.out, { flag: '--out', inputs: inputsOf(flags), force: flags.force }) : undefined;
      await backendFromFlags(cmd);
      const resolved = await resolveModelAndData(flags.model, flags, { needsData: needsData(flags), load: loadOptions(flags) });
      const { source, data } = resolved;
      const model = prepareModel(resolved.model, flags.output);
      if (source === 'zoo') process.stderr.write(`warning: '${flags.model}' is a zoo model: pruning its untrained (random) weights\n`);
      if (!data) return pruneDataFree(flags, model, outTx);
      const { train, test } = data;
      const steps = flags.finetuneSteps ?? flags.finetuneEpochs * batchCount(train.count, flags.batchSize, true);
      let lastIndex = 0;
      let saved: LevelResult | undefined;
      const base: PipelineOptions = {
        method: flags.method,
        seed: flags.seed,
        train,
        test,
        exclude: flags.exclude,
        ...(flags.lapGraph ? { score: { graphAware: true } } : {}),
        finetune: { steps, batchSize: flags.batchSize, optimizer: { name: 'adam', lr: flags.lr }, progress: 'auto' },
        log: (line) => process.stderr.write(line + '\n'),
        onLevel: async (r, m) => {
          if (r.index !== lastIndex) return;
          saved = r;
          if (!outTx) return;
          let q: QuantizationEffect | undefined;
          if (flags.quantize) {
            q = await quantizationEffect(m, test, flags.quantize);
            const p = (x: number) => `${(100 * x).toFixed(2)}%`;
            process.stdout.write(
              `${flags.quantize} weights: test accuracy ${p(q.floatAccuracy)} → ${p(q.quantizedAccuracy)} ` +
                `(${q.accuracyChange >= 0 ? '+' : ''}${(100 * q.accuracyChange).toFixed(2)} pp, ${p(q.flippedPredictions)} of predictions changed)\n`,
            );
          }
          await saveLevel(outTx.dir, r, m, flags.sparse ?? false, q ? { dtype: q.dtype, effect: q } : undefined);
        },
      };
      const t0 = Date.now();
      let result: PipelineResult;
      try {
        if (flags.schedule === 'oneshot') {
          const plan = oneShotLevels(flags);
          lastIndex = plan.levels.length - 1;
          result = await pruneOneShotLevels(model, { ...base, ...plan });
        } else if (flags.schedule === 'iterative') {
          lastIndex = flags.rounds - 1;
          const perRound = flags.ratios ? { ratios: flags.ratios } : { sparsity: perRoundFraction(flags.sparsity as number, flags.rounds) };
          result = await pruneIterative(model, { ...base, rounds: flags.rounds, perRound });
        } else {
          const endStep = flags.endStep ?? Math.max(flags.beginStep + 1, Math.floor(0.75 * steps));
          const frequency = flags.frequency ?? Math.max(1, Math.min(100, Math.floor((endStep - flags.beginStep) / 10)));
          const schedule = { initialSparsity: flags.initialSparsity, finalSparsity: flags.sparsity as number, beginStep: flags.beginStep, endStep, frequency, power: flags.power };
          result = await pruneGradual(model, { ...base, schedule });
        }
      } finally {
        model.dispose();
      }
      const seconds = (Date.now() - t0) / 1000;
      const rows = aggregateResults([result]);
      const out: string[] = [
        `dense test accuracy ${(100 * result.dense.accuracy).toFixed(2)}% (${test.count} examples, ${data.name}); ${flags.method}, ${flags.schedule}, ${steps} fine-tuning steps per level; ${seconds.toFixed(1)} s`,
        '',
        formatTable(levelsTable(rows, 'accuracy')),
      ];
      if (saved) out.push('', formatTable(layersTable(saved)));
      if (outTx) {
        await writeFileAtomic(join(outTx.dir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
        await outTx.commit();
        out.push('', `saved ${flags.out} (model.json + shards, pruning-record.json, results.json${flags.sparse ? ', model.sparse' : ''})`);
      }
      if (flags.report) {
        const doc = buildPruneReport({
          title: `prunekit prune: ${flags.method} (${flags.schedule})`,
          meta: { model: flags.model, dataset: data.name, date: new Date().toISOString(), command: `prunekit ${process.argv.slice(2).join(' ')}` },
          results: [result],
          detail: saved,
          notes: [`${steps} fine-tuning steps per level, batch ${flags.batchSize}, Adam lr ${flags.lr}, seed ${flags.seed}; wall time ${seconds.toFixed(1)} s.`],
        });
        await writeHtmlReport(flags.report, doc);
        out.push(`report ${flags.report}`);
      }
      process.stdout.write(out.join('\n') + '\n');
    });
}
