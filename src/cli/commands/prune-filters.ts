import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadDataset } from '../../data/registry.js';
import { resolveModel } from '../../models/resolve.js';
import { saveModel } from '../../io/model-folder.js';
import { writeHtmlReport } from '../../report/html.js';
import { formatTable } from '../../report/table.js';
import { CRITERIA, type CriterionName } from '../../structured/criteria/index.js';
import { parseRateExpression } from '../../structured/rates.js';
import { readRatesFile } from '../../structured/rates-file.js';
import { SCORE_NORMALIZATIONS, type ScoreNormalization } from '../../structured/budget.js';
import { RANKINGS, type Ranking } from '../../structured/prune-filters.js';
import { STRUCTURED_RECORD_FILE, writeStructuredRecord } from '../../structured/record.js';
import { inferenceModel, pruneAndFinetune } from '../../structured/pipeline.js';
import { docText, pruneFiltersDoc } from '../../structured/report.js';
import { backendFromFlags } from '../context.js';
import { parseChoice, parseFloatOption, parseIntOption, parseNameList } from '../options.js';

interface PruneFiltersFlags {
  model: string;
  dataset: string;
  criterion: CriterionName;
  rates?: string;
  ratesFile?: string;
  flopsReduction?: number;
  paramsReduction?: number;
  ignore?: string[];
  maxRate?: number;
  roundTo?: number;
  ranking: Ranking;
  normalize: ScoreNormalization;
  steps: number;
  calib: number;
  hook: 'pre-pool' | 'post-pool';
  dctK?: number;
  resetBn?: boolean;
  finetuneEpochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  augment: 'none' | 'crop-flip';
  seed: number;
  limitTrain?: number;
  limitTest?: number;
  latency: boolean;
  latencyBatches: number[];
  latencyRuns: number;
  out: string;
  report?: string;
  exportInference?: string;
}

function parseRates(v: string): string {
  try {
    parseRateExpression(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return v;
}

/** The --rates value for pruneFilters: a single number for global ranking (the fraction of channels), else the expression. */
function ratesFor(f: PruneFiltersFlags): string | number | Record<string, number> | undefined {
  if (f.ratesFile !== undefined) return readRatesFile(f.ratesFile);
  if (f.rates === undefined || f.ranking !== 'global') return f.rates;
  const list = parseRateExpression(f.rates);
  if (list.length !== 1) throw new Error('--ranking global takes one number in --rates (the fraction of all prunable channels to remove), or a --flops-reduction / --params-reduction budget');
  return list[0];
}

function parseBatches(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`--latency-batches must be a comma-separated list of positive integers (e.g. 1,64), got '${v}'`);
  }
  return list;
}

/** Every check on flags and paths that needs no model or data, before anything is loaded or written. */
function checkFlags(f: PruneFiltersFlags): void {
  const modes = [f.rates !== undefined, f.ratesFile !== undefined, f.flopsReduction !== undefined, f.paramsReduction !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new Error('give exactly one of --rates, --flops-reduction, --params-reduction (or --rates-file instead of --rates)');
  if (f.ratesFile !== undefined && f.ranking === 'global') throw new Error('--rates-file gives per-layer rates; it cannot be combined with --ranking global');
  if (f.ratesFile !== undefined && !existsSync(f.ratesFile)) throw new Error(`--rates-file '${f.ratesFile}' does not exist`);
  if (f.maxRate !== undefined && f.maxRate >= 1) throw new Error(`--max-rate must be below 1 (a group keeps at least one channel), got ${f.maxRate}`);
  ratesFor(f);
  const dirs: [string, string | undefined][] = [['--out', f.out], ['--export-inference', f.exportInference]];
  for (const [flag, dir] of dirs) {
    if (dir === undefined) continue;
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${flag} '${dir}' exists and is not a folder`);
    if (resolve(dir) === resolve(f.model)) throw new Error(`${flag} '${dir}' is the input model folder; write to another folder`);
  }
  if (f.exportInference !== undefined && resolve(f.exportInference) === resolve(f.out)) {
    throw new Error('--export-inference must be a different folder from --out');
  }
  if (f.report !== undefined && existsSync(f.report) && statSync(f.report).isDirectory()) {
    throw new Error(`--report '${f.report}' is a folder; give a file name such as report.html`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function registerPruneFilters(program: Command): void {
  program
    .command('prune-filters')
    .description('remove whole filters (DCT / DCT-low / L1 / HRank / random), fine-tune, and report widths, params, MACs, accuracy and latency')
    .requiredOption('-m, --model <dir>', 'trained model folder (model.json + weight shards); a zoo name builds an untrained net')
    .requiredOption('-o, --out <dir>', `write the pruned, fine-tuned model folder (+ ${STRUCTURED_RECORD_FILE}) here`)
    .option('-d, --dataset <spec>', 'digits | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR', 'digits')
    .option('-c, --criterion <name>', CRITERIA.join(' | '), parseChoice('--criterion', CRITERIA), 'dct')
    .option('--rates <expr>', 'per-group rates in prunable-group order, e.g. "[0.5]*7+[0.95]*5", or one rate "0.5"', parseRates)
    .option('--flops-reduction <f>', 'cut conv+dense multiply-adds by this fraction (one uniform rate, or --ranking global)', parseFloatOption('--flops-reduction', 0, 1))
    .option('--params-reduction <f>', 'cut trainable parameters by this fraction (one uniform rate, or --ranking global)', parseFloatOption('--params-reduction', 0, 1))
    .option('--rates-file <json>', 'per-layer rates from a rates file (e.g. written by `prunekit sensitivity --budget … --out-rates FILE`)')
    .option('--ranking <how>', 'uniform (one rate for every group) | global (rank normalised channel scores across groups: non-uniform rates for the budget)', parseChoice('--ranking', RANKINGS), 'uniform')
    .option('--normalize <how>', `per-group score normalisation for --ranking global: ${SCORE_NORMALIZATIONS.join(' | ')}`, parseChoice('--normalize', SCORE_NORMALIZATIONS), 'mean')
    .option('--ignore <layers>', 'comma-separated layers whose output channels are never pruned (e.g. the stem conv)', parseNameList('--ignore'))
    .option('--max-rate <r>', 'no channel group loses more than this fraction of its channels', parseFloatOption('--max-rate', 0, 1))
    .option('--round-to <n>', 'kept channels per group rounded up to a multiple of n (e.g. 8 for SIMD-friendly widths)', parseIntOption('--round-to', 1))
    .option('--steps <k>', 'iterative pruning: k steps of prune → fine-tune (each step fine-tunes --finetune-epochs), reaching i/k of the target at step i', parseIntOption('--steps', 1), 1)
    .option('--calib <n>', 'calibration images from the training split (dct, dct_low, dct_dc, hrank; reference 5 × 128)', parseIntOption('--calib', 1), 640)
    .option('--hook <where>', 'feature maps: pre-pool (after BN + ReLU) | post-pool (reference)', parseChoice('--hook', ['pre-pool', 'post-pool'] as const), 'pre-pool')
    .option('--dct-k <k>', 'dct_low block size k (default ceil(H/4))', parseIntOption('--dct-k', 1))
    .option('--reset-bn', 'reset BN of pruned layers to γ=1, β=0, μ=0, σ²=1 (reference CIFAR code) instead of copying kept statistics')
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
    .option('--latency-batches <list>', 'batch sizes for latency', parseBatches, [1, 64])
    .option('--latency-runs <n>', 'timed runs per model and batch size', parseIntOption('--latency-runs', 1), 10)
    .option('--report <file>', 'also write the report as a self-contained HTML page')
    .option('--export-inference <dir>', 'also write the inference model (BN folded into the conv/dense before it)')
    .action(async (flags: PruneFiltersFlags, cmd: Command) => {
      checkFlags(flags);
      const backend = await backendFromFlags(cmd);
      const data = await loadDataset(flags.dataset, { limitTrain: flags.limitTrain, limitTest: flags.limitTest, seed: flags.seed });
      const { model, source } = await resolveModel(flags.model, {
        inputShape: [data.train.height, data.train.width, data.train.channels],
        numClasses: data.train.numClasses,
        seed: flags.seed,
      });
      if (source === 'zoo') process.stderr.write(`warning: '${flags.model}' is an untrained zoo model\n`);
      const say = (s: string) => process.stdout.write(`${s}\n`);
      try {
        const calibBatchSize = Math.min(128, flags.calib);
        const result = await pruneAndFinetune(model, data.train, data.test, {
          prune: {
            criterion: flags.criterion,
            rates: ratesFor(flags),
            ranking: flags.ranking,
            normalize: flags.normalize,
            ignore: flags.ignore,
            maxRate: flags.maxRate,
            roundTo: flags.roundTo,
            flopsReduction: flags.flopsReduction,
            paramsReduction: flags.paramsReduction,
            calibBatches: Math.ceil(flags.calib / calibBatchSize),
            calibBatchSize,
            copyBN: !flags.resetBn,
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
          await saveModel(result.model, flags.out, {
            metadata: {
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
          writeStructuredRecord(join(flags.out, STRUCTURED_RECORD_FILE), result.record);
          say(`saved ${flags.out} (final ${pct(result.accuracy.final)}, best ${pct(result.accuracy.best)})`);
          if (flags.exportInference) {
            const inf = await inferenceModel(result.model, { seed: flags.seed });
            try {
              await saveModel(inf.model, flags.exportInference, { metadata: { inferenceOf: flags.out, bnFolded: true, foldRelError: inf.relError } });
            } finally {
              inf.model.dispose();
            }
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
