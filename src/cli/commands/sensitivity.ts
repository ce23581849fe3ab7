import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { prepareModel } from '../../graph/prepare.js';
import { writeHtmlReport } from '../../report/html.js';
import { formatTable } from '../../report/table.js';
import { CRITERIA, type CriterionName } from '../../structured/criteria/index.js';
import { parseRateExpression } from '../../structured/rates.js';
import { writeRatesFile } from '../../structured/rates-file.js';
import { DEFAULT_SENSITIVITY_RATES, checkRateGrid, checkSensitivityBudget, sensitivityAnalysis, sensitivityBudget } from '../../structured/sensitivity.js';
import { sensitivityDoc } from '../../structured/sensitivity-report.js';
import { docText } from '../../structured/report.js';
import { backendFromFlags } from '../context.js';
import { addDatasetOptions, resolveModelAndData, type DatasetFlags } from '../dataset.js';
import { ALLOW_NONFINITE_HELP, loadOptions } from '../outputs.js';
import { parseChoice, parseFloatOption, parseIntOption, parseNameList } from '../options.js';

interface SensitivityFlags extends DatasetFlags {
  model: string;
  output?: string;
  allowNonfinite?: boolean;
  criterion: CriterionName;
  rates: number[];
  subset: number;
  calib: number;
  hook: 'pre-pool' | 'post-pool';
  ignore?: string[];
  roundTo?: number;
  maxRate?: number;
  budget?: number;
  outRates?: string;
  report?: string;
  seed: number;
}

/** A rate grid: "0.1,0.3,0.5" or a rate expression such as "[0.1,0.2]+[0.5]" (rates.ts parses the numbers). */
function parseGrid(v: string): number[] {
  try {
    return checkRateGrid(parseRateExpression(v.includes('[') ? v : `[${v}]`));
  } catch (err) {
    throw new InvalidArgumentError(`--rates: ${(err as Error).message}`);
  }
}

function checkFlags(f: SensitivityFlags): void {
  if (f.outRates !== undefined && f.budget === undefined) throw new Error('--out-rates writes the rates chosen for --budget: give --budget too');
  if (f.budget !== undefined && !(f.budget > 0 && f.budget < 1)) throw new Error(`--budget must be a MACs reduction in (0, 1), got ${f.budget}`);
  if (f.maxRate !== undefined && f.maxRate >= 1) throw new Error(`--max-rate must be below 1, got ${f.maxRate}`);
  for (const [flag, path] of [['--report', f.report], ['--out-rates', f.outRates]] as const) {
    if (path !== undefined && existsSync(path) && statSync(path).isDirectory()) throw new Error(`${flag} '${path}' is a folder; give a file name`);
  }
}

export function registerSensitivity(program: Command): void {
  const cmd = program
    .command('sensitivity')
    .description('accuracy when each channel group alone is pruned at a grid of rates (table + HTML heat map); --budget turns it into per-group rates for a MACs target')
    .requiredOption('-m, --model <dir>', 'trained model folder (model.json + weight shards)')
    .option('-c, --criterion <name>', CRITERIA.join(' | '), parseChoice('--criterion', CRITERIA), 'l1')
    .option('--rates <list>', `rates to try per group, ascending (default ${DEFAULT_SENSITIVITY_RATES.join(',')})`, parseGrid, [...DEFAULT_SENSITIVITY_RATES])
    .option('--subset <n>', 'held-out images the accuracy is measured on (a seeded subset of the test split)', parseIntOption('--subset', 1), 500)
    .option('--calib <n>', 'calibration images from the training split (dct, dct_low, dct_dc, hrank)', parseIntOption('--calib', 1), 640)
    .option('--hook <where>', 'feature maps: pre-pool | post-pool', parseChoice('--hook', ['pre-pool', 'post-pool'] as const), 'pre-pool')
    .option('--ignore <layers>', 'comma-separated layers whose output channels are never pruned (not analysed)', parseNameList('--ignore'))
    .option('--round-to <n>', 'kept channels rounded up to a multiple of n (use the same value with prune-filters)', parseIntOption('--round-to', 1))
    .option('--max-rate <r>', 'no group loses more than this fraction of its channels', parseFloatOption('--max-rate', 0, 1))
    .option('--budget <f>', 'MACs reduction target: choose per-group rates greedily where accuracy drops least', parseFloatOption('--budget', 0, 1))
    .option('--out-rates <file>', 'write the rates chosen for --budget as a rates file (prune-filters --rates-file)')
    .option('--report <file>', 'also write the table as a self-contained HTML page with a heat map')
    .option('--seed <n>', 'seed for the held-out subset, calibration sample and random criterion', parseIntOption('--seed'), 0)
    .option('--output <name>', 'multi-output models: the output layer to analyse')
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP);
  addDatasetOptions(cmd).action(async (flags: SensitivityFlags, cmd: Command) => {
      checkFlags(flags);
      const backend = await backendFromFlags(cmd);
      const resolved = await resolveModelAndData(flags.model, { ...flags, limitTest: flags.subset }, { needsData: 'sensitivity measures accuracy on held-out images', load: loadOptions(flags) });
      const { source, data } = resolved;
      if (!data) throw new Error('sensitivity needs a dataset'); // unreachable: resolveModelAndData throws first
      const model = prepareModel(resolved.model, flags.output);
      if (source === 'zoo') process.stderr.write(`warning: '${flags.model}' is an untrained zoo model\n`);
      try {
        const constraints = { ignore: flags.ignore, roundTo: flags.roundTo, maxRate: flags.maxRate };
        if (flags.budget !== undefined) checkSensitivityBudget(model, flags.rates, constraints, 'macs', flags.budget);
        const calibBatchSize = Math.min(128, flags.calib);
        let last = 0;
        const result = await sensitivityAnalysis(model, {
          criterion: flags.criterion,
          evalSet: data.test,
          calib: data.train,
          rates: flags.rates,
          calibBatches: Math.ceil(flags.calib / calibBatchSize),
          calibBatchSize,
          hook: flags.hook,
          seed: flags.seed,
          ...constraints,
          onProgress: (done, total) => {
            if (process.stderr.isTTY && (done === total || Date.now() - last > 500)) {
              last = Date.now();
              process.stderr.write(`\rsensitivity: ${done}/${total} evaluations${done === total ? '\n' : ''}`);
            }
          },
        });
        const budget = flags.budget !== undefined ? sensitivityBudget(model, result, 'macs', flags.budget) : undefined;
        const doc = sensitivityDoc({
          result,
          budget,
          ratesFile: flags.outRates,
          meta: {
            model: flags.model,
            dataset: `${data.name} (held-out ${data.test.count} test images)`,
            backend: `${backend.name}${backend.threads ? `, ${backend.threads} threads` : ''}`,
            command: `prunekit ${process.argv.slice(2).join(' ')}`,
            date: new Date().toISOString(),
          },
        });
        process.stdout.write(docText(doc, formatTable));
        if (budget && flags.outRates) {
          writeRatesFile(flags.outRates, budget.byLayer, {
            command: 'sensitivity',
            model: flags.model,
            criterion: flags.criterion,
            macsReduction: budget.reduction,
            budget: flags.budget,
            ...(flags.roundTo !== undefined ? { roundTo: flags.roundTo } : {}),
            ...(flags.maxRate !== undefined ? { maxRate: flags.maxRate } : {}),
          });
          process.stdout.write(`wrote ${flags.outRates}\n`);
        }
        if (flags.report) {
          await writeHtmlReport(flags.report, doc);
          process.stdout.write(`wrote ${flags.report}\n`);
        }
      } finally {
        model.dispose();
      }
    });
}
