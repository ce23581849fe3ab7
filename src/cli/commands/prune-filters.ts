import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Command } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { prepareModel } from '../../graph/prepare.js';
import type { FolderTransaction } from '../../io/atomic.js';
import { saveModel } from '../../io/model-folder.js';
import { sizeReport } from '../../io/sparse-size.js';
import { formatBytes } from '../../report/bytes.js';
import { WEIGHT_QUANTIZATIONS, type WeightQuantization } from '../../io/quantize.js';
import { quantizationEffect } from '../../io/quantize-model.js';
import { checkOutputFile, datasetInput, realPathOf } from '../../io/output-paths.js';
import { writeHtmlReport } from '../../report/html.js';
import { formatTable } from '../../report/table.js';
import { CRITERIA, MAP_CRITERIA, type CriterionName } from '../../structured/criteria/index.js';
import { parseRateExpression } from '../../structured/rates.js';
import { readRatesFile } from '../../structured/rates-file.js';
import { SCORE_NORMALIZATIONS, type ScoreNormalization } from '../../structured/budget.js';
import { pruneFilters, RANKINGS, type Ranking } from '../../structured/prune-filters.js';
import { STRUCTURED_RECORD_FILE, writeStructuredRecord } from '../../structured/record.js';
import { inferenceModel, pruneAndFinetune } from '../../structured/pipeline.js';
import { costTable, docText, pruneFiltersDoc, widthTable } from '../../structured/report.js';
import { backendFromFlags } from '../context.js';
import { addDatasetOptions, resolveModelAndData, type DatasetFlags } from '../dataset.js';
import { ALLOW_NONFINITE_HELP, FORCE_HELP, loadOptions, openOutput } from '../outputs.js';
import { parseChoice, parseFloatOption, parseIntList, parseIntOption, parseNameList, parseRates } from '../options.js';

interface PruneFiltersFlags extends DatasetFlags {
  model: string;
  criterion: CriterionName;
  rates?: string;
  ratesFile?: string;
  flopsReduction?: number;
  paramsReduction?: number;
  ignore?: string[];
  maxRate?: number;
  roundTo?: number;
  ranking: Ranking;
  scoreNormalize: ScoreNormalization;
  steps: number;
  calib: number;
  hook: 'pre-pool' | 'post-pool';
  dctK?: number;
  resetBn?: boolean;
  bnRecal: number;
  finetuneEpochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  augment: 'none' | 'crop-flip';
  latency: boolean;
  latencyBatches: number[];
  latencyRuns: number;
  out: string;
  report?: string;
  exportInference?: string;
  output?: string;
  quantize?: WeightQuantization;
  force?: boolean;
  allowNonfinite?: boolean;
}

/** The --rates value for pruneFilters: a single number for global ranking (the fraction of channels), else the expression. */
function ratesFor(f: PruneFiltersFlags): string | number | Record<string, number> | undefined {
  if (f.ratesFile !== undefined) return readRatesFile(f.ratesFile);
  if (f.rates === undefined || f.ranking !== 'global') return f.rates;
  const list = parseRateExpression(f.rates);
  if (list.length !== 1) throw new Error('--ranking global takes one number in --rates (the fraction of all prunable channels to remove), or a --flops-reduction / --params-reduction budget');
  return list[0];
}

/** Every check on flags and paths that needs no model or data, before anything is loaded or written. */
function checkFlags(f: PruneFiltersFlags): void {
  const modes = [f.rates !== undefined, f.ratesFile !== undefined, f.flopsReduction !== undefined, f.paramsReduction !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new Error('give exactly one of --rates, --flops-reduction, --params-reduction (or --rates-file instead of --rates)');
  if (f.ratesFile !== undefined && f.ranking === 'global') throw new Error('--rates-file gives per-layer rates; it cannot be combined with --ranking global');
  if (f.ratesFile !== undefined && !existsSync(f.ratesFile)) throw new Error(`--rates-file '${f.ratesFile}' does not exist`);
  if (f.maxRate !== undefined && f.maxRate >= 1) throw new Error(`--max-rate must be below 1 (a group keeps at least one channel), got ${f.maxRate}`);
  ratesFor(f);
  if (f.exportInference !== undefined) {
    const [a, b] = [realPathOf(f.exportInference), realPathOf(f.out)];
    if (a === b || a.startsWith(b + sep) || b.startsWith(a + sep)) throw new Error('--export-inference must be a different folder from --out (and not inside it)');
  }
  if (f.report !== undefined) checkOutputFile(f.report, { flag: '--report', inputs: inputsOf(f), force: f.force });
}

const inputsOf = (f: PruneFiltersFlags) => ({ 'model folder': f.model, 'dataset folder': datasetInput(f.dataset) });

/** The pruning options every prune-filters run takes from its flags (with or without data). */
function pruneOptions(flags: PruneFiltersFlags) {
  return {
    criterion: flags.criterion,
    rates: ratesFor(flags),
    ranking: flags.ranking,
    normalize: flags.scoreNormalize,
    ignore: flags.ignore,
    maxRate: flags.maxRate,
    roundTo: flags.roundTo,
    flopsReduction: flags.flopsReduction,
    paramsReduction: flags.paramsReduction,
    copyBN: !flags.resetBn,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Structured pruning with no data (l1, random): widths, params, MACs and size; no fine-tuning or accuracy. */
async function pruneFiltersDataFree(flags: PruneFiltersFlags, model: tf.LayersModel, outTx: FolderTransaction, infTx?: FolderTransaction): Promise<void> {
  const say = (s: string) => process.stdout.write(`${s}\n`);
  if (flags.steps > 1) throw new Error('--steps K alternates pruning with fine-tuning, which needs --dataset');
  const { model: pruned, report, record } = await pruneFilters(model, { ...pruneOptions(flags), seed: flags.seed });
  try {
    const before = sizeReport(model).denseBytes;
    const after = sizeReport(pruned).denseBytes;
    say(`data-free prune-filters (${flags.criterion}): no dataset, so no fine-tuning and no accuracy`);
    say('');
    say(formatTable(widthTable(report)));
    say('');
    say(formatTable(costTable(report)));
    say('');
    say(`size (float32 weights): ${formatBytes(before)} → ${formatBytes(after)}`);
    await saveModel(pruned, outTx.dir, {
      quantize: flags.quantize,
      metadata: {
        prunedFrom: flags.model,
        criterion: flags.criterion,
        dataFree: true,
        seed: flags.seed,
        widths: report.groups.map((g) => ({ producers: g.producers, before: g.channels, after: g.kept })),
      },
    });
    writeStructuredRecord(join(outTx.dir, STRUCTURED_RECORD_FILE), record);
    await outTx.commit();
    say(`saved ${flags.out}`);
    if (infTx) {
      const inf = await inferenceModel(pruned, { seed: flags.seed });
      try {
        await saveModel(inf.model, infTx.dir, { quantize: flags.quantize, metadata: { inferenceOf: flags.out, bnFolded: true, foldRelError: inf.relError } });
      } finally {
        inf.model.dispose();
      }
      await infTx.commit();
      say(`saved inference model ${flags.exportInference} (BN folded; outputs within ${inf.relError.toExponential(1)} relative)`);
    }
    if (flags.report) say('(--report skipped: the HTML report needs accuracy, which needs --dataset)');
  } finally {
    pruned.dispose();
    model.dispose();
  }
}

export function registerPruneFilters(program: Command): void {
  const cmd = program
    .command('prune-filters')
    .description('remove whole filters (DCT / DCT-low / L1 / HRank / random), fine-tune, and report widths, params, MACs, accuracy and latency')
    .requiredOption('-m, --model <dir>', 'trained model folder (model.json + weight shards); a zoo name builds an untrained net')
    .requiredOption('-o, --out <dir>', `write the pruned, fine-tuned model folder (+ ${STRUCTURED_RECORD_FILE}) here`)
    .option('-c, --criterion <name>', CRITERIA.join(' | '), parseChoice('--criterion', CRITERIA), 'dct')
    .option('--rates <expr>', 'per-group rates in prunable-group order, e.g. "[0.5]*7+[0.95]*5", or one rate "0.5"', parseRates('--rates'))
    .option('--flops-reduction <f>', 'cut conv+dense multiply-adds by this fraction (one uniform rate, or --ranking global)', parseFloatOption('--flops-reduction', 0, 1))
    .option('--params-reduction <f>', 'cut trainable parameters by this fraction (one uniform rate, or --ranking global)', parseFloatOption('--params-reduction', 0, 1))
    .option('--rates-file <json>', 'per-layer rates from a rates file (e.g. written by `prunekit sensitivity --budget … --out-rates FILE`)')
    .option('--ranking <how>', 'uniform (one rate for every group) | global (rank normalised channel scores across groups: non-uniform rates for the budget)', parseChoice('--ranking', RANKINGS), 'uniform')
    .option('--score-normalize <how>', `per-group score normalisation for --ranking global: ${SCORE_NORMALIZATIONS.join(' | ')}`, parseChoice('--score-normalize', SCORE_NORMALIZATIONS), 'mean')
    .option('--ignore <layers>', 'comma-separated layers whose output channels are never pruned (e.g. the stem conv)', parseNameList('--ignore'))
    .option('--max-rate <r>', 'no channel group loses more than this fraction of its channels', parseFloatOption('--max-rate', 0, 1))
    .option('--round-to <n>', 'kept channels per group rounded up to a multiple of n (e.g. 8 for SIMD-friendly widths)', parseIntOption('--round-to', 1))
    .option('--steps <k>', 'iterative pruning: k steps of prune → fine-tune (each step fine-tunes --finetune-epochs), reaching i/k of the target at step i', parseIntOption('--steps', 1), 1)
    .option('--calib <n>', 'calibration images from the training split (dct, dct_low, dct_dc, hrank; reference 5 × 128)', parseIntOption('--calib', 1), 640)
    .option('--hook <where>', 'feature maps: pre-pool (after BN + ReLU) | post-pool (reference)', parseChoice('--hook', ['pre-pool', 'post-pool'] as const), 'pre-pool')
    .option('--dct-k <k>', 'dct_low block size k (default ceil(H/4))', parseIntOption('--dct-k', 1))
    .option('--reset-bn', 'reset BN of pruned layers to γ=1, β=0, μ=0, σ²=1 (reference CIFAR code) instead of copying kept statistics')
    .option('--bn-recal <batches>', 'also report accuracy right after pruning with BN statistics re-estimated on this many calibration batches (0: not measured; fine-tuning starts from the copied statistics)', parseIntOption('--bn-recal', 0), 20)
    .option('-e, --finetune-epochs <n>', 'fine-tuning epochs (SGD; lr ×0.1 at 1/3 and 2/3 of them)', parseIntOption('--finetune-epochs', 0), 3)
    .option('-b, --batch-size <n>', 'fine-tuning batch size', parseIntOption('--batch-size', 1), 128)
    .option('--lr <x>', 'fine-tuning learning rate', parseFloatOption('--lr', 0), 0.01)
    .option('--momentum <x>', 'SGD momentum', parseFloatOption('--momentum', 0, 1), 0.9)
    .option('--weight-decay <x>', 'SGD weight decay (reference 5e-3)', parseFloatOption('--weight-decay', 0), 5e-3)
    .option('--augment <kind>', 'none | crop-flip (32×32 images)', parseChoice('--augment', ['none', 'crop-flip'] as const), 'none')
    .option('--seed <n>', 'seed for calibration sample, random criterion, subsets and fine-tuning', parseIntOption('--seed'), 0)
    .option('--limit-train <n>', 'use a seeded subset of this many training examples', parseIntOption('--limit-train', 1))
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--no-latency', 'skip the latency measurement')
    .option('--latency-batches <list>', 'batch sizes for latency', parseIntList('--latency-batches', 1), [1, 64])
    .option('--latency-runs <n>', 'timed runs per model and batch size', parseIntOption('--latency-runs', 1), 10)
    .option('--report <file>', 'also write the report as a self-contained HTML page')
    .option('--output <name>', 'multi-output models: the output layer to prune and evaluate for')
    .option('--export-inference <dir>', 'also write the inference model (BN folded into the conv/dense before it)')
    .option('--quantize <dtype>', `store the saved weights as ${WEIGHT_QUANTIZATIONS.join(' | ')} (zeros stay exactly 0); the test-accuracy change is reported`, parseChoice('--quantize', WEIGHT_QUANTIZATIONS))
    .option('--force', FORCE_HELP)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP);
  addDatasetOptions(cmd).action(async (flags: PruneFiltersFlags, cmd: Command) => {
      checkFlags(flags);
      const outTx = await openOutput(flags.out, { flag: '--out', inputs: inputsOf(flags), force: flags.force });
      const infTx = flags.exportInference ? await openOutput(flags.exportInference, { flag: '--export-inference', inputs: inputsOf(flags), force: flags.force }) : undefined;
      const backend = await backendFromFlags(cmd);
      const needsData = MAP_CRITERIA.has(flags.criterion) ? `criterion '${flags.criterion}' scores filters by their feature maps on calibration images` : undefined;
      const resolved = await resolveModelAndData(flags.model, flags, { needsData, load: loadOptions(flags) });
      const { source, data } = resolved;
      const model = prepareModel(resolved.model, flags.output);
      if (source === 'zoo') process.stderr.write(`warning: '${flags.model}' is an untrained zoo model\n`);
      if (!data) return pruneFiltersDataFree(flags, model, outTx, infTx);
      const say = (s: string) => process.stdout.write(`${s}\n`);
      try {
        const calibBatchSize = Math.min(128, flags.calib);
        const result = await pruneAndFinetune(model, data.train, data.test, {
          prune: {
            ...pruneOptions(flags),
            calibBatches: Math.ceil(flags.calib / calibBatchSize),
            calibBatchSize,
            hook: flags.hook,
            dctK: flags.dctK,
          },
          finetune: {
            epochs: flags.finetuneEpochs,
            batchSize: flags.batchSize,
            lr: flags.lr,
            momentum: flags.momentum,
            weightDecay: flags.weightDecay,
            augment: flags.augment,
            progress: 'auto',
          },
          seed: flags.seed,
          steps: flags.steps,
          ...(flags.bnRecal > 0 ? { bnRecalibration: { batches: flags.bnRecal, batchSize: calibBatchSize } } : {}),
          latency: flags.latency ? { batches: flags.latencyBatches, runs: flags.latencyRuns, warmup: 2, seed: flags.seed } : undefined,
          log: say,
        });
        try {
          const doc = pruneFiltersDoc({
            result,
            backend: backend.name,
            meta: {
              model: flags.model,
              dataset: `${data.name} (train ${data.train.count}, test ${data.test.count})`,
              backend: `${backend.name}${backend.threads ? `, ${backend.threads} threads` : ''}`,
              command: `prunekit ${process.argv.slice(2).join(' ')}`,
              date: new Date().toISOString(),
            },
          });
          process.stdout.write(docText(doc, formatTable));
          let quantization: Record<string, unknown> | undefined;
          if (flags.quantize) {
            const e = await quantizationEffect(result.model, data.test, flags.quantize);
            say(
              `${flags.quantize} weights: test accuracy ${pct(e.floatAccuracy)} → ${pct(e.quantizedAccuracy)} ` +
                `(${e.accuracyChange >= 0 ? '+' : ''}${(100 * e.accuracyChange).toFixed(2)} pp, ${pct(e.flippedPredictions)} of predictions changed)`,
            );
            quantization = { ...e };
          }
          await saveModel(result.model, outTx.dir, {
            quantize: flags.quantize,
            metadata: {
              ...(quantization ? { quantization } : {}),
              prunedFrom: flags.model,
              criterion: flags.criterion,
              dataset: data.name,
              seed: flags.seed,
              steps: flags.steps,
              widths: result.report.groups.map((g) => ({ producers: g.producers, before: g.channels, after: g.kept })),
              testAccuracy: result.accuracy.final,
              bestTestAccuracy: result.accuracy.best,
            },
          });
          writeStructuredRecord(join(outTx.dir, STRUCTURED_RECORD_FILE), result.record);
          await outTx.commit();
          say(`saved ${flags.out} (final ${pct(result.accuracy.final)}, best ${pct(result.accuracy.best)})`);
          if (flags.exportInference) {
            const inf = await inferenceModel(result.model, { seed: flags.seed });
            try {
              await saveModel(inf.model, infTx!.dir, { quantize: flags.quantize, metadata: { inferenceOf: flags.out, bnFolded: true, foldRelError: inf.relError } });
            } finally {
              inf.model.dispose();
            }
            await infTx!.commit();
            say(`saved inference model ${flags.exportInference} (BN folded; outputs within ${inf.relError.toExponential(1)} relative)`);
          }
          if (flags.report) {
            await writeHtmlReport(flags.report, doc);
            say(`wrote ${flags.report}`);
          }
        } finally {
          result.model.dispose();
        }
      } finally {
        model.dispose();
      }
    });
}
